/// The media type of a `Content-Type` value, lowercased, without parameters or
/// surrounding whitespace (`"Application/JSON; charset=utf-8"` → `"application/json"`).
func mediaType(_ contentType: String) -> Substring {
    let essence = contentType.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
    return essence.lowercased().trimmingWhitespace()
}

extension String {
    fileprivate func trimmingWhitespace() -> Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return self[first...last]
    }
}

/// A `Retry-After` header telling the client how many seconds to wait (RFC 9110, 10.2.3).
func retryAfter(_ seconds: Int) -> HTTPHeaderPair {
    HTTPHeaderPair("Retry-After", "\(seconds)")
}

func plainText(_ status: Int, _ message: String, headers: [HTTPHeaderPair] = []) -> ReceiverResponse {
    ReceiverResponse(status: status, headers: [HTTPHeaderPair("Content-Type", "text/plain; charset=utf-8")] + headers, body: Array((message + "\n").utf8))
}
