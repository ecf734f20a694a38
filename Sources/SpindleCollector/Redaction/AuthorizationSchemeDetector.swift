/// Finds the credential of `Bearer <token>` and `Basic <base64>` (RFC 6750 §2.1,
/// RFC 7617 §2), the scheme word in any case, anywhere in a string: the credential is
/// redacted, the scheme word kept.
///
/// Prose must not match: a bearer token must be at least 8 characters of the token68
/// alphabet with both a letter and a digit (`Bearer token expired` is left alone); a
/// Basic credential must be base64 that decodes to printable text holding a `:`
/// (`Basic auth failed` is left alone).
enum AuthorizationSchemeDetector {
    enum Scheme {
        case bearer
        case basic
    }

    /// Calls `found` with the scheme and the credential's range, for each one in `bytes`.
    static func scan(_ bytes: UnsafeRawBufferPointer, _ found: (Scheme, Range<Int>) -> Void) {
        var index = 0
        while index < bytes.count {
            let scheme: Scheme
            let wordLength: Int
            if bytes.hasCaseInsensitivePrefix("bearer", at: index) {
                (scheme, wordLength) = (.bearer, 6)
            } else if bytes.hasCaseInsensitivePrefix("basic", at: index) {
                (scheme, wordLength) = (.basic, 5)
            } else {
                index += 1
                continue
            }
            guard index == 0 || !bytes[index - 1].isASCIIAlphanumeric else {
                index += wordLength
                continue
            }
            var start = index + wordLength
            guard start < bytes.count, bytes[start] == UInt8(ascii: " ") || bytes[start] == UInt8(ascii: "\t") else {
                index = start
                continue
            }
            while start < bytes.count, bytes[start] == UInt8(ascii: " ") || bytes[start] == UInt8(ascii: "\t") { start += 1 }
            var end = start
            while end < bytes.count, isToken68(bytes[end]) { end += 1 }
            while end < bytes.count, bytes[end] == UInt8(ascii: "=") { end += 1 }
            let credential = start..<end
            if !(end < bytes.count && bytes[end].isASCIIAlphanumeric), isCredential(bytes, credential, scheme) {
                found(scheme, credential)
            }
            index = max(end, index + wordLength)
        }
    }

    /// token68 (RFC 7235 §2.1) without its trailing `=`.
    @inline(__always)
    private static func isToken68(_ byte: UInt8) -> Bool {
        byte.isASCIIAlphanumeric || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_")
            || byte == UInt8(ascii: "~") || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "/")
    }

    private static func isCredential(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, _ scheme: Scheme) -> Bool {
        guard !bytes.isAlreadyRedacted(range) else { return false }
        switch scheme {
        case .bearer:
            guard range.count >= 8 else { return false }
            var hasLetter = false
            var hasDigit = false
            for index in range {
                if bytes[index].isASCIIDigit { hasDigit = true } else if bytes[index].isASCIILetter { hasLetter = true }
            }
            return hasLetter && hasDigit
        case .basic:
            guard range.count >= 4, let decoded = Base64.decode(bytes, range, alphabet: .standard), decoded.count >= 3 else { return false }
            return decoded.contains(UInt8(ascii: ":")) && decoded.allSatisfy { $0 >= 0x20 && $0 != 0x7F }
        }
    }
}
