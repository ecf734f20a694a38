import SpindleCollector

/// Reading what a collector answered, for the router's logs and errors. Total: any bytes
/// give some text, never a crash, and the text is short.
enum CollectorReply {
    /// The most characters of a collector's message the router repeats.
    static let maxMessageCharacters = 300

    /// The message of an OTLP/HTTP error body: a protobuf `google.rpc.Status`'s
    /// `message` (field 2), or, for a body that is not one (a proxy's error page), its
    /// text if it is printable; cut to ``maxMessageCharacters``.
    static func message(from body: [UInt8]) -> String {
        if let message = statusMessage(body) { return shortened(message) }
        let text = String(decoding: body, as: UTF8.self)
        let printable = text.unicodeScalars.allSatisfy { $0 == "\n" || $0 == "\r" || $0 == "\t" || ($0.value >= 0x20 && $0 != "\u{FFFD}") }
        return printable ? shortened(text) : "(\(body.count) bytes that are not text)"
    }

    static func shortened(_ text: String) -> String {
        let flat = text.split(whereSeparator: \.isNewline).joined(separator: " ")
        guard flat.count > maxMessageCharacters else { return flat }
        return flat.prefix(maxMessageCharacters) + "…"
    }

    /// Field 2 of a `google.rpc.Status`; nil unless the whole body reads as one (fields
    /// 1 code, 2 message, 3 details), with a non-empty message.
    private static func statusMessage(_ bytes: [UInt8]) -> String? {
        guard let message = GoogleRPCStatus.decode(protobuf: bytes)?.message, !message.isEmpty else { return nil }
        return message
    }
}
