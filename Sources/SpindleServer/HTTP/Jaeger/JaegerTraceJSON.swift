import SpindleModel
import SpindleWire

/// Traces in the JSON of Jaeger's internal query API (`model/json`, `internal/uimodel`),
/// mapped from OTLP as the OpenTelemetry Collector's Jaeger translator maps them.
///
/// - A resource becomes a process: `serviceName` from `service.name` (or
///   `OTLPResourceNoServiceName` when it has no string one), every other attribute a
///   process tag. Equal processes share an ID (`p1`, `p2`, … in order of first use).
/// - A span's tags are, in order: `otel.scope.name` and `otel.scope.version` (when not
///   empty), its attributes, `span.kind` (all kinds but unspecified), `otel.status_code`
///   (`OK`/`ERROR`), `error=true` (status error), `otel.status_description` (a status
///   message), `w3c.tracestate` (a trace state).
/// - References: the parent as `CHILD_OF` first, then each link as `FOLLOWS_FROM` (or
///   `CHILD_OF` when its `opentracing.ref_type` attribute is `child_of`); a link to the
///   parent only sets the parent reference's type.
/// - Events become logs: the name as an `event` field (unless an attribute is named
///   `event`), then the attributes.
/// - Tag values: strings, bools, `int64` (as a string beyond ±(2^53 − 1), which a
///   JavaScript number cannot hold), `float64`, `binary` (base64); arrays and key-value
///   lists as their JSON text (type `string`); an empty value as `""`.
/// - Times and durations in microseconds (truncated), `flags` the W3C trace flags (left
///   out when 0), `warnings` null. IDs are lowercase hex; a trace ID whose first 8 bytes
///   are zero is 16 digits, as Jaeger prints it.
///
/// Jaeger's query service also runs adjusters (clock skew, sorting tags by key); Spindle
/// shows spans as stored, in stored order.
enum JaegerTraceJSON {
    /// The `serviceName` of a resource without a string `service.name`.
    static let noServiceName = "OTLPResourceNoServiceName"
    /// How deep array and key-value-list values are written before the rest is `null`.
    static let maxValueDepth = 64

    /// A process: what Jaeger calls the resource a span came from.
    struct Process: Hashable {
        var serviceName: String
        var tags: [Attribute]

        init(_ resource: Resource) {
            var tags = resource.attributes
            if let index = tags.firstIndex(where: { $0.key == "service.name" }), case .string(let name) = tags[index].value {
                serviceName = name
                tags.remove(at: index)
            } else {
                serviceName = JaegerTraceJSON.noServiceName
            }
            self.tags = tags
        }
    }

    /// One trace: `{"traceID","spans","processes","warnings"}`.
    static func trace(_ batch: SpanBatch, into writer: inout JSONWriter) {
        let groups = batch.resourceSpans
        let firstSpan = groups.lazy.flatMap(\.scopeSpans).flatMap(\.spans).first
        var processIDs: [Process: String] = [:]
        var processes: [(id: String, process: Process)] = []
        writer.beginObject()
        writer.key("traceID")
        writer.string(firstSpan.map { traceID($0.traceID) } ?? "")
        writer.key("spans")
        writer.beginArray()
        for group in groups where group.scopeSpans.contains(where: { !$0.spans.isEmpty }) {
            let process = Process(group.resource)
            let processID: String
            if let known = processIDs[process] {
                processID = known
            } else {
                processID = "p\(processes.count + 1)"
                processIDs[process] = processID
                processes.append((processID, process))
            }
            for scopeGroup in group.scopeSpans {
                for span in scopeGroup.spans {
                    self.span(span, scope: scopeGroup.scope, processID: processID, into: &writer)
                }
            }
        }
        writer.endArray()
        writer.key("processes")
        writer.beginObject()
        for (id, process) in processes {
            writer.key(id)
            writer.beginObject()
            writer.key("serviceName")
            writer.string(process.serviceName)
            writer.key("tags")
            writer.beginArray()
            for attribute in process.tags { tag(attribute.key, attribute.value, into: &writer) }
            writer.endArray()
            writer.endObject()
        }
        writer.endObject()
        writer.key("warnings")
        writer.null()
        writer.endObject()
    }

    static func span(_ span: SpanRecord, scope: InstrumentationScope, processID: String, into writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("traceID")
        writer.string(traceID(span.traceID))
        writer.key("spanID")
        writer.string(span.spanID.hexString)
        let traceFlags = span.flags & 0xFF
        if traceFlags != 0 {
            writer.key("flags")
            writer.uint(UInt64(traceFlags))
        }
        writer.key("operationName")
        writer.string(span.name)
        writer.key("references")
        references(span, into: &writer)
        writer.key("startTime")
        writer.uint(span.startTimeUnixNano / 1_000)
        writer.key("duration")
        writer.uint(span.durationNanos / 1_000)
        writer.key("tags")
        tags(span, scope: scope, into: &writer)
        writer.key("logs")
        writer.beginArray()
        for event in span.events {
            writer.beginObject()
            writer.key("timestamp")
            writer.uint(event.timeUnixNano / 1_000)
            writer.key("fields")
            writer.beginArray()
            if !event.name.isEmpty, !event.attributes.contains(where: { $0.key == "event" }) {
                tag("event", .string(event.name), into: &writer)
            }
            for attribute in event.attributes { tag(attribute.key, attribute.value, into: &writer) }
            writer.endArray()
            writer.endObject()
        }
        writer.endArray()
        writer.key("processID")
        writer.string(processID)
        writer.key("warnings")
        writer.null()
        writer.endObject()
    }

    private static func references(_ span: SpanRecord, into writer: inout JSONWriter) {
        var references: [(type: String, trace: TraceID, span: SpanID)] = []
        if span.parentSpanID.isValid {
            references.append(("CHILD_OF", span.traceID, span.parentSpanID))
        }
        for link in span.links {
            let type = link.attributes["opentracing.ref_type"]?.stringValue == "child_of" ? "CHILD_OF" : "FOLLOWS_FROM"
            if span.parentSpanID.isValid, link.traceID == span.traceID, link.spanID == span.parentSpanID {
                references[0].type = type
                continue
            }
            references.append((type, link.traceID, link.spanID))
        }
        writer.beginArray()
        for reference in references {
            writer.beginObject()
            writer.key("refType")
            writer.string(reference.type)
            writer.key("traceID")
            writer.string(traceID(reference.trace))
            writer.key("spanID")
            writer.string(reference.span.hexString)
            writer.endObject()
        }
        writer.endArray()
    }

    private static func tags(_ span: SpanRecord, scope: InstrumentationScope, into writer: inout JSONWriter) {
        writer.beginArray()
        if !scope.name.isEmpty { tag("otel.scope.name", .string(scope.name), into: &writer) }
        if !scope.version.isEmpty { tag("otel.scope.version", .string(scope.version), into: &writer) }
        for attribute in span.attributes { tag(attribute.key, attribute.value, into: &writer) }
        if span.kind != .unspecified { tag("span.kind", .string(span.kind.name), into: &writer) }
        switch span.status.code {
        case .ok:
            tag("otel.status_code", "OK", into: &writer)
        case .error:
            tag("otel.status_code", "ERROR", into: &writer)
            tag("error", .bool(true), into: &writer)
        default:
            break
        }
        if !span.status.message.isEmpty { tag("otel.status_description", .string(span.status.message), into: &writer) }
        if !span.traceState.isEmpty { tag("w3c.tracestate", .string(span.traceState), into: &writer) }
        writer.endArray()
    }

    /// The largest magnitude a JavaScript number holds exactly.
    static let maxSafeInteger: Int64 = 1 << 53 - 1

    /// `{"key","type","value"}`.
    static func tag(_ key: String, _ value: AttributeValue, into writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("key")
        writer.string(key)
        writer.key("type")
        switch value {
        case .string(let string):
            writer.string("string")
            writer.key("value")
            writer.string(string)
        case .bool(let bool):
            writer.string("bool")
            writer.key("value")
            writer.bool(bool)
        case .int(let int):
            writer.string("int64")
            writer.key("value")
            if int > maxSafeInteger || int < -maxSafeInteger { writer.string(String(int)) } else { writer.int(int) }
        case .double(let double):
            writer.string("float64")
            writer.key("value")
            writer.double(double)
        case .bytes(let bytes):
            writer.string("binary")
            writer.key("value")
            writer.string(Base64.encode(bytes))
        case .array, .keyValueList:
            writer.string("string")
            writer.key("value")
            var text = JSONWriter()
            plain(value, into: &text, depth: 0)
            writer.string(String(decoding: text.bytes, as: UTF8.self))
        case .empty:
            writer.string("string")
            writer.key("value")
            writer.string("")
        }
        writer.endObject()
    }

    /// A value as plain JSON, as the collector's `AsString` writes arrays and maps:
    /// bytes as base64, an empty value as null.
    private static func plain(_ value: AttributeValue, into writer: inout JSONWriter, depth: Int) {
        switch value {
        case .string(let string): writer.string(string)
        case .bool(let bool): writer.bool(bool)
        case .int(let int): writer.int(int)
        case .double(let double): writer.double(double)
        case .bytes(let bytes): writer.string(Base64.encode(bytes))
        case .empty: writer.null()
        case .array(let values):
            guard depth < maxValueDepth else { return writer.null() }
            writer.beginArray()
            for element in values { plain(element, into: &writer, depth: depth + 1) }
            writer.endArray()
        case .keyValueList(let attributes):
            guard depth < maxValueDepth else { return writer.null() }
            writer.beginObject()
            for attribute in attributes {
                writer.key(attribute.key)
                plain(attribute.value, into: &writer, depth: depth + 1)
            }
            writer.endObject()
        }
    }

    /// Jaeger's text of a trace ID: 16 hex digits when the first 8 bytes are zero,
    /// otherwise 32.
    static func traceID(_ id: TraceID) -> String {
        id.high == 0 ? Hex.string(id.low) : id.hexString
    }

    /// Parses 1 to 32 hex digits of either case, left-padding short IDs as Jaeger does;
    /// nil for anything else and for the all-zero ID.
    static func parseTraceID(_ text: String) -> TraceID? {
        let count = text.utf8.count
        guard count >= 1, count <= 32, text.utf8.allSatisfy({ Hex.digitValue($0) != nil }) else { return nil }
        guard let id = TraceID(hex: String(repeating: "0", count: 32 - count) + text), id.isValid else { return nil }
        return id
    }
}
