import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import NIOCore
import SpindleModel
import SpindleStorage
import SpindleTesting
import SpindleWire
import Synchronization
import Testing

@testable import SpindleServer

@Suite struct LifecycleTests {
    @Test func gracefulShutdown_finishesAnInFlightRequest() async throws {
        let store = InMemoryTraceStore(maxSpans: 100_000)
        let gate = GatedWriter(inner: store)
        let batch = Samples.realisticBatch(spans: 20, seed: 41)
        try await withServer(writer: gate, reader: store) { server in
            let inFlight = Task {
                try await send(.POST, server.otlpHTTP + "/v1/traces", headers: OTLPHTTPListenerTests.protobuf, body: OTLPProtobuf.encodeExportRequest(batch))
            }
            // The request has been read and its spans are on their way to storage.
            try await withUpperBound { await gate.waitUntilAWriteIsHeld() }

            await server.server.shutdown()
            // Shutting down: the listener takes no new connections...
            try await waitUntilRefused(port: server.ports.otlpHTTP)
            // ...but the accepted request completes, acknowledged and stored.
            gate.open()
            let response = try await withUpperBound { try await inFlight.value }
            #expect(response.status == 200)
            #expect(try await readBack(batch, from: store) == canonicalSpans(batch))
        }
    }

    @Test func ports_areReportedAndDistinct() async throws {
        try await withServer { server in
            let ports = server.ports
            let all = [ports.otlpGRPC, ports.otlpHTTP, ports.zipkin, ports.http, ports.tempo]
            #expect(all.allSatisfy { $0 > 0 })
            #expect(Set(all).count == 5)
            #expect(ports.description.hasPrefix("otlp-grpc 127.0.0.1:\(ports.otlpGRPC), otlp-http 127.0.0.1:\(ports.otlpHTTP)"))
        }
    }

    @Test func nativeStorage_isTheDefaultAndServesAfterARestart() async throws {
        #expect(SpindleServerConfiguration().storage == .native)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("spindle-serve-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let batch = Samples.realisticBatch(spans: 30, seed: 61)
        let native: (inout SpindleServerConfiguration) -> Void = {
            $0.storage = .native
            $0.dataDir = directory
            $0.fsync = .always
        }
        try await withServer(native) { server in
            let response = try await send(.POST, server.otlpHTTP + "/v1/traces", headers: OTLPHTTPListenerTests.protobuf, body: OTLPProtobuf.encodeExportRequest(batch))
            #expect(response.status == 200)
            let stored = try await readBack(batch, from: server.reader)
            #expect(stored == canonicalSpans(batch))
        }
        // A new server on the same directory serves what the first one acknowledged.
        let restored = try await withServer(native) { server in try await readBack(batch, from: server.reader) }
        #expect(restored == canonicalSpans(batch))
    }

    @Test func nativeStorage_inAnUnusableDirectory_failsStartupNamingIt() {
        var configuration = SpindleServerConfiguration.ephemeral()
        configuration.storage = .native
        configuration.dataDir = "/proc/spindle-cannot-be-here"
        #expect {
            _ = try SpindleServer(configuration: configuration)
        } throws: { error in
            guard let error = error as? SpindleServerError else { return false }
            return error.code == .storageNotAvailable && error.message.hasPrefix("cannot open the native store in /proc/spindle-cannot-be-here")
        }
    }

    @Test func aPortInUse_failsStartupNamingTheFlag() async throws {
        try await withServer { first in
            var configuration = SpindleServerConfiguration.ephemeral()
            configuration.logLevel = .critical
            configuration.zipkinPort = first.ports.zipkin
            let second = try SpindleServer(configuration: configuration)
            let running = Task { try await second.run() }
            await #expect {
                _ = try await withUpperBound { try await second.waitUntilListening() }
            } throws: { error in
                (error as? SpindleServerError)?.message.contains("--zipkin-port") == true
            }
            await #expect(throws: SpindleServerError.self) {
                try await withUpperBound { try await running.value }
            }
        }
    }

    @Test func shutdownBeforeRun_stopsAsSoonAsItStarts() async throws {
        let server = try SpindleServer(configuration: .ephemeral())
        await server.shutdown()
        try await withUpperBound { try await server.run() }
    }

    @Test func metrics_countAcceptedSpansPerProtocol() async throws {
        try await withServer { server in
            for seed in 51...53 {
                let response = try await send(
                    .POST, server.otlpHTTP + "/v1/traces", headers: OTLPHTTPListenerTests.protobuf,
                    body: OTLPProtobuf.encodeExportRequest(Samples.realisticBatch(spans: 10, seed: UInt64(seed)))
                )
                #expect(response.status == 200)
            }
            let zipkin = try await send(
                .POST, server.zipkin + "/api/v2/spans", headers: ZipkinListenerTests.json,
                body: ZipkinJSON.encode(Samples.realisticBatch(spans: 7, seed: 54))
            )
            #expect(zipkin.status == 202)

            let metrics = try await get(server.http + "/metrics")
            #expect(metrics.status == 200)
            #expect(metrics.headers["Content-Type"].first?.hasPrefix("text/plain") == true)
            #expect(sample(metrics.text, "spindle_accepted_spans_total", protocol: "otlp_http") == 30)
            #expect(sample(metrics.text, "spindle_accepted_spans_total", protocol: "zipkin") == 7)
        }
    }
}

/// The value of one Prometheus sample with a `protocol` label, from the text format.
func sample(_ text: String, _ name: String, protocol: String, reason: String? = nil) -> Double? {
    for line in text.split(separator: "\n")
    where line.hasPrefix(name + "{") && line.contains("protocol=\"\(`protocol`)\"") && (reason.map { line.contains("reason=\"\($0)\"") } ?? true) {
        if let value = line.split(separator: " ").last { return Double(value) }
    }
    return nil
}

/// Waits (a bounded number of attempts) until connecting to `port` is refused.
func waitUntilRefused(port: Int) async throws {
    for _ in 0..<500 {
        do {
            let connection = try await RawConnection.connect(port: port)
            try? await connection.channel.channel.close()
        } catch {
            return
        }
        try await Task.sleep(for: .milliseconds(20))
    }
    throw UpperBoundExceeded()
}

/// A writer that holds every write until ``open()``, so a test can act while a request
/// is known to be in flight.
final class GatedWriter: TraceWriter {
    private struct State {
        var isOpen = false
        var held = 0
        var heldWaiters: [CheckedContinuation<Void, Never>] = []
        var openWaiters: [CheckedContinuation<Void, Never>] = []
    }

    let inner: any TraceWriter
    private let state = Mutex(State())

    init(inner: any TraceWriter) {
        self.inner = inner
    }

    func write(_ batch: SpanBatch) async throws(StorageError) {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resume: (Bool, [CheckedContinuation<Void, Never>]) = state.withLock { state in
                if state.isOpen { return (true, []) }
                state.held += 1
                state.openWaiters.append(continuation)
                let waiters = state.heldWaiters
                state.heldWaiters = []
                return (false, waiters)
            }
            for waiter in resume.1 { waiter.resume() }
            if resume.0 { continuation.resume() }
        }
        try await inner.write(batch)
    }

    func waitUntilAWriteIsHeld() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let already: Bool = state.withLock { state in
                if state.held > 0 { return true }
                state.heldWaiters.append(continuation)
                return false
            }
            if already { continuation.resume() }
        }
    }

    func open() {
        let waiters = state.withLock { state in
            state.isOpen = true
            let waiters = state.openWaiters
            state.openWaiters = []
            return waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}

/// A full pipeline refuses with "retry later" through every listener, and loses nothing
/// it accepted.
@Suite struct BackpressureTests {
    @Test func aFullPipeline_answers429AndResourceExhaustedWithRetryInformation() async throws {
        let store = InMemoryTraceStore(maxSpans: 100_000)
        let gate = GatedWriter(inner: store)
        let held = Samples.realisticBatch(spans: 100, seed: 71)
        let heldBody = OTLPProtobuf.encodeExportRequest(held)
        try await withServer({ $0.maxBodyBytes = 64 << 10; $0.maxBytesInFlight = 64 << 10 }, writer: gate, reader: store) { server in
            #expect(heldBody.count > 32 << 10 && heldBody.count < 64 << 10)
            let inFlight = Task {
                try await send(.POST, server.otlpHTTP + "/v1/traces", headers: OTLPHTTPListenerTests.protobuf, body: heldBody)
            }
            try await withUpperBound { await gate.waitUntilAWriteIsHeld() }

            // The pipeline holds more than half its bound: another such request is refused.
            let refused = Samples.realisticBatch(spans: 100, seed: 72)
            let response = try await send(.POST, server.otlpHTTP + "/v1/traces", headers: OTLPHTTPListenerTests.protobuf, body: OTLPProtobuf.encodeExportRequest(refused))
            #expect(response.status == 429 || response.status == 503)
            #expect(response.headers["Retry-After"].first.flatMap { Int($0) } != nil)

            await #expect {
                _ = try await withGRPCClient(
                    transport: .http2NIOPosix(target: .ipv4(address: "127.0.0.1", port: server.ports.otlpGRPC), transportSecurity: .plaintext)
                ) { client in
                    try await client.unary(
                        request: ClientRequest(message: OTLPProtobuf.encodeExportRequest(refused)),
                        descriptor: OTLPTraceService.export,
                        serializer: RawMessageSerializer(),
                        deserializer: RawMessageDeserializer(),
                        options: .defaults
                    ) { try $0.message }
                }
            } throws: { error in
                guard let error = error as? RPCError else { return false }
                return (error.code == .resourceExhausted || error.code == .unavailable)
                    && !error.metadata[binaryValues: "google.rpc.retryinfo-bin"].map { $0 }.isEmpty
                    && !error.metadata[binaryValues: "grpc-status-details-bin"].map { $0 }.isEmpty
            }

            gate.open()
            let accepted = try await withUpperBound { try await inFlight.value }
            #expect(accepted.status == 200)
            let stored = try await readBack(held, from: store)
            #expect(stored == canonicalSpans(held))
            let notStored = try await readBack(refused, from: store)
            #expect(notStored.isEmpty)
        }
    }
}
