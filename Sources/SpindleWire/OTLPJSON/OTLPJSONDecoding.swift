import SpindleModel

/// OTLP JSON values to model values, one message type per function.
///
/// Each function reports errors with a field path relative to the value it was given; the
/// caller prepends its own field with ``WireError/within(_:index:)``, so paths cost
/// nothing unless something fails. Paths use the lowerCamelCase names whichever spelling
/// the input used.
enum OTLPJSONDecoding {
    // MARK: Messages

    static func request(_ root: JSONValue) throws(WireError) -> [ResourceSpans] {
        var groups: [ResourceSpans] = []
        for member in try members(root) {
            switch member.key {
            case "resourceSpans", "resource_spans":
                groups = try list(member.value, "resourceSpans", resourceSpans)
            default:
                continue
            }
        }
        return groups
    }

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

    private static func resourceSpans(_ value: JSONValue) throws(WireError) -> ResourceSpans {
        var group = ResourceSpans()
        var schemaURL = ""
        for member in try members(value) {
            switch member.key {
            case "resource":
                group.resource = try nested(member.value, "resource", resource) ?? Resource()
            case "scopeSpans", "scope_spans":
                group.scopeSpans = try list(member.value, "scopeSpans", scopeSpans)
            case "schemaUrl", "schema_url":
                schemaURL = try string(member.value, "schemaUrl")
            default:
                continue
            }
        }
        group.resource.schemaURL = schemaURL
        return group
    }

    private static func resource(_ value: JSONValue) throws(WireError) -> Resource {
        var resource = Resource()
        for member in try members(value) {
            switch member.key {
            case "attributes": resource.attributes = try list(member.value, "attributes", keyValue)
            case "droppedAttributesCount", "dropped_attributes_count":
                resource.droppedAttributesCount = try uint32(member.value, "droppedAttributesCount")
            default: continue
            }
        }
        return resource
    }

    private static func scopeSpans(_ value: JSONValue) throws(WireError) -> ScopeSpans {
        var group = ScopeSpans()
        var schemaURL = ""
        for member in try members(value) {
            switch member.key {
            case "scope":
                group.scope = try nested(member.value, "scope", scope) ?? InstrumentationScope()
            case "spans":
                group.spans = try list(member.value, "spans", span)
            case "schemaUrl", "schema_url":
                schemaURL = try string(member.value, "schemaUrl")
            default:
                continue
            }
        }
        group.scope.schemaURL = schemaURL
        return group
    }

    private static func scope(_ value: JSONValue) throws(WireError) -> InstrumentationScope {
        var scope = InstrumentationScope()
        for member in try members(value) {
            switch member.key {
            case "name": scope.name = try string(member.value, "name")
            case "version": scope.version = try string(member.value, "version")
            case "attributes": scope.attributes = try list(member.value, "attributes", keyValue)
            case "droppedAttributesCount", "dropped_attributes_count":
                scope.droppedAttributesCount = try uint32(member.value, "droppedAttributesCount")
            default: continue
            }
        }
        return scope
    }

    private static func span(_ value: JSONValue) throws(WireError) -> SpanRecord {
        var span = SpanRecord(traceID: .zero, spanID: .zero, name: "", kind: .unspecified, startTimeUnixNano: 0, endTimeUnixNano: 0)
        for member in try members(value) {
            let value = member.value
            switch member.key {
            case "traceId", "trace_id": span.traceID = try traceID(value, "traceId")
            case "spanId", "span_id": span.spanID = try spanID(value, "spanId")
            case "traceState", "trace_state": span.traceState = try string(value, "traceState")
            case "parentSpanId", "parent_span_id": span.parentSpanID = try spanID(value, "parentSpanId")
            case "flags": span.flags = try uint32(value, "flags")
            case "name": span.name = try string(value, "name")
            case "kind": span.kind = SpanKind(rawValue: try enumeration(value, "kind", names: spanKindNames))
            case "startTimeUnixNano", "start_time_unix_nano": span.startTimeUnixNano = try uint64(value, "startTimeUnixNano")
            case "endTimeUnixNano", "end_time_unix_nano": span.endTimeUnixNano = try uint64(value, "endTimeUnixNano")
            case "attributes": span.attributes = try list(value, "attributes", keyValue)
            case "droppedAttributesCount", "dropped_attributes_count":
                span.droppedAttributesCount = try uint32(value, "droppedAttributesCount")
            case "events": span.events = try list(value, "events", event)
            case "droppedEventsCount", "dropped_events_count": span.droppedEventsCount = try uint32(value, "droppedEventsCount")
            case "links": span.links = try list(value, "links", link)
            case "droppedLinksCount", "dropped_links_count": span.droppedLinksCount = try uint32(value, "droppedLinksCount")
            case "status": span.status = try nested(value, "status", status) ?? .unset
            default: continue
            }
        }
        return span
    }

    private static func event(_ value: JSONValue) throws(WireError) -> SpanEvent {
        var event = SpanEvent(timeUnixNano: 0, name: "")
        for member in try members(value) {
            switch member.key {
            case "timeUnixNano", "time_unix_nano": event.timeUnixNano = try uint64(member.value, "timeUnixNano")
            case "name": event.name = try string(member.value, "name")
            case "attributes": event.attributes = try list(member.value, "attributes", keyValue)
            case "droppedAttributesCount", "dropped_attributes_count":
                event.droppedAttributesCount = try uint32(member.value, "droppedAttributesCount")
            default: continue
            }
        }
        return event
    }

    private static func link(_ value: JSONValue) throws(WireError) -> SpanLink {
        var link = SpanLink(traceID: .zero, spanID: .zero)
        for member in try members(value) {
            switch member.key {
            case "traceId", "trace_id": link.traceID = try traceID(member.value, "traceId")
            case "spanId", "span_id": link.spanID = try spanID(member.value, "spanId")
            case "traceState", "trace_state": link.traceState = try string(member.value, "traceState")
            case "attributes": link.attributes = try list(member.value, "attributes", keyValue)
            case "droppedAttributesCount", "dropped_attributes_count":
                link.droppedAttributesCount = try uint32(member.value, "droppedAttributesCount")
            case "flags": link.flags = try uint32(member.value, "flags")
            default: continue
            }
        }
        return link
    }

    private static func status(_ value: JSONValue) throws(WireError) -> SpanStatus {
        var status = SpanStatus()
        for member in try members(value) {
            switch member.key {
            case "message": status.message = try string(member.value, "message")
            case "code": status.code = StatusCode(rawValue: try enumeration(member.value, "code", names: statusCodeNames))
            default: continue
            }
        }
        return status
    }

    private static func keyValue(_ value: JSONValue) throws(WireError) -> Attribute {
        var attribute = Attribute("", .empty)
        for member in try members(value) {
            switch member.key {
            case "key":
                attribute.key = try string(member.value, "key")
            case "value":
                do {
                    attribute.value = try anyValue(member.value)
                } catch {
                    throw error.within("value")
                }
            default:
                continue
            }
        }
        return attribute
    }

    /// An `AnyValue`: `null` or `{}` is ``AttributeValue/empty``; a member set to `null`
    /// counts as unset; two set members are an error. Recursion is bounded by the JSON
    /// reader's depth limit.
    private static func anyValue(_ value: JSONValue) throws(WireError) -> AttributeValue {
        if value.isNull { return .empty }
        var result = AttributeValue.empty
        var setBy: String? = nil
        for member in try members(value) {
            let value = member.value
            let field: String
            let decoded: AttributeValue
            switch member.key {
            case "stringValue", "string_value":
                field = "stringValue"
                guard case .string(let string) = value.kind else {
                    if value.isNull { continue }
                    throw wrongType(value, field, expected: "a string")
                }
                decoded = .string(string)
            case "boolValue", "bool_value":
                field = "boolValue"
                guard let bool = value.boolValue else {
                    if value.isNull { continue }
                    throw wrongType(value, field, expected: "true or false")
                }
                decoded = .bool(bool)
            case "intValue", "int_value":
                field = "intValue"
                if value.isNull { continue }
                decoded = .int(try int64(value, field))
            case "doubleValue", "double_value":
                field = "doubleValue"
                if value.isNull { continue }
                guard let double = value.doubleValue else {
                    throw wrongType(value, field, expected: "a number, or \"NaN\", \"Infinity\" or \"-Infinity\"")
                }
                decoded = .double(double)
            case "bytesValue", "bytes_value":
                field = "bytesValue"
                guard case .string(let text) = value.kind else {
                    if value.isNull { continue }
                    throw wrongType(value, field, expected: "a base64 string")
                }
                guard let bytes = Base64.decode(text) else {
                    throw WireError(.invalidValue, field: field, offset: value.offset, "expected base64, found a string that is not")
                }
                decoded = .bytes(bytes)
            case "arrayValue", "array_value":
                field = "arrayValue"
                guard let elements = try nested(value, field, valueList) else { continue }
                decoded = .array(elements)
            case "kvlistValue", "kvlist_value":
                field = "kvlistValue"
                guard let entries = try nested(value, field, keyValueList) else { continue }
                decoded = .keyValueList(entries)
            default:
                continue
            }
            if let setBy, setBy != field {
                throw WireError(.invalidValue, field: field, offset: value.offset, "an AnyValue holds one value, but this one sets both \(setBy) and \(field)")
            }
            setBy = field
            result = decoded
        }
        return result
    }

    /// An `ArrayValue`: `{"values": [AnyValue, ...]}`.
    private static func valueList(_ value: JSONValue) throws(WireError) -> [AttributeValue] {
        var elements: [AttributeValue] = []
        for member in try members(value) where member.key == "values" {
            elements = try list(member.value, "values", anyValue)
        }
        return elements
    }

    /// A `KeyValueList`: `{"values": [KeyValue, ...]}`.
    private static func keyValueList(_ value: JSONValue) throws(WireError) -> [Attribute] {
        var entries: [Attribute] = []
        for member in try members(value) where member.key == "values" {
            entries = try list(member.value, "values", keyValue)
        }
        return entries
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

    /// A repeated field: `null` is empty, otherwise an array whose elements are decoded
    /// with errors under `field[index]`.
    private static func list<T>(
        _ value: JSONValue,
        _ field: String,
        _ decode: (JSONValue) throws(WireError) -> T
    ) throws(WireError) -> [T] {
        if value.isNull { return [] }
        guard case .array(let elements) = value.kind else {
            throw wrongType(value, field, expected: "an array")
        }
        var result: [T] = []
        result.reserveCapacity(elements.count)
        for (index, element) in elements.enumerated() {
            do {
                result.append(try decode(element))
            } catch {
                throw error.within(field, index: index)
            }
        }
        return result
    }

    // MARK: Scalars

    private static func string(_ value: JSONValue, _ field: String) throws(WireError) -> String {
        switch value.kind {
        case .string(let string): return string
        case .null: return ""
        default: throw wrongType(value, field, expected: "a string")
        }
    }

    private static func uint64(_ value: JSONValue, _ field: String) throws(WireError) -> UInt64 {
        if value.isNull { return 0 }
        guard let number = value.uint64Value else {
            throw outOfRange(value, field, expected: "an unsigned 64-bit integer (a number or a decimal string)")
        }
        return number
    }

    private static func int64(_ value: JSONValue, _ field: String) throws(WireError) -> Int64 {
        if value.isNull { return 0 }
        guard let number = value.int64Value else {
            throw outOfRange(value, field, expected: "a signed 64-bit integer (a number or a decimal string)")
        }
        return number
    }

    private static func uint32(_ value: JSONValue, _ field: String) throws(WireError) -> UInt32 {
        if value.isNull { return 0 }
        guard let number = value.uint32Value else {
            throw outOfRange(value, field, expected: "an unsigned 32-bit integer")
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

    /// An enum: an integer (any 32-bit value, so unknown values survive), or one of
    /// `names`, or a decimal string (which Python's protobuf accepts too).
    private static func enumeration(_ value: JSONValue, _ field: String, names: [String: Int32]) throws(WireError) -> Int32 {
        switch value.kind {
        case .null:
            return 0
        case .string(let name):
            if let number = names[name] { return number }
            if let number = value.int64Value.flatMap({ Int32(exactly: $0) }) { return number }
            let known = names.sorted { $0.value < $1.value }.map(\.key).joined(separator: ", ")
            throw WireError(.invalidValue, field: field, offset: value.offset, "unknown enum name; expected an integer or one of \(known)")
        case .number:
            guard let number = value.int64Value.flatMap({ Int32(exactly: $0) }) else {
                throw WireError(.invalidValue, field: field, offset: value.offset, "expected a 32-bit integer enum value")
            }
            return number
        default:
            throw wrongType(value, field, expected: "an enum name or integer")
        }
    }

    private static func traceID(_ value: JSONValue, _ field: String) throws(WireError) -> TraceID {
        switch value.kind {
        case .null:
            return .zero
        case .string(let hex):
            if hex.isEmpty { return .zero }
            guard let id = TraceID(hex: hex) else {
                throw badID(value, field, hex, what: "a trace ID", digits: 32)
            }
            return id
        default:
            throw WireError(.invalidID, field: field, offset: value.offset, "expected a trace ID as a string of 32 hexadecimal digits, found \(value.kindDescription)")
        }
    }

    private static func spanID(_ value: JSONValue, _ field: String) throws(WireError) -> SpanID {
        switch value.kind {
        case .null:
            return .zero
        case .string(let hex):
            if hex.isEmpty { return .zero }
            guard let id = SpanID(hex: hex) else {
                throw badID(value, field, hex, what: "a span ID", digits: 16)
            }
            return id
        default:
            throw WireError(.invalidID, field: field, offset: value.offset, "expected a span ID as a string of 16 hexadecimal digits, found \(value.kindDescription)")
        }
    }

    private static func badID(_ value: JSONValue, _ field: String, _ text: String, what: String, digits: Int) -> WireError {
        let length = text.utf8.count
        var message = length == digits
            ? "\(what) must be hexadecimal digits only"
            : "\(what) is \(digits) hexadecimal digits, found \(length) characters"
        // Base64 IDs come from exporters that use protobuf's generic JSON mapping.
        if Base64.decode(text)?.count == digits / 2 {
            message += " (this looks like base64: OTLP JSON writes IDs in hexadecimal)"
        }
        return WireError(.invalidID, field: field, offset: value.offset, message)
    }

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
