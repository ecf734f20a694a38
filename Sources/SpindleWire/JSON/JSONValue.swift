/// One JSON value (RFC 8259) as ``JSONReader`` reads it: a tree that keeps what codecs
/// need to be exact and to report errors well.
///
/// - numbers keep their source text, so 64-bit integers and doubles convert without loss
///   (``int64Value``, ``uint64Value``, ``doubleValue`` do the conversion);
/// - object members keep their source order and any duplicate keys;
/// - every value knows the byte offset where it starts, for ``WireError/offset``.
///
/// The tree is at most ``JSONReader/parse(_:maxDepth:)``'s `maxDepth` deep; comparing and
/// releasing it recurses that deep, so keep the limit modest.
public struct JSONValue: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case null
        case bool(Bool)
        /// The number's exact source text, e.g. `-12`, `1.5e300`.
        case number(String)
        case string(String)
        case array([JSONValue])
        /// Members in source order, duplicate keys kept.
        case object([JSONMember])
    }

    public var kind: Kind
    /// The byte offset where this value starts in the input.
    public var offset: Int

    public init(_ kind: Kind, offset: Int = 0) {
        self.kind = kind
        self.offset = offset
    }
}

/// A key and its value in a JSON object.
public struct JSONMember: Sendable, Equatable {
    public var key: String
    public var value: JSONValue

    public init(key: String, value: JSONValue) {
        self.key = key
        self.value = value
    }
}

// MARK: - Reading values

extension JSONValue {
    /// The value of the first member named `key`; nil if there is none or this is not an object.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = kind else { return nil }
        return members.first { $0.key == key }?.value
    }

    public var stringValue: String? {
        if case .string(let value) = kind { value } else { nil }
    }

    public var boolValue: Bool? {
        if case .bool(let value) = kind { value } else { nil }
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let value) = kind { value } else { nil }
    }

    public var objectMembers: [JSONMember]? {
        if case .object(let value) = kind { value } else { nil }
    }

    public var isNull: Bool { kind == .null }

    /// What kind of value this is, for error messages: "null", "a boolean", "a number",
    /// "a string", "an array", "an object".
    public var kindDescription: String {
        switch kind {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    /// The text of a number, or of a string (which may hold a number, as proto3 JSON
    /// writes 64-bit integers).
    private var numericText: String? {
        switch kind {
        case .number(let text), .string(let text): text
        default: nil
        }
    }

    /// A JSON number without fraction or exponent, or a string holding one (OTLP JSON
    /// writes int64 as strings), exactly; nil if out of range or not of that form.
    public var int64Value: Int64? {
        guard let text = numericText, let (negative, magnitude) = JSONNumberText.integer(text) else { return nil }
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { return nil }
            return Int64(truncatingIfNeeded: 0 &- magnitude)
        }
        return Int64(exactly: magnitude)
    }

    /// Like ``int64Value`` for unsigned 64-bit values; `-0` is 0, other negatives are nil.
    public var uint64Value: UInt64? {
        guard let text = numericText, let (negative, magnitude) = JSONNumberText.integer(text) else { return nil }
        if negative && magnitude != 0 { return nil }
        return magnitude
    }

    /// Like ``uint64Value``, nil above `UInt32.max`.
    public var uint32Value: UInt32? {
        uint64Value.flatMap { UInt32(exactly: $0) }
    }

    /// A JSON number, or a string holding one, or the strings `"NaN"`, `"Infinity"`,
    /// `"-Infinity"` (proto3 JSON's non-finite values). A number beyond the range of
    /// `Double` is ±infinity, as `strtod` rounds it.
    public var doubleValue: Double? {
        switch kind {
        case .number(let text):
            return JSONNumberText.isValid(text) ? Double(text) : nil
        case .string(let text):
            switch text {
            case "NaN": return .nan
            case "Infinity": return .infinity
            case "-Infinity": return -.infinity
            default: return JSONNumberText.isValid(text) ? Double(text) : nil
            }
        default:
            return nil
        }
    }
}

/// The RFC 8259 number grammar, checked on text: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
enum JSONNumberText {
    /// Sign and magnitude of an integer `-? (0 | [1-9][0-9]*)`; nil for any other text or
    /// a magnitude above `UInt64.max`.
    static func integer(_ text: String) -> (negative: Bool, magnitude: UInt64)? {
        var text = text
        return text.withUTF8 { integer(UnsafeRawBufferPointer($0)) }
    }

    /// ``integer(_:)`` on UTF-8 bytes.
    @inline(__always)
    static func integer(_ bytes: UnsafeRawBufferPointer) -> (negative: Bool, magnitude: UInt64)? {
        var index = 0
        let end = bytes.count
        let negative = end > 0 && bytes[0] == UInt8(ascii: "-")
        if negative { index = 1 }
        guard index < end, isDigit(bytes[index]) else { return nil }
        if bytes[index] == UInt8(ascii: "0") && end - index > 1 { return nil }
        var magnitude: UInt64 = 0
        if end - index <= 19 {
            // Hot path: 19 digits cannot overflow 64 bits.
            while index < end {
                let digit = bytes[index] &- UInt8(ascii: "0")
                guard digit < 10 else { return nil }
                magnitude = magnitude &* 10 &+ UInt64(digit)
                index += 1
            }
            return (negative, magnitude)
        }
        while index < end {
            let byte = bytes[index]
            guard isDigit(byte) else { return nil }
            let (times10, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(byte &- UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else { return nil }
            magnitude = sum
            index += 1
        }
        return (negative, magnitude)
    }

    /// Exact powers of ten up to 10^22, the largest a `Double` holds exactly.
    private static let exactPowersOfTen: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ]

    /// The `Double` nearest to `bytes`, which must be one JSON number (as
    /// ``scan(_:from:)`` accepts it), rounded as `Double(String)` rounds it.
    ///
    /// Hot path: a number with at most 15 significant digits and a small exponent, such
    /// as `19.99`, is one exactly rounded multiplication or division of two exact values
    /// (Clinger's fast path), with no String created; any other goes through
    /// `Double(String)`.
    static func double(_ bytes: UnsafeRawBufferPointer) -> Double? {
        var index = 0
        let end = bytes.count
        let negative = end > 0 && bytes[0] == UInt8(ascii: "-")
        if negative { index = 1 }
        var mantissa: UInt64 = 0
        var digits = 0
        var exponent = 0
        while index < end, isDigit(bytes[index]) {
            mantissa = mantissa &* 10 &+ UInt64(bytes[index] &- UInt8(ascii: "0"))
            if mantissa != 0 { digits += 1 }
            index += 1
        }
        if index < end && bytes[index] == UInt8(ascii: ".") {
            index += 1
            while index < end, isDigit(bytes[index]) {
                mantissa = mantissa &* 10 &+ UInt64(bytes[index] &- UInt8(ascii: "0"))
                if mantissa != 0 { digits += 1 }
                exponent -= 1
                index += 1
            }
        }
        if index < end && (bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E")) {
            index += 1
            var exponentNegative = false
            if index < end && (bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-")) {
                exponentNegative = bytes[index] == UInt8(ascii: "-")
                index += 1
            }
            var written = 0
            while index < end, isDigit(bytes[index]), written < 10_000 {
                written = written * 10 + Int(bytes[index] &- UInt8(ascii: "0"))
                index += 1
            }
            exponent += exponentNegative ? -written : written
        }
        if index == end, digits <= 15, (-22...22).contains(exponent) {
            // Both operands are exact, so the one operation rounds correctly.
            let magnitude = exponent < 0
                ? Double(mantissa) / exactPowersOfTen[-exponent]
                : Double(mantissa) * exactPowersOfTen[exponent]
            return negative ? -magnitude : magnitude
        }
        return Double(String(decoding: bytes, as: UTF8.self))
    }

    /// True when `text` is exactly one JSON number.
    static func isValid(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        if case .number(let end) = scan(bytes, from: 0) { return end == bytes.count }
        return false
    }

    enum ScanResult {
        /// A number runs from the start to `end` (exclusive).
        case number(end: Int)
        /// No number: the byte at `offset` (or the end of input) breaks the grammar.
        case invalid(offset: Int, message: String)
    }

    /// Scans the longest number starting at `start`, or says at which byte it breaks the
    /// grammar. A digit after a leading `0` breaks it too (`01` is not a number).
    static func scan(_ bytes: [UInt8], from start: Int) -> ScanResult {
        let end = bytes.count
        var index = start
        if index < end && bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < end, isDigit(bytes[index]) else {
            return .invalid(offset: index, message: "expected a digit")
        }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
            if index < end && isDigit(bytes[index]) {
                return .invalid(offset: index, message: "a number must not have leading zeros")
            }
        } else {
            while index < end && isDigit(bytes[index]) { index += 1 }
        }
        if index < end && bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard index < end, isDigit(bytes[index]) else {
                return .invalid(offset: index, message: "expected a digit after the decimal point")
            }
            while index < end && isDigit(bytes[index]) { index += 1 }
        }
        if index < end && (bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E")) {
            index += 1
            if index < end && (bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-")) {
                index += 1
            }
            guard index < end, isDigit(bytes[index]) else {
                return .invalid(offset: index, message: "expected a digit in the exponent")
            }
            while index < end && isDigit(bytes[index]) { index += 1 }
        }
        return .number(end: index)
    }

    @inline(__always)
    static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }
}
