import SpindleModel
import SpindleWire

/// OTLP/HTTP semantics (https://opentelemetry.io/docs/specs/otlp/#otlphttp), given a body that the listener already decompressed and size-checked.
///
/// | request | response |
/// | --- | --- |
/// | accepted (some spans perhaps rejected as invalid) | 200, `ExportTraceServiceResponse`, `partial_success` set when spans were rejected |
/// | `Content-Type` neither `application/x-protobuf` nor `application/json` | 415, plain text naming both (the encoding of the reply is unknown, so it is text, as the OpenTelemetry Collector does) |
/// | body that does not decode | 400, `google.rpc.Status` code 3 (INVALID_ARGUMENT), message `invalid OTLP <encoding> request: <field>: <problem> (at byte <offset>)` |
/// | body over a decoder's limit | 413, `google.rpc.Status` code 3 |
/// | pipeline over its bound | 429 + `Retry-After`, `google.rpc.Status` code 8 (RESOURCE_EXHAUSTED) |
/// | storage unavailable, shutting down | 503 + `Retry-After`, `google.rpc.Status` code 14 (UNAVAILABLE) |
/// | storage failed | 500, `google.rpc.Status` code 13 (INTERNAL) |
///
/// Every reply but 415 is in the request's encoding with the matching `Content-Type`:
/// protobuf for `application/x-protobuf`, JSON for `application/json`. OTLP clients retry
/// 429 and 503 after `Retry-After` and never retry 400 or 500
/// (https://opentelemetry.io/docs/specs/otlp/#retryable-response-codes).
public struct OTLPHTTPReceiver: Sendable {
    public let pipeline: IngestPipeline

    public init(pipeline: IngestPipeline) {
        self.pipeline = pipeline
    }

    /// The media types this receiver accepts.
    public static let supportedContentTypes = ["application/x-protobuf", "application/json"]

    enum Encoding {
        case protobuf
        case json

        var contentType: String {
            switch self {
            case .protobuf: "application/x-protobuf"
            case .json: "application/json"
            }
        }
    }

    /// `contentType` is the raw header value (parameters like `; charset=utf-8` allowed). application/x-protobuf and application/json are accepted (415 otherwise, naming what is supported);
    /// the reply is in the request's encoding: 200 with ExportTraceServiceResponse (partial_success when spans were rejected), 400 with a google.rpc.Status (code 3 INVALID_ARGUMENT, message naming the WireError field, offset and problem) for an undecodable body, 429/503 with Retry-After for overload/unavailable, 500 for internal errors.
    public func handle(contentType: String?, body: [UInt8]) async -> ReceiverResponse {
        let encoding: Encoding
        switch contentType.map(mediaType) {
        case "application/x-protobuf": encoding = .protobuf
        case "application/json": encoding = .json
        default:
            pipeline.recordInvalidRequest(byteCount: body.count, protocol: .otlpHTTP)
            let supported = Self.supportedContentTypes.joined(separator: " or ")
            guard let contentType else {
                return plainText(415, "the request has no Content-Type; OTLP/HTTP accepts \(supported)")
            }
            return plainText(415, "unsupported media type \"\(contentType)\"; OTLP/HTTP accepts \(supported)")
        }

        let batch: SpanBatch
        do throws(WireError) {
            switch encoding {
            case .protobuf: batch = try OTLPProtobuf.decodeExportRequest(body, malformedIDs: .decodeAsZero)
            case .json: batch = try OTLPJSON.decodeExportRequest(body, malformedIDs: .decodeAsZero)
            }
        } catch {
            pipeline.recordInvalidRequest(byteCount: body.count, protocol: .otlpHTTP)
            let name = encoding == .protobuf ? "protobuf" : "JSON"
            let status = GoogleRPCStatus(.invalidArgument, "invalid OTLP \(name) request: \(error.description)")
            return reply(error.code == .tooLarge ? 413 : 400, status, encoding)
        }

        do throws(IngestError) {
            let outcome = try await pipeline.ingest(batch, byteCount: body.count, protocol: .otlpHTTP)
            let response = ExportTraceResponse(rejectedSpans: Int64(outcome.rejected), errorMessage: outcome.rejectionMessage)
            let bytes = switch encoding {
            case .protobuf: OTLPProtobuf.encodeExportResponse(response)
            case .json: OTLPJSON.encodeExportResponse(response)
            }
            return ReceiverResponse(status: 200, headers: [HTTPHeaderPair("Content-Type", encoding.contentType)], body: bytes)
        } catch {
            switch error {
            case .overloaded(let seconds):
                return reply(429, GoogleRPCStatus(.resourceExhausted, "the collector is at its bound of \(pipeline.configuration.maxBytesInFlight) bytes in flight; retry after \(seconds) s"), encoding, retryAfter: seconds)
            case .unavailable(let message):
                return reply(503, GoogleRPCStatus(.unavailable, "\(message); retry after \(IngestPipeline.retryAfterSeconds) s"), encoding, retryAfter: IngestPipeline.retryAfterSeconds)
            case .internalError(let message):
                return reply(500, GoogleRPCStatus(.internal, message), encoding)
            }
        }
    }

    private func reply(_ status: Int, _ body: GoogleRPCStatus, _ encoding: Encoding, retryAfter seconds: Int? = nil) -> ReceiverResponse {
        var headers = [HTTPHeaderPair("Content-Type", encoding.contentType)]
        if let seconds { headers.append(retryAfter(seconds)) }
        return ReceiverResponse(status: status, headers: headers, body: encoding == .protobuf ? body.protobuf : body.json)
    }
}
