/// What one pass over a string learns about it, so that each value detector runs only on
/// strings that could hold what it looks for, and starts where its candidates start.
///
/// Hot path: every string value, span name and status message of every batch is
/// summarized. The string is read in place, eight bytes at a time: digits are counted
/// with bit arithmetic, and only the bytes a detector starts from (`@ = : space y`) are
/// looked at one by one. A typical HTTP span's strings (methods, routes, status texts)
/// fail every condition, so no detector runs at all.
struct StringSummary {
    /// Digits in the string: a card number needs at least 13.
    var digits = 0
    /// The first `@`: an email address, or a URL's `user:password@`.
    var firstAt: Int?
    /// The first `=`: a `name=value` parameter.
    var firstEquals: Int?
    /// Where the first `://` starts: a URL.
    var firstSchemeSeparator: Int?
    /// Where the first `ey` starts, how a JWT's header (base64url of `{"`) begins.
    var firstEY: Int?
    /// A space after `r` or `c`, as in `Bearer ` and `Basic `.
    var hasSchemeWordEnd = false

    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highBits: UInt64 = 0x8080_8080_8080_8080

    init(_ bytes: UnsafeRawBufferPointer) {
        let count = bytes.count
        var index = 0
        while index + 8 <= count {
            let word = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self))
            // The mask has one bit per digit byte: shifted down to the bytes' low bits, a
            // multiplication sums them into the top byte (no popcount instruction needed).
            digits += Int(truncatingIfNeeded: ((Self.digitMask(word) >> 7) &* Self.ones) >> 56)
            // Flags every byte that is one of the five (and, rarely, a byte above one).
            var flagged = Self.zeroBytes(word ^ (Self.ones &* UInt64(UInt8(ascii: "@"))))
                | Self.zeroBytes(word ^ (Self.ones &* UInt64(UInt8(ascii: "="))))
                | Self.zeroBytes(word ^ (Self.ones &* UInt64(UInt8(ascii: ":"))))
                | Self.zeroBytes(word ^ (Self.ones &* UInt64(UInt8(ascii: " "))))
                | Self.zeroBytes(word ^ (Self.ones &* UInt64(UInt8(ascii: "y"))))
            while flagged != 0 {
                examine(bytes, index + flagged.trailingZeroBitCount / 8)
                flagged &= flagged &- 1
            }
            index += 8
        }
        while index < count {
            if bytes[index] &- UInt8(ascii: "0") < 10 { digits += 1 }
            examine(bytes, index)
            index += 1
        }
    }

    /// The high bit of each byte of `word` that is an ASCII digit.
    @inline(__always)
    private static func digitMask(_ word: UInt64) -> UInt64 {
        // Per byte, on its low 7 bits (no carry can cross into the next byte): the high
        // bit of `+ 0x50` says ">= 0x30", of `+ 0x46` says ">= 0x3A".
        let low = word & ~highBits
        return (low &+ ones &* 0x50) & ~(low &+ ones &* 0x46) & ~word & highBits
    }

    /// The high bit of each zero byte of `word` is set; bytes above a zero byte may be set
    /// too (a borrow), never a nonzero byte below the lowest zero byte.
    @inline(__always)
    private static func zeroBytes(_ word: UInt64) -> UInt64 {
        (word &- ones) & ~word & highBits
    }

    private mutating func examine(_ bytes: UnsafeRawBufferPointer, _ index: Int) {
        switch bytes[index] {
        case UInt8(ascii: "@"):
            if firstAt == nil { firstAt = index }
        case UInt8(ascii: "="):
            if firstEquals == nil { firstEquals = index }
        case UInt8(ascii: ":"):
            if firstSchemeSeparator == nil, index + 2 < bytes.count, bytes[index + 1] == UInt8(ascii: "/"), bytes[index + 2] == UInt8(ascii: "/") {
                firstSchemeSeparator = index
            }
        case UInt8(ascii: " "):
            if index >= 1 {
                let letter = bytes[index - 1] | 0x20
                if letter == UInt8(ascii: "r") || letter == UInt8(ascii: "c") { hasSchemeWordEnd = true }
            }
        case UInt8(ascii: "y"):
            if firstEY == nil, index >= 1, bytes[index - 1] == UInt8(ascii: "e") { firstEY = index - 1 }
        default:
            break
        }
    }
}
