public import SpindleStorage

/// Bounds on the work one analytics request may do, so that a wide time range fails
/// fast with an error that says how to narrow it instead of exhausting memory.
public struct AnalyticsLimits: Sendable, Hashable {
    /// The most spans a request may scan (every span the scan delivers counts, not
    /// only those that match the request's service or operation).
    public var maxSpans: Int
    /// The most distinct traces a request that groups spans by trace may hold at once
    /// (the service graph).
    public var maxTraces: Int

    public init(maxSpans: Int = 5_000_000, maxTraces: Int = 1_000_000) {
        self.maxSpans = maxSpans
        self.maxTraces = maxTraces
    }
}

/// Why an analytics request failed.
public enum AnalyticsError: Error, Sendable, CustomStringConvertible {
    /// The request would scan or group more than ``AnalyticsLimits`` allow; the message
    /// names the limit and suggests narrowing the time range.
    case tooExpensive(String)
    /// An argument is unusable (a zero step, an empty time range, too many steps); the
    /// message names it and the accepted values.
    case invalidArgument(String)
    /// The storage backend failed, or the request was cancelled (reported as
    /// ``StorageError`` `.unavailable`, never as a partial result).
    case storage(StorageError)

    public var description: String {
        switch self {
        case .tooExpensive(let message): "too expensive: \(message)"
        case .invalidArgument(let message): "invalid argument: \(message)"
        case .storage(let error): "storage: \(error)"
        }
    }
}
