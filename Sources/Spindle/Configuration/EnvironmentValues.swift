import SpindleModel

/// Parsers for OpenTelemetry environment variable values (OpenTelemetry specification,
/// "Environment Variable Specification" and "SDK configuration"). Each returns nil for a
/// malformed value; the caller falls back to the default and reports a warning.
enum EnvironmentValues {
    /// A value with surrounding whitespace removed; nil when nothing is left (an empty
    /// variable counts as unset, as the specification requires).
    static func nonEmpty(_ value: String?) -> String? {
        guard let value else { return nil }
        let trimmed = trim(Substring(value))
        return trimmed.isEmpty ? nil : trimmed
    }

    /// A non-negative decimal integer.
    static func nonNegativeInteger(_ value: String) -> Int? {
        guard let number = Int(value), number >= 0 else { return nil }
        return number
    }

    /// `OTEL_RESOURCE_ATTRIBUTES` and `OTEL_EXPORTER_OTLP_HEADERS`: `key=value` pairs
    /// separated by commas, in the W3C Baggage format without properties. Keys and values
    /// are trimmed; values are percent-decoded. Empty members (as in `a=1,,b=2`) are
    /// skipped. Any malformed member (no `=`, empty key, bad percent-escape, escapes that
    /// are not UTF-8) makes the whole value invalid: nil, as the specification asks to
    /// discard it entirely.
    static func keyValueList(_ value: String) -> [(key: String, value: String)]? {
        var pairs: [(key: String, value: String)] = []
        for member in value.split(separator: ",", omittingEmptySubsequences: false) {
            if trim(member).isEmpty { continue }
            guard let equals = member.firstIndex(of: "=") else { return nil }
            let key = trim(member[..<equals])
            guard !key.isEmpty, let decoded = percentDecoded(trim(member[member.index(after: equals)...])) else {
                return nil
            }
            pairs.append((key, decoded))
        }
        return pairs
    }

    /// Decodes `%XX` escapes; nil for a truncated or non-hex escape or invalid UTF-8.
    static func percentDecoded(_ text: String) -> String? {
        guard text.utf8.contains(UInt8(ascii: "%")) else { return text }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(Hex.digitValue),
                  let low = iterator.next().flatMap(Hex.digitValue)
            else { return nil }
            bytes.append(high << 4 | low)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    static func trim(_ text: Substring) -> String {
        String(text.drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }
}
