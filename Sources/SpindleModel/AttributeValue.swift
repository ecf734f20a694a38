/// The value of an attribute: OTLP's `AnyValue` (`opentelemetry.proto.common.v1.AnyValue`).
///
/// `.empty` is an `AnyValue` with no field set, which OTLP allows and Spindle keeps so
/// that decoding and re-encoding a request loses nothing.
public enum AttributeValue: Hashable, Sendable {
    case string(String)
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case bytes([UInt8])
    case array([AttributeValue])
    case keyValueList([Attribute])
    case empty

    /// The string if this is a string value.
    public var stringValue: String? {
        if case .string(let value) = self { value } else { nil }
    }

    /// Equality that treats two NaN doubles as equal, so that round-trip checks of
    /// values carrying NaN compare as users expect.
    public func isIdentical(to other: AttributeValue) -> Bool {
        switch (self, other) {
        case (.double(let a), .double(let b)): a.bitPattern == b.bitPattern || a == b
        case (.array(let a), .array(let b)):
            a.count == b.count && zip(a, b).allSatisfy { $0.isIdentical(to: $1) }
        case (.keyValueList(let a), .keyValueList(let b)):
            a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value.isIdentical(to: $1.value) }
        default: self == other
        }
    }
}

/// One key and its value: OTLP's `KeyValue`.
///
/// Attribute lists are ordered arrays, not dictionaries: OTLP is a list on the wire and
/// Spindle keeps its order and any duplicates exactly as received.
public struct Attribute: Hashable, Sendable {
    public var key: String
    public var value: AttributeValue

    public init(_ key: String, _ value: AttributeValue) {
        self.key = key
        self.value = value
    }
}

extension AttributeValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByBooleanLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}

extension Array where Element == Attribute {
    /// The value of the first attribute named `key`.
    public subscript(key: String) -> AttributeValue? {
        first { $0.key == key }?.value
    }
}
