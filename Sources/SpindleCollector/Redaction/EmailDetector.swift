/// Finds email addresses in a string: `local@domain`, where the local part is letters,
/// digits and `. _ % + -`, and the domain has at least two labels and ends in a
/// top-level domain of two or more letters (RFC 5321 §4.1.2, the common subset).
///
/// Left alone: `@mentions` and `user@` (no local part or no domain), `user@localhost`
/// and `pkg@1.2.3` (no top-level domain), `icon@2x.png` (a file name), the userinfo of
/// a URL (`https://bob@example.com/`, `https://REDACTED:REDACTED@example.com/`) and
/// `user@host:path` (an scp-style location).
enum EmailDetector {
    /// File extensions that look like top-level domains after an `@` in asset names.
    private static let fileExtensions: Set<[UInt8]> = Set(
        ["png", "jpg", "jpeg", "gif", "svg", "webp", "ico", "js", "css", "map", "json", "txt", "html", "htm", "pdf"].map { Array($0.utf8) }
    )

    /// Calls `found` with the range of each email address in `bytes`.
    static func scan(_ bytes: UnsafeRawBufferPointer, from start: Int, _ found: (Range<Int>) -> Void) {
        var at = start
        while at < bytes.count {
            guard bytes[at] == UInt8(ascii: "@") else {
                at += 1
                continue
            }
            if let address = address(around: at, in: bytes) {
                found(address)
                at = address.upperBound
            } else {
                at += 1
            }
        }
    }

    private static func address(around at: Int, in bytes: UnsafeRawBufferPointer) -> Range<Int>? {
        var start = at
        while start > 0, isLocalCharacter(bytes[start - 1]) { start -= 1 }
        while start < at, bytes[start] == UInt8(ascii: ".") { start += 1 }
        guard start < at, bytes[at - 1] != UInt8(ascii: ".") else { return nil }
        if isURLUserinfo(bytes, endingAt: start) { return nil }

        var end = at + 1
        var labelStart = end
        var labels = 0
        var lastLabel = end..<end
        while true {
            var labelEnd = labelStart
            while labelEnd < bytes.count, bytes[labelEnd].isASCIIAlphanumeric || bytes[labelEnd] == UInt8(ascii: "-") { labelEnd += 1 }
            guard labelEnd > labelStart, bytes[labelStart] != UInt8(ascii: "-"), bytes[labelEnd - 1] != UInt8(ascii: "-") else { break }
            labels += 1
            lastLabel = labelStart..<labelEnd
            end = labelEnd
            guard labelEnd + 1 < bytes.count, bytes[labelEnd] == UInt8(ascii: "."), bytes[labelEnd + 1].isASCIIAlphanumeric else { break }
            labelStart = labelEnd + 1
        }
        guard labels >= 2, lastLabel.count >= 2, bytes[lastLabel].allSatisfy(\.isASCIILetter) else { return nil }
        guard !fileExtensions.contains(bytes[lastLabel].map(\.asciiLowercased)) else { return nil }
        if end < bytes.count {
            let next = bytes[end]
            if next == UInt8(ascii: "_") || next == UInt8(ascii: "@") || next >= 0x80 { return nil }
            // `user@host:path` and `user@host:port`.
            if next == UInt8(ascii: ":"), end + 1 < bytes.count, !bytes[end + 1].isASCIIWhitespace { return nil }
        }
        return start..<end
    }

    /// True when the text before `start` makes what follows a URL's userinfo:
    /// `scheme://user@host` or `scheme://user:password@host`, whose password
    /// ``URLCredentialDetector`` handles.
    private static func isURLUserinfo(_ bytes: UnsafeRawBufferPointer, endingAt start: Int) -> Bool {
        var position = start
        if position >= 1, bytes[position - 1] == UInt8(ascii: ":") {
            position -= 1
            while position > 0, !(bytes[position - 1] == UInt8(ascii: "/") || bytes[position - 1] == UInt8(ascii: "@") || bytes[position - 1].isASCIIWhitespace) {
                position -= 1
            }
        }
        return position >= 2 && bytes[position - 1] == UInt8(ascii: "/") && bytes[position - 2] == UInt8(ascii: "/")
    }

    @inline(__always)
    private static func isLocalCharacter(_ byte: UInt8) -> Bool {
        byte.isASCIIAlphanumeric || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "%")
            || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-")
    }
}
