public import SpindleStorage

/// Why a TraceQL query text was refused: where (1-based line and column, counted in
/// Unicode scalars) and what was expected there.
///
/// `description` reads `line 1, column 14: expected a value after "=", found "}"`.
public struct TraceQLError: Error, Sendable, Equatable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public var message: String

    public init(line: Int, column: Int, message: String) {
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String { "line \(line), column \(column): \(message)" }
}

/// Why the engine could not answer a query.
public enum QueryError: Error, Sendable, CustomStringConvertible {
    /// The query text is malformed.
    case invalidQuery(TraceQLError)
    /// The query (or the named part of it) is valid TraceQL that this engine does not
    /// evaluate, or a request argument it cannot honour. Never answered approximately.
    case unsupported(String)
    /// Answering would exceed a ``QueryLimits`` budget (named in the message); no partial
    /// result is returned as if complete.
    case tooExpensive(String)
    /// The storage backend failed (or the query was cancelled: code `.unavailable`).
    case storage(StorageError)

    /// A sentence a person can act on.
    public var message: String {
        switch self {
        case .invalidQuery(let error): "invalid TraceQL query: \(error)"
        case .unsupported(let what): "not supported: \(what)"
        case .tooExpensive(let why): "query too expensive: \(why)"
        case .storage(let error): "storage error: \(error)"
        }
    }

    public var description: String { message }
}
