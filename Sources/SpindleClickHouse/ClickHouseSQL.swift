/// Escaping for the SQL text Spindle sends to ClickHouse.
///
/// ClickHouse 18.16 has no query parameters (`{name:Type}` came in 19.x), so every value
/// that reaches SQL text — service names, attribute keys and values, TraceQL literals — goes
/// through these functions; nothing is ever spliced in raw. The output is plain ASCII apart
/// from multi-byte UTF-8 sequences, which are kept as they are (ClickHouse strings are
/// bytes, and a query's text is read as bytes).
public enum ClickHouseSQL {
    /// A single-quoted string literal whose value is exactly `value`'s UTF-8 bytes.
    ///
    /// Backslash and quote are escaped with a backslash; NUL, every other control byte
    /// (below 0x20) and DEL as `\xHH`; every other byte, multi-byte UTF-8 included, is
    /// written as it is.
    public static func literal(_ value: String) -> String {
        var value = value
        return value.withUTF8 { utf8 in
            var out: [UInt8] = [UInt8(ascii: "'")]
            out.reserveCapacity(utf8.count + 2)
            appendEscaped(utf8, quote: UInt8(ascii: "'"), to: &out)
            out.append(UInt8(ascii: "'"))
            return String(decoding: out, as: UTF8.self)
        }
    }

    /// A single-quoted string literal whose value is exactly `bytes`, which need not be
    /// UTF-8: escaped as for a string, and every byte from 0x80 up written as `\xHH` too,
    /// so the SQL text stays valid UTF-8.
    public static func literal(bytes: some Sequence<UInt8>) -> String {
        var out: [UInt8] = [UInt8(ascii: "'")]
        out.reserveCapacity(bytes.underestimatedCount + 2)
        appendEscaped(bytes, quote: UInt8(ascii: "'"), escapingNonASCII: true, to: &out)
        out.append(UInt8(ascii: "'"))
        return String(decoding: out, as: UTF8.self)
    }

    /// An integer literal.
    public static func literal(_ value: Int64) -> String { String(value) }

    /// An integer literal.
    public static func literal(_ value: UInt64) -> String { String(value) }

    /// A `Float64` expression that reads back as exactly `value` (`nan`, `inf` and `-inf`
    /// for the non-finite values, which ClickHouse spells that way), except that 18.16
    /// reads subnormal values (below 2.2250738585072014e-308 in magnitude) as 0.
    public static func literal(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        // Swift's description is the shortest text that reads back as the same Double.
        // Through toFloat64 because 18.16's parser rejects some numeric literals (`5e-324`);
        // it reads subnormal values as 0.
        return "toFloat64('\(value.description)')"
    }

    /// A back-quoted identifier (database, table or column name) naming exactly `name`;
    /// backquote and backslash are escaped, control bytes written as `\xHH`.
    public static func identifier(_ name: String) -> String {
        var name = name
        return name.withUTF8 { utf8 in
            var out: [UInt8] = [UInt8(ascii: "`")]
            appendEscaped(utf8, quote: UInt8(ascii: "`"), to: &out)
            out.append(UInt8(ascii: "`"))
            return String(decoding: out, as: UTF8.self)
        }
    }

    private static func appendEscaped(_ bytes: some Sequence<UInt8>, quote: UInt8, escapingNonASCII: Bool = false, to out: inout [UInt8]) {
        let hexDigits = Array("0123456789abcdef".utf8)
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\\"), quote:
                out.append(UInt8(ascii: "\\"))
                out.append(byte)
            case 0..<0x20, 0x7F:
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "x"), hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0xF)]])
            case 0x80... where escapingNonASCII:
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "x"), hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0xF)]])
            default:
                out.append(byte)
            }
        }
    }
}
