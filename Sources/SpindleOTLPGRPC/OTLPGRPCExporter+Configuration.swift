public import Foundation
public import Spindle

extension OTLPGRPCExporter {
    /// Where and how the exporter sends spans (OTLP exporter settings,
    /// `OTEL_EXPORTER_OTLP_TRACES_*` for `grpc`; see
    /// `SpindleConfiguration.otlpGRPCExporter`).
    public struct Configuration: Sendable {
        /// The message compression, sent as `grpc-encoding`.
        public typealias Compression = SpindleConfiguration.OTLPCompression

        /// The collector, e.g. `http://localhost:4317`: `http` connects in plaintext,
        /// `https` with TLS verified against the system's trust roots. Without a port,
        /// 80 and 443. A path is ignored.
        public var endpoint: URL
        /// Sent as gRPC metadata with every call, e.g. `authorization`. Names are sent in
        /// lowercase; a `user-agent` here replaces the exporter's.
        public var headers: [String: String]
        public var compression: Compression
        /// How long one export may take, retries and waits included (10 s): each call's
        /// gRPC deadline is the time left, and no retry is started whose wait would end later.
        public var timeout: Duration
        /// Calls per export, the first included (5).
        public var maxAttempts: Int
        /// The wait before the first retry, doubled for each further one (1 s), unless the
        /// server asks for another with `google.rpc.RetryInfo`.
        public var initialBackoff: Duration
        /// The longest wait between two attempts chosen by backoff (5 s).
        public var maxBackoff: Duration

        public init(
            endpoint: URL = URL(string: "http://localhost:4317")!,
            headers: [String: String] = [:],
            compression: Compression = .none,
            timeout: Duration = .seconds(10),
            maxAttempts: Int = 5,
            initialBackoff: Duration = .seconds(1),
            maxBackoff: Duration = .seconds(5)
        ) {
            self.endpoint = endpoint
            self.headers = headers
            self.compression = compression
            self.timeout = timeout
            self.maxAttempts = maxAttempts
            self.initialBackoff = initialBackoff
            self.maxBackoff = maxBackoff
        }

        var retryPolicy: ExportRetryPolicy {
            ExportRetryPolicy(maxAttempts: maxAttempts, initialBackoff: initialBackoff, maxBackoff: maxBackoff, exportTimeout: timeout)
        }
    }
}
