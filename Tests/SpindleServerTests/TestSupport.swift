import AsyncHTTPClient
import CompressNIO
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import SpindleModel
import SpindleStorage
import Synchronization
import Testing

@testable import SpindleServer

/// Upper bounds that keep a broken test from hanging; never assertions about speed.
enum Limits {
    static let request: TimeAmount = .seconds(60)
    static let seconds: Duration = .seconds(60)
}

/// A server on loopback with every port chosen by the system, for one test.
struct RunningServer: Sendable {
    let server: SpindleServer
    let ports: BoundPorts

    var otlpHTTP: String { "http://127.0.0.1:\(ports.otlpHTTP)" }
    var zipkin: String { "http://127.0.0.1:\(ports.zipkin)" }
    var http: String { "http://127.0.0.1:\(ports.http)" }
    var tempo: String { "http://127.0.0.1:\(ports.tempo)" }
    var reader: any TraceReader { server.reader }
}

/// Starts a server, waits until every listener serves, runs `body`, then shuts the server
/// down gracefully and checks that `run()` returned without error.
func withServer<T: Sendable>(
    _ configure: (inout SpindleServerConfiguration) -> Void = { _ in },
    writer: (any TraceWriter)? = nil,
    reader: (any TraceReader)? = nil,
    _ body: (RunningServer) async throws -> T
) async throws -> T {
    var configuration = SpindleServerConfiguration.ephemeral()
    configuration.logLevel = ProcessInfo.processInfo.environment["SPINDLE_TEST_LOG"].flatMap { .init(rawValue: $0) } ?? .warning
    configure(&configuration)
    let server: SpindleServer
    if let writer, let reader {
        server = try SpindleServer(configuration: configuration, writer: writer, reader: reader)
    } else {
        server = try SpindleServer(configuration: configuration)
    }
    let running = Task { try await server.run() }
    do {
        let ports = try await withUpperBound { try await server.waitUntilListening() }
        let result = try await body(RunningServer(server: server, ports: ports))
        await server.shutdown()
        try await withUpperBound { try await running.value }
        return result
    } catch {
        await server.shutdown()
        _ = try? await withUpperBound { try await running.value }
        throw error
    }
}

struct UpperBoundExceeded: Error, CustomStringConvertible {
    var description: String { "the operation did not finish within the test's upper bound of \(Limits.seconds)" }
}

/// Runs `operation`, failing instead of hanging if it has not finished within the bound
/// (even if it ignores cancellation: the wait is abandoned, the operation cancelled).
func withUpperBound<T: Sendable>(_ bound: Duration = Limits.seconds, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
    let outcome = OnceResult<T>()
    return try await withCheckedThrowingContinuation { continuation in
        outcome.set(continuation)
        let work = Task {
            do { outcome.resume(with: .success(try await operation())) } catch { outcome.resume(with: .failure(error)) }
        }
        let timer = Task {
            try await Task.sleep(for: bound)
            work.cancel()
            outcome.resume(with: .failure(UpperBoundExceeded()))
        }
        outcome.onResume { timer.cancel() }
    }
}

/// Resumes a continuation once, whichever of several racers gets there first.
final class OnceResult<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var result: Result<T, any Error>?
        var onResume: (@Sendable () -> Void)?
        var done = false
    }

    private let state = Mutex(State())

    func set(_ continuation: CheckedContinuation<T, any Error>) {
        let ready: Result<T, any Error>? = state.withLock { state in
            if let result = state.result {
                state.done = true
                return result
            }
            state.continuation = continuation
            return nil
        }
        if let ready { continuation.resume(with: ready) }
    }

    func onResume(_ action: @escaping @Sendable () -> Void) {
        let runNow: Bool = state.withLock { state in
            if state.done || state.result != nil { return true }
            state.onResume = action
            return false
        }
        if runNow { action() }
    }

    func resume(with result: Result<T, any Error>) {
        let (continuation, action): (CheckedContinuation<T, any Error>?, (@Sendable () -> Void)?) = state.withLock { state in
            guard !state.done, state.result == nil else { return (nil, nil) }
            if let continuation = state.continuation {
                state.done = true
                state.continuation = nil
                return (continuation, state.onResume)
            }
            state.result = result
            return (nil, nil)
        }
        continuation?.resume(with: result)
        action?()
    }
}

// MARK: - HTTP

struct HTTPResult: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var body: [UInt8]

    var text: String { String(decoding: body, as: UTF8.self) }
}

/// One real HTTP request with AsyncHTTPClient.
func send(
    _ method: HTTPMethod = .POST,
    _ url: String,
    headers: [(String, String)] = [],
    body: [UInt8]? = nil
) async throws -> HTTPResult {
    var request = HTTPClientRequest(url: url)
    request.method = method
    for (name, value) in headers { request.headers.add(name: name, value: value) }
    if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
    let response = try await HTTPClient.shared.execute(request, timeout: Limits.request)
    let collected = try await response.body.collect(upTo: 256 << 20)
    return HTTPResult(status: Int(response.status.code), headers: response.headers, body: Array(collected.readableBytesView))
}

func get(_ url: String) async throws -> HTTPResult {
    try await send(.GET, url)
}

// MARK: - Payloads

func gzip(_ bytes: [UInt8]) throws -> [UInt8] {
    var buffer = ByteBuffer(bytes: bytes)
    let compressed = try buffer.compress(with: .gzip())
    return Array(compressed.readableBytesView)
}

func zlibDeflate(_ bytes: [UInt8]) throws -> [UInt8] {
    var buffer = ByteBuffer(bytes: bytes)
    let compressed = try buffer.compress(with: .zlib())
    return Array(compressed.readableBytesView)
}

func rawDeflate(_ bytes: [UInt8]) throws -> [UInt8] {
    var buffer = ByteBuffer(bytes: bytes)
    let compressed = try buffer.compress(with: .deflate())
    return Array(compressed.readableBytesView)
}

/// `count` zero bytes, gzip-compressed a megabyte at a time (so the input never exists
/// whole in memory): about a thousandth of `count` once compressed.
func gzipOfZeros(count: Int) throws -> [UInt8] {
    let compressor = CompressionAlgorithm.gzip().compressor
    try compressor.startStream()
    defer { try? compressor.finishStream() }
    let chunk = ByteBuffer(repeating: 0, count: 1 << 20)
    var output: [UInt8] = []
    var remaining = count
    while remaining > 0 {
        var input = chunk.getSlice(at: 0, length: min(remaining, chunk.readableBytes)) ?? chunk
        remaining -= input.readableBytes
        let flush: CompressNIOFlush = remaining == 0 ? .finish : .no
        var out = ByteBufferAllocator().buffer(capacity: compressor.maxSize(from: input))
        try input.compressStream(to: &out, with: compressor, flush: flush)
        output += out.readableBytesView
    }
    return output
}

// MARK: - Reading back

/// Each span with its resource and scope, in a canonical order, so batches that hold the
/// same spans compare equal however they are grouped.
func canonicalSpans(_ batch: SpanBatch) -> [SpanWithContext] {
    (0..<batch.spanCount).map {
        SpanWithContext(span: batch.span(at: $0), resource: batch.resource(ofSpanAt: $0), scope: batch.scope(ofSpanAt: $0))
    }.sorted { ($0.span.traceID, $0.span.spanID) < ($1.span.traceID, $1.span.spanID) }
}

struct SpanWithContext: Hashable, Sendable {
    var span: SpanRecord
    var resource: Resource
    var scope: InstrumentationScope
}

/// Everything the store holds of the traces in `batch`.
func readBack(_ batch: SpanBatch, from reader: any TraceReader) async throws -> [SpanWithContext] {
    var stored: [SpanWithContext] = []
    for traceID in Set(batch.spans.map(\.traceID)) {
        if let trace = try await reader.trace(id: traceID, timeRange: nil) {
            stored += canonicalSpans(trace)
        }
    }
    return stored.sorted { ($0.span.traceID, $0.span.spanID) < ($1.span.traceID, $1.span.spanID) }
}

// MARK: - Raw connections

/// A TCP connection for what HTTP clients will not do: stop halfway, or stall.
final class RawConnection: Sendable {
    let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>

    private init(channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>) {
        self.channel = channel
    }

    static func connect(port: Int) async throws -> RawConnection {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return RawConnection(channel: channel)
    }

    /// Sends `bytes`, then (optionally) closes the connection without waiting for anything.
    /// Returns what the server sent until it closed the connection (or reset it).
    func exchange(_ bytes: [UInt8], thenClose: Bool) async throws -> [UInt8] {
        let received = ReceivedBytes()
        do {
            try await channel.executeThenClose { inbound, outbound in
                try await outbound.write(ByteBuffer(bytes: bytes))
                if thenClose { return }
                for try await chunk in inbound { received.append(Array(chunk.readableBytesView)) }
            }
        } catch let error as IOError where error.errnoCode == ECONNRESET || error.errnoCode == EPIPE {
            // The server reset the connection (it closed with our bytes unread): as good
            // as a close here.
        } catch ChannelError.ioOnClosedChannel {
            // The server closed first; closing our end again is not a failure.
        }
        return received.bytes
    }
}

/// What a raw connection received before it was closed or reset.
final class ReceivedBytes: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [UInt8] = []

    func append(_ chunk: [UInt8]) { lock.withLock { storage += chunk } }
    var bytes: [UInt8] { lock.withLock { storage } }
}

/// An HTTP/1.1 request head, as bytes.
func requestHead(_ method: String, _ path: String, headers: [(String, String)]) -> [UInt8] {
    var text = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    for (name, value) in headers { text += "\(name): \(value)\r\n" }
    text += "\r\n"
    return Array(text.utf8)
}
