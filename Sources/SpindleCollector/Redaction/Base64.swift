/// Decoding of base64 (RFC 4648 §4) and base64url (§5) for the detectors that look inside
/// a candidate (a JWT header, a Basic credential). Padding is optional; nil when the text
/// is not base64 of the given alphabet.
enum Base64 {
    enum Alphabet {
        /// `+` and `/`.
        case standard
        /// `-` and `_`.
        case url
    }

    /// Decodes `range` of `bytes`; at most `limit` characters are read (longer input is
    /// refused, so a hostile string costs little).
    static func decode(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, alphabet: Alphabet, limit: Int = 4096) -> [UInt8]? {
        var end = range.upperBound
        while end > range.lowerBound, bytes[end - 1] == UInt8(ascii: "=") { end -= 1 }
        let count = end - range.lowerBound
        guard count > 0, count <= limit, count % 4 != 1, range.upperBound - end <= 2 else { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(count * 3 / 4)
        var buffer: UInt32 = 0
        var bits = 0
        for index in range.lowerBound..<end {
            guard let value = sextet(bytes[index], alphabet) else { return nil }
            buffer = buffer << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                output.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bits)))
            }
        }
        return output
    }

    @inline(__always)
    private static func sextet(_ byte: UInt8, _ alphabet: Alphabet) -> UInt8? {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): byte - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): byte - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+") where alphabet == .standard, UInt8(ascii: "-") where alphabet == .url: 62
        case UInt8(ascii: "/") where alphabet == .standard, UInt8(ascii: "_") where alphabet == .url: 63
        default: nil
        }
    }
}
