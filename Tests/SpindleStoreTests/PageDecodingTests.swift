import SpindleModel
import SpindleSamples
import SpindleTesting
import Testing

@testable import SpindleStore

/// A page decodes straight into ``SpanTables`` (`PageTableBuilder`): what comes out must
/// be exactly what was written — every value kind, bit for bit and byte for byte — laid
/// out as one resource and scope per page group, in the order the page first uses them.
@Suite struct PageDecodingTests {
    static let traceX = TraceID(high: 0x1111, low: 0x2222)
    static let traceY = TraceID(high: 0x3333, low: 0x4444)
    static let base: UInt64 = 1_700_000_000_000_000_000
    static let signalingNaN = Double(nan: 0x5A5A, signaling: true)

    /// Every kind of value, empty ones and nesting included.
    static let everyValue: [Attribute] = [
        Attribute("string", "plain"),
        Attribute("empty string", ""),
        Attribute("unicode", "Grüße, 世界 🌍"),
        // Canonically equivalent, different bytes: each must keep its own.
        Attribute("precomposed", "\u{E9}"),
        Attribute("decomposed", "e\u{301}"),
        Attribute("int min", .int(.min)),
        Attribute("int max", .int(.max)),
        Attribute("zero", .int(0)),
        Attribute("nan", .double(.nan)),
        Attribute("signaling nan", .double(signalingNaN)),
        Attribute("negative zero", .double(-0.0)),
        Attribute("infinity", .double(-.infinity)),
        Attribute("true", .bool(true)),
        Attribute("false", .bool(false)),
        Attribute("bytes", .bytes([0, 0xFF, 0x80, 1])),
        Attribute("no bytes", .bytes([])),
        Attribute("empty", .empty),
        Attribute("", .string("an empty key")),
        Attribute("empty array", .array([])),
        Attribute("empty list", .keyValueList([])),
        Attribute("array", .array([
            .int(1),
            .array([.string("deep"), .keyValueList([Attribute("k", .empty), Attribute("n", .double(-0.0))]), .array([])]),
            .bytes([9]),
            .string(""),
        ])),
        Attribute("list", .keyValueList([
            Attribute("a", .array([.double(.nan), .bool(true)])),
            Attribute("", .string("")),
            Attribute("inner", .keyValueList([Attribute("x", .array([.array([.int(-7)])]))])),
        ])),
        // The same key twice: both kept, in order.
        Attribute("string", "again"),
    ]

    static let frontend = Resource(attributes: [Attribute("service.name", "frontend")] + everyValue, droppedAttributesCount: 3, schemaURL: "https://opentelemetry.io/schemas/1.26.0")
    static let backend = Resource(attributes: [Attribute("service.name", "backend"), Attribute("host.name", "b-1")])
    static let bare = Resource()
    static let http = InstrumentationScope(name: "http", version: "1.2.3", attributes: everyValue, droppedAttributesCount: 1, schemaURL: "https://example.com/http")
    static let database = InstrumentationScope(name: "db", attributes: [Attribute("pool", .int(4))])
    static let unnamed = InstrumentationScope()

    static func span(
        _ trace: TraceID, _ id: UInt64, parent: UInt64 = 0, start: UInt64, end: UInt64? = nil, name: String,
        attributes: [Attribute] = [], events: [SpanEvent] = [], links: [SpanLink] = []
    ) -> SpanRecord {
        SpanRecord(
            traceID: trace, spanID: SpanID(id), parentSpanID: SpanID(parent), traceState: id % 2 == 0 ? "vendor=\(id)" : "",
            flags: UInt32(id % 3), name: name, kind: SpanKind(rawValue: Int32(id % 7)), startTimeUnixNano: base + start,
            endTimeUnixNano: end.map { base + $0 } ?? base + start + 1_000, attributes: attributes,
            droppedAttributesCount: UInt32(id % 5), events: events, droppedEventsCount: UInt32(id % 4),
            links: links, droppedLinksCount: UInt32(id % 2),
            status: SpanStatus(code: StatusCode(rawValue: Int32(id % 4)), message: id % 3 == 0 ? "failed: \(id)" : "")
        )
    }

    /// Two traces over three resources and four scopes. In trace X a child starts before
    /// its parent (so it names it by a later row), one span's parent is not in the page,
    /// and one span ends before it starts.
    static let rich: [ResourceSpans] = [
        ResourceSpans(resource: frontend, scopeSpans: [
            ScopeSpans(scope: http, spans: [
                span(traceX, 10, start: 100, name: "GET /checkout", attributes: everyValue, events: [
                    SpanEvent(timeUnixNano: base + 150, name: "exception", attributes: everyValue, droppedAttributesCount: 2),
                    SpanEvent(timeUnixNano: base + 50, name: ""),
                ], links: [
                    SpanLink(traceID: traceY, spanID: SpanID(20), traceState: "k=v", attributes: everyValue, droppedAttributesCount: 1, flags: 0x301),
                    SpanLink(traceID: .zero, spanID: .zero),
                ]),
                span(traceX, 11, parent: 10, start: 90, name: "child first", attributes: [Attribute("string", "plain")]),
            ]),
            ScopeSpans(scope: database, spans: [
                span(traceX, 12, parent: 11, start: 95, end: 10, name: "ends before it starts"),
            ]),
        ]),
        ResourceSpans(resource: backend, scopeSpans: [
            ScopeSpans(scope: unnamed, spans: [
                span(traceX, 13, parent: 0xEE, start: 200, name: "parent elsewhere", attributes: [Attribute("unicode", "Grüße, 世界 🌍")]),
                span(traceY, 20, start: 5, name: "GET /checkout", links: [SpanLink(traceID: traceX, spanID: SpanID(10))]),
            ]),
        ]),
        ResourceSpans(resource: bare, scopeSpans: [
            ScopeSpans(scope: unnamed, spans: [span(traceY, 21, parent: 20, start: 6, name: "")]),
        ]),
    ]

    // MARK: Tests

    @Test func decode_keepsEveryValueOfEveryTable() throws {
        let batches = [
            SpanBatch(Self.rich),
            SpanBatch(Samples.richResourceSpans()),
            ConformanceFixtures.batch(ConformanceFixtures.all),
            Samples.realisticBatch(spans: 300, seed: 5),
        ]
        for batch in batches {
            let (page, order) = Self.page(batch)
            let decoded = try PageCodec.decode(page)
            try decoded.tables.validate()
            try Self.expectValidUTF8(decoded)
            #expect(Self.dump(decoded) == Self.dump(Self.expected(batch, order)))
        }
    }

    @Test func decode_laysOutGroupsInPageOrderWithChildrenBeforeParentsResolved() throws {
        let batch = SpanBatch(Self.rich)
        let decoded = try PageCodec.decode(Self.page(batch).bytes)
        // Trace Y starts first; groups come in the order the page first uses them, each
        // holding its spans in page order (by trace, then start).
        #expect(decoded.tables.spans.map(\.spanID) == [20, 13, 21, 11, 10, 12].map { SpanID($0) })
        #expect(decoded.tables.spans.map(\.parentSpanID) == [0, 0xEE, 20, 10, 0, 11].map { SpanID($0) })
        #expect(decoded.tables.spans.map(\.scopeIndex) == [0, 0, 1, 2, 2, 3])
        #expect(decoded.tables.resources.map(\.scopes) == (0..<4).map { TableRange(start: $0, count: 1) })
        #expect((0..<4).map { decoded.tables.resource(at: $0).serviceName } == ["backend", nil, "frontend", "frontend"])
        #expect(decoded.tables.spans[5].endTimeUnixNano == Self.base + 10)
    }

    @Test func decode_copiesEachStringOncePerPage() throws {
        let decoded = try PageCodec.decode(Self.page(SpanBatch(Self.rich)).bytes)
        let tables = decoded.tables
        // "GET /checkout" names spans of both traces; one copy in the arena.
        let checkout = tables.spans.filter { tables.string($0.name) == "GET /checkout" }.map(\.name)
        #expect(checkout.count == 2)
        #expect(Set(checkout).count == 1)
        let keys = tables.spanAttributes.filter { tables.string($0.key) == "string" }.map(\.key)
        #expect(keys.count == 3)
        #expect(Set(keys).count == 1)
    }

    @Test func decode_wantedBuildsOnlyTheWantedTraces() throws {
        let batch = SpanBatch(Self.rich)
        let (page, order) = Self.page(batch)
        let decoded = try PageCodec.decode(page) { $0 == Self.traceX }
        try decoded.tables.validate()
        let wanted = order.filter { batch.tables.spans[$0.row].traceID == Self.traceX }
        // Groups keep the page's order: the backend group, first used by trace Y, first.
        #expect(Self.dump(decoded) == Self.dump(Self.expected(batch, wanted, page: order)))
        #expect(decoded.tables.resources.count == 3)
        #expect(decoded.resource(ofSpanAt: 0).serviceName == "backend")
        #expect(try PageCodec.decode(page) { _ in false }.isEmpty)
    }

    @Test func decode_readsInvalidUTF8AsStringDecodingDoes() throws {
        let invalid: [UInt8] = [0x66, 0x80, 0x6F]
        let surrogate: [UInt8] = [0x61, 0xED, 0xA0, 0x80]
        let truncated: [UInt8] = [0xF0, 0x9F, 0x8C]
        let accent: [UInt8] = [0xC3, 0xA9]
        var tables = SpanTables()
        func add(_ bytes: [UInt8]) -> ByteRef {
            let ref = ByteRef(offset: UInt32(tables.arena.count), count: UInt32(bytes.count))
            tables.arena += bytes
            return ref
        }
        let invalidRef = add(invalid)
        let surrogateRef = add(surrogate)
        let truncatedRef = add(truncated)
        let accentRef = add(accent)
        tables.resourceAttributes = [AttributeSlot(key: invalidRef, value: .string(truncatedRef))]
        tables.resources = [ResourceRow(attributes: TableRange(start: 0, count: 1), schemaURL: accentRef, scopes: TableRange(start: 0, count: 1))]
        tables.scopes = [ScopeRow(resourceIndex: 0, name: surrogateRef, spans: TableRange(start: 0, count: 1))]
        tables.spanAttributes = [AttributeSlot(key: accentRef, value: .string(invalidRef)), AttributeSlot(key: surrogateRef, value: .bytes(invalidRef))]
        var row = SpanRow(scopeIndex: 0)
        row.traceID = Self.traceX
        row.spanID = SpanID(1)
        row.name = invalidRef
        row.statusMessage = truncatedRef
        row.attributes = TableRange(start: 0, count: 2)
        tables.spans = [row]
        let written = SpanBatch(tables: tables)
        try written.tables.validate()

        let decoded = try PageCodec.decode(Self.page(written).bytes)
        try decoded.tables.validate()
        try Self.expectValidUTF8(decoded)
        let out = decoded.tables
        func repaired(_ bytes: [UInt8]) -> [UInt8] { Array(String(decoding: bytes, as: UTF8.self).utf8) }
        #expect(out.bytes(out.spans[0].name) == [0x66, 0xEF, 0xBF, 0xBD, 0x6F])
        #expect(out.bytes(out.spans[0].statusMessage) == repaired(truncated))
        #expect(out.bytes(out.scopes[0].name) == repaired(surrogate))
        #expect(out.bytes(out.resources[0].schemaURL) == accent)
        #expect(out.bytes(out.resourceAttributes[0].key) == repaired(invalid))
        #expect(out.bytes(out.resourceAttributes[0].value.byteRef) == repaired(truncated))
        #expect(out.bytes(out.spanAttributes[0].key) == accent)
        #expect(out.bytes(out.spanAttributes[0].value.byteRef) == repaired(invalid))
        // Bytes values are bytes: kept as written.
        #expect(out.spanAttributes[1].value.kind == .bytes)
        #expect(out.bytes(out.spanAttributes[1].value.byteRef) == invalid)
        #expect(decoded.span(at: 0).name == String(decoding: invalid, as: UTF8.self))
    }

    @Test func decode_anyDamagedByteThrowsOrYieldsValidTables() throws {
        let batch = SpanBatch(Array(Self.rich.prefix(1)))
        let page = Self.page(batch).bytes
        for index in page.indices {
            for flip: UInt8 in [0x01, 0x80, 0xFF] {
                var damaged = page
                damaged[index] ^= flip
                guard let decoded = try? PageCodec.decode(damaged) else { continue }
                try decoded.tables.validate()
                try Self.expectValidUTF8(decoded)
            }
        }
    }

    // MARK: Helpers

    /// One page of every span of `batch`, encoded as the block writer does, with one
    /// page group per scope of the batch; and the page's rows in order (traces by first
    /// start, spans by start), each with its group.
    static func page(_ batch: SpanBatch) -> (bytes: [UInt8], order: [PageSpan]) {
        let tables = batch.tables
        let groups = tables.scopes.indices.map { scope in
            SpanGroup(resource: tables.resource(at: Int(tables.scopes[scope].resourceIndex)), scope: tables.scope(at: scope))
        }
        var firstStart: [TraceID: UInt64] = [:]
        for row in tables.spans { firstStart[row.traceID] = min(firstStart[row.traceID] ?? .max, row.startTimeUnixNano) }
        let order = tables.spans.indices.map { PageSpan(batch: 0, row: $0, group: Int(tables.spans[$0].scopeIndex)) }.sorted {
            let (left, right) = (tables.spans[$0.row], tables.spans[$1.row])
            if left.traceID != right.traceID { return (firstStart[left.traceID] ?? 0, left.traceID) < (firstStart[right.traceID] ?? 0, right.traceID) }
            return (left.startTimeUnixNano, left.spanID) < (right.startTimeUnixNano, right.spanID)
        }
        var encoder = PageCodec.Encoder()
        var stats = PageStats()
        let bytes = encoder.encode(order, batches: [batch], groups: groups, serviceOfGroup: groups.map { _ in nil }, stats: &stats)
        return (bytes, order)
    }

    /// What decoding `rows` of `batch` must give: per group holding some of them, in the
    /// order the whole page (`page`, all rows by default) first uses the groups, its
    /// resource and scope holding its spans in page order.
    static func expected(_ batch: SpanBatch, _ rows: [PageSpan], page: [PageSpan]? = nil) -> SpanBatch {
        var groups: [Int] = []
        for row in page ?? rows where !groups.contains(row.group) { groups.append(row.group) }
        var spans: [Int: [SpanRecord]] = [:]
        for row in rows { spans[row.group, default: []].append(batch.span(at: row.row)) }
        groups = groups.filter { spans[$0] != nil }
        return SpanBatch(groups.map { group in
            let tables = batch.tables
            let resource = tables.resource(at: Int(tables.scopes[group].resourceIndex))
            return ResourceSpans(resource: resource, scopeSpans: [ScopeSpans(scope: tables.scope(at: group), spans: spans[group] ?? [])])
        })
    }

    static func expectValidUTF8(_ batch: SpanBatch) throws {
        let tables = batch.tables
        var refs: [ByteRef] = []
        for resource in tables.resources { refs.append(resource.schemaURL) }
        for scope in tables.scopes { refs += [scope.name, scope.version, scope.schemaURL] }
        for span in tables.spans { refs += [span.name, span.traceState, span.statusMessage] }
        for event in tables.events { refs.append(event.name) }
        for link in tables.links { refs.append(link.traceState) }
        for table in [tables.resourceAttributes, tables.scopeAttributes, tables.spanAttributes, tables.eventAttributes, tables.linkAttributes, tables.nestedAttributes] {
            for slot in table {
                refs.append(slot.key)
                if slot.value.kind == .string { refs.append(slot.value.byteRef) }
            }
        }
        for slot in tables.nestedValues where slot.kind == .string { refs.append(slot.byteRef) }
        for ref in refs {
            let bytes = tables.bytes(ref)
            #expect(Array(String(decoding: bytes, as: UTF8.self).utf8) == bytes, "invalid UTF-8 at \(ref)")
        }
    }

    /// Everything a batch holds, resource by resource, strings and bytes as bytes and
    /// numbers as bits: equal dumps are equal batches, NaN payloads and canonically
    /// equivalent strings included.
    static func dump(_ batch: SpanBatch) -> [String] {
        let tables = batch.tables
        var lines: [String] = []
        for (index, resource) in tables.resources.enumerated() {
            lines.append("resource \(index): \(attributes(resource.attributes, tables.resourceAttributes, tables)) dropped \(resource.droppedAttributesCount) schema \(bytes(resource.schemaURL, tables)) scopes \(resource.scopes.count)")
            for scopeIndex in resource.scopes.indices {
                let scope = tables.scopes[scopeIndex]
                lines.append("  scope \(bytes(scope.name, tables)) \(bytes(scope.version, tables)): \(attributes(scope.attributes, tables.scopeAttributes, tables)) dropped \(scope.droppedAttributesCount) schema \(bytes(scope.schemaURL, tables)) spans \(scope.spans.count)")
                for spanIndex in scope.spans.indices {
                    let span = tables.spans[spanIndex]
                    lines.append("    span \(span.traceID) \(span.spanID) parent \(span.parentSpanID) state \(bytes(span.traceState, tables)) flags \(span.flags) name \(bytes(span.name, tables)) kind \(span.kind.rawValue) \(span.startTimeUnixNano)…\(span.endTimeUnixNano) status \(span.statusCode.rawValue) \(bytes(span.statusMessage, tables)) dropped \(span.droppedAttributesCount)/\(span.droppedEventsCount)/\(span.droppedLinksCount) scope \(span.scopeIndex)")
                    lines.append("      attributes \(attributes(span.attributes, tables.spanAttributes, tables))")
                    for event in span.events.indices.map({ tables.events[$0] }) {
                        lines.append("      event \(event.timeUnixNano) \(bytes(event.name, tables)) dropped \(event.droppedAttributesCount): \(attributes(event.attributes, tables.eventAttributes, tables))")
                    }
                    for link in span.links.indices.map({ tables.links[$0] }) {
                        lines.append("      link \(link.traceID) \(link.spanID) \(bytes(link.traceState, tables)) flags \(link.flags) dropped \(link.droppedAttributesCount): \(attributes(link.attributes, tables.linkAttributes, tables))")
                    }
                }
            }
        }
        return lines
    }

    static func bytes(_ ref: ByteRef, _ tables: SpanTables) -> String {
        "[" + tables.bytes(ref).map { String($0, radix: 16) }.joined(separator: " ") + "]"
    }

    static func value(_ slot: ValueSlot, _ tables: SpanTables) -> String {
        switch slot.kind {
        case .string: "string\(bytes(slot.byteRef, tables))"
        case .bytes: "bytes\(bytes(slot.byteRef, tables))"
        case .array: "array(" + slot.tableRange.indices.map { value(tables.nestedValues[$0], tables) }.joined(separator: ", ") + ")"
        case .keyValueList: "list(" + attributes(slot.tableRange, tables.nestedAttributes, tables) + ")"
        case .empty, .bool, .int, .double: "\(slot.kind) 0x\(String(slot.payload, radix: 16))"
        }
    }

    static func attributes(_ range: TableRange, _ table: [AttributeSlot], _ tables: SpanTables) -> String {
        "{" + range.indices.map { "\(bytes(table[$0].key, tables))=\(value(table[$0].value, tables))" }.joined(separator: ", ") + "}"
    }
}
