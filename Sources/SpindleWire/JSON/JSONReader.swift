import SpindleModel

/// A strict, total JSON reader (RFC 8259) from UTF-8 bytes to a ``JSONValue`` tree.
///
/// Rules it keeps:
/// - any input either parses or throws a ``WireError``; nothing traps;
/// - the whole input must be well-formed UTF-8 (`.invalidUTF8` at the first bad byte,
///   inside strings or not), checked before anything else;
/// - arrays and objects may nest `maxDepth` levels (`.nestingTooDeep` at the bracket that
///   goes deeper); the parser keeps its own stack, so it never recurses at all;
/// - everything else that is not one JSON text surrounded by optional whitespace is
///   `.invalidJSON` at the offending byte: a byte order mark, trailing commas, leading
///   zeros, `+1`, `NaN`, unescaped control characters in strings, invalid escapes, and
///   `\u` escapes of lone surrogates (at the escape's backslash). When the input ends
///   early, the offset is the input's length.
///
/// Duplicate object keys are kept, in order; ``JSONValue/subscript(_:)`` finds the first.
public enum JSONReader {
    public static let defaultMaxDepth = 64

    /// Parses one JSON text (RFC 8259) from UTF-8 bytes. Whitespace around it is allowed,
    /// anything else after it is an error.
    ///
    /// Throws ``WireError`` with `.invalidJSON` and the offset, `.invalidUTF8` for
    /// ill-formed UTF-8 anywhere including inside strings, `.nestingTooDeep` past
    /// `maxDepth` nested arrays and objects. Errors have an empty field path.
    public static func parse(_ bytes: [UInt8], maxDepth: Int = defaultMaxDepth) throws(WireError) -> JSONValue {
        if let bad = bytes.withUnsafeBytes({ UTF8Validation.firstInvalidOffset($0) }) {
            throw WireError(.invalidUTF8, field: "", offset: bad, "the text is not valid UTF-8")
        }
        var parser = JSONParser(bytes: bytes, maxDepth: max(0, maxDepth))
        return try parser.parseDocument()
    }

    /// Parses the one value that starts at `offset` and ignores what follows it, for a
    /// decoder that scanned the text with a ``JSONScanner`` and wants a tree of one part
    /// of it. Offsets are those of `bytes`; the caller has checked the UTF-8.
    static func parseValue(_ bytes: [UInt8], at offset: Int, maxDepth: Int) throws(WireError) -> JSONValue {
        var parser = JSONParser(bytes: bytes, maxDepth: max(0, maxDepth), startingAt: offset)
        return try parser.parseDocument()
    }
}

/// The parser behind ``JSONReader``: iterative, with explicit stacks.
///
/// Values of open containers wait on one shared `values` stack (keys on `keys`); closing a
/// container moves its slice into an array. Each value is moved once per level, so the
/// work is linear in the input, and no container's array is copied on append.
struct JSONParser {
    private struct Frame {
        var isObject: Bool
        var offset: Int
        var firstValue: Int
        var firstKey: Int
    }

    private let bytes: [UInt8]
    private let maxDepth: Int
    private var index = 0
    private var frames: [Frame] = []
    private var values: [JSONValue] = []
    private var keys: [String] = []
    /// Reused for every string with escapes, so unescaping allocates only the result.
    private var scratch: [UInt8] = []

    /// True when parsing stops after the first value instead of requiring the end of the input.
    private let stopsAfterValue: Bool

    init(bytes: [UInt8], maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
        stopsAfterValue = false
    }

    init(bytes: [UInt8], maxDepth: Int, startingAt offset: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
        index = min(max(0, offset), bytes.count)
        stopsAfterValue = true
    }

    mutating func parseDocument() throws(WireError) -> JSONValue {
        readValue: while true {
            skipWhitespace()
            let start = index
            guard index < bytes.count else {
                throw invalid(at: index, "expected a value, found the end of the input")
            }
            var value: JSONValue
            switch bytes[index] {
            case UInt8(ascii: "{"):
                try checkDepth(at: start)
                index += 1
                skipWhitespace()
                if index < bytes.count && bytes[index] == UInt8(ascii: "}") {
                    index += 1
                    value = JSONValue(.object([]), offset: start)
                } else {
                    frames.append(Frame(isObject: true, offset: start, firstValue: values.count, firstKey: keys.count))
                    try readKey()
                    continue readValue
                }
            case UInt8(ascii: "["):
                try checkDepth(at: start)
                index += 1
                skipWhitespace()
                if index < bytes.count && bytes[index] == UInt8(ascii: "]") {
                    index += 1
                    value = JSONValue(.array([]), offset: start)
                } else {
                    frames.append(Frame(isObject: false, offset: start, firstValue: values.count, firstKey: keys.count))
                    continue readValue
                }
            case UInt8(ascii: "\""):
                value = JSONValue(.string(try readString()), offset: start)
            case UInt8(ascii: "t"):
                try readLiteral("true")
                value = JSONValue(.bool(true), offset: start)
            case UInt8(ascii: "f"):
                try readLiteral("false")
                value = JSONValue(.bool(false), offset: start)
            case UInt8(ascii: "n"):
                try readLiteral("null")
                value = JSONValue(.null, offset: start)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                switch JSONNumberText.scan(bytes, from: start) {
                case .number(let end):
                    index = end
                    value = JSONValue(.number(String(decoding: bytes[start..<end], as: UTF8.self)), offset: start)
                case .invalid(let offset, let message):
                    throw invalid(at: offset, message)
                }
            default:
                throw invalid(at: start, "expected a value, found \(describe(bytes[start]))")
            }

            // A value is complete: add it to its container, closing every container that
            // ends right after it.
            while true {
                skipWhitespace()
                guard let frame = frames.last else {
                    guard index == bytes.count || stopsAfterValue else {
                        throw invalid(at: index, "unexpected \(describe(bytes[index])) after the JSON value")
                    }
                    return value
                }
                values.append(value)
                let closer = frame.isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")
                guard index < bytes.count else {
                    throw invalid(at: index, "expected ',' or '\(Character(Unicode.Scalar(closer)))', found the end of the input")
                }
                let byte = bytes[index]
                if byte == UInt8(ascii: ",") {
                    index += 1
                    if frame.isObject {
                        skipWhitespace()
                        try readKey()
                    }
                    continue readValue
                }
                guard byte == closer else {
                    throw invalid(at: index, "expected ',' or '\(Character(Unicode.Scalar(closer)))', found \(describe(byte))")
                }
                index += 1
                frames.removeLast()
                if frame.isObject {
                    var members = [JSONMember]()
                    members.reserveCapacity(values.count - frame.firstValue)
                    for (key, member) in zip(keys[frame.firstKey...], values[frame.firstValue...]) {
                        members.append(JSONMember(key: key, value: member))
                    }
                    keys.removeSubrange(frame.firstKey...)
                    values.removeSubrange(frame.firstValue...)
                    value = JSONValue(.object(members), offset: frame.offset)
                } else {
                    let elements = Array(values[frame.firstValue...])
                    values.removeSubrange(frame.firstValue...)
                    value = JSONValue(.array(elements), offset: frame.offset)
                }
            }
        }
    }

    // MARK: Pieces

    private func checkDepth(at offset: Int) throws(WireError) {
        guard frames.count < maxDepth else {
            throw WireError(.nestingTooDeep, field: "", offset: offset, "arrays and objects nest deeper than \(maxDepth) levels")
        }
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"): index += 1
            default: return
            }
        }
    }

    /// Reads `"key"` and the `:` after it, at `index` (whitespace already skipped).
    private mutating func readKey() throws(WireError) {
        guard index < bytes.count else {
            throw invalid(at: index, "expected a string key, found the end of the input")
        }
        guard bytes[index] == UInt8(ascii: "\"") else {
            throw invalid(at: index, "expected a string key, found \(describe(bytes[index]))")
        }
        keys.append(try readString())
        skipWhitespace()
        guard index < bytes.count else {
            throw invalid(at: index, "expected ':', found the end of the input")
        }
        guard bytes[index] == UInt8(ascii: ":") else {
            throw invalid(at: index, "expected ':', found \(describe(bytes[index]))")
        }
        index += 1
    }

    private mutating func readLiteral(_ literal: StaticString) throws(WireError) {
        let count = literal.utf8CodeUnitCount
        let matches = index + count <= bytes.count && literal.withUTF8Buffer { expected in
            bytes[index..<(index + count)].elementsEqual(expected)
        }
        guard matches else {
            throw invalid(at: index, "expected \(literal)")
        }
        index += count
    }

    /// Reads a string whose opening quote is at `index`. The input is valid UTF-8 (checked
    /// up front), so runs without escapes are copied as they are.
    private mutating func readString() throws(WireError) -> String {
        let quote = index
        index += 1
        var runStart = index
        var escaped = false
        scratch.removeAll(keepingCapacity: true)
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let result: String
                if escaped {
                    scratch.append(contentsOf: bytes[runStart..<index])
                    result = String(decoding: scratch, as: UTF8.self)
                } else {
                    result = String(decoding: bytes[runStart..<index], as: UTF8.self)
                }
                index += 1
                return result
            }
            if byte == UInt8(ascii: "\\") {
                escaped = true
                scratch.append(contentsOf: bytes[runStart..<index])
                try readEscape()
                runStart = index
                continue
            }
            if byte < 0x20 {
                throw invalid(at: index, "control character \(hexByte(byte)) must be escaped in a string")
            }
            index += 1
        }
        throw invalid(at: index, "the string starting at byte \(quote) is not terminated")
    }

    /// Reads the escape whose backslash is at `index` and appends its UTF-8 to `scratch`.
    private mutating func readEscape() throws(WireError) {
        let start = index
        guard index + 1 < bytes.count else {
            throw invalid(at: start, "the input ends inside an escape sequence")
        }
        let simple: UInt8
        switch bytes[index + 1] {
        case UInt8(ascii: "\""): simple = 0x22
        case UInt8(ascii: "\\"): simple = 0x5C
        case UInt8(ascii: "/"): simple = 0x2F
        case UInt8(ascii: "b"): simple = 0x08
        case UInt8(ascii: "f"): simple = 0x0C
        case UInt8(ascii: "n"): simple = 0x0A
        case UInt8(ascii: "r"): simple = 0x0D
        case UInt8(ascii: "t"): simple = 0x09
        case UInt8(ascii: "u"):
            try readUnicodeEscape()
            return
        default:
            throw invalid(at: start, "invalid escape sequence '\\\(describeRaw(bytes[index + 1]))'")
        }
        scratch.append(simple)
        index += 2
    }

    /// Reads `\uXXXX`, or a surrogate pair `\uD8xx\uDCxx`, at `index`.
    private mutating func readUnicodeEscape() throws(WireError) {
        let start = index
        guard let unit = hex4(at: index + 2) else {
            throw invalid(at: start, "\\u must be followed by four hexadecimal digits")
        }
        index += 6
        var scalarValue = UInt32(unit)
        switch unit {
        case 0xD800...0xDBFF:
            guard index + 1 < bytes.count,
                  bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u"),
                  let low = hex4(at: index + 2), (0xDC00...0xDFFF).contains(low)
            else {
                throw invalid(at: start, "the escape \\u\(hex4Text(unit)) is a high surrogate without a low surrogate escape after it")
            }
            index += 6
            scalarValue = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
        case 0xDC00...0xDFFF:
            throw invalid(at: start, "the escape \\u\(hex4Text(unit)) is a low surrogate without a high surrogate before it")
        default:
            break
        }
        guard let scalar = Unicode.Scalar(scalarValue) else {
            throw invalid(at: start, "the escape does not encode a Unicode scalar")
        }
        scratch.append(contentsOf: scalar.utf8)
    }

    private func hex4(at offset: Int) -> UInt16? {
        guard offset >= 0, offset + 4 <= bytes.count else { return nil }
        var value: UInt16 = 0
        for position in offset..<(offset + 4) {
            guard let digit = Hex.digitValue(bytes[position]) else { return nil }
            value = value << 4 | UInt16(digit)
        }
        return value
    }

    // MARK: Errors

    private func invalid(at offset: Int, _ message: String) -> WireError {
        WireError(.invalidJSON, field: "", offset: offset, message)
    }

    private func describe(_ byte: UInt8) -> String {
        byte >= 0x20 && byte < 0x7F ? "'\(Character(Unicode.Scalar(byte)))'" : "byte \(hexByte(byte))"
    }

    private func describeRaw(_ byte: UInt8) -> String {
        byte >= 0x20 && byte < 0x7F ? String(Character(Unicode.Scalar(byte))) : hexByte(byte)
    }

    private func hexByte(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return "0x" + String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 0xF)])
    }

    private func hex4Text(_ unit: UInt16) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([12, 8, 4, 0].map { digits[Int((unit >> UInt16($0)) & 0xF)] })
    }
}
