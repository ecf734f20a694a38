import SpindleModel

/// Model values to OTLP JSON: keys in proto field order, defaults left out (see
/// ``OTLPJSON`` for the fields always written).
enum OTLPJSONEncoding {
    static func request(_ batch: SpanBatch) -> [UInt8] {
        let groups = batch.resourceSpans
        // One allocation for typical batches: text roughly doubles the arena's strings
        // (keys, quotes, escapes), and a span's fixed fields take about 300 bytes.
        var writer = JSONWriter(reservingCapacity: batch.tables.arena.count * 2 + batch.spanCount * 300 + 64)
        writer.beginObject()
        if !groups.isEmpty {
            writer.key("resourceSpans")
            writer.beginArray()
            for group in groups { resourceSpans(group, into: &writer) }
            writer.endArray()
        }
        writer.endObject()
        return writer.bytes
    }

    static func response(_ response: ExportTraceResponse) -> [UInt8] {
        var writer = JSONWriter()
        writer.beginObject()
        if response.isPartialSuccess {
            writer.key("partialSuccess")
            writer.beginObject()
            if response.rejectedSpans != 0 {
                writer.key("rejectedSpans")
                writer.string(String(response.rejectedSpans))
            }
            if !response.errorMessage.isEmpty {
                writer.key("errorMessage")
                writer.string(response.errorMessage)
            }
            writer.endObject()
        }
        writer.endObject()
        return writer.bytes
    }

    private static func resourceSpans(_ group: ResourceSpans, into writer: inout JSONWriter) {
        writer.beginObject()
        let resource = group.resource
        if !resource.attributes.isEmpty || resource.droppedAttributesCount != 0 {
            writer.key("resource")
            writer.beginObject()
            attributes(resource.attributes, into: &writer)
            count("droppedAttributesCount", resource.droppedAttributesCount, into: &writer)
            writer.endObject()
        }
        if !group.scopeSpans.isEmpty {
            writer.key("scopeSpans")
            writer.beginArray()
            for scopeSpans in group.scopeSpans { self.scopeSpans(scopeSpans, into: &writer) }
            writer.endArray()
        }
        string("schemaUrl", resource.schemaURL, into: &writer)
        writer.endObject()
    }

    private static func scopeSpans(_ group: ScopeSpans, into writer: inout JSONWriter) {
        writer.beginObject()
        let scope = group.scope
        if !scope.name.isEmpty || !scope.version.isEmpty || !scope.attributes.isEmpty || scope.droppedAttributesCount != 0 {
            writer.key("scope")
            writer.beginObject()
            string("name", scope.name, into: &writer)
            string("version", scope.version, into: &writer)
            attributes(scope.attributes, into: &writer)
            count("droppedAttributesCount", scope.droppedAttributesCount, into: &writer)
            writer.endObject()
        }
        if !group.spans.isEmpty {
            writer.key("spans")
            writer.beginArray()
            for span in group.spans { self.span(span, into: &writer) }
            writer.endArray()
        }
        string("schemaUrl", scope.schemaURL, into: &writer)
        writer.endObject()
    }

    private static func span(_ span: SpanRecord, into writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("traceId")
        writer.string(span.traceID.hexString)
        writer.key("spanId")
        writer.string(span.spanID.hexString)
        string("traceState", span.traceState, into: &writer)
        if span.parentSpanID != .zero {
            writer.key("parentSpanId")
            writer.string(span.parentSpanID.hexString)
        }
        writer.key("name")
        writer.string(span.name)
        writer.key("kind")
        writer.int(Int64(span.kind.rawValue))
        writer.key("startTimeUnixNano")
        writer.string(String(span.startTimeUnixNano))
        writer.key("endTimeUnixNano")
        writer.string(String(span.endTimeUnixNano))
        attributes(span.attributes, into: &writer)
        count("droppedAttributesCount", span.droppedAttributesCount, into: &writer)
        if !span.events.isEmpty {
            writer.key("events")
            writer.beginArray()
            for event in span.events { self.event(event, into: &writer) }
            writer.endArray()
        }
        count("droppedEventsCount", span.droppedEventsCount, into: &writer)
        if !span.links.isEmpty {
            writer.key("links")
            writer.beginArray()
            for link in span.links { self.link(link, into: &writer) }
            writer.endArray()
        }
        count("droppedLinksCount", span.droppedLinksCount, into: &writer)
        if span.status != .unset {
            writer.key("status")
            writer.beginObject()
            string("message", span.status.message, into: &writer)
            if span.status.code != .unset {
                writer.key("code")
                writer.int(Int64(span.status.code.rawValue))
            }
            writer.endObject()
        }
        count("flags", span.flags, into: &writer)
        writer.endObject()
    }

    private static func event(_ event: SpanEvent, into writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("timeUnixNano")
        writer.string(String(event.timeUnixNano))
        writer.key("name")
        writer.string(event.name)
        attributes(event.attributes, into: &writer)
        count("droppedAttributesCount", event.droppedAttributesCount, into: &writer)
        writer.endObject()
    }

    private static func link(_ link: SpanLink, into writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("traceId")
        writer.string(link.traceID.hexString)
        writer.key("spanId")
        writer.string(link.spanID.hexString)
        string("traceState", link.traceState, into: &writer)
        attributes(link.attributes, into: &writer)
        count("droppedAttributesCount", link.droppedAttributesCount, into: &writer)
        count("flags", link.flags, into: &writer)
        writer.endObject()
    }

    // MARK: Attributes

    /// Writes `"attributes": [...]` unless the list is empty.
    private static func attributes(_ attributes: [Attribute], into writer: inout JSONWriter) {
        guard !attributes.isEmpty else { return }
        writer.key("attributes")
        keyValues(attributes, into: &writer)
    }

    private static func keyValues(_ attributes: [Attribute], into writer: inout JSONWriter) {
        writer.beginArray()
        for attribute in attributes {
            writer.beginObject()
            writer.key("key")
            writer.string(attribute.key)
            writer.key("value")
            anyValue(attribute.value, into: &writer)
            writer.endObject()
        }
        writer.endArray()
    }

    /// An `AnyValue`: the one set field is written even at its default (`""`, `0`,
    /// `false`), since which field is set is the value's type; `.empty` is `{}`.
    private static func anyValue(_ value: AttributeValue, into writer: inout JSONWriter) {
        writer.beginObject()
        switch value {
        case .string(let string):
            writer.key("stringValue")
            writer.string(string)
        case .bool(let bool):
            writer.key("boolValue")
            writer.bool(bool)
        case .int(let int):
            writer.key("intValue")
            writer.string(String(int))
        case .double(let double):
            writer.key("doubleValue")
            writer.double(double)
        case .bytes(let bytes):
            writer.key("bytesValue")
            writer.string(Base64.encode(bytes))
        case .array(let elements):
            writer.key("arrayValue")
            writer.beginObject()
            if !elements.isEmpty {
                writer.key("values")
                writer.beginArray()
                for element in elements { anyValue(element, into: &writer) }
                writer.endArray()
            }
            writer.endObject()
        case .keyValueList(let entries):
            writer.key("kvlistValue")
            writer.beginObject()
            if !entries.isEmpty {
                writer.key("values")
                keyValues(entries, into: &writer)
            }
            writer.endObject()
        case .empty:
            break
        }
        writer.endObject()
    }

    // MARK: Scalars

    private static func string(_ key: String, _ value: String, into writer: inout JSONWriter) {
        guard !value.isEmpty else { return }
        writer.key(key)
        writer.string(value)
    }

    private static func count(_ key: String, _ value: UInt32, into writer: inout JSONWriter) {
        guard value != 0 else { return }
        writer.key(key)
        writer.uint(UInt64(value))
    }
}
