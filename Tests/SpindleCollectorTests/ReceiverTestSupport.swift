import Foundation
import SpindleModel
import SpindleStorage
import SpindleWire
import Testing
@testable import SpindleCollector

// MARK: - Hand-written protobuf, for what the encoder never writes

/// A length-delimited protobuf field.
func protoField(_ number: Int, _ payload: [UInt8]) -> [UInt8] {
    var bytes = [UInt8(number << 3 | 2)]
    var length = payload.count
    while length >= 0x80 {
        bytes.append(UInt8(length & 0x7F) | 0x80)
        length >>= 7
    }
    bytes.append(UInt8(length))
    return bytes + payload
}

/// An `ExportTraceServiceRequest` with one resource and scope holding two spans: `bad`
/// (a 3-byte trace_id) and `good`.
let requestWithAMalformedTraceID: [UInt8] = {
    let bad = protoField(1, [1, 2, 3]) + protoField(2, SpanID(7).bytes) + protoField(5, Array("bad".utf8))
    let good = protoField(1, traceA.bytes) + protoField(2, SpanID(8).bytes) + protoField(5, Array("good".utf8))
    return protoField(1, protoField(2, protoField(2, bad) + protoField(2, good)))
}()

/// The same in OTLP JSON.
let jsonRequestWithAMalformedTraceID: [UInt8] = Array((
    #"{"resourceSpans":[{"scopeSpans":[{"spans":["#
        + #"{"traceId":"5b8e","spanId":"0000000000000007","name":"bad"},"#
        + #"{"traceId":"\#(traceA.hexString)","spanId":"0000000000000008","name":"good"}"#
        + "]}]}]}"
).utf8)

// MARK: - Reading responses

extension ReceiverResponse {
    /// The value of header `name`, or nil.
    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    var text: String { String(decoding: body, as: UTF8.self) }
}

/// A JSON `google.rpc.Status` body, read with Foundation's parser (not Spindle's writer).
func jsonStatus(_ body: [UInt8]) throws -> GoogleRPCStatus {
    let object = try #require(try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])
    #expect(Set(object.keys) == ["code", "message"])
    let code = try #require(object["code"] as? Int)
    let message = try #require(object["message"] as? String)
    return GoogleRPCStatus(code: Int32(code), message: message)
}

/// The error the codec gives for `body`, to compare with what the receiver reports.
func wireError(_ decode: () throws(WireError) -> SpanBatch) -> WireError? {
    do {
        let batch = try decode()
        Issue.record("expected a decoding error, decoded \(batch)")
        return nil
    } catch {
        return error
    }
}

// MARK: - A pipeline at its bound

/// Runs `body` while the pipeline (bound: 10 bytes) holds a 10-byte request in a
/// blocked write; then lets it finish.
func withFullPipeline(metrics: RecordingMetrics = RecordingMetrics(), _ body: (IngestPipeline) async throws -> Void) async throws {
    let writer = RecordingWriter()
    await writer.block()
    try await withPipeline(writer: writer, configuration: IngestConfiguration(maxBytesInFlight: 10), metrics: metrics) { pipeline in
        try await withThrowingTaskGroup(of: IngestOutcome.self) { group in
            group.addTask { try await pipeline.ingest(batch(spans("held", count: 1)), byteCount: 10, protocol: .otlpHTTP) }
            await waitUntil("the write is held") { await writer.heldWrites == 1 }
            try await body(pipeline)
            await writer.release()
            for try await outcome in group { #expect(outcome.accepted == 1) }
        }
    }
}

/// Runs `body` with a pipeline that has been shut down (its loop has returned).
func withShutDownPipeline(_ body: (IngestPipeline) async throws -> Void) async rethrows {
    let pipeline = IngestPipeline(writer: RecordingWriter(), metrics: RecordingMetrics(), logger: quietLogger)
    pipeline.shutdown()
    await pipeline.run()
    try await body(pipeline)
}

/// Runs `body` with a pipeline whose every write fails with `error`.
func withFailingStorage(_ error: StorageError, _ body: (IngestPipeline) async throws -> Void) async throws {
    let writer = RecordingWriter()
    await writer.fail(with: error)
    try await withPipeline(writer: writer) { pipeline in try await body(pipeline) }
}
