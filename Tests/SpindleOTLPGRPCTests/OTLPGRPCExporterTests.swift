import Foundation
import Spindle
import SpindleModel
import SpindleOTLPGRPC
import SpindleTesting
import Testing
import Tracing

/// The exporter against a real OTLP/gRPC receiver: grpcio with the official
/// opentelemetry-proto classes (`otlp_grpc_receiver.py`).
@Suite(.serialized) struct OTLPGRPCExporterTests {
    static let spans = GRPCExportFixture.spans
    static let requestHex = Hex.string(OTLPSpanEncoder.encode(spans))
    /// The export timeout of tests that expect the receiver to answer: generous, so that a
    /// machine busy with other tests (and the Python receiver starved of CPU) does not turn
    /// a slow answer into DEADLINE_EXCEEDED. No test asserts how long anything takes.
    static let liveTimeout = Duration.seconds(120)

    @Test func everySpanField_arrivesIntact_withTheHeadersAsMetadata() async throws {
        let receiver = try PythonOTLPGRPCReceiver()
        let configuration = OTLPGRPCExporter.Configuration(
            endpoint: receiver.endpoint, headers: ["Authorization": "Bearer secret", "x-tenant": "t1"], timeout: Self.liveTimeout
        )
        let exporter = OTLPGRPCExporter(configuration: configuration)
        try await exporter.export(Self.spans)
        await exporter.shutdown()
        let requests = try await receiver.requests()
        #expect(requests.count == 1)
        let request = try #require(requests.first)
        for (index, pair) in zip(request.fields, GRPCExportFixture.expectedFields).enumerated() where pair.0 != pair.1 {
            Issue.record("field \(index): got \(pair.0), expected \(pair.1)")
        }
        #expect(request.fields.count == GRPCExportFixture.expectedFields.count)
        #expect(request.requestHex == Self.requestHex)
        #expect(request.metadata["authorization"] == "Bearer secret")
        #expect(request.metadata["x-tenant"] == "t1")
        #expect(request.metadata["user-agent"] == "spindle-swift/\(SpindleSDK.version)")
    }

    @Test func gzip_isSentWhenConfigured() async throws {
        let receiver = try PythonOTLPGRPCReceiver()
        let exporter = OTLPGRPCExporter(configuration: .init(endpoint: receiver.endpoint, compression: .gzip, timeout: Self.liveTimeout))
        try await exporter.export(Self.spans)
        await exporter.shutdown()
        let requests = try await receiver.requests()
        #expect(requests.map(\.requestHex) == [Self.requestHex])
        #expect(requests.first?.fields == GRPCExportFixture.expectedFields)

        // grpcio hides `grpc-encoding` from handlers; a receiver that accepts only
        // uncompressed messages shows that the exporter compresses exactly when asked.
        let identityOnly = try PythonOTLPGRPCReceiver(identityOnly: true)
        let gzip = OTLPGRPCExporter(configuration: .init(endpoint: identityOnly.endpoint, compression: .gzip, timeout: Self.liveTimeout))
        await #expect(throws: ExportError.rejected("gRPC UNIMPLEMENTED: Compression algorithm 'gzip' is disabled.")) {
            try await gzip.export(Self.spans)
        }
        await gzip.shutdown()
        let plain = OTLPGRPCExporter(configuration: .init(endpoint: identityOnly.endpoint, timeout: Self.liveTimeout))
        try await plain.export(Self.spans)
        await plain.shutdown()
        #expect(try await identityOnly.requests().map(\.requestHex) == [Self.requestHex])
    }

    @Test func unavailable_isRetriedWithBackoff_untilTheReceiverTakesTheSpans() async throws {
        let receiver = try PythonOTLPGRPCReceiver([.status("UNAVAILABLE", "restarting"), .status("UNAVAILABLE", "restarting")])
        let clock = RecordingClock()
        let exporter = OTLPGRPCExporter(configuration: .init(endpoint: receiver.endpoint, timeout: Self.liveTimeout), clock: clock)
        try await exporter.export(Self.spans)
        await exporter.shutdown()
        #expect(try await receiver.requests().map(\.requestHex) == Array(repeating: Self.requestHex, count: 3))
        // Backoff: 1 s then 2 s, each spread by ±20 % of jitter.
        let sleeps = clock.sleeps
        #expect(sleeps.count == 2)
        #expect(sleeps.count == 2 && sleeps[0] >= .milliseconds(800) && sleeps[0] <= .milliseconds(1200))
        #expect(sleeps.count == 2 && sleeps[1] >= .milliseconds(1600) && sleeps[1] <= .milliseconds(2400))
    }

    @Test(arguments: ["CANCELLED", "DEADLINE_EXCEEDED", "ABORTED", "OUT_OF_RANGE", "UNAVAILABLE", "DATA_LOSS"])
    func retryableCodes_stopAfterMaxAttempts(code: String) async throws {
        let receiver = try PythonOTLPGRPCReceiver(Array(repeating: .status(code, "try later"), count: 5))
        let clock = RecordingClock()
        let exporter = OTLPGRPCExporter(configuration: .init(endpoint: receiver.endpoint, timeout: Self.liveTimeout, maxAttempts: 3), clock: clock)
        await #expect(throws: ExportError.failed("gRPC \(code): try later (gave up after 3 attempts)")) {
            try await exporter.export(Self.spans)
        }
        await exporter.shutdown()
        #expect(try await receiver.requests().count == 3)
        #expect(clock.sleeps.count == 2)
    }

    @Test(arguments: [PythonOTLPGRPCReceiver.Answer.RetryInfoPlace.statusDetails, .retryInfoBin])
    func resourceExhaustedWithRetryInfo_isRetriedAfterTheDelayItAsks(place: PythonOTLPGRPCReceiver.Answer.RetryInfoPlace) async throws {
        let receiver = try PythonOTLPGRPCReceiver([
            .status("RESOURCE_EXHAUSTED", "slow down", retryDelay: .milliseconds(2500), in: place),
            .status("UNAVAILABLE", "still busy", retryDelay: .seconds(3), in: place),
        ])
        let clock = RecordingClock()
        let exporter = OTLPGRPCExporter(configuration: .init(endpoint: receiver.endpoint, timeout: Self.liveTimeout), clock: clock)
        try await exporter.export(Self.spans)
        await exporter.shutdown()
        #expect(clock.sleeps == [.milliseconds(2500), .seconds(3)])
        #expect(try await receiver.requests().map(\.requestHex) == Array(repeating: Self.requestHex, count: 3))
    }

    @Test func aRetryInfoDelayPastTheTimeout_failsTheExport() async throws {
        let receiver = try PythonOTLPGRPCReceiver([
            .status("RESOURCE_EXHAUSTED", "slow down", retryDelay: .seconds(20), in: .statusDetails),
        ])
        let clock = RecordingClock()
        let exporter = OTLPGRPCExporter(configuration: .init(endpoint: receiver.endpoint, timeout: .seconds(10)), clock: clock)
        await #expect(throws: ExportError.failed(
            "gRPC RESOURCE_EXHAUSTED: slow down (a retry in 20.0 seconds would pass the export timeout of 10.0 seconds)"
        )) {
            try await exporter.export(Self.spans)
        }
        await exporter.shutdown()
        #expect(clock.sleeps.isEmpty)
        #expect(try await receiver.requests().count == 1)
    }

    @Test(arguments: [
        ("RESOURCE_EXHAUSTED", "quota used up"), ("INVALID_ARGUMENT", "span 2 has no name"),
        ("UNAUTHENTICATED", "no token"), ("PERMISSION_DENIED", "tenant t1 may not write"), ("INTERNAL", "disk full"),
    ])
    func otherCodes_areNotRetried_andTheirMessageSurfaces(code: String, message: String) async throws {
        let receiver = try PythonOTLPGRPCReceiver([.status(code, message)])
        let clock = RecordingClock()
        let exporter = OTLPGRPCExporter(configuration: .init(endpoint: receiver.endpoint, timeout: Self.liveTimeout), clock: clock)
        await #expect(throws: ExportError.rejected("gRPC \(code): \(message)")) { try await exporter.export(Self.spans) }
        await exporter.shutdown()
        #expect(clock.sleeps.isEmpty)
        #expect(try await receiver.requests().count == 1)
    }

    @Test func aPartialSuccess_isASuccess() async throws {
        let receiver = try PythonOTLPGRPCReceiver([.partialSuccess(rejectedSpans: 1, "span 2 is too old")])
        let clock = RecordingClock()
        let exporter = OTLPGRPCExporter(configuration: .init(endpoint: receiver.endpoint, timeout: Self.liveTimeout), clock: clock)
        try await exporter.export(Self.spans)
        await exporter.shutdown()
        #expect(clock.sleeps.isEmpty)
        #expect(try await receiver.requests().count == 1)
    }

    @Test func shutdown_makesLaterExportsThrowShutDown() async throws {
        let receiver = try PythonOTLPGRPCReceiver()
        let exporter = OTLPGRPCExporter(configuration: .init(endpoint: receiver.endpoint, timeout: Self.liveTimeout))
        try await exporter.export(Self.spans)
        await exporter.shutdown()
        await #expect(throws: ExportError.shutDown) { try await exporter.export(Self.spans) }
        await exporter.shutdown()
        #expect(try await receiver.requests().count == 1)
    }

    @Test func anUnreachableEndpoint_failsAfterTheAttemptsThePolicyAllows() async throws {
        let receiver = try PythonOTLPGRPCReceiver()
        let endpoint = receiver.endpoint
        receiver.stop()  // nothing listens on the port any more
        let clock = RecordingClock()
        let exporter = OTLPGRPCExporter(configuration: .init(endpoint: endpoint, maxAttempts: 3), clock: clock)
        await #expect {
            try await exporter.export(Self.spans)
        } throws: { error in
            guard case .failed(let message) = error as? ExportError else { return false }
            return message.hasPrefix("gRPC UNAVAILABLE") && message.hasSuffix("(gave up after 3 attempts)")
        }
        await exporter.shutdown()
        #expect(clock.sleeps.count == 2)
    }

    /// A collector that accepts the connection and never answers: each call's deadline is
    /// the time left, so the export gives up at its timeout (on the real clock).
    @Test(.timeLimit(.minutes(1)))
    func aSilentCollector_failsTheExportAtItsTimeout() async throws {
        let silent = try PythonOTLPGRPCReceiver.silent()
        let exporter = OTLPGRPCExporter(configuration: .init(endpoint: silent.endpoint, timeout: .seconds(1)))
        await #expect {
            try await exporter.export(Self.spans)
        } throws: { error in
            guard case .failed(let message) = error as? ExportError else { return false }
            return message.hasPrefix("gRPC DEADLINE_EXCEEDED: ") && message.hasSuffix("would pass the export timeout of 1.0 seconds)")
        }
        await exporter.shutdown()
    }

    @Test func anEndpointThatIsNotHTTP_failsEveryExport() async throws {
        let exporter = OTLPGRPCExporter(configuration: .init(endpoint: URL(string: "ftp://collector.example:4317")!))
        await #expect(throws: ExportError.failed("the endpoint ftp://collector.example:4317 is not an http:// or https:// URL with a host")) {
            try await exporter.export(Self.spans)
        }
        await exporter.shutdown()
    }

    /// Exporting inside an application span creates no span and propagates no context.
    @Test func theExportersCalls_areNotTraced() async throws {
        let receiver = try PythonOTLPGRPCReceiver()
        let exporter = OTLPGRPCExporter(configuration: .init(endpoint: receiver.endpoint, timeout: Self.liveTimeout))
        let recorded = InMemorySpanExporter()
        var configuration = SpindleConfiguration(environment: [:])
        configuration.propagator = W3CTraceContextPropagator()
        try await SpindleSDK.withTracer(configuration: configuration, processors: [SimpleSpanProcessor(exporter: recorded)]) { _ in
            try await withSpan("application work") { _ in try await exporter.export(Self.spans) }
        }
        await exporter.shutdown()
        #expect(recorded.finishedSpans.map(\.name) == ["application work"])
        let metadata = try #require(try await receiver.requests().first?.metadata)
        #expect(metadata["traceparent"] == nil)
    }
}
