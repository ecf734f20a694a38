/// An error from a storage backend: what failed, in words a person can act on, and the
/// underlying cause where there is one.
///
public struct StorageError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable {
        /// The store cannot accept more data now; retry later.
        case unavailable
        /// The data on disk is not what the format says; `message` names file and offset.
        case corrupt
        /// The request cannot be answered by this backend.
        case unsupported
        /// The caller passed something invalid.
        case invalidArgument
    }

    public var code: Code
    public var message: String
    public var underlying: (any Error & Sendable)?

    public init(_ code: Code, _ message: String, underlying: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    public var description: String {
        if let underlying { "\(code.rawValue): \(message) (\(underlying))" } else { "\(code.rawValue): \(message)" }
    }
}
