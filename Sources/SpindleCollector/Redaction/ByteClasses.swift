/// ASCII byte classes for the value detectors, which read UTF-8 bytes in place.
extension UInt8 {
    @inline(__always) var isASCIIDigit: Bool { self &- UInt8(ascii: "0") < 10 }
    @inline(__always) var isASCIILetter: Bool { (self | 0x20) &- UInt8(ascii: "a") < 26 }
    @inline(__always) var isASCIIAlphanumeric: Bool { isASCIIDigit || isASCIILetter }
    @inline(__always) var isASCIIUppercase: Bool { self &- UInt8(ascii: "A") < 26 }
    @inline(__always) var isASCIIWhitespace: Bool {
        self == UInt8(ascii: " ") || self == UInt8(ascii: "\t") || self == UInt8(ascii: "\n") || self == UInt8(ascii: "\r")
    }
    /// A letter lowercased; any other byte as it is.
    @inline(__always) var asciiLowercased: UInt8 { isASCIIUppercase ? self | 0x20 : self }
    /// The base64url alphabet (RFC 4648 §5): letters, digits, `-`, `_`.
    @inline(__always) var isBase64URLCharacter: Bool {
        isASCIIAlphanumeric || self == UInt8(ascii: "-") || self == UInt8(ascii: "_")
    }
}

extension UnsafeRawBufferPointer {
    /// True when the bytes at `offset` are `lowercaseASCII` in any case.
    func hasCaseInsensitivePrefix(_ lowercaseASCII: StaticString, at offset: Int) -> Bool {
        let count = lowercaseASCII.utf8CodeUnitCount
        guard offset >= 0, offset + count <= self.count else { return false }
        let expected = lowercaseASCII.utf8Start
        for index in 0..<count where self[offset + index].asciiLowercased != expected[index] {
            return false
        }
        return true
    }

    /// True when the bytes in `range` are exactly `ascii`.
    func equals(_ ascii: StaticString, in range: Range<Int>) -> Bool {
        guard range.count == ascii.utf8CodeUnitCount else { return false }
        let expected = ascii.utf8Start
        for index in 0..<range.count where self[range.lowerBound + index] != expected[index] {
            return false
        }
        return true
    }

    /// True when the bytes in `range` already hold a mask or hash, or OpenTelemetry's own
    /// `REDACTED` placeholder: there is nothing left to redact, and redacting a batch twice
    /// changes nothing the second time.
    func isAlreadyRedacted(_ range: Range<Int>) -> Bool {
        if equals("REDACTED", in: range) { return true }
        guard hasCaseInsensitivePrefix("[redacted", at: range.lowerBound) || hasCaseInsensitivePrefix("[hash:", at: range.lowerBound),
            range.count >= 7, self[range.upperBound - 1] == UInt8(ascii: "]")
        else { return false }
        return !self[range].contains { $0.isASCIIWhitespace }
    }
}
