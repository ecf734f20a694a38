import SpindleModel

/// Percent-encoding (RFC 3986 `pct-encoded`) for header values: W3C `baggage` values and
/// Jaeger's `uberctx-*` and URL-encoded `uber-trace-id` values.
enum PropagationPercentEncoding {
    /// Decodes each `%XX` (hex of either case) to its octet and reads the result as UTF-8,
    /// replacing ill-formed sequences with U+FFFD as the W3C Baggage specification requires.
    /// A `%` not followed by two hex digits stays as it is.
    static func decode(_ bytes: ArraySlice<UInt8>) -> String {
        guard bytes.contains(PropagationText.percent) else { return PropagationText.string(bytes) }
        return PercentDecoding.decode(bytes, plusAsSpace: false)
    }

    /// Encodes every octet of `text`'s UTF-8 for which `keep` is false as `%XX` (uppercase hex).
    static func encode(_ text: String, keeping keep: (UInt8) -> Bool) -> String {
        guard !text.utf8.allSatisfy(keep) else { return text }
        var out = [UInt8]()
        out.reserveCapacity(text.utf8.count + 8)
        for byte in text.utf8 {
            if keep(byte) {
                out.append(byte)
            } else {
                out.append(PropagationText.percent)
                out.append(upperHexDigits[Int(byte >> 4)])
                out.append(upperHexDigits[Int(byte & 0xF)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static let upperHexDigits: [UInt8] = Array("0123456789ABCDEF".utf8)
}
