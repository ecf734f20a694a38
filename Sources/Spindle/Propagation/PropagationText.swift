import SpindleModel

/// Byte-level helpers the propagators share. Every function is total: bounds come from the
/// collections themselves, and no input makes one trap.
enum PropagationText {
    static let space = UInt8(ascii: " ")
    static let tab = UInt8(ascii: "\t")
    static let comma = UInt8(ascii: ",")
    static let equals = UInt8(ascii: "=")
    static let semicolon = UInt8(ascii: ";")
    static let dash = UInt8(ascii: "-")
    static let colon = UInt8(ascii: ":")
    static let percent = UInt8(ascii: "%")

    /// `bytes` without leading and trailing optional whitespace (RFC 7230 `OWS`: SP, HTAB).
    static func trimmingOWS(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var slice = bytes
        while let first = slice.first, first == space || first == tab { slice = slice.dropFirst() }
        while let last = slice.last, last == space || last == tab { slice = slice.dropLast() }
        return slice
    }

    /// The UTF-8 of `text` without surrounding `OWS`, re-indexed from zero.
    static func trimmedBytes(_ text: String) -> [UInt8] {
        let bytes = Array(text.utf8)
        return Array(trimmingOWS(bytes[...]))
    }

    static func string(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes, as: UTF8.self)
    }

    /// The value of a lowercase hex digit (`0-9a-f`), as W3C's `HEXDIGLC` allows.
    static func lowercaseHexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte &- UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte &- UInt8(ascii: "a") &+ 10
        default: nil
        }
    }

    /// Parses 1 to 32 hex digits as a big-endian 128-bit number, left-padded with zeros.
    /// `lowercaseOnly` rejects `A-F`; nil for an empty, longer, or non-hex input.
    static func hex128<Digits: Collection<UInt8>>(_ digits: Digits, lowercaseOnly: Bool) -> (high: UInt64, low: UInt64)? {
        guard !digits.isEmpty, digits.count <= 32 else { return nil }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for byte in digits {
            guard let digit = lowercaseOnly ? lowercaseHexValue(byte) : Hex.digitValue(byte) else { return nil }
            high = high << 4 | low >> 60
            low = low << 4 | UInt64(digit)
        }
        return (high, low)
    }

    /// Parses 1 to 16 hex digits; nil for an empty, longer, or non-hex input.
    static func hex64<Digits: Collection<UInt8>>(_ digits: Digits, lowercaseOnly: Bool) -> UInt64? {
        guard digits.count <= 16, let value = hex128(digits, lowercaseOnly: lowercaseOnly) else { return nil }
        return value.low
    }

    /// Whether `a` and `b` are equal when ASCII letters are compared without case (how
    /// HTTP compares header names), without allocating.
    static func equalsIgnoringASCIICase(_ a: String, _ b: String) -> Bool {
        guard a.utf8.count == b.utf8.count else { return false }
        return a.utf8.elementsEqual(b.utf8) { x, y in
            x == y || (x | 0x20 == y | 0x20 && (x | 0x20) >= UInt8(ascii: "a") && (x | 0x20) <= UInt8(ascii: "z"))
        }
    }

    /// The lowercase hex digits, by value.
    static let lowercaseHexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Writes the 16 lowercase hex digits of `value` at `offset`; returns the offset after them.
    static func writeHex(_ value: UInt64, into buffer: UnsafeMutableBufferPointer<UInt8>, at offset: Int) -> Int {
        for index in 0..<16 {
            buffer[offset + index] = lowercaseHexDigits[Int(truncatingIfNeeded: value >> UInt64(60 - 4 * index)) & 0xF]
        }
        return offset + 16
    }
}
