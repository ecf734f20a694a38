/// Finds the password of a URL's userinfo, `scheme://user:password@host` (RFC 3986
/// §3.2.1, which deprecates it): the password is redacted, the user and host kept.
///
/// A password that is already `REDACTED` (what OpenTelemetry's `url.full` convention
/// writes) or a mask is left alone.
enum URLCredentialDetector {
    /// Calls `found` with the range of each URL password in `bytes`.
    static func scan(_ bytes: UnsafeRawBufferPointer, from start: Int, _ found: (Range<Int>) -> Void) {
        var index = start
        while index + 3 <= bytes.count {
            guard bytes[index] == UInt8(ascii: ":"), bytes[index + 1] == UInt8(ascii: "/"), bytes[index + 2] == UInt8(ascii: "/") else {
                index += 1
                continue
            }
            let authorityStart = index + 3
            var authorityEnd = authorityStart
            var lastAt: Int?
            var firstColon: Int?
            while authorityEnd < bytes.count, !endsAuthority(bytes[authorityEnd]) {
                if bytes[authorityEnd] == UInt8(ascii: "@") { lastAt = authorityEnd }
                authorityEnd += 1
            }
            if let lastAt {
                for position in authorityStart..<lastAt where bytes[position] == UInt8(ascii: ":") {
                    firstColon = position
                    break
                }
                if let firstColon {
                    let password = (firstColon + 1)..<lastAt
                    if !password.isEmpty, !bytes.isAlreadyRedacted(password) { found(password) }
                }
            }
            index = authorityEnd
        }
    }

    @inline(__always)
    private static func endsAuthority(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "/") || byte == UInt8(ascii: "?") || byte == UInt8(ascii: "#") || byte.isASCIIWhitespace
            || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") || byte == UInt8(ascii: "<") || byte == UInt8(ascii: ">")
    }
}
