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
        var position = 0
        var message: String?
        func varint() -> UInt64? {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while position < bytes.count, shift < 64 {
                let byte = bytes[position]
                position += 1
                value |= UInt64(byte & 0x7F) << shift
                if byte & 0x80 == 0 { return value }
                shift += 7
            }
            return nil
        }
        while position < bytes.count {
            guard let tag = varint() else { return nil }
            switch tag {
            case 1 << 3 | 0:
                guard varint() != nil else { return nil }
            case 2 << 3 | 2, 3 << 3 | 2:
                guard let length = varint(), length <= UInt64(bytes.count - position) else { return nil }
                let end = position + Int(length)
                if tag == 2 << 3 | 2 {
                    message = String(decoding: bytes[position..<end], as: UTF8.self)
                }
                position = end
            default:
                return nil
            }
        }
        return message.flatMap { $0.isEmpty ? nil : $0 }
    }
}
