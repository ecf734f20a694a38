/// `%XX` escapes in URLs. Malformed escapes are kept as written; bytes that are not UTF-8
/// become U+FFFD.
package enum PercentDecoding {
    /// With `plusAsSpace`, `+` is a space, as in query strings (HTML forms, Go's
    /// `url.ParseQuery`); in a path it is itself.
    package static func decode<Bytes: Collection<UInt8>>(_ bytes: Bytes, plusAsSpace: Bool) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            index = bytes.index(after: index)
            if byte == UInt8(ascii: "+"), plusAsSpace {
                out.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%"), index < bytes.endIndex, bytes.index(after: index) < bytes.endIndex,
                      let high = Hex.digitValue(bytes[index]), let low = Hex.digitValue(bytes[bytes.index(after: index)]) {
                out.append(high << 4 | low)
                index = bytes.index(index, offsetBy: 2)
            } else {
                out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A path segment as a router hands it over (the raw text between slashes, so an
    /// encoded `/` stays in its segment), with its escapes decoded.
    package static func pathSegment(_ text: String) -> String {
        guard text.utf8.contains(UInt8(ascii: "%")) else { return text }
        return decode(text.utf8, plusAsSpace: false)
    }
}
