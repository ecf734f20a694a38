#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Hummingbird
import SpindleModel
import SpindleStorage

/// A request the query APIs refuse: the HTTP status and a message that names the
/// parameter and what is wrong with it. Each API renders it in its own error shape.
struct APIError: Error, Sendable, Equatable {
    var status: HTTPResponse.Status
    var message: String

    static func badParameter(_ name: String, _ problem: String) -> APIError {
        APIError(status: .badRequest, message: "parameter \(name): \(problem)")
    }

    static func notFound(_ message: String) -> APIError {
        APIError(status: .notFound, message: message)
    }
}

/// Reads a request's query parameters, each helper naming the parameter in its error.
/// Parameters are untrusted text: every parser is total and bounded.
struct QueryParameters: Sendable {
    private let values: [String: [String]]

    init(_ request: Request) {
        self.init(query: request.uri.query ?? "")
    }

    /// Parses a raw query string as HTML forms and Go's `url.ParseQuery` do: `&`-separated
    /// pairs, `+` for a space, `%XX` escapes. A malformed escape is kept as written.
    init(query: String) {
        var values: [String: [String]] = [:]
        for pair in query.utf8.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let equals = pair.firstIndex(of: UInt8(ascii: "="))
            let key = PercentDecoding.decode(pair[..<(equals ?? pair.endIndex)], plusAsSpace: true)
            let value = equals.map { PercentDecoding.decode(pair[pair.index(after: $0)...], plusAsSpace: true) } ?? ""
            values[key, default: []].append(value)
        }
        self.values = values
    }

    init(_ values: [String: String]) {
        self.values = values.mapValues { [$0] }
    }

    /// The parameter's text, nil when absent or empty. The first occurrence wins, as Go's
    /// `url.Values.Get` does.
    subscript(_ name: String) -> String? {
        guard let value = values[name]?.first, !value.isEmpty else { return nil }
        return value
    }

    /// Every non-empty occurrence of a repeated parameter, in order.
    func all(_ name: String) -> [String] {
        (values[name] ?? []).filter { !$0.isEmpty }
    }

    /// A non-negative integer bounded by `maximum`.
    func count(_ name: String, default defaultValue: Int, maximum: Int) throws(APIError) -> Int {
        guard let text = self[name] else { return defaultValue }
        guard let value = Int(text), value >= 0 else {
            throw .badParameter(name, "expected a non-negative integer, got \(Self.quoted(text))")
        }
        guard value <= maximum else {
            throw .badParameter(name, "\(value) is more than the maximum of \(maximum)")
        }
        return value
    }

    /// Unix seconds (Tempo's `start`/`end`), as nanoseconds.
    func unixSeconds(_ name: String) throws(APIError) -> UInt64? {
        guard let text = self[name] else { return nil }
        guard let seconds = UInt64(text) else {
            throw .badParameter(name, "expected Unix seconds, got \(Self.quoted(text))")
        }
        let (nanos, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { throw .badParameter(name, "\(text) is out of range") }
        return nanos
    }

    /// A time as Unix seconds, milliseconds, microseconds or nanoseconds (told apart by
    /// magnitude, as Tempo's metrics API does) or RFC 3339, as nanoseconds.
    func flexibleTime(_ name: String) throws(APIError) -> UInt64? {
        guard let text = self[name] else { return nil }
        if let number = UInt64(text) {
            let scale: UInt64
            switch number {
            case ..<100_000_000_000: scale = 1_000_000_000
            case ..<100_000_000_000_000: scale = 1_000_000
            case ..<100_000_000_000_000_000: scale = 1_000
            default: scale = 1
            }
            let (nanos, overflow) = number.multipliedReportingOverflow(by: scale)
            guard !overflow else { throw .badParameter(name, "\(text) is past the year 2554, the last a Unix nanosecond count holds") }
            return nanos
        }
        if let nanos = RFC3339.parse(text) { return nanos }
        throw .badParameter(name, "expected Unix seconds or nanoseconds or an RFC 3339 time, got \(Self.quoted(text))")
    }

    /// A Go duration (`1h30m`, `100ms`, `1.5s`, `250us`), as nanoseconds.
    func duration(_ name: String) throws(APIError) -> UInt64? {
        guard let text = self[name] else { return nil }
        guard let nanos = GoDuration.parse(text) else {
            throw .badParameter(name, "expected a duration such as 100ms, 1.5s or 1h30m, got \(Self.quoted(text))")
        }
        return nanos
    }

    /// A trace ID of 1 to 32 hexadecimal digits (shorter ones are left-padded, as Jaeger
    /// and Tempo accept 64-bit IDs).
    static func traceID(_ text: String, parameter: String = "trace ID") throws(APIError) -> TraceID {
        guard !text.isEmpty, text.utf8.count <= 32, text.utf8.allSatisfy(Self.isHexDigit) else {
            throw .badParameter(parameter, "expected 1 to 32 hexadecimal digits, got \(quoted(text))")
        }
        let padded = String(repeating: "0", count: 32 - text.utf8.count) + text
        guard let id = TraceID(hex: padded), id.isValid else {
            throw .badParameter(parameter, "the all-zero trace ID is not valid")
        }
        return id
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x46) || (byte >= 0x61 && byte <= 0x66)
    }

    /// `text` in quotes for an error message, cut short when long.
    static func quoted(_ text: String) -> String {
        let shown = text.count > 64 ? String(text.prefix(64)) + "…" : text
        return "\"" + shown + "\""
    }
}

/// Go's `time.ParseDuration` syntax: a sequence of decimal numbers, each with an optional
/// fraction and a unit (`ns`, `us`, `µs`, `ms`, `s`, `m`, `h`), such as `1h30m` or `1.5s`.
/// Durations are not negative here.
enum GoDuration {
    static func parse(_ text: String) -> UInt64? {
        if text == "0" { return 0 }
        let scalars = Array(text.unicodeScalars)
        guard !scalars.isEmpty, scalars.count <= 64 else { return nil }
        var index = 0
        var total: Double = 0
        while index < scalars.count {
            var whole: Double = 0
            var fraction: Double = 0
            var scale: Double = 1
            var digits = 0
            while index < scalars.count, scalars[index].value >= 0x30, scalars[index].value <= 0x39 {
                whole = whole * 10 + Double(scalars[index].value - 0x30)
                digits += 1
                index += 1
            }
            if index < scalars.count, scalars[index] == "." {
                index += 1
                while index < scalars.count, scalars[index].value >= 0x30, scalars[index].value <= 0x39 {
                    scale /= 10
                    fraction += Double(scalars[index].value - 0x30) * scale
                    digits += 1
                    index += 1
                }
            }
            guard digits > 0 else { return nil }
            var unit = ""
            while index < scalars.count, !(scalars[index].value >= 0x30 && scalars[index].value <= 0x39), scalars[index] != "." {
                unit.unicodeScalars.append(scalars[index])
                index += 1
            }
            let nanosPerUnit: Double
            switch unit {
            case "ns": nanosPerUnit = 1
            case "us", "µs", "μs": nanosPerUnit = 1_000
            case "ms": nanosPerUnit = 1_000_000
            case "s": nanosPerUnit = 1_000_000_000
            case "m": nanosPerUnit = 60_000_000_000
            case "h": nanosPerUnit = 3_600_000_000_000
            default: return nil
            }
            total += (whole + fraction) * nanosPerUnit
        }
        guard total < Double(UInt64.max / 2) else { return nil }
        return UInt64(total.rounded())
    }
}

/// RFC 3339 times (`2024-05-01T12:00:00Z`, `2024-05-01T12:00:00.123456789+02:00`), as
/// Unix nanoseconds.
enum RFC3339 {
    static func parse(_ text: String) -> UInt64? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes.count <= 40 else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                let byte = bytes[index]
                guard byte >= 0x30, byte <= 0x39 else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            return value
        }
        guard let year = number(0..<4), bytes[4] == 0x2D, let month = number(5..<7), bytes[7] == 0x2D,
              let day = number(8..<10), bytes[10] == 0x54 || bytes[10] == 0x74,
              let hour = number(11..<13), bytes[13] == 0x3A, let minute = number(14..<16), bytes[16] == 0x3A,
              let second = number(17..<19),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61, year >= 1970
        else { return nil }
        var index = 19
        var nanos = 0
        if index < bytes.count, bytes[index] == 0x2E {
            index += 1
            var scale = 100_000_000
            let start = index
            while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
                nanos += Int(bytes[index] - 0x30) * scale
                scale /= 10
                index += 1
            }
            guard index > start, index - start <= 9 else { return nil }
        }
        guard index < bytes.count else { return nil }
        var offsetSeconds = 0
        switch bytes[index] {
        case 0x5A, 0x7A:
            guard index + 1 == bytes.count else { return nil }
        case 0x2B, 0x2D:
            guard index + 6 == bytes.count, let hours = number(index + 1..<index + 3), bytes[index + 3] == 0x3A,
                  let minutes = number(index + 4..<index + 6), hours < 24, minutes < 60
            else { return nil }
            offsetSeconds = (hours * 3600 + minutes * 60) * (bytes[index] == 0x2B ? 1 : -1)
        default:
            return nil
        }
        // Days from the civil date (Howard Hinnant's algorithm).
        let y = month <= 2 ? year - 1 : year
        let era = y / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        // Years up to 9999 are about 2.5e11 seconds: the product fits, but not in
        // nanoseconds since 1970 past the year 2554.
        guard seconds >= 0 else { return nil }
        let (scaled, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        let (total, carry) = scaled.addingReportingOverflow(UInt64(nanos))
        return overflow || carry ? nil : total
    }
}

/// The wall clock, for defaults such as "the last hour" when a request names no time.
enum WallClock {
    static func nowUnixNanos() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}
