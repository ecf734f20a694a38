/// Where finished spans go: OTLP over HTTP or gRPC, the console, memory (tests).
///
/// Exporters are called by one span processor at a time, never concurrently with
/// themselves. `export` must not block the calling thread and must return within the
/// exporter's own timeout.
public protocol SpanExporter: Sendable {
    func export(_ spans: [FinishedSpan]) async throws(ExportError)
    /// Sends anything the exporter itself buffers.
    func forceFlush() async throws(ExportError)
    /// Releases resources; later exports fail with `.shutDown`.
    func shutdown() async
}

extension SpanExporter {
    public func forceFlush() async throws(ExportError) {}
}

/// Why an export failed. Span processors count failures by kind; spans of a failed
/// export are dropped (they have been retried as the exporter's policy allows).
public enum ExportError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The backend refused the data for good (HTTP 400, gRPC INVALID_ARGUMENT): not retried.
    case rejected(String)
    /// Retries ran out or the deadline passed (network errors, 429/502/503/504, UNAVAILABLE).
    case failed(String)
    /// The exporter was shut down.
    case shutDown

    public var description: String {
        switch self {
        case .rejected(let message): "rejected: \(message)"
        case .failed(let message): "failed: \(message)"
        case .shutDown: "the exporter is shut down"
        }
    }
}
