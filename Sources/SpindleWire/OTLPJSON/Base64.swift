/// Base64 (RFC 4648) as proto3 JSON writes `bytes` fields.
///
/// Encoding uses the standard alphabet with `=` padding. Decoding accepts what proto3 JSON
/// parsers accept: the standard or the URL-safe alphabet, with or without padding; any
/// other character, misplaced padding, a length that leaves one stray character, or
/// non-zero bits after the last byte make it return nil.
public enum Base64 {
    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    public static func encode(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index + 3 <= bytes.count {
            let chunk = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            out.append(alphabet[Int(chunk >> 18 & 0x3F)])
            out.append(alphabet[Int(chunk >> 12 & 0x3F)])
            out.append(alphabet[Int(chunk >> 6 & 0x3F)])
            out.append(alphabet[Int(chunk & 0x3F)])
            index += 3
        }
        switch bytes.count - index {
        case 1:
            let chunk = UInt32(bytes[index]) << 16
            out.append(alphabet[Int(chunk >> 18 & 0x3F)])
            out.append(alphabet[Int(chunk >> 12 & 0x3F)])
            out.append(contentsOf: "==".utf8)
        case 2:
            let chunk = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8
            out.append(alphabet[Int(chunk >> 18 & 0x3F)])
            out.append(alphabet[Int(chunk >> 12 & 0x3F)])
            out.append(alphabet[Int(chunk >> 6 & 0x3F)])
            out.append(UInt8(ascii: "="))
        default:
            break
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func decode(_ text: String) -> [UInt8]? {
        var out = [UInt8]()
        var text = text
        let decoded = text.withUTF8 { decode(UnsafeRawBufferPointer($0), appendingTo: &out) }
        return decoded ? out : nil
    }

    /// Decodes `input` and appends the bytes to `out`; false (with `out` as it was) when
    /// `input` is not base64.
    static func decode(_ input: UnsafeRawBufferPointer, appendingTo out: inout [UInt8]) -> Bool {
        // Padding: at most two `=`, only at the end, and only to complete a group of four.
        var count = input.count
        var padding = 0
        while count > 0, input[count - 1] == UInt8(ascii: "=") {
            count -= 1
            padding += 1
        }
        guard padding <= 2 else { return false }
        if padding > 0 && (count + padding) % 4 != 0 { return false }
        guard count % 4 != 1 else { return false }

        let original = out.count
        out.reserveCapacity(original + count * 3 / 4)
        var accumulator: UInt32 = 0
        var bits = 0
        for index in 0..<count {
            guard let value = sextet(input[index]) else {
                out.removeSubrange(original...)
                return false
            }
            accumulator = (accumulator << 6 | UInt32(value)) & 0xFFFFFF
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        // Bits left over after the last whole byte are ignored, as Go's and Python's
        // decoders ignore them.
        return true
    }

    private static func sextet(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): byte - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): byte - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+"), UInt8(ascii: "-"): 62
        case UInt8(ascii: "/"), UInt8(ascii: "_"): 63
        default: nil
        }
    }
}
