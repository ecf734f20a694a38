/// Why a payload could not be decoded: what was wrong, in which field, at which byte.
///
/// Every decoder in SpindleWire is total: any input either decodes or throws a
/// `WireError`; none traps, loops without bound or allocates more than the input
/// justifies.
public struct WireError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// The input ended inside a value.
        case truncated
        /// A protobuf field has a wire type its schema does not allow, or an unknown wire type.
        case invalidWireType
        /// A protobuf varint runs past 10 bytes or overflows 64 bits.
        case malformedVarint
        /// A length prefix points past the end of its enclosing message.
        case lengthOutOfBounds
        /// Messages or JSON values nest deeper than the decoder allows.
        case nestingTooDeep
        /// A string is not valid UTF-8.
        case invalidUTF8
        /// A trace or span ID has the wrong length or is not hexadecimal.
        case invalidID
        /// The text is not JSON.
        case invalidJSON
        /// A value has the wrong type or is out of range for its field.
        case invalidValue
        /// The payload is larger than the decoder accepts.
        case tooLarge
    }

    public var code: Code
    /// Where the problem is, as a path from the top of the payload, e.g.
    /// `resourceSpans[0].scopeSpans[0].spans[3].traceId`.
    public var field: String
    /// The byte offset in the input where the offending value starts (or where the
    /// input ended).
    public var offset: Int
    /// What was wrong, for a person.
    public var message: String

    public init(_ code: Code, field: String, offset: Int, _ message: String) {
        self.code = code
        self.field = field
        self.offset = offset
        self.message = message
    }

    public var description: String {
        field.isEmpty
            ? "\(message) (at byte \(offset))"
            : "\(field): \(message) (at byte \(offset))"
    }

    /// The same error seen from an enclosing field: `outer` (with `index` for a repeated
    /// field) is prepended to the path.
    public func within(_ outer: String, index: Int? = nil) -> WireError {
        var copy = self
        let head = index.map { "\(outer)[\($0)]" } ?? outer
        copy.field = field.isEmpty ? head : (field.hasPrefix("[") ? head + field : head + "." + field)
        return copy
    }
}
