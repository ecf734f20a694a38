import GRPCCore
import Spindle

extension OTLPGRPCExporter {
    /// The codes the OTLP specification calls retryable ("OTLP/gRPC Response", "Failures");
    /// RESOURCE_EXHAUSTED is retryable only with a `google.rpc.RetryInfo`.
    static let retryableCodes: Set<RPCError.Code> = [.cancelled, .deadlineExceeded, .aborted, .outOfRange, .unavailable, .dataLoss]

    /// How a failed call counts for the retry policy: retryable (after the status's
    /// `RetryInfo` delay when it has one), or rejected for good.
    static func outcome(of error: RPCError) -> ExportRetryPolicy.Outcome {
        let name = codeNames[error.code] ?? "\(error.code)"
        let described = error.message.isEmpty ? "gRPC \(name)" : "gRPC \(name): \(error.message)"
        let retryDelay = retryDelay(error.metadata)
        if retryableCodes.contains(error.code) || (error.code == .resourceExhausted && retryDelay != nil) {
            return .retryable(described, retryAfter: retryDelay)
        }
        return .rejected(described)
    }

    /// The delay a `google.rpc.RetryInfo` in the trailers asks for: a detail of the
    /// `google.rpc.Status` in `grpc-status-details-bin` (how Go, Java and the Collector
    /// send it), else alone in `google.rpc.retryinfo-bin` (how the Python SDK reads it).
    static func retryDelay(_ trailers: Metadata) -> Duration? {
        for status in trailers[binaryValues: "grpc-status-details-bin"] {
            if let delay = RPCStatusMessage.retryDelay(status) { return delay }
        }
        for retryInfo in trailers[binaryValues: "google.rpc.retryinfo-bin"] {
            if let delay = RPCStatusMessage.retryInfoDelay(retryInfo[...]) { return delay }
        }
        return nil
    }

    /// The specification's names of the codes (`google.rpc.Code`).
    private static let codeNames: [RPCError.Code: String] = [
        .cancelled: "CANCELLED", .unknown: "UNKNOWN", .invalidArgument: "INVALID_ARGUMENT",
        .deadlineExceeded: "DEADLINE_EXCEEDED", .notFound: "NOT_FOUND", .alreadyExists: "ALREADY_EXISTS",
        .permissionDenied: "PERMISSION_DENIED", .resourceExhausted: "RESOURCE_EXHAUSTED",
        .failedPrecondition: "FAILED_PRECONDITION", .aborted: "ABORTED", .outOfRange: "OUT_OF_RANGE",
        .unimplemented: "UNIMPLEMENTED", .internalError: "INTERNAL", .unavailable: "UNAVAILABLE",
        .dataLoss: "DATA_LOSS", .unauthenticated: "UNAUTHENTICATED",
    ]
}
