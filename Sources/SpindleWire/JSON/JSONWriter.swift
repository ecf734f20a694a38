/// Writes compact JSON (RFC 8259) into a byte array, placing commas and colons itself.
///
/// Call the methods in document order: `beginObject()`, then `key(_:)` before each member
/// value, `endObject()`; `beginArray()`, values, `endArray()`. The writer does not check
/// that the calls make a well-formed document; callers in this package do.
///
/// Strings: `"`, `\` and control characters are escaped (`\n`, `\r`, `\t`, `\b`, `\f`,
/// otherwise `\u00XX`), as are U+2028 and U+2029 (so the output is also valid JavaScript);
/// all other text is written as UTF-8. Doubles: finite values as their shortest
/// round-trip text, NaN and infinities as the strings `"NaN"`, `"Infinity"`, `"-Infinity"`
/// (proto3 JSON's mapping).
public struct JSONWriter: Sendable {
    public private(set) var bytes: [UInt8]
    /// True when the next value or key in the current container needs a comma before it.
    private var needsComma = false
    /// True right after `key(_:)`: the value follows the colon without a comma.
    private var afterKey = false

    public init() {
        bytes = []
    }

    /// A writer whose buffer has room for `capacity` bytes before it grows.
    public init(reservingCapacity capacity: Int) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    // MARK: Containers

    public mutating func beginObject() {
        beginValue()
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
    }

    public mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        needsComma = true
    }

    public mutating func beginArray() {
        beginValue()
        bytes.append(UInt8(ascii: "["))
        needsComma = false
    }

    public mutating func endArray() {
        bytes.append(UInt8(ascii: "]"))
        needsComma = true
    }

    /// Writes `"key":`, with a comma before it when it is not the first member.
    public mutating func key(_ key: String) {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
        writeString(key)
        bytes.append(UInt8(ascii: ":"))
        afterKey = true
        needsComma = false
    }

    // MARK: Values

    public mutating func string(_ value: String) {
        beginValue()
        writeString(value)
        needsComma = true
    }

    /// Writes `raw` as it is: the caller guarantees it is a valid JSON number.
    public mutating func number(_ raw: String) {
        beginValue()
        bytes.append(contentsOf: raw.utf8)
        needsComma = true
    }

    public mutating func int(_ v: Int64) {
        number(String(v))
    }

    public mutating func uint(_ v: UInt64) {
        number(String(v))
    }

    /// A finite value as its shortest text that reads back as the same `Double`
    /// (`-0.0` keeps its sign); NaN and ±infinity as the strings `"NaN"`, `"Infinity"`,
    /// `"-Infinity"`.
    public mutating func double(_ v: Double) {
        if v.isNaN {
            string("NaN")
        } else if v.isInfinite {
            string(v < 0 ? "-Infinity" : "Infinity")
        } else {
            // Swift's description is the shortest round-trip form and always valid JSON:
            // "1.5", "-0.0", "1e-07", "1e+300".
            number(v.description)
        }
    }

    public mutating func bool(_ v: Bool) {
        beginValue()
        bytes.append(contentsOf: v ? "true".utf8 : "false".utf8)
        needsComma = true
    }

    public mutating func null() {
        beginValue()
        bytes.append(contentsOf: "null".utf8)
        needsComma = true
    }

    // MARK: Internals

    private mutating func beginValue() {
        if afterKey {
            afterKey = false
        } else if needsComma {
            bytes.append(UInt8(ascii: ","))
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Hot path: runs of bytes that need no escape are appended in one call.
    private mutating func writeString(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { utf8 in
            let count = utf8.count
            var runStart = 0
            var index = 0
            while index < count {
                let byte = utf8[index]
                let escape: String
                switch byte {
                case UInt8(ascii: "\""): escape = "\\\""
                case UInt8(ascii: "\\"): escape = "\\\\"
                case 0x0A: escape = "\\n"
                case 0x0D: escape = "\\r"
                case 0x09: escape = "\\t"
                case 0x08: escape = "\\b"
                case 0x0C: escape = "\\f"
                case 0x00..<0x20:
                    escape = "\\u00" + String(decoding: [Self.hexDigits[Int(byte >> 4)], Self.hexDigits[Int(byte & 0xF)]], as: UTF8.self)
                case 0xE2 where index + 2 < count && utf8[index + 1] == 0x80 && utf8[index + 2] == 0xA8:
                    escape = "\\u2028"
                case 0xE2 where index + 2 < count && utf8[index + 1] == 0x80 && utf8[index + 2] == 0xA9:
                    escape = "\\u2029"
                default:
                    index += 1
                    continue
                }
                bytes.append(contentsOf: utf8[runStart..<index])
                bytes.append(contentsOf: escape.utf8)
                // U+2028 and U+2029 are three bytes; every other escaped character is one.
                index += byte == 0xE2 ? 3 : 1
                runStart = index
            }
            bytes.append(contentsOf: utf8[runStart..<count])
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
