import SpindleModel
import SpindleWire

/// Encodes finished spans as an OTLP `ExportTraceServiceRequest` in protobuf, the body of
/// an OTLP/HTTP `POST /v1/traces` (`opentelemetry/proto/collector/trace/v1`).
///
/// Spans are grouped by resource (the same `Resource` instance, or one with equal
/// attributes), then by instrumentation scope, in order of first appearance; spans keep
/// their order within a scope. Every field of ``FinishedSpan`` is written:
/// - `trace_state` as W3C `tracestate` text (`k1=v1,k2=v2`);
/// - `Span.flags` carries the W3C trace flags in its low byte (the parent's remoteness
///   is not recorded in a ``FinishedSpan``, so bits 8 and 9 stay clear: unknown);
/// - `Link.flags` carries the link's trace flags plus `HAS_IS_REMOTE` and, for a remote
///   link, `IS_REMOTE` (`SpanFlags` in `trace/v1/trace.proto`);
/// - attributes of every ``AttributeValue`` kind, arrays and key-value lists nested to
///   any depth; `.empty` is an `AnyValue` with no field set.
///
/// Fields at their proto3 default are left out, except inside `AnyValue`'s oneof.
public enum OTLPSpanEncoder {
    /// The `ExportTraceServiceRequest` bytes for `spans`.
    public static func encode(_ spans: [FinishedSpan]) -> [UInt8] {
        var plan = EncodingPlan(spans)
        let total = plan.computeSizes()
        return [UInt8](unsafeUninitializedCapacity: total) { buffer, initialized in
            guard let base = buffer.baseAddress else { return }
            var output = ProtoWriter(UnsafeMutableRawPointer(base))
            plan.write(into: &output)
            assert(output.position == total, "OTLPSpanEncoder sized \(total) bytes but wrote \(output.position)")
            initialized = output.position
        }
    }
}

/// Spans grouped by resource and scope, and the sizes of their messages.
///
/// Hot path: two passes. The first sizes every span (kept in `spanSizes`) and group; the
/// second writes each byte once into an output of exactly the total size. Sizes of the
/// small messages inside a span (key-values, events, links) are recomputed while
/// writing, which costs less than storing them.
struct EncodingPlan {
    struct ScopeGroup {
        var scope: InstrumentationScope
        var spans: [Int] = []
        var size = 0
    }

    struct ResourceGroup {
        var resource: Resource
        var scopes: [ScopeGroup] = []
        var resourceSize = 0
        var size = 0
    }

    let spans: [FinishedSpan]
    var groups: [ResourceGroup] = []
    var spanSizes: [Int] = []

    init(_ spans: [FinishedSpan]) {
        self.spans = spans
        var groups: [ResourceGroup] = []
        var lastResource = -1
        var lastScope = -1
        // Hot path: read each span's resource and scope in place; copying a FinishedSpan
        // retains every one of its fields.
        spans.withUnsafeBufferPointer { spans in
            for index in spans.indices {
                let resource = spans[index].resource
                if lastResource < 0 || !Self.sameResource(groups[lastResource].resource, resource) {
                    if let found = groups.firstIndex(where: { Self.sameResource($0.resource, resource) }) {
                        lastResource = found
                    } else {
                        groups.append(ResourceGroup(resource: resource))
                        lastResource = groups.count - 1
                    }
                    lastScope = -1
                }
                if lastScope < 0 || groups[lastResource].scopes[lastScope].scope != spans[index].scope {
                    if let found = groups[lastResource].scopes.firstIndex(where: { $0.scope == spans[index].scope }) {
                        lastScope = found
                    } else {
                        groups[lastResource].scopes.append(ScopeGroup(scope: spans[index].scope))
                        lastScope = groups[lastResource].scopes.count - 1
                    }
                }
                groups[lastResource].scopes[lastScope].spans.append(index)
            }
        }
        self.groups = groups
    }

    private static func sameResource(_ a: Resource, _ b: Resource) -> Bool {
        a === b || a.attributes == b.attributes
    }

    // MARK: Sizes

    /// Sizes every message; returns the size of the whole request.
    mutating func computeSizes() -> Int {
        spanSizes.reserveCapacity(spans.count)
        // Hot path: read spans in place; copying a FinishedSpan retains each of its fields.
        spans.withUnsafeBufferPointer { spans in
            guard let first = spans.baseAddress else { return }
            for index in spans.indices { spanSizes.append(Self.spanSize((first + index).pointee)) }
        }
        var total = 0
        for resourceIndex in groups.indices {
            var size = 0
            let resourceSize = Self.attributesSize(groups[resourceIndex].resource.attributes)
            if resourceSize > 0 { size += ProtoSize.lengthDelimited(resourceSize) }
            for scopeIndex in groups[resourceIndex].scopes.indices {
                let group = groups[resourceIndex].scopes[scopeIndex]
                var scopeSize = 0
                let scopeMessage = Self.scopeMessageSize(group.scope)
                if scopeMessage > 0 { scopeSize += ProtoSize.lengthDelimited(scopeMessage) }
                for spanIndex in group.spans { scopeSize += ProtoSize.lengthDelimited(spanSizes[spanIndex]) }
                groups[resourceIndex].scopes[scopeIndex].size = scopeSize
                size += ProtoSize.lengthDelimited(scopeSize)
            }
            groups[resourceIndex].resourceSize = resourceSize
            groups[resourceIndex].size = size
            total += ProtoSize.lengthDelimited(size)
        }
        return total
    }

    static func scopeMessageSize(_ scope: InstrumentationScope) -> Int {
        ProtoSize.stringField(scope.name) + ProtoSize.stringField(scope.version)
    }

    static func spanSize(_ span: borrowing FinishedSpan) -> Int {
        var size = 18 + 10  // trace_id and span_id: tag, length, 16 or 8 bytes
        size += traceStateFieldSize(span.context.traceState)
        if let parent = span.parentSpanID, parent.isValid { size += 10 }
        size += ProtoSize.stringField(span.name)
        size += enumFieldSize(span.kind.rawValue)
        if span.startTimeUnixNano != 0 { size += 9 }
        if span.endTimeUnixNano != 0 { size += 9 }
        size += attributesSize(span.attributes)
        size += ProtoSize.uint32Field(span.droppedAttributesCount)
        for event in span.events { size += ProtoSize.lengthDelimited(eventSize(event)) }
        size += ProtoSize.uint32Field(span.droppedEventsCount)
        for link in span.links { size += ProtoSize.lengthDelimited(linkSize(link)) }
        size += ProtoSize.uint32Field(span.droppedLinksCount)
        let status = statusSize(span.status)
        if status > 0 { size += ProtoSize.lengthDelimited(status) }
        if span.context.traceFlags.rawValue != 0 { size += 6 }  // two-byte tag of field 16, fixed32
        return size
    }

    @inline(__always)
    static func enumFieldSize(_ value: Int32) -> Int {
        value == 0 ? 0 : 1 + ProtoSize.varint(UInt64(bitPattern: Int64(value)))
    }

    static func statusSize(_ status: SpanStatus) -> Int {
        ProtoSize.stringField(status.message) + enumFieldSize(status.code.rawValue)
    }

    static func eventSize(_ event: FinishedSpan.Event) -> Int {
        (event.timeUnixNano != 0 ? 9 : 0) + ProtoSize.stringField(event.name)
            + attributesSize(event.attributes) + ProtoSize.uint32Field(event.droppedAttributesCount)
    }

    static func linkSize(_ link: FinishedSpan.Link) -> Int {
        18 + 10 + traceStateFieldSize(link.context.traceState) + attributesSize(link.attributes)
            + ProtoSize.uint32Field(link.droppedAttributesCount) + 5  // flags: tag, fixed32
    }

    /// The W3C text of a trace state is `key=value` entries joined by commas.
    static func traceStateFieldSize(_ state: TraceState) -> Int {
        guard !state.isEmpty else { return 0 }
        let entries = state.entries
        var count = entries.count - 1
        for entry in entries { count += entry.key.utf8.count + 1 + entry.value.utf8.count }
        return ProtoSize.lengthDelimited(count)
    }

    @inline(__always)
    static func attributesSize(_ attributes: [Attribute]) -> Int {
        // Hot path: read attributes in place rather than copying (and retaining) each.
        attributes.withUnsafeBufferPointer { attributes in
            var size = 0
            for index in attributes.indices { size += ProtoSize.lengthDelimited(keyValueSize(attributes[index])) }
            return size
        }
    }

    @inline(__always)
    static func keyValueSize(_ attribute: Attribute) -> Int {
        ProtoSize.stringField(attribute.key) + ProtoSize.lengthDelimited(anyValueSize(attribute.value))
    }

    static func anyValueSize(_ value: borrowing AttributeValue) -> Int {
        switch value {
        case .string(let string): return ProtoSize.lengthDelimited(string.utf8.count)
        case .bool: return 2
        case .int(let int): return 1 + ProtoSize.varint(UInt64(bitPattern: int))
        case .double: return 9
        case .bytes(let bytes): return ProtoSize.lengthDelimited(bytes.count)
        case .array(let values): return ProtoSize.lengthDelimited(arrayValueSize(values))
        case .keyValueList(let attributes): return ProtoSize.lengthDelimited(attributesSize(attributes))
        case .empty: return 0
        }
    }

    static func arrayValueSize(_ values: [AttributeValue]) -> Int {
        var size = 0
        for value in values { size += ProtoSize.lengthDelimited(anyValueSize(value)) }
        return size
    }

    // MARK: Writing

    func write(into output: inout ProtoWriter) {
        spans.withUnsafeBufferPointer { spans in write(spans, into: &output) }
    }

    private func write(_ spans: UnsafeBufferPointer<FinishedSpan>, into output: inout ProtoWriter) {
        // Spans are read through the pointer: a subscript read copied (and retained) each.
        guard let first = spans.baseAddress else { return }
        for group in groups {
            output.messageHeader(1 << 3 | 2, size: group.size)  // resource_spans
            if group.resourceSize > 0 {
                output.messageHeader(1 << 3 | 2, size: group.resourceSize)  // resource
                Self.writeAttributes(group.resource.attributes, tag: 1 << 3 | 2, &output)
            }
            for scopeGroup in group.scopes {
                output.messageHeader(2 << 3 | 2, size: scopeGroup.size)  // scope_spans
                let scopeMessage = Self.scopeMessageSize(scopeGroup.scope)
                if scopeMessage > 0 {
                    output.messageHeader(1 << 3 | 2, size: scopeMessage)
                    output.stringField(1 << 3 | 2, scopeGroup.scope.name)
                    output.stringField(2 << 3 | 2, scopeGroup.scope.version)
                }
                for spanIndex in scopeGroup.spans {
                    output.messageHeader(2 << 3 | 2, size: spanSizes[spanIndex])  // spans
                    Self.writeSpan((first + spanIndex).pointee, &output)
                }
            }
        }
    }

    static func writeSpan(_ span: borrowing FinishedSpan, _ output: inout ProtoWriter) {
        writeIDs(span.context, &output)
        writeTraceState(span.context.traceState, tag: 3 << 3 | 2, &output)
        if let parent = span.parentSpanID, parent.isValid {
            output.byte(4 << 3 | 2)
            output.byte(8)
            output.bigEndian64(parent.value)
        }
        output.stringField(5 << 3 | 2, span.name)
        writeEnum(span.kind.rawValue, tag: 6 << 3 | 0, &output)
        if span.startTimeUnixNano != 0 {
            output.byte(7 << 3 | 1)
            output.fixed64(span.startTimeUnixNano)
        }
        if span.endTimeUnixNano != 0 {
            output.byte(8 << 3 | 1)
            output.fixed64(span.endTimeUnixNano)
        }
        writeAttributes(span.attributes, tag: 9 << 3 | 2, &output)
        output.uint32Field(10 << 3 | 0, span.droppedAttributesCount)
        for event in span.events {
            output.messageHeader(11 << 3 | 2, size: eventSize(event))
            if event.timeUnixNano != 0 {
                output.byte(1 << 3 | 1)
                output.fixed64(event.timeUnixNano)
            }
            output.stringField(2 << 3 | 2, event.name)
            writeAttributes(event.attributes, tag: 3 << 3 | 2, &output)
            output.uint32Field(4 << 3 | 0, event.droppedAttributesCount)
        }
        output.uint32Field(12 << 3 | 0, span.droppedEventsCount)
        for link in span.links {
            output.messageHeader(13 << 3 | 2, size: linkSize(link))
            writeIDs(link.context, &output)
            writeTraceState(link.context.traceState, tag: 3 << 3 | 2, &output)
            writeAttributes(link.attributes, tag: 4 << 3 | 2, &output)
            output.uint32Field(5 << 3 | 0, link.droppedAttributesCount)
            output.byte(6 << 3 | 5)
            output.fixed32(linkFlags(link.context))
        }
        output.uint32Field(14 << 3 | 0, span.droppedLinksCount)
        let status = statusSize(span.status)
        if status > 0 {
            output.messageHeader(15 << 3 | 2, size: status)
            output.stringField(2 << 3 | 2, span.status.message)
            writeEnum(span.status.code.rawValue, tag: 3 << 3 | 0, &output)
        }
        let flags = span.context.traceFlags.rawValue
        if flags != 0 {
            output.byte(0x85)  // field 16, wire type 5: (16 << 3 | 5) as a two-byte varint
            output.byte(0x01)
            output.fixed32(UInt32(flags))
        }
    }

    /// `SpanFlags`: W3C flags in bits 0–7, `HAS_IS_REMOTE` (bit 8), `IS_REMOTE` (bit 9).
    static func linkFlags(_ context: SpanContext) -> UInt32 {
        UInt32(context.traceFlags.rawValue) | 0x100 | (context.isRemote ? 0x200 : 0)
    }

    /// Fields 1 and 2 of both `Span` and `Link`: the trace ID and span ID bytes.
    @inline(__always)
    static func writeIDs(_ context: SpanContext, _ output: inout ProtoWriter) {
        output.byte(1 << 3 | 2)
        output.byte(16)
        output.bigEndian64(context.traceID.high)
        output.bigEndian64(context.traceID.low)
        output.byte(2 << 3 | 2)
        output.byte(8)
        output.bigEndian64(context.spanID.value)
    }

    static func writeTraceState(_ state: TraceState, tag: UInt8, _ output: inout ProtoWriter) {
        guard !state.isEmpty else { return }
        let entries = state.entries
        var count = entries.count - 1
        for entry in entries { count += entry.key.utf8.count + 1 + entry.value.utf8.count }
        output.messageHeader(tag, size: count)
        for (index, entry) in entries.enumerated() {
            if index > 0 { output.byte(UInt8(ascii: ",")) }
            output.utf8(entry.key)
            output.byte(UInt8(ascii: "="))
            output.utf8(entry.value)
        }
    }

    @inline(__always)
    static func writeEnum(_ value: Int32, tag: UInt8, _ output: inout ProtoWriter) {
        guard value != 0 else { return }
        output.byte(tag)
        output.varint(UInt64(bitPattern: Int64(value)))
    }

    @inline(__always)
    static func writeAttributes(_ attributes: [Attribute], tag: UInt8, _ output: inout ProtoWriter) {
        attributes.withUnsafeBufferPointer { attributes in
            for index in attributes.indices {
                writeKeyValue(attributes[index], tag: tag, &output)
            }
        }
    }

    /// A `KeyValue` message with its tag and length: the value is sized once for both
    /// length prefixes.
    @inline(__always)
    static func writeKeyValue(_ attribute: borrowing Attribute, tag: UInt8, _ output: inout ProtoWriter) {
        let valueSize = anyValueSize(attribute.value)
        output.messageHeader(tag, size: ProtoSize.stringField(attribute.key) + ProtoSize.lengthDelimited(valueSize))
        output.stringField(1 << 3 | 2, attribute.key)
        output.messageHeader(2 << 3 | 2, size: valueSize)
        writeAnyValue(attribute.value, &output)
    }

    /// `AnyValue`'s oneof: a set field is written even at its default (`""`, `false`, 0).
    static func writeAnyValue(_ value: borrowing AttributeValue, _ output: inout ProtoWriter) {
        switch value {
        case .string(let string):
            output.messageHeader(1 << 3 | 2, size: string.utf8.count)
            output.utf8(string)
        case .bool(let bool):
            output.byte(2 << 3 | 0)
            output.byte(bool ? 1 : 0)
        case .int(let int):
            output.byte(3 << 3 | 0)
            output.varint(UInt64(bitPattern: int))
        case .double(let double):
            output.byte(4 << 3 | 1)
            output.fixed64(double.bitPattern)
        case .array(let values):
            output.messageHeader(5 << 3 | 2, size: arrayValueSize(values))
            for element in values {
                output.messageHeader(1 << 3 | 2, size: anyValueSize(element))
                writeAnyValue(element, &output)
            }
        case .keyValueList(let attributes):
            output.messageHeader(6 << 3 | 2, size: attributesSize(attributes))
            writeAttributes(attributes, tag: 1 << 3 | 2, &output)
        case .bytes(let bytes):
            output.messageHeader(7 << 3 | 2, size: bytes.count)
            bytes.withUnsafeBytes { buffer in
                if let address = buffer.baseAddress { output.bytes(address, count: buffer.count) }
            }
        case .empty:
            break
        }
    }
}
