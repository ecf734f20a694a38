/// Why the server could not start or stopped: what happened, in words a person can act
/// on, and the underlying cause where there is one.
public struct SpindleServerError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable {
        /// A setting cannot work (a bad port, a bound smaller than another, ...).
        case invalidConfiguration
        /// The chosen storage backend could not be opened (its directory, its files).
        case storageNotAvailable
        /// A listener could not bind its address (port in use, no such interface, ...).
        case bindFailed
        /// The server stopped before every listener was bound.
        case notRunning
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
        if let underlying { "\(message) (\(underlying))" } else { message }
    }
}
