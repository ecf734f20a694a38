import SpindleModel

/// Writes a batch as a Zipkin v2 JSON array, straight from its tables. See ``ZipkinJSON``
/// for the mapping.
///
/// Hot path: tags are a small reused array of texts that point into the arena, into a
/// buffer of rendered text (numbers, JSON of arrays and maps, link tags, annotation
/// values) or at literals; no String is created for a tag, an ID or a number. A scope's
/// tags (its resource's and its own) are built once and copied for each of its spans.
///
/// Tags have map semantics, as Zipkin's `map<string,string>`: setting a key again replaces
/// its value in place, and a key taken out and set again comes back where it first was.
/// Keys compare as Swift Strings do (by canonical equivalence), so keys that are not ASCII
/// are compared as Strings.
struct ZipkinBatchEncoder: ~Copyable {
    private let source: ZipkinTableSource
    private let tables: SpanTables
    /// Text the mapping renders; tags point into it by offset. Holds a resource's texts,
    /// then its scope's, then a span's, each dropped when the next of its kind begins.
    private var scratch: JSONOutput
    private var tags = TagList()
    private var resourceTags = TagList()
    private var scopeTags = TagList()

    init(tables: SpanTables, arena: UnsafeRawBufferPointer) {
        self.tables = tables
        source = ZipkinTableSource(tables: tables, arena: arena)
        scratch = JSONOutput(capacity: 4096)
    }

    /// Writes every span, resource by resource and scope by scope.
    mutating func write(into out: inout JSONOutput) {
        out.beginArray()
        for resource in tables.resources.indices {
            scratch.truncate(to: 0)
            let serviceName = localService(of: resource)
            let resourceMark = scratch.count
            for scope in tables.resources[resource].scopes.indices {
                scratch.truncate(to: resourceMark)
                buildScopeTags(scope)
                let scopeMark = scratch.count
                for span in tables.scopes[scope].spans.indices {
                    scratch.truncate(to: scopeMark)
                    write(span: span, serviceName: serviceName, into: &out)
                }
            }
        }
        out.endArray()
    }

    // MARK: Resource and scope tags

    /// The resource's attributes as tags, and the local service name taken from them:
    /// `service.name`, else the first of the collector's fallbacks, whose key then goes to
    /// `otlp.service.name.source`.
    private mutating func localService(of resource: Int) -> Text? {
        tags.removeAll()
        let row = tables.resources[resource]
        for index in row.attributes.indices {
            let slot = tables.resourceAttributes[index]
            set(arenaText(slot.key), tagText(slot.value))
        }
        var serviceName = remove(ZipkinKeys.serviceName)
        if serviceName == nil {
            for fallback in ZipkinKeys.serviceNameFallbacks {
                if let name = remove(fallback) {
                    setLiteral(ZipkinKeys.serviceNameSource, Text(fallback))
                    serviceName = name
                    break
                }
            }
        }
        resourceTags.copy(from: tags)
        return serviceName
    }

    /// The tags every span of a scope carries: its resource's, then the scope's.
    private mutating func buildScopeTags(_ scope: Int) {
        tags.copy(from: resourceTags)
        let row = tables.scopes[scope]
        if row.name.count != 0 {
            setLiteral(ZipkinKeys.scopeName, arenaText(row.name))
            setLiteral(ZipkinKeys.libraryName, arenaText(row.name))
        }
        if row.version.count != 0 {
            setLiteral(ZipkinKeys.scopeVersion, arenaText(row.version))
            setLiteral(ZipkinKeys.libraryVersion, arenaText(row.version))
        }
        for index in row.attributes.indices {
            let slot = tables.scopeAttributes[index]
            set(arenaText(slot.key), tagText(slot.value))
        }
        scopeTags.copy(from: tags)
    }

    // MARK: Spans

    private struct Endpoint {
        var serviceName: Text?
        var address: Text?
        var port: Int?
    }

    private mutating func write(span index: Int, serviceName: Text?, into out: inout JSONOutput) {
        let row = tables.spans[index]
        tags.copy(from: scopeTags)
        var shared = false
        var debug = false
        for attributeIndex in row.attributes.indices {
            let slot = tables.spanAttributes[attributeIndex]
            let key = arenaText(slot.key)
            if slot.value.kind == .bool {
                if equals(key, ZipkinKeys.shared) {
                    shared = slot.value.boolValue
                    continue
                }
                if equals(key, ZipkinKeys.debug) {
                    debug = slot.value.boolValue
                    continue
                }
                // Restated by the missing timestamp.
                if slot.value.boolValue && row.startTimeUnixNano == 0 && equals(key, ZipkinKeys.startTimeAbsent) { continue }
            }
            set(key, tagText(slot.value))
        }
        if row.droppedAttributesCount != 0 { setLiteral(ZipkinKeys.droppedAttributesCount, decimal(UInt64(row.droppedAttributesCount))) }
        if row.droppedEventsCount != 0 { setLiteral(ZipkinKeys.droppedEventsCount, decimal(UInt64(row.droppedEventsCount))) }
        if row.droppedLinksCount != 0 { setLiteral(ZipkinKeys.droppedLinksCount, decimal(UInt64(row.droppedLinksCount))) }
        if row.traceState.count != 0 { setLiteral(ZipkinKeys.traceState, arenaText(row.traceState)) }

        let kind: StaticString?
        switch row.kind {
        case .client: kind = "CLIENT"
        case .server: kind = "SERVER"
        case .producer: kind = "PRODUCER"
        case .consumer: kind = "CONSUMER"
        case .internal:
            kind = nil
            setLiteral(ZipkinKeys.spanKind, Text("internal"))
        default:
            kind = nil
        }

        // Endpoints from the attributes decoding writes (and older or newer names).
        var local = Endpoint(serviceName: serviceName)
        local.address = takeAddress(ZipkinKeys.localAddress, ZipkinKeys.legacyLocalAddress)
        let hasLocal = (serviceName?.count ?? 0) != 0 || local.address != nil
        if hasLocal { local.port = takePort(ZipkinKeys.localPort, ZipkinKeys.newerLocalPort) }
        var remote = Endpoint()
        if let value = get(ZipkinKeys.peerService), value.count != 0 {
            remote.serviceName = value
            _ = remove(ZipkinKeys.peerService)
        } else if let value = get(ZipkinKeys.legacyPeerService), value.count != 0 {
            remote.serviceName = value
            _ = remove(ZipkinKeys.legacyPeerService)
        }
        remote.address = takeAddress(ZipkinKeys.peerAddress, ZipkinKeys.legacyPeerAddress)
        let hasRemote = (remote.serviceName?.count ?? 0) != 0 || remote.address != nil
        if hasRemote { remote.port = takePort(ZipkinKeys.peerPort, ZipkinKeys.newerPeerPort) }

        // Status: the specification's Zipkin rule. `error` marks a span failed in Zipkin,
        // so it is written only for ERROR.
        switch row.statusCode {
        case .error:
            setLiteral(ZipkinKeys.statusCode, Text("ERROR"))
            setLiteral(ZipkinKeys.error, arenaText(row.statusMessage))
        case .ok:
            setLiteral(ZipkinKeys.statusCode, Text("OK"))
            _ = remove(ZipkinKeys.error)
            if row.statusMessage.count != 0 { setLiteral(ZipkinKeys.statusDescription, arenaText(row.statusMessage)) }
        default:
            _ = remove(ZipkinKeys.error)
        }

        for (position, linkIndex) in row.links.indices.enumerated() {
            let start = beginText()
            scratch.raw(ZipkinKeys.linkPrefix)
            scratch.rawDecimal(UInt64(position))
            let key = endText(start)
            set(key, linkText(tables.links[linkIndex]))
        }

        out.beginRaw()
        out.raw(#"{"traceId":""#)
        // Zipkin and the collector write 64-bit trace IDs as 16 digits.
        if row.traceID.high == 0 { out.rawHex(row.traceID.low) } else { out.rawHex(row.traceID) }
        out.raw(#"""#)
        if row.parentSpanID.isValid {
            out.raw(#","parentId":""#)
            out.rawHex(row.parentSpanID.value)
            out.raw(#"""#)
        }
        out.raw(#","id":""#)
        out.rawHex(row.spanID.value)
        out.raw(#"""#)
        if let kind {
            out.raw(#","kind":""#)
            out.raw(kind)
            out.raw(#"""#)
        }
        if row.name.count != 0 {
            out.raw(#","name":"#)
            out.rawString(utf8: arenaBytes(row.name))
        }
        if row.startTimeUnixNano != 0 {
            out.raw(#","timestamp":"#)
            out.rawDecimal(Self.roundedMicroseconds(row.startTimeUnixNano))
        }
        if row.endTimeUnixNano > row.startTimeUnixNano {
            // Sub-microsecond durations are reported as 1 µs, as the Zipkin API asks.
            let nanos = row.endTimeUnixNano - row.startTimeUnixNano
            out.raw(#","duration":"#)
            out.rawDecimal(nanos < 1000 ? 1 : Self.roundedMicroseconds(nanos))
        }
        if debug { out.raw(#","debug":true"#) }
        if shared { out.raw(#","shared":true"#) }
        out.endRaw()
        if hasLocal {
            out.key("localEndpoint")
            writeEndpoint(local, into: &out)
        }
        if hasRemote {
            out.key("remoteEndpoint")
            writeEndpoint(remote, into: &out)
        }
        if row.events.count != 0 {
            out.key("annotations")
            out.beginArray()
            for eventIndex in row.events.indices {
                let event = tables.events[eventIndex]
                out.beginObject()
                out.key("timestamp")
                out.uint(Self.roundedMicroseconds(event.timeUnixNano))
                out.key("value")
                let value = annotationValue(event)
                withBytes(value) { out.string(utf8: $0) }
                out.endObject()
            }
            out.endArray()
        }
        if tags.hasEntries {
            out.key("tags")
            out.beginObject()
            for tag in tags.entries where !tag.removed {
                withBytes(tag.key) { out.key(utf8: $0) }
                withBytes(tag.value) { out.string(utf8: $0) }
            }
            out.endObject()
        }
        out.endObject()
    }

    private func writeEndpoint(_ endpoint: Endpoint, into out: inout JSONOutput) {
        out.beginObject()
        if let serviceName = endpoint.serviceName, serviceName.count != 0 {
            out.key("serviceName")
            withBytes(serviceName) { out.string(utf8: $0) }
        }
        if let address = endpoint.address {
            if withBytes(address, ZipkinIPAddress.isIPv4) { out.key("ipv4") } else { out.key("ipv6") }
            withBytes(address) { out.string(utf8: $0) }
        }
        if let port = endpoint.port {
            out.key("port")
            out.int(Int64(port))
        }
        out.endObject()
    }

    /// The first of the keys whose tag is an IP address, which is then taken.
    private mutating func takeAddress(_ first: StaticString, _ second: StaticString) -> Text? {
        takeAddress(first) ?? takeAddress(second)
    }

    private mutating func takeAddress(_ key: StaticString) -> Text? {
        guard let value = get(key), withBytes(value, { ZipkinIPAddress.isIPv4($0) || ZipkinIPAddress.isIPv6($0) }) else { return nil }
        _ = remove(key)
        return value
    }

    /// The first of the keys whose tag is a port 1–65535 (as `Int(String)` reads it), which
    /// is then taken.
    private mutating func takePort(_ first: StaticString, _ second: StaticString) -> Int? {
        takePort(first) ?? takePort(second)
    }

    private mutating func takePort(_ key: StaticString) -> Int? {
        guard let value = get(key), let port = Int(string(value)), (1...65535).contains(port) else { return nil }
        _ = remove(key)
        return port
    }

    /// Nanoseconds to the nearest microsecond, halves up.
    private static func roundedMicroseconds(_ nanos: UInt64) -> UInt64 {
        nanos / 1000 + (nanos % 1000 >= 500 ? 1 : 0)
    }

    // MARK: Values as text

    /// A value as the string a Zipkin tag must be: booleans `true`/`false`, decimal
    /// integers, doubles as their shortest round-trip text (`nan`, `inf` included),
    /// arrays and key-value lists as compact JSON, bytes as base64, an empty value as "".
    private mutating func tagText(_ slot: ValueSlot) -> Text {
        switch slot.kind {
        case .string: return arenaText(slot.byteRef)
        case .bool: return slot.boolValue ? Text("true") : Text("false")
        case .empty: return Text("")
        default: break
        }
        let start = beginText()
        switch slot.kind {
        case .int:
            scratch.rawDecimal(slot.intValue)
        case .double:
            var text = slot.doubleValue.description
            text.withUTF8 { scratch.rawBytes(UnsafeRawBufferPointer($0)) }
        case .bytes:
            scratch.rawBase64(source.bytes(slot.byteRef), quoted: false)
        default:
            source.writeTyped(slot, into: &scratch)
        }
        return endText(start)
    }

    /// The annotation value for an event: the plain name when that reads back as the same
    /// event, else the specification's `"name": {attributes}`.
    private mutating func annotationValue(_ event: EventRow) -> Text {
        let name = source.bytes(event.name)
        if event.attributes.count == 0 && event.droppedAttributesCount == 0 && !Self.readsAsStructured(name) {
            return arenaText(event.name)
        }
        let start = beginText()
        scratch.rawString(utf8: name)
        scratch.raw(": ")
        source.writeObject(event.attributes, in: tables.eventAttributes, droppedCount: event.droppedAttributesCount, into: &scratch)
        return endText(start)
    }

    /// True when a name would read back as a structured annotation value. Only names that
    /// start with `{` or `"` or hold a `|` can; those are parsed to see.
    private static func readsAsStructured(_ name: UnsafeRawBufferPointer) -> Bool {
        guard let first = name.first else { return false }
        guard first == UInt8(ascii: "{") || first == UInt8(ascii: "\"") || name.contains(UInt8(ascii: "|")) else { return false }
        return ZipkinAnnotation.parse(String(decoding: name, as: UTF8.self)) != nil
    }

    /// The collector's link tag: `traceId|spanId|traceState|{attributes}|droppedCount`.
    private mutating func linkText(_ link: LinkRow) -> Text {
        let start = beginText()
        if link.traceID.isValid { scratch.rawHex(link.traceID) }
        scratch.raw("|")
        if link.spanID.isValid { scratch.rawHex(link.spanID.value) }
        scratch.raw("|")
        scratch.rawBytes(source.bytes(link.traceState))
        scratch.raw("|")
        source.writeObject(link.attributes, in: tables.linkAttributes, droppedCount: 0, into: &scratch)
        scratch.raw("|")
        scratch.rawDecimal(UInt64(link.droppedAttributesCount))
        return endText(start)
    }

    private mutating func decimal(_ value: UInt64) -> Text {
        let start = beginText()
        scratch.rawDecimal(value)
        return endText(start)
    }

    /// Starts a text in `scratch`; ``endText(_:)`` returns where it is.
    private mutating func beginText() -> Int {
        let start = scratch.count
        scratch.truncate(to: start)
        return start
    }

    private func endText(_ start: Int) -> Text {
        Text(scratch: start, count: scratch.count - start)
    }

    // MARK: Tags

    /// Sets a tag with map semantics (see the type's documentation).
    private mutating func set(_ key: Text, _ value: Text) {
        let ascii = withBytes(key, ZipkinBytes.isASCII)
        if let index = tagIndex(key, ascii: ascii) {
            tags.entries[index].value = value
            tags.entries[index].removed = false
            return
        }
        tags.append(Tag(key: key, value: value, ascii: ascii), signature: signature(key))
    }

    /// A key's bit in ``TagList/signatures``: from its length and its first and last
    /// bytes, which tell most keys apart.
    @inline(__always)
    private func signature(_ key: Text) -> UInt64 {
        guard key.count > 0 else { return 1 }
        let (first, last) = withBytes(key) { ($0[0], $0[$0.count - 1]) }
        return 1 << UInt64((key.count &* 7 &+ Int(first) &+ Int(last) &* 3) & 63)
    }

    private mutating func setLiteral(_ key: StaticString, _ value: Text) {
        set(Text(key), value)
    }

    /// The tag whose key equals `key` as a String, taken or not.
    private func tagIndex(_ key: Text, ascii: Bool) -> Int? {
        if ascii && !tags.hasNonASCIIKey {
            // Only ASCII keys: equal as Strings when equal as bytes, and a key whose
            // signature is not in the list is new.
            guard tags.mayHave(signature(key)) else { return nil }
            for index in tags.entries.indices where tags.entries[index].key.count == key.count && equalBytes(tags.entries[index].key, key) {
                return index
            }
            return nil
        }
        for index in tags.entries.indices where equalStrings(tags.entries[index].key, key) {
            return index
        }
        return nil
    }

    /// The value of the tag with this key, if it is there and not taken. The keys the
    /// mapping looks up are ASCII without a letter that other text equals as a String, so
    /// bytes decide.
    private func get(_ key: StaticString) -> Text? {
        let literal = Text(key)
        guard tags.mayHave(signature(literal)) else { return nil }
        for tag in tags.entries where !tag.removed && tag.key.count == literal.count && equalBytes(tag.key, literal) {
            return tag.value
        }
        return nil
    }

    /// Takes the tag with this key out; it keeps its place should it be set again.
    private mutating func remove(_ key: StaticString) -> Text? {
        let literal = Text(key)
        guard tags.mayHave(signature(literal)) else { return nil }
        for index in tags.entries.indices where !tags.entries[index].removed && tags.entries[index].key.count == literal.count
            && equalBytes(tags.entries[index].key, literal)
        {
            tags.entries[index].removed = true
            return tags.entries[index].value
        }
        return nil
    }

    private func equals(_ text: Text, _ literal: StaticString) -> Bool {
        text.count == literal.utf8CodeUnitCount && equalBytes(text, Text(literal))
    }

    // MARK: Bytes

    private func arenaBytes(_ ref: ByteRef) -> UnsafeRawBufferPointer {
        source.bytes(ref)
    }

    private func arenaText(_ ref: ByteRef) -> Text {
        let bytes = source.bytes(ref)
        return Text(bytes.baseAddress, count: bytes.count)
    }

    /// Calls `body` with the bytes of `text`.
    @inline(__always)
    private func withBytes<R>(_ text: Text, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        if let pointer = text.pointer { return body(UnsafeRawBufferPointer(start: pointer, count: text.count)) }
        let offset = text.offset, count = text.count
        return scratch.withBytes { all in
            guard offset + count <= all.count, let base = all.baseAddress else { return body(UnsafeRawBufferPointer(start: nil, count: 0)) }
            return body(UnsafeRawBufferPointer(start: base + offset, count: count))
        }
    }

    private func string(_ text: Text) -> String {
        withBytes(text) { String(decoding: $0, as: UTF8.self) }
    }

    private func equalBytes(_ a: Text, _ b: Text) -> Bool {
        withBytes(a) { x in withBytes(b) { y in ZipkinBytes.equal(x, y) } }
    }

    private func equalStrings(_ a: Text, _ b: Text) -> Bool {
        withBytes(a) { x in withBytes(b) { y in ZipkinBytes.equalStrings(x, y) } }
    }
}

/// A batch's tables and its arena's bytes, written as Zipkin JSON values.
private struct ZipkinTableSource {
    let tables: SpanTables
    let arena: UnsafeRawBufferPointer

    func bytes(_ ref: ByteRef) -> UnsafeRawBufferPointer {
        ZipkinBytes.slice(arena, ref)
    }

    /// Writes an attribute value as typed JSON, as ``ZipkinValueText/write(_:into:)`` does.
    func writeTyped(_ slot: ValueSlot, into output: inout JSONOutput) {
        switch slot.kind {
        case .string: output.string(utf8: bytes(slot.byteRef))
        case .bool: output.bool(slot.boolValue)
        case .int: output.int(slot.intValue)
        case .double: output.double(slot.doubleValue)
        case .bytes: output.base64String(bytes(slot.byteRef))
        case .array:
            output.beginArray()
            for index in slot.tableRange.indices { writeTyped(tables.nestedValues[index], into: &output) }
            output.endArray()
        case .keyValueList:
            writeObject(slot.tableRange, in: tables.nestedAttributes, droppedCount: 0, into: &output)
        case .empty: output.null()
        }
    }

    /// Attributes as a compact JSON object, with `otel.dropped_attributes_count` last when
    /// `droppedCount` is not zero (``ZipkinValueText/objectText(_:droppedCount:)``).
    func writeObject(_ range: TableRange, in table: [AttributeSlot], droppedCount: UInt32, into output: inout JSONOutput) {
        output.beginObject()
        for index in range.indices {
            let slot = table[index]
            output.key(utf8: bytes(slot.key))
            writeTyped(slot.value, into: &output)
        }
        if droppedCount != 0 {
            output.key(ZipkinKeys.droppedAttributesCount)
            output.uint(UInt64(droppedCount))
        }
        output.endObject()
    }
}

/// A text a tag holds: bytes at a stable address (the arena, a literal), or in the
/// encoder's scratch buffer, whose address moves as it grows.
private struct Text {
    var pointer: UnsafeRawPointer?
    var offset: Int
    var count: Int

    init(_ pointer: UnsafeRawPointer?, count: Int) {
        self.pointer = count == 0 ? nil : pointer
        offset = 0
        self.count = pointer == nil ? 0 : count
    }

    init(scratch offset: Int, count: Int) {
        pointer = nil
        self.offset = offset
        self.count = count
    }

    init(_ literal: StaticString) {
        self.init(UnsafeRawPointer(literal.utf8Start), count: literal.utf8CodeUnitCount)
    }
}

private struct Tag {
    var key: Text
    var value: Text
    var ascii: Bool
    var removed = false
}

/// Tags in first-appearance order, with what makes looking a key up cheap.
private struct TagList {
    var entries: [Tag] = []
    /// The signatures of the keys in the list, or'ed: a key whose signature bit is clear is
    /// not in the list, without comparing bytes.
    var signatures: UInt64 = 0
    var hasNonASCIIKey = false

    var hasEntries: Bool { entries.contains { !$0.removed } }

    func mayHave(_ signature: UInt64) -> Bool {
        signatures & signature != 0
    }

    mutating func append(_ tag: Tag, signature: UInt64) {
        entries.append(tag)
        signatures |= signature
        if !tag.ascii { hasNonASCIIKey = true }
    }

    mutating func removeAll() {
        entries.removeAll(keepingCapacity: true)
        signatures = 0
        hasNonASCIIKey = false
    }

    /// Copies `other` without giving up this list's storage.
    mutating func copy(from other: TagList) {
        entries.removeAll(keepingCapacity: true)
        entries.append(contentsOf: other.entries)
        signatures = other.signatures
        hasNonASCIIKey = other.hasNonASCIIKey
    }
}
