/// One HTTP header field.
public struct HTTPHeaderPair: Sendable, Hashable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// An HTTP response for a listener to send as it is.
public struct ReceiverResponse: Sendable, Hashable {
    public var status: Int
    /// Header fields to send, `Content-Type` and `Retry-After` among them.
    public var headers: [HTTPHeaderPair]
    public var body: [UInt8]

    public init(status: Int, headers: [HTTPHeaderPair] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}
