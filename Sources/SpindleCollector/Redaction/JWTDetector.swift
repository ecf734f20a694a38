/// Finds JSON Web Tokens (RFC 7519) in a string: a JWS compact serialization (RFC 7515
/// §7.1), three base64url segments joined by `.` (five for a JWE, RFC 7516 §7.1), whose
/// first segment decodes to a JSON object with an `"alg"` member.
///
/// The header check keeps look-alikes out: dotted base64url that is not a JOSE header
/// (`eyes.on.you`, version strings, hostnames) is left alone.
enum JWTDetector {
    /// Calls `found` with the range of each JWT in `bytes`.
    static func scan(_ bytes: UnsafeRawBufferPointer, from start: Int, _ found: (Range<Int>) -> Void) {
        var index = start
        while index + 1 < bytes.count {
            guard bytes[index] == UInt8(ascii: "e"), bytes[index + 1] == UInt8(ascii: "y"),
                index == 0 || !(bytes[index - 1].isBase64URLCharacter || bytes[index - 1] == UInt8(ascii: "."))
            else {
                index += 1
                continue
            }
            // Segments are counted, not collected: only the first two are looked at.
            var header = index..<index
            var payloadCount = 0
            var segmentCount = 0
            var position = index
            while true {
                var end = position
                while end < bytes.count, bytes[end].isBase64URLCharacter { end += 1 }
                if segmentCount == 0 { header = position..<end } else if segmentCount == 1 { payloadCount = end - position }
                segmentCount += 1
                guard end < bytes.count, bytes[end] == UInt8(ascii: "."), segmentCount < 5 else {
                    position = end
                    break
                }
                position = end + 1
            }
            if segmentCount == 3 || segmentCount == 5, payloadCount >= 2, isJOSEHeader(bytes, header) {
                found(index..<position)
            }
            index = max(position, index + 2)
        }
    }

    /// The segment is base64url of a JSON object that has an `"alg"` member.
    private static func isJOSEHeader(_ bytes: UnsafeRawBufferPointer, _ segment: Range<Int>) -> Bool {
        guard segment.count >= 12, let header = Base64.decode(bytes, segment, alphabet: .url, limit: 2048) else { return false }
        guard let first = header.firstIndex(where: { !$0.isASCIIWhitespace }), header[first] == UInt8(ascii: "{"),
            let last = header.lastIndex(where: { !$0.isASCIIWhitespace }), header[last] == UInt8(ascii: "}")
        else { return false }
        let alg: [UInt8] = Array("\"alg\"".utf8)
        guard header.count >= alg.count else { return false }
        for start in first...(header.count - alg.count) where header[start..<(start + alg.count)].elementsEqual(alg) {
            return true
        }
        return false
    }
}
