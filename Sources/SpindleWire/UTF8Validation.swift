/// UTF-8 validation without allocation, as RFC 3629 defines well-formed UTF-8
/// (no overlong forms, no surrogates, nothing above U+10FFFF).
public enum UTF8Validation {
    /// True when `bytes` is well-formed UTF-8.
    ///
    /// Hot path: OTLP strings are mostly ASCII, so eight bytes are checked at a time
    /// until a non-ASCII byte appears.
    @inlinable
    public static func isValid(_ bytes: UnsafeRawBufferPointer) -> Bool {
        firstInvalidOffset(bytes) == nil
    }

    /// The offset of the first byte of the first ill-formed sequence, or nil.
    @inlinable @inline(__always)
    public static func firstInvalidOffset(_ bytes: UnsafeRawBufferPointer) -> Int? {
        guard let base = bytes.baseAddress else { return nil }
        let count = bytes.count
        // Hot path: attribute keys and values are short ASCII strings. Check whole
        // words, the last one overlapping, and return without a byte loop.
        if count >= 8 {
            var word: UInt64 = 0
            var offset = 0
            while offset + 8 < count {
                word |= base.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                offset += 8
            }
            word |= base.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
            if word & 0x8080_8080_8080_8080 == 0 { return nil }
        } else {
            var ored: UInt8 = 0
            for offset in 0..<count { ored |= base.load(fromByteOffset: offset, as: UInt8.self) }
            if ored < 0x80 { return nil }
        }
        return firstInvalidOffsetSlow(base, count)
    }

    /// The full RFC 3629 check, for strings that are not all ASCII.
    @usableFromInline
    static func firstInvalidOffsetSlow(_ base: UnsafeRawPointer, _ count: Int) -> Int? {
        var index = 0
        while index < count {
            // ASCII fast path, a word at a time.
            while index + 8 <= count,
                  base.loadUnaligned(fromByteOffset: index, as: UInt64.self) & 0x8080_8080_8080_8080 == 0
            {
                index += 8
            }
            if index >= count { break }
            let lead = base.load(fromByteOffset: index, as: UInt8.self)
            if lead < 0x80 {
                index += 1
                continue
            }
            let length: Int
            var lower: UInt8 = 0x80
            var upper: UInt8 = 0xBF
            switch lead {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; lower = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; upper = 0x9F
            case 0xF0: length = 4; lower = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; upper = 0x8F
            default: return index
            }
            guard index + length <= count else { return index }
            let second = base.load(fromByteOffset: index + 1, as: UInt8.self)
            guard second >= lower, second <= upper else { return index }
            var next = index + 2
            while next < index + length {
                let byte = base.load(fromByteOffset: next, as: UInt8.self)
                guard byte & 0xC0 == 0x80 else { return index }
                next += 1
            }
            index += length
        }
        return nil
    }
}
