import SpindleModel
import SpindleWire

/// gRPC semantics for TraceService/Export: the message bytes (already gRPC-decompressed) in, a result out.
///
/// | request | result | gRPC status the listener sends |
/// | --- | --- | --- |
/// | accepted (some spans perhaps rejected) | `ExportTraceServiceResponse` bytes, `partial_success` set when spans were rejected | OK |
/// | message that does not decode | ``Failure/invalidArgument(_:)`` naming field, offset and problem | INVALID_ARGUMENT |
/// | pipeline over its bound | ``Failure/resourceExhausted(_:retryAfterSeconds:)`` | RESOURCE_EXHAUSTED with `google.rpc.RetryInfo` |
/// | storage unavailable, shutting down | ``Failure/unavailable(_:retryAfterSeconds:)`` | UNAVAILABLE with `google.rpc.RetryInfo` |
/// | storage failed | ``Failure/internalError(_:)`` | INTERNAL |
///
/// OTLP/gRPC clients retry RESOURCE_EXHAUSTED only when the status carries RetryInfo
/// (https://opentelemetry.io/docs/specs/otlp/#failures), so the listener should attach it.
public struct OTLPGRPCReceiver: Sendable {
    public let pipeline: IngestPipeline

    public init(pipeline: IngestPipeline) {
        self.pipeline = pipeline
    }

    /// Why an export failed, as a gRPC status.
    public enum Failure: Error, Sendable, Hashable {
        case invalidArgument(String)
        case resourceExhausted(String, retryAfterSeconds: Int)
        case unavailable(String, retryAfterSeconds: Int)
        case internalError(String)
    }

    /// The encoded ExportTraceServiceResponse bytes on success.
    public func export(_ message: [UInt8]) async throws(Failure) -> [UInt8] {
        let batch: SpanBatch
        do throws(WireError) {
            batch = try OTLPProtobuf.decodeExportRequest(message, malformedIDs: .decodeAsZero)
        } catch {
            pipeline.recordInvalidRequest(byteCount: message.count, protocol: .otlpGRPC)
            throw .invalidArgument("invalid OTLP protobuf request: \(error.description)")
        }
        do throws(IngestError) {
            let outcome = try await pipeline.ingest(batch, byteCount: message.count, protocol: .otlpGRPC)
            return OTLPProtobuf.encodeExportResponse(ExportTraceResponse(rejectedSpans: Int64(outcome.rejected), errorMessage: outcome.rejectionMessage))
        } catch {
            switch error {
            case .overloaded(let seconds):
                throw .resourceExhausted("the collector is at its bound of \(pipeline.configuration.maxBytesInFlight) bytes in flight; retry after \(seconds) s", retryAfterSeconds: seconds)
            case .unavailable(let message):
                throw .unavailable(message, retryAfterSeconds: IngestPipeline.retryAfterSeconds)
            case .internalError(let message):
                throw .internalError(message)
            }
        }
    }
}
