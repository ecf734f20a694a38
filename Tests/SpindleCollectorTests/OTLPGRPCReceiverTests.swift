import SpindleModel
import SpindleStorage
import SpindleWire
import Testing
@testable import SpindleCollector

@Suite struct OTLPGRPCReceiverTests {
    static let request = batch([span("a", id: 1), span("b", id: 2)])

    /// The failure of exporting `message`, or nil if it succeeded.
    private func failure(_ receiver: OTLPGRPCReceiver, _ message: [UInt8]) async -> OTLPGRPCReceiver.Failure? {
        do {
            let response = try await receiver.export(message)
            Issue.record("expected a failure, got \(response)")
            return nil
        } catch {
            return error
        }
    }

    @Test func anExport_isStored_andAnsweredWithAnEncodedResponse() async throws {
        let writer = RecordingWriter()
        let response = try await withPipeline(writer: writer) { pipeline in
            try await OTLPGRPCReceiver(pipeline: pipeline).export(OTLPProtobuf.encodeExportRequest(Self.request))
        }
        #expect(response == [])
        #expect(try OTLPProtobuf.decodeExportResponse(response) == ExportTraceResponse())
        #expect(await writer.batches == [Self.request])
    }

    @Test func aSpanWithAMalformedID_isRejectedAlone_inPartialSuccess() async throws {
        let writer = RecordingWriter()
        let response = try await withPipeline(writer: writer) { pipeline in
            try await OTLPGRPCReceiver(pipeline: pipeline).export(requestWithAMalformedTraceID)
        }
        #expect(try OTLPProtobuf.decodeExportResponse(response) == ExportTraceResponse(rejectedSpans: 1, errorMessage: "1 span rejected: 1 with an all-zero trace_id"))
        #expect(await writer.spans.map(\.name) == ["good"])
    }

    @Test func anUndecodableMessage_isInvalidArgument_namingTheProblem() async throws {
        let message: [UInt8] = [0x0A, 0x05, 0x12]
        let expected = try #require(wireError { () throws(WireError) in try OTLPProtobuf.decodeExportRequest(message) })
        let metrics = RecordingMetrics()
        try await withPipeline(writer: RecordingWriter(), metrics: metrics) { pipeline in
            let failure = await failure(OTLPGRPCReceiver(pipeline: pipeline), message)
            #expect(failure == .invalidArgument("invalid OTLP protobuf request: \(expected.description)"))
        }
        #expect(metrics.counter("spindle_invalid_requests_total", [("protocol", "otlp_grpc")]) == 1)
        #expect(metrics.counter("spindle_received_bytes_total", [("protocol", "otlp_grpc")]) == 3)
    }

    @Test func aFullPipeline_isResourceExhausted_withARetryDelay() async throws {
        try await withFullPipeline { pipeline in
            let failure = await failure(OTLPGRPCReceiver(pipeline: pipeline), OTLPProtobuf.encodeExportRequest(Self.request))
            #expect(failure == .resourceExhausted("the collector is at its bound of 10 bytes in flight; retry after 1 s", retryAfterSeconds: 1))
        }
    }

    @Test func shuttingDownOrStorageUnavailable_isUnavailable_withARetryDelay() async throws {
        await withShutDownPipeline { pipeline in
            let failure = await failure(OTLPGRPCReceiver(pipeline: pipeline), OTLPProtobuf.encodeExportRequest(Self.request))
            #expect(failure == .unavailable("shutting down", retryAfterSeconds: 1))
        }
        try await withFailingStorage(StorageError(.unavailable, "the WAL is full")) { pipeline in
            let failure = await failure(OTLPGRPCReceiver(pipeline: pipeline), OTLPProtobuf.encodeExportRequest(Self.request))
            #expect(failure == .unavailable("storage is unavailable: the WAL is full", retryAfterSeconds: 1))
        }
    }

    @Test func storageFailure_isInternal() async throws {
        try await withFailingStorage(StorageError(.corrupt, "segment 3 is torn")) { pipeline in
            let failure = await failure(OTLPGRPCReceiver(pipeline: pipeline), OTLPProtobuf.encodeExportRequest(Self.request))
            #expect(failure == .internalError("storage failed: corrupt: segment 3 is torn"))
        }
    }
}
