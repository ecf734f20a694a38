import SpindleModel
import SpindleStorage
import SpindleWire

/// One `key=value` condition of a Jaeger tag search.
struct JaegerTag: Hashable, Sendable {
    var key: String
    var value: String
}

/// A trace search as Jaeger's query APIs ask for it (`/api/traces`, `/api/v3/traces`),
/// checked and converted to Spindle's units. Parsing is total: any text either gives a
/// request or an ``APIError`` (400) that names the parameter.
///
/// Choices where Jaeger is silent or loose, kept the same by both APIs:
/// - `limit` (`query.num_traces`): 20 when absent or 0; above ``maxLimit`` it is capped
///   silently (as Jaeger's UI caps its own form); negative or non-numeric is a 400.
/// - The time range is inclusive at both ends to the unit of the parameter (µs for
///   `/api/traces`, ns for v3); an end before the start is an empty range, which finds
///   nothing. Times before the Unix epoch count as the epoch.
/// - Durations are Go durations (`1.2s`, `100ms`, `1h`, `500us`, `1m30s`), not negative.
struct JaegerSearchRequest: Hashable, Sendable {
    var service: String?
    var operation: String?
    /// All must hold on one span (or its resource), Jaeger's semantics.
    var tags: [JaegerTag]
    var timeRange: TimeRange
    /// Inclusive bounds on a matching span's duration, nanoseconds.
    var minDuration: UInt64?
    var maxDuration: UInt64?
    var limit: Int

    static let defaultLimit = 20
    static let maxLimit = 1_500
    /// How far back `/api/traces` looks when it names neither `start` nor `lookback`:
    /// Jaeger's two days.
    static let defaultLookback: UInt64 = 2 * 86_400 * 1_000_000_000
    /// The longest `tags` or `query.attributes` text accepted.
    static let maxTagsLength = 16 << 10

    /// True when no span can start in the range.
    var isEmptyRange: Bool { timeRange.start >= timeRange.end }

    // MARK: - /api/traces

    /// `service`, `operation`, `tags` (a JSON object, or the older logfmt `k=v k2="v 2"`),
    /// repeated `tag=key:value`, `start`/`end` (Unix µs; `end` defaults to `now`, `start`
    /// to `end` minus `lookback`, itself a Go duration or whole days such as `2d`,
    /// default two days), `minDuration`, `maxDuration`, `limit`. `service` is not checked
    /// here: a search by `traceID` needs none.
    static func v1(_ parameters: QueryParameters, now: UInt64) throws(APIError) -> JaegerSearchRequest {
        let style = JaegerParameterStyle.v1
        let end = try microseconds(parameters, "end", style: style) ?? now
        let start: UInt64
        if let explicit = try microseconds(parameters, "start", style: style) {
            start = explicit
        } else {
            let lookback = try lookbackNanos(parameters["lookback"]) ?? defaultLookback
            start = end >= lookback ? end - lookback : 0
        }
        var tags: [JaegerTag] = []
        for text in parameters.all("tag") {
            guard let colon = text.firstIndex(of: ":") else {
                throw style.error("tag", "expected key:value, got \(QueryParameters.quoted(text))")
            }
            merge(JaegerTag(key: String(text[..<colon]), value: String(text[text.index(after: colon)...])), into: &tags)
        }
        for text in parameters.all("tags") {
            for tag in try parseTags(text, parameter: "tags", style: style, allowLogfmt: true) { merge(tag, into: &tags) }
        }
        let request = JaegerSearchRequest(
            service: parameters["service"],
            operation: parameters["operation"],
            tags: tags,
            timeRange: TimeRange(start: start, end: saturatingAdd(end, 1_000)),
            minDuration: try duration(parameters, "minDuration", style: style),
            maxDuration: try duration(parameters, "maxDuration", style: style),
            limit: try limit(parameters, "limit", style: style)
        )
        try request.checkDurations(min: "minDuration", max: "maxDuration")
        return request
    }

    // MARK: - /api/v3/traces

    /// `query.service_name`, `query.operation_name`, `query.start_time_min` and
    /// `query.start_time_max` (RFC 3339, both required), `query.duration_min`,
    /// `query.duration_max`, `query.num_traces`, `query.attributes` (a JSON object of
    /// strings, as the API v3 IDL documents it).
    static func v3(_ parameters: QueryParameters) throws(APIError) -> JaegerSearchRequest {
        let style = JaegerParameterStyle.v3
        guard let minText = parameters["query.start_time_min"], let maxText = parameters["query.start_time_max"] else {
            throw APIError(status: .badRequest, message: "query.start_time_min and query.start_time_max are required")
        }
        let start = try rfc3339(minText, "query.start_time_min", style: style)
        let end = try rfc3339(maxText, "query.start_time_max", style: style)
        var tags: [JaegerTag] = []
        for text in parameters.all("query.attributes") {
            for tag in try parseTags(text, parameter: "query.attributes", style: style, allowLogfmt: false) { merge(tag, into: &tags) }
        }
        let request = JaegerSearchRequest(
            service: parameters["query.service_name"],
            operation: parameters["query.operation_name"],
            tags: tags,
            timeRange: TimeRange(start: start, end: saturatingAdd(end, 1)),
            minDuration: try duration(parameters, "query.duration_min", style: style),
            maxDuration: try duration(parameters, "query.duration_max", style: style),
            limit: try limit(parameters, "query.num_traces", style: style)
        )
        try request.checkDurations(min: "query.duration_min", max: "query.duration_max")
        return request
    }

    // MARK: - Parameters

    /// Jaeger checks the bounds only when both are non-zero.
    private func checkDurations(min: String, max: String) throws(APIError) {
        if let minDuration, let maxDuration, minDuration != 0, maxDuration != 0, maxDuration < minDuration {
            throw APIError(status: .badRequest, message: "'\(max)' should be greater than '\(min)'")
        }
    }

    /// A later tag with the same key replaces an earlier one, as Jaeger's map does.
    private static func merge(_ tag: JaegerTag, into tags: inout [JaegerTag]) {
        if let index = tags.firstIndex(where: { $0.key == tag.key }) {
            tags[index] = tag
        } else {
            tags.append(tag)
        }
    }

    /// A JSON object of strings (`{"http.status_code":"500","error":"true"}`), or, when
    /// `allowLogfmt` and the text does not start as JSON (`{`, `[`, `"`), logfmt.
    static func parseTags(_ text: String, parameter: String, style: JaegerParameterStyle, allowLogfmt: Bool) throws(APIError) -> [JaegerTag] {
        guard text.utf8.count <= maxTagsLength else {
            throw style.error(parameter, "longer than \(maxTagsLength) bytes")
        }
        let trimmed = text.drop { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        if trimmed.isEmpty { return [] }
        if allowLogfmt, let first = trimmed.first, !"{[\"".contains(first) {
            return try logfmtTags(text, parameter: parameter, style: style)
        }
        let root: JSONValue
        do {
            root = try JSONReader.parse(Array(text.utf8), maxDepth: 2)
        } catch {
            throw style.error(parameter, "expected a JSON object of strings such as {\"error\":\"true\"}: \(error)")
        }
        guard let members = root.objectMembers else {
            throw style.error(parameter, "expected a JSON object of strings such as {\"error\":\"true\"}, got \(root.kindDescription)")
        }
        var tags: [JaegerTag] = []
        for member in members {
            guard let value = member.value.stringValue else {
                throw style.error(parameter, "the value of \(QueryParameters.quoted(member.key)) must be a string, got \(member.value.kindDescription)")
            }
            merge(JaegerTag(key: member.key, value: value), into: &tags)
        }
        return tags
    }

    private static func logfmtTags(_ text: String, parameter: String, style: JaegerParameterStyle) throws(APIError) -> [JaegerTag] {
        // The logfmt reader Tempo's tag search uses; its errors name `tags` already.
        let pairs = try TempoTags.logfmtPairs(text)
        var tags: [JaegerTag] = []
        for (key, value) in pairs {
            guard let value else {
                throw style.error(parameter, "tag \(QueryParameters.quoted(key)) has no value; write key=value")
            }
            merge(JaegerTag(key: key, value: value), into: &tags)
        }
        return tags
    }

    /// Unix microseconds as nanoseconds; nil when absent.
    static func microseconds(_ parameters: QueryParameters, _ name: String, style: JaegerParameterStyle) throws(APIError) -> UInt64? {
        guard let text = parameters[name] else { return nil }
        guard let micros = Int64(text) else {
            throw style.error(name, "expected Unix microseconds, got \(QueryParameters.quoted(text))")
        }
        guard micros > 0 else { return 0 }
        let (nanos, overflow) = UInt64(micros).multipliedReportingOverflow(by: 1_000)
        guard !overflow else { throw style.error(name, "\(text) microseconds is out of range") }
        return nanos
    }

    /// A Go duration, or whole days (`2d`, which Jaeger's UI offers as a lookback).
    static func lookbackNanos(_ text: String?) throws(APIError) -> UInt64? {
        guard let text, text != "custom" else { return nil }
        if text.hasSuffix("d"), let days = UInt64(text.dropLast()) {
            let (nanos, overflow) = days.multipliedReportingOverflow(by: 86_400 * 1_000_000_000)
            if !overflow { return nanos }
        }
        guard let nanos = GoDuration.parse(text) else {
            throw JaegerParameterStyle.v1.error("lookback", "expected a duration such as 1h, 90m or 2d, got \(QueryParameters.quoted(text))")
        }
        return nanos
    }

    static func duration(_ parameters: QueryParameters, _ name: String, style: JaegerParameterStyle) throws(APIError) -> UInt64? {
        guard let text = parameters[name] else { return nil }
        guard let nanos = GoDuration.parse(text) else {
            throw style.error(name, "expected a duration such as 100ms, 1.2s or 1m30s, got \(QueryParameters.quoted(text))")
        }
        return nanos
    }

    static func limit(_ parameters: QueryParameters, _ name: String, style: JaegerParameterStyle) throws(APIError) -> Int {
        guard let text = parameters[name] else { return defaultLimit }
        guard let value = Int(text), value >= 0 else {
            throw style.error(name, "expected a non-negative integer, got \(QueryParameters.quoted(text))")
        }
        return value == 0 ? defaultLimit : min(value, maxLimit)
    }

    static func rfc3339(_ text: String, _ name: String, style: JaegerParameterStyle) throws(APIError) -> UInt64 {
        guard let nanos = RFC3339.parse(text) else {
            throw style.error(name, "expected an RFC 3339 time such as 2024-05-01T12:00:00Z, got \(QueryParameters.quoted(text))")
        }
        return nanos
    }

    static func saturatingAdd(_ value: UInt64, _ amount: UInt64) -> UInt64 {
        let (sum, overflow) = value.addingReportingOverflow(amount)
        return overflow ? .max : sum
    }
}

/// How each Jaeger API words a bad parameter: the internal API as
/// `unable to parse param 'start': …`, API v3 as `malformed parameter query.num_traces: …`.
enum JaegerParameterStyle: Sendable {
    case v1
    case v3

    func error(_ parameter: String, _ problem: String) -> APIError {
        switch self {
        case .v1: APIError(status: .badRequest, message: "unable to parse param '\(parameter)': \(problem)")
        case .v3: APIError(status: .badRequest, message: "malformed parameter \(parameter): \(problem)")
        }
    }
}
