public import Foundation

extension OTLPHTTPExporter {
    /// Where and how the exporter sends spans (OTLP exporter settings,
    /// `OTEL_EXPORTER_OTLP_TRACES_*`).
    public struct Configuration: Sendable {
        /// The body's compression (`OTEL_EXPORTER_OTLP_TRACES_COMPRESSION`).
        public enum Compression: String, Sendable, Hashable {
            case none
            case gzip
        }

        /// The full traces URL, e.g. `http://127.0.0.1:4318/v1/traces`.
        public var endpoint: URL
        /// Headers added to every request, e.g. an `Authorization` header.
        public var headers: [String: String]
        public var compression: Compression
        /// How long one HTTP request may take (10 s).
        public var timeout: Duration
        /// How long one export may take, retries and waits included (30 s): no retry is
        /// started whose wait would end later.
        public var exportTimeout: Duration
        /// Requests per export, the first included (5).
        public var maxAttempts: Int
        /// The wait before the first retry, doubled for each further one (1 s), unless the
        /// server asks for another with `Retry-After`.
        public var initialBackoff: Duration
        /// The longest wait between two attempts chosen by backoff (5 s).
        public var maxBackoff: Duration

        public init(
            endpoint: URL,
            headers: [String: String] = [:],
            compression: Compression = .none,
            timeout: Duration = .seconds(10),
            exportTimeout: Duration = .seconds(30),
            maxAttempts: Int = 5,
            initialBackoff: Duration = .seconds(1),
            maxBackoff: Duration = .seconds(5)
        ) {
            self.endpoint = endpoint
            self.headers = headers
            self.compression = compression
            self.timeout = timeout
            self.exportTimeout = exportTimeout
            self.maxAttempts = maxAttempts
            self.initialBackoff = initialBackoff
            self.maxBackoff = maxBackoff
        }

        var retryPolicy: ExportRetryPolicy {
            ExportRetryPolicy(
                maxAttempts: maxAttempts, initialBackoff: initialBackoff, maxBackoff: maxBackoff, exportTimeout: exportTimeout
            )
        }
    }
}
