import SpindleModel
import SpindleWire

/// Zipkin's `POST /api/v2/spans` (https://zipkin.io/zipkin-api/#/default/post_spans) for
/// Zipkin v2 JSON.
///
/// | request | response |
/// | --- | --- |
/// | accepted | 202, empty body, as Zipkin answers |
/// | `Content-Type` other than `application/json` (a missing one is taken as JSON) | 415, plain text: only Zipkin v2 JSON is supported (not `application/x-protobuf`, Zipkin's proto3 encoding, nor Thrift) |
/// | body that does not decode | 400, plain text naming the field, offset and problem |
/// | body over ``ZipkinJSON/maxPayloadBytes`` | 413, plain text |
/// | pipeline over its bound | 429 + `Retry-After` |
/// | storage unavailable, shutting down | 503 + `Retry-After` |
/// | storage failed | 500 |
///
/// Zipkin has no partial success: invalid spans (end before start, or zero IDs where the
/// decoder lets them through) are dropped alone and counted in
/// `spindle_rejected_spans_total`, and the reply is 202 whether some, all or none of the
/// spans were valid — a client could do nothing else with them. Note that
/// ``ZipkinJSON/decode(_:)`` itself refuses a body with a malformed or all-zero ID (400 for
/// the whole request).
public struct ZipkinReceiver: Sendable {
    public let pipeline: IngestPipeline

    public init(pipeline: IngestPipeline) {
        self.pipeline = pipeline
    }

    /// Zipkin v2 JSON (`application/json`; also accept a missing content type); 202 Accepted with empty body on success (as Zipkin does), 400 with a plain-text message naming the problem, 415 for other types, 429/503/500 as OTLP/HTTP.
    public func handle(contentType: String?, body: [UInt8]) async -> ReceiverResponse {
        if let contentType, mediaType(contentType) != "application/json" {
            pipeline.recordInvalidRequest(byteCount: body.count, protocol: .zipkin)
            let hint = mediaType(contentType) == "application/x-protobuf" ? " (Zipkin's proto3 encoding is not)" : ""
            return plainText(415, "unsupported media type \"\(contentType)\"; only Zipkin v2 JSON (application/json) is supported\(hint)")
        }
        let batch: SpanBatch
        do throws(WireError) {
            batch = try ZipkinJSON.decode(body)
        } catch {
            pipeline.recordInvalidRequest(byteCount: body.count, protocol: .zipkin)
            return plainText(error.code == .tooLarge ? 413 : 400, "invalid Zipkin v2 JSON: \(error.description)")
        }
        do throws(IngestError) {
            _ = try await pipeline.ingest(batch, byteCount: body.count, protocol: .zipkin)
            return ReceiverResponse(status: 202)
        } catch {
            switch error {
            case .overloaded(let seconds):
                return plainText(429, "the collector is at its bound of \(pipeline.configuration.maxBytesInFlight) bytes in flight; retry after \(seconds) s", headers: [retryAfter(seconds)])
            case .unavailable(let message):
                return plainText(503, "\(message); retry after \(IngestPipeline.retryAfterSeconds) s", headers: [retryAfter(IngestPipeline.retryAfterSeconds)])
            case .internalError(let message):
                return plainText(500, message)
            }
        }
    }
}
