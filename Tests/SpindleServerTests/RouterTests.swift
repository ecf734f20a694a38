import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import Metrics
import NIOCore
import Prometheus
import ServiceLifecycle
import SpindleModel
import SpindleStorage
import SpindleTesting
import SpindleWire
import Synchronization
import Testing

@testable import SpindleServer

/// The router end to end: a Spindle server whose writer is a ForwardingTraceWriter, in
/// front of real in-process Spindle collectors (memory storage), with real requests.
@Suite struct RouterTests {
    static let protobuf = [("Content-Type", "application/x-protobuf")]

    @Test(arguments: ["protobuf", "json", "zipkin"])
    func everySpanArrivesOnce_atItsTracesOwner(encoding: String) async throws {
        let batch = interleavedBatch(traces: 200, spansPerTrace: 5, seed: 1)
        try await withCollectors(3) { collectors in
            try await withRouter(to: collectors) { router in
                let response: HTTPResult
                switch encoding {
                case "protobuf":
                    response = try await send(.POST, router.server.otlpHTTP + "/v1/traces", headers: Self.protobuf, body: OTLPProtobuf.encodeExportRequest(batch))
                case "json":
                    response = try await send(.POST, router.server.otlpHTTP + "/v1/traces", headers: [("Content-Type", "application/json")], body: OTLPJSON.encodeExportRequest(batch))
                default:
                    response = try await send(.POST, router.server.zipkin + "/api/v2/spans", headers: [("Content-Type", "application/json")], body: ZipkinJSON.encode(batch))
                }
                #expect(response.status == (encoding == "zipkin" ? 202 : 200), "\(response.text)")
                let arrivals = collectors.map(\.recorder.arrivals)
                let expected = Dictionary(uniqueKeysWithValues: batch.spans.map { (SpanKey($0), router.writer.ring.owner(of: $0.traceID)) })
                try expectArrivedOnce(arrivals, at: expected)
                #expect(Set(arrivals.map(\.isEmpty)) == [false])
                if encoding == "protobuf" {
                    // Nothing is lost on the way through the router: every field arrives.
                    var stored: [SpanWithContext] = []
                    for collector in collectors { stored += try await readBack(batch, from: collector.store) }
                    #expect(stored.sorted { ($0.span.traceID, $0.span.spanID) < ($1.span.traceID, $1.span.spanID) } == canonicalSpans(batch))
                }
                for (index, collector) in collectors.enumerated() {
                    let owned = expected.values.filter { $0 == index }.count
                    #expect(metric("spindle_router_forwarded_spans_total", ["collector": collector.url], in: router.registry) == Double(owned))
                    #expect(metric("spindle_router_requests_total", ["collector": collector.url, "result": "delivered"], in: router.registry) == 1)
                    #expect(metric("spindle_router_collector_up", ["collector": collector.url], in: router.registry) == 1)
                }
                #expect(metric("spindle_router_undeliverable_spans_total", [:], in: router.registry) == 0)
            }
        }
    }

    @Test func largeParts_goAsSeveralRequests() async throws {
        let batch = interleavedBatch(traces: 50, spansPerTrace: 10, seed: 2)
        try await withCollectors(2) { collectors in
            try await withRouter(to: collectors, maxSpansPerRequest: 100) { router in
                let response = try await send(.POST, router.server.otlpHTTP + "/v1/traces", headers: Self.protobuf, body: OTLPProtobuf.encodeExportRequest(batch))
                #expect(response.status == 200)
                let expected = Dictionary(uniqueKeysWithValues: batch.spans.map { (SpanKey($0), router.writer.ring.owner(of: $0.traceID)) })
                try expectArrivedOnce(collectors.map(\.recorder.arrivals), at: expected)
                for (index, collector) in collectors.enumerated() {
                    let owned = expected.values.filter { $0 == index }.count
                    let requests = (owned + 99) / 100
                    #expect(metric("spindle_router_requests_total", ["collector": collector.url, "result": "delivered"], in: router.registry) == Double(requests))
                }
            }
        }
    }

    @Test func aStoppedCollector_sendsItsTracesToTheirRingSuccessor_andIsGoneAroundForTheInterval() async throws {
        let clock = RecordingClock()
        try await withCollectors(3) { collectors in
            try await withRouter(to: collectors, clock: clock) { router in
                let ring = router.writer.ring
                let stopped = collectors[1]
                await stopped.stop()
                let none = [Bool](repeating: false, count: 3)
                let tried = [false, true, false]

                // The first request tries the stopped collector, then goes on.
                let first = interleavedBatch(traces: 200, spansPerTrace: 5, seed: 3)
                let response = try await send(.POST, router.server.otlpHTTP + "/v1/traces", headers: Self.protobuf, body: OTLPProtobuf.encodeExportRequest(first))
                #expect(response.status == 200, "\(response.text)")
                let expected = Dictionary(uniqueKeysWithValues: first.spans.map { span in
                    (SpanKey(span), ring.target(for: span.traceID, tried: tried, avoiding: none) ?? -1)
                })
                #expect(expected.values.allSatisfy { $0 != 1 })
                #expect(first.spans.contains { ring.owner(of: $0.traceID) == 1 })
                try expectArrivedOnce(collectors.map(\.recorder.arrivals), at: expected)
                #expect(metric("spindle_router_requests_total", ["collector": stopped.url, "result": "failed"], in: router.registry) == 1)
                #expect(metric("spindle_router_retries_total", ["collector": stopped.url], in: router.registry) == 1)
                #expect(metric("spindle_router_collector_up", ["collector": stopped.url], in: router.registry) == 0)
                let status = router.writer.status
                #expect(status.map(\.isUp) == [true, false, true])
                #expect(status[1].lastFailure?.hasPrefix("cannot reach it") == true, "\(status[1].lastFailure ?? "nil")")

                // Within the retry interval the router goes straight to the successors.
                let second = interleavedBatch(traces: 100, spansPerTrace: 3, seed: 4)
                #expect(try await send(.POST, router.server.otlpHTTP + "/v1/traces", headers: Self.protobuf, body: OTLPProtobuf.encodeExportRequest(second)).status == 200)
                #expect(metric("spindle_router_requests_total", ["collector": stopped.url, "result": "failed"], in: router.registry) == 1)
                let both = Dictionary(uniqueKeysWithValues: (first.spans + second.spans).map { span in
                    (SpanKey(span), ring.target(for: span.traceID, tried: tried, avoiding: none) ?? -1)
                })
                try expectArrivedOnce(collectors.map(\.recorder.arrivals), at: both)

                // After it, the stopped collector is tried again (and fails again).
                try await clock.sleep(for: router.writer.retryInterval)
                let third = interleavedBatch(traces: 100, spansPerTrace: 3, seed: 5)
                #expect(try await send(.POST, router.server.otlpHTTP + "/v1/traces", headers: Self.protobuf, body: OTLPProtobuf.encodeExportRequest(third)).status == 200)
                #expect(metric("spindle_router_requests_total", ["collector": stopped.url, "result": "failed"], in: router.registry) == 2)
                #expect(metric("spindle_router_undeliverable_spans_total", [:], in: router.registry) == 0)
            }
        }
    }

    @Test func withEveryCollectorStopped_theClientIsTold503NamingThem_andNothingIsLostSilently() async throws {
        try await withCollectors(2) { collectors in
            try await withRouter(to: collectors) { router in
                for collector in collectors { await collector.stop() }
                let batch = interleavedBatch(traces: 40, spansPerTrace: 5, seed: 6)
                let body = OTLPProtobuf.encodeExportRequest(batch)
                let response = try await send(.POST, router.server.otlpHTTP + "/v1/traces", headers: Self.protobuf, body: body)
                #expect(response.status == 503)
                #expect(response.headers["Retry-After"].first == "1")
                let status = try decodeRPCStatus(response.body)
                #expect(status.code == 14)
                // Whether a part's failover met the other collector already down depends
                // on which failed first, so the reason is either of two.
                #expect(status.message.hasPrefix("storage is unavailable: the router could not deliver 200 spans of 40 traces to any collector; tried \(collectors[0].url) ("), "\(status.message)")
                #expect(status.message.contains("; \(collectors[1].url) ("), "\(status.message)")
                #expect(metric("spindle_router_undeliverable_spans_total", [:], in: router.registry) == 200)
                #expect(router.writer.status.map(\.isUp) == [false, false])
                let failedBefore = collectors.map { metric("spindle_router_requests_total", ["collector": $0.url, "result": "failed"], in: router.registry) ?? 0 }
                #expect(failedBefore.allSatisfy { (1...2).contains($0) }, "\(failedBefore)")

                // Both down and gone around: each trace's owner is still tried, once.
                let again = try await send(.POST, router.server.otlpHTTP + "/v1/traces", headers: Self.protobuf, body: body)
                #expect(again.status == 503)
                #expect(try decodeRPCStatus(again.body).message == """
                    storage is unavailable: the router could not deliver 200 spans of 40 traces to any collector; \
                    tried \(collectors[0].url) (cannot reach it: Connection refused); \(collectors[1].url) (cannot reach it: Connection refused); \
                    retry after 1 s
                    """)
                #expect(metric("spindle_router_undeliverable_spans_total", [:], in: router.registry) == 400)
                for (collector, before) in zip(collectors, failedBefore) {
                    #expect(metric("spindle_router_requests_total", ["collector": collector.url, "result": "failed"], in: router.registry) == before + 1)
                }
                // Each request but the two first choices of the first write was a failover.
                let retries: [Double] = collectors.map { metric("spindle_router_retries_total", ["collector": $0.url], in: router.registry) ?? -1 }
                let totalRetries: Double = retries.reduce(0, +)
                let totalFailedBefore: Double = failedBefore.reduce(0, +)
                #expect(totalRetries == totalFailedBefore - 2)
            }
        }
    }

    @Test func aCollectorAnswering400_isCountedAsRejected_andNotRetriedElsewhere() async throws {
        let batch = interleavedBatch(traces: 100, spansPerTrace: 4, seed: 7)
        let refusal = { @Sendable (_: Int) in statusAnswer(.badRequest, code: 3, "invalid OTLP protobuf request: for this test") }
        try await withStandInCollector(answer: refusal) { refusing in
            try await withCollectors(1) { collectors in
                try await withRouter(to: [refusing.url, collectors[0].url]) { router in
                    let response = try await send(.POST, router.server.otlpHTTP + "/v1/traces", headers: Self.protobuf, body: OTLPProtobuf.encodeExportRequest(batch))
                    // Refused for good is not "retry later": the write succeeds.
                    #expect(response.status == 200, "\(response.text)")
                    let owners = batch.spans.map { router.writer.ring.owner(of: $0.traceID) }
                    let refusedCount = owners.filter { $0 == 0 }.count
                    #expect(refusedCount > 0 && refusedCount < batch.spanCount)
                    #expect(refusing.posts.count == 1)
                    let expected = Dictionary(uniqueKeysWithValues: zip(batch.spans, owners).filter { $0.1 == 1 }.map { (SpanKey($0.0), 0) })
                    try expectArrivedOnce([collectors[0].recorder.arrivals], at: expected)
                    #expect(metric("spindle_router_rejected_spans_total", ["collector": refusing.url], in: router.registry) == Double(refusedCount))
                    #expect(metric("spindle_router_requests_total", ["collector": refusing.url, "result": "rejected"], in: router.registry) == 1)
                    #expect(metric("spindle_router_retries_total", ["collector": refusing.url], in: router.registry) == 0)
                    #expect(metric("spindle_router_collector_up", ["collector": refusing.url], in: router.registry) == 1)
                }
            }
        }
    }

    @Test func aPartLargerThanTheCollectorTakes_isSentAgainInHalves_untilEverySpanArrives() async throws {
        let batch = interleavedBatch(traces: 100, spansPerTrace: 4, seed: 12)
        // A collector taking bodies of at most 4 KiB: the router's parts are larger.
        try await withCollectors(2, { $0.maxBodyBytes = 4 << 10 }) { collectors in
            try await withRouter(to: collectors) { router in
                let response = try await send(.POST, router.server.otlpHTTP + "/v1/traces", headers: Self.protobuf, body: OTLPProtobuf.encodeExportRequest(batch))
                #expect(response.status == 200, "\(response.text)")
                let owners = batch.spans.map { router.writer.ring.owner(of: $0.traceID) }
                try expectArrivedOnce(collectors.map(\.recorder.arrivals), at: Dictionary(uniqueKeysWithValues: zip(batch.spans, owners).map { (SpanKey($0.0), $0.1) }))
                for collector in collectors {
                    #expect(metric("spindle_router_rejected_spans_total", ["collector": collector.url], in: router.registry) == 0)
                    // Several requests each: the first part was refused and halved.
                    let requests = metric("spindle_router_requests_total", ["collector": collector.url, "result": "delivered"], in: router.registry) ?? 0
                    #expect(requests > 1)
                }
            }
        }
    }

    @Test func aCollectorAnswering404_isAWrongURL_andItsTracesGoToTheNextCollector_nothingDropped() async throws {
        let batch = interleavedBatch(traces: 100, spansPerTrace: 4, seed: 8)
        let notFound = { @Sendable (_: Int) in Response(status: .notFound) }
        try await withStandInCollector(answer: notFound) { wrong in
            try await withCollectors(1) { collectors in
                try await withRouter(to: [wrong.url, collectors[0].url]) { router in
                    let response = try await send(.POST, router.server.otlpHTTP + "/v1/traces", headers: Self.protobuf, body: OTLPProtobuf.encodeExportRequest(batch))
                    #expect(response.status == 200, "\(response.text)")
                    // Every span, the wrong URL's traces included, is at the real collector.
                    try expectArrivedOnce([collectors[0].recorder.arrivals], at: Dictionary(uniqueKeysWithValues: batch.spans.map { (SpanKey($0), 0) }))
                    #expect(metric("spindle_router_rejected_spans_total", ["collector": wrong.url], in: router.registry) == 0)
                    #expect(metric("spindle_router_collector_up", ["collector": wrong.url], in: router.registry) == 0)
                    #expect(router.writer.status[0].lastFailure == "HTTP 404")
                }
            }
        }
    }

    @Test func aCollectorAnswering503_isFailedOver_thenProbedAfterTheInterval_andUpAgainWhenItAnswers() async throws {
        let clock = RecordingClock()
        let flaky = { @Sendable (number: Int) -> Response in
            number == 0 ? statusAnswer(.serviceUnavailable, code: 14, "shutting down; retry after 1 s") : Response(status: .ok)
        }
        try await withStandInCollector(answer: flaky) { standIn in
            try await withCollectors(1) { collectors in
                try await withRouter(to: [standIn.url, collectors[0].url], clock: clock) { router in
                    let first = interleavedBatch(traces: 100, spansPerTrace: 4, seed: 9)
                    #expect(try await send(.POST, router.server.otlpHTTP + "/v1/traces", headers: Self.protobuf, body: OTLPProtobuf.encodeExportRequest(first)).status == 200)
                    // Everything, the stand-in's traces included, is at the real collector.
                    try expectArrivedOnce([collectors[0].recorder.arrivals], at: Dictionary(uniqueKeysWithValues: first.spans.map { (SpanKey($0), 0) }))
                    #expect(router.writer.status[0] == .init(url: standIn.url, isUp: false, lastFailure: "HTTP 503: shutting down; retry after 1 s"))
                    #expect(metric("spindle_router_collector_up", ["collector": standIn.url], in: router.registry) == 0)
                    #expect(metric("spindle_router_retries_total", ["collector": standIn.url], in: router.registry) == 1)

                    try await clock.sleep(for: router.writer.retryInterval)
                    let second = interleavedBatch(traces: 100, spansPerTrace: 4, seed: 10)
                    #expect(try await send(.POST, router.server.otlpHTTP + "/v1/traces", headers: Self.protobuf, body: OTLPProtobuf.encodeExportRequest(second)).status == 200)
                    let owned = second.spans.filter { router.writer.ring.owner(of: $0.traceID) == 0 }.count
                    #expect(owned > 0)
                    #expect(router.writer.status[0] == .init(url: standIn.url, isUp: true, lastFailure: "HTTP 503: shutting down; retry after 1 s"))
                    #expect(metric("spindle_router_collector_up", ["collector": standIn.url], in: router.registry) == 1)
                    #expect(metric("spindle_router_forwarded_spans_total", ["collector": standIn.url], in: router.registry) == Double(owned))
                    #expect(standIn.posts.count == 2)
                    #expect(standIn.posts.allSatisfy { $0.contentType == "application/x-protobuf" && $0.contentEncoding == "gzip" })
                }
            }
        }
    }

    @Test func aCollectorThatDoesNotAnswerInTime_isFailedOver() async throws {
        // The stand-in holds its first answer past the router's timeout. The timeout also
        // bounds the real collector's answer, so it is generous: a loaded machine must not
        // make the real collector look down.
        let slow = { @Sendable (number: Int) async -> Response in
            if number == 0 { try? await Task.sleep(for: .seconds(8)) }
            return Response(status: .ok)
        }
        try await withStandInCollector(answer: slow) { standIn in
            try await withCollectors(1) { collectors in
                try await withRouter(to: [standIn.url, collectors[0].url], timeout: .seconds(4)) { router in
                    let batch = interleavedBatch(traces: 100, spansPerTrace: 2, seed: 11)
                    #expect(try await send(.POST, router.server.otlpHTTP + "/v1/traces", headers: Self.protobuf, body: OTLPProtobuf.encodeExportRequest(batch)).status == 200)
                    try expectArrivedOnce([collectors[0].recorder.arrivals], at: Dictionary(uniqueKeysWithValues: batch.spans.map { (SpanKey($0), 0) }))
                    #expect(router.writer.status[0].lastFailure == "no answer within 4.0 seconds")
                    #expect(metric("spindle_router_requests_total", ["collector": standIn.url, "result": "failed"], in: router.registry) == 1)
                }
            }
        }
    }

    @Test func spansACollectorRejectsInItsPartialSuccess_areCountedAndNotRetried() async throws {
        let batch = interleavedBatch(traces: 100, spansPerTrace: 5, seed: 8)
        // Each collector takes 50 spans of a request and rejects the rest in its answer.
        try await withCollectors(2, { $0.limits.maxSpansPerRequest = 50 }) { collectors in
            try await withRouter(to: collectors) { router in
                let response = try await send(.POST, router.server.otlpHTTP + "/v1/traces", headers: Self.protobuf, body: OTLPProtobuf.encodeExportRequest(batch))
                #expect(response.status == 200)
                for (index, collector) in collectors.enumerated() {
                    let owned = batch.spans.filter { router.writer.ring.owner(of: $0.traceID) == index }.count
                    #expect(owned > 50)
                    #expect(collector.recorder.arrivals.count == 50)
                    #expect(metric("spindle_router_rejected_spans_total", ["collector": collector.url], in: router.registry) == Double(owned - 50))
                    #expect(metric("spindle_router_forwarded_spans_total", ["collector": collector.url], in: router.registry) == 50)
                    #expect(metric("spindle_router_retries_total", ["collector": collector.url], in: router.registry) == 0)
                }
            }
        }
    }
}

// MARK: - Support

extension RouterTests {
    /// A span's identity.
    struct SpanKey: Hashable, Sendable {
        var traceID: TraceID
        var spanID: SpanID

        init(_ span: SpanRecord) {
            traceID = span.traceID
            spanID = span.spanID
        }
    }

    /// A real store that also counts how many times each span was written to it (the store
    /// itself keeps one copy, so it cannot tell).
    final class RecordingWriter: TraceWriter {
        let store: InMemoryTraceStore
        private let state = Mutex<[SpanKey: Int]>([:])

        init(store: InMemoryTraceStore) { self.store = store }

        func write(_ batch: SpanBatch) async throws(StorageError) {
            state.withLock { arrivals in
                for span in batch.spans { arrivals[SpanKey(span), default: 0] += 1 }
            }
            try await store.write(batch)
        }

        var arrivals: [SpanKey: Int] { state.withLock { $0 } }
    }

    /// A Spindle collector on loopback that a test can stop.
    struct LiveCollector: Sendable {
        let server: SpindleServer
        let ports: BoundPorts
        let recorder: RecordingWriter
        let running: Task<Void, any Error>

        var url: String { "http://127.0.0.1:\(ports.otlpHTTP)" }
        var store: InMemoryTraceStore { recorder.store }

        /// Shuts down gracefully and waits until every listener is closed.
        func stop() async {
            await server.shutdown()
            _ = try? await withUpperBound { try await running.value }
        }
    }

    /// Starts `count` collectors, runs `body`, then stops them all.
    func withCollectors<T: Sendable>(
        _ count: Int,
        _ configure: @Sendable (inout SpindleServerConfiguration) -> Void = { _ in },
        _ body: ([LiveCollector]) async throws -> T
    ) async throws -> T {
        var collectors: [LiveCollector] = []
        do {
            for _ in 0..<count {
                var configuration = SpindleServerConfiguration.ephemeral()
                configuration.logLevel = .critical
                configure(&configuration)
                let store = InMemoryTraceStore(maxSpans: 1_000_000)
                let recorder = RecordingWriter(store: store)
                let server = try SpindleServer(configuration: configuration, writer: recorder, reader: store)
                let running = Task { try await server.run() }
                let ports = try await withUpperBound { try await server.waitUntilListening() }
                collectors.append(LiveCollector(server: server, ports: ports, recorder: recorder, running: running))
            }
            let result = try await body(collectors)
            for collector in collectors { await collector.stop() }
            return result
        } catch {
            for collector in collectors { await collector.stop() }
            throw error
        }
    }

    struct RunningRouter: Sendable {
        let server: RunningServer
        let writer: ForwardingTraceWriter
        let registry: PrometheusCollectorRegistry
    }

    func withRouter<T: Sendable>(
        to collectors: [LiveCollector],
        maxSpansPerRequest: Int = 4096,
        clock: RecordingClock = RecordingClock(),
        _ body: (RunningRouter) async throws -> T
    ) async throws -> T {
        try await withRouter(to: collectors.map(\.url), maxSpansPerRequest: maxSpansPerRequest, clock: clock, body)
    }

    func withRouter<T: Sendable>(
        to urls: [String],
        timeout: Duration = .seconds(30),
        maxSpansPerRequest: Int = 4096,
        clock: RecordingClock = RecordingClock(),
        _ body: (RunningRouter) async throws -> T
    ) async throws -> T {
        let registry = PrometheusCollectorRegistry()
        var logger = Logger(label: "router")
        logger.logLevel = .critical
        let writer = try ForwardingTraceWriter(
            collectors: urls, httpClient: ForwardingTraceWriter.sharedHTTPClient, timeout: timeout, logger: logger,
            metrics: PrometheusMetricsFactory(registry: registry), maxSpansPerRequest: maxSpansPerRequest, clock: clock
        )
        // The router stores nothing itself; its reader is an empty store.
        return try await withServer(writer: writer, reader: InMemoryTraceStore(maxSpans: 1)) { server in
            try await body(RunningRouter(server: server, writer: writer, registry: registry))
        }
    }

    /// A collector stand-in: a real HTTP server on loopback that answers each POST to
    /// `/v1/traces` as `answer` says (given the post's number, from 0), and records what
    /// it got.
    final class StandInCollector: Sendable {
        struct Post: Sendable, Hashable {
            var contentType: String?
            var contentEncoding: String?
            var bytes: Int
        }

        private let received = Mutex<[Post]>([])
        private let port = Mutex<Int?>(nil)

        var url: String { "http://127.0.0.1:\(port.withLock { $0 } ?? 0)" }
        var posts: [Post] { received.withLock { $0 } }

        fileprivate func record(_ post: Post) -> Int {
            received.withLock { posts in
                posts.append(post)
                return posts.count - 1
            }
        }

        fileprivate func bound(_ port: Int?) { self.port.withLock { $0 = port } }
        fileprivate var boundPort: Int? { port.withLock { $0 } }
    }

    /// An OTLP/HTTP error answer with a `google.rpc.Status`, as a collector sends it.
    func statusAnswer(_ status: HTTPResponse.Status, code: Int32, _ message: String) -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/x-protobuf"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: RPCStatus(code: code, message: message, retryAfterSeconds: nil).protobuf))
        )
    }

    func withStandInCollector<T: Sendable>(
        answer: @escaping @Sendable (Int) async -> Response,
        _ body: (StandInCollector) async throws -> T
    ) async throws -> T {
        let standIn = StandInCollector()
        let router = Router()
        router.post("/v1/traces") { request, context -> Response in
            let bytes = try await request.body.collect(upTo: 64 << 20)
            let number = standIn.record(StandInCollector.Post(
                contentType: request.headers[.contentType], contentEncoding: request.headers[.contentEncoding], bytes: bytes.readableBytes
            ))
            return await answer(number)
        }
        var logger = Logger(label: "stand-in-collector")
        logger.logLevel = .critical
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in standIn.bound(channel.localAddress?.port) },
            logger: logger
        )
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        let running = Task { try await group.run() }
        defer { running.cancel() }
        for _ in 0..<6_000 where standIn.boundPort == nil {
            try await Task.sleep(for: .milliseconds(10))
        }
        _ = try #require(standIn.boundPort)
        let result = try await body(standIn)
        await group.triggerGracefulShutdown()
        return result
    }

    /// Expects every span of `expected` to have arrived exactly once, at the collector
    /// (index into `arrivals`) it maps to, and nothing else to have arrived anywhere.
    func expectArrivedOnce(_ arrivals: [[SpanKey: Int]], at expected: [SpanKey: Int], sourceLocation: SourceLocation = #_sourceLocation) throws {
        var seen: [SpanKey: Int] = [:]
        for (collector, received) in arrivals.enumerated() {
            for (key, count) in received {
                #expect(count == 1, "span \(key) arrived \(count) times at collector \(collector)", sourceLocation: sourceLocation)
                #expect(expected[key] == collector, "span \(key) arrived at collector \(collector), expected \(expected[key].map(String.init) ?? "nowhere")", sourceLocation: sourceLocation)
                seen[key, default: 0] += count
            }
        }
        #expect(Set(seen.keys) == Set(expected.keys), "\(expected.count - seen.count) spans did not arrive", sourceLocation: sourceLocation)
    }

    /// `traces` traces of `spansPerTrace` spans, the spans of different traces interleaved
    /// (span j of every trace, then span j + 1, ...) and spread over two services.
    func interleavedBatch(traces: Int, spansPerTrace: Int, seed: UInt64) -> SpanBatch {
        var random = SplitMix64(seed: seed)
        let ids = (0..<traces).map { _ in TraceID(high: random.next(), low: random.next()) }
        let start: UInt64 = 1_700_000_000_000_000_000
        var byService: [[SpanRecord]] = [[], []]
        for position in 0..<spansPerTrace {
            for (index, id) in ids.enumerated() {
                let spanStart = start + UInt64(index * 1000 + position) * 1_000_000
                byService[(index + position) % 2].append(SpanRecord(
                    traceID: id, spanID: SpanID(random.next() | 1), parentSpanID: .zero,
                    name: position == 0 ? "GET /orders" : "SELECT orders", kind: position == 0 ? .server : .client,
                    startTimeUnixNano: spanStart, endTimeUnixNano: spanStart + 500_000,
                    attributes: [Attribute("position", .int(Int64(position))), Attribute("http.route", .string("/orders/\(index)"))]
                ))
            }
        }
        return SpanBatch(byService.enumerated().map { service, records in
            ResourceSpans(
                resource: Resource(attributes: [Attribute("service.name", .string("service-\(service)"))]),
                scopeSpans: [ScopeSpans(scope: InstrumentationScope(name: "router-tests"), spans: records)]
            )
        })
    }

    /// The value of a metric in `registry` whose labels are exactly `labels`; nil if absent.
    func metric(_ name: String, _ labels: [String: String], in registry: PrometheusCollectorRegistry) -> Double? {
        for line in registry.emitToString().split(separator: "\n") where line.hasPrefix(name) && !line.hasPrefix("#") {
            let rest = line.dropFirst(name.count)
            let parsed: [String: String]
            let valueText: Substring
            if rest.hasPrefix("{"), let close = rest.firstIndex(of: "}") {
                var found: [String: String] = [:]
                for pair in rest[rest.index(after: rest.startIndex)..<close].split(separator: ",") {
                    let parts = pair.split(separator: "=", maxSplits: 1)
                    guard parts.count == 2 else { continue }
                    found[String(parts[0])] = String(parts[1].dropFirst().dropLast())
                }
                parsed = found
                valueText = rest[rest.index(after: close)...].drop { $0 == " " }
            } else if rest.hasPrefix(" ") {
                parsed = [:]
                valueText = rest.dropFirst()
            } else {
                continue
            }
            if parsed == labels { return Double(valueText) }
        }
        return nil
    }
}
