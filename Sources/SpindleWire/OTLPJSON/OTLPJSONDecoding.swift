import SpindleModel

/// OTLP JSON values to model values, for the messages decoded from a ``JSONValue`` tree:
/// `ExportTraceServiceResponse`. Requests, the hot path, are read without a tree by
/// ``OTLPJSONRequestDecoder``, which shares the enum names below.
///
/// Each function reports errors with a field path relative to the value it was given; the
/// caller prepends its own field with ``WireError/within(_:index:)``, so paths cost
/// nothing unless something fails. Paths use the lowerCamelCase names whichever spelling
/// the input used.
enum OTLPJSONDecoding {
    // MARK: Messages

    static func response(_ root: JSONValue) throws(WireError) -> ExportTraceResponse {
        var response = ExportTraceResponse()
        for member in try members(root) {
            switch member.key {
            case "partialSuccess", "partial_success":
                response = try nested(member.value, "partialSuccess", partialSuccess) ?? ExportTraceResponse()
            default:
                continue
            }
        }
        return response
    }

    private static func partialSuccess(_ value: JSONValue) throws(WireError) -> ExportTraceResponse {
        var response = ExportTraceResponse()
        for member in try members(value) {
            switch member.key {
            case "rejectedSpans", "rejected_spans": response.rejectedSpans = try int64(member.value, "rejectedSpans")
            case "errorMessage", "error_message": response.errorMessage = try string(member.value, "errorMessage")
            default: continue
            }
        }
        return response
    }

    // MARK: Structure

    /// The members of a message, which must be an object.
    private static func members(_ value: JSONValue) throws(WireError) -> [JSONMember] {
        guard case .object(let members) = value.kind else {
            throw WireError(.invalidValue, field: "", offset: value.offset, "expected an object, found \(value.kindDescription)")
        }
        return members
    }

    /// A nested message field: nil for `null`, otherwise decoded with errors under `field`.
    private static func nested<T>(
        _ value: JSONValue,
        _ field: String,
        _ decode: (JSONValue) throws(WireError) -> T
    ) throws(WireError) -> T? {
        if value.isNull { return nil }
        do {
            return try decode(value)
        } catch {
            throw error.within(field)
        }
    }

    // MARK: Scalars

    private static func string(_ value: JSONValue, _ field: String) throws(WireError) -> String {
        switch value.kind {
        case .string(let string): return string
        case .null: return ""
        default: throw wrongType(value, field, expected: "a string")
        }
    }

    private static func int64(_ value: JSONValue, _ field: String) throws(WireError) -> Int64 {
        if value.isNull { return 0 }
        guard let number = value.int64Value else {
            throw outOfRange(value, field, expected: "a signed 64-bit integer (a number or a decimal string)")
        }
        return number
    }

    static let spanKindNames: [String: Int32] = [
        "SPAN_KIND_UNSPECIFIED": 0, "SPAN_KIND_INTERNAL": 1, "SPAN_KIND_SERVER": 2,
        "SPAN_KIND_CLIENT": 3, "SPAN_KIND_PRODUCER": 4, "SPAN_KIND_CONSUMER": 5,
    ]

    static let statusCodeNames: [String: Int32] = [
        "STATUS_CODE_UNSET": 0, "STATUS_CODE_OK": 1, "STATUS_CODE_ERROR": 2,
    ]

    // MARK: Errors

    private static func wrongType(_ value: JSONValue, _ field: String, expected: String) -> WireError {
        WireError(.invalidValue, field: field, offset: value.offset, "expected \(expected), found \(value.kindDescription)")
    }

    private static func outOfRange(_ value: JSONValue, _ field: String, expected: String) -> WireError {
        switch value.kind {
        case .number(let text), .string(let text):
            let shown = text.count > 40 ? String(text.prefix(40)) + "…" : text
            return WireError(.invalidValue, field: field, offset: value.offset, "expected \(expected), found \(value.kindDescription) \"\(shown)\"")
        default:
            return wrongType(value, field, expected: expected)
        }
    }
}
