import Foundation
import SpindleModel
import SpindleSamples
import SpindleStorage
import Testing

@testable import SpindleStore

/// The page skim a search runs before decoding (`PageCodec.sift`): it may drop only
/// traces that cannot match, reports matches exactly when the query has no attribute
/// filter, and throws on exactly the bytes the full decoder throws on.
@Suite struct SearchPrefilterTests {
    static let base: UInt64 = 1_700_000_000_000_000_000
    static let millisecond: UInt64 = 1_000_000

    /// One span: `service` is its resource's `service.name`.
    struct Row {
        var trace: UInt64
        var span: UInt64
        var parent: UInt64 = 0
        var service = "front"
        var name = "GET /"
        var kind = SpanKind.server
        var status = StatusCode.unset
        /// Milliseconds after ``base``.
        var start: UInt64 = 0
        var milliseconds: UInt64 = 1
        var attributes: [Attribute] = []
    }

    static func batch(_ rows: [Row]) -> SpanBatch {
        var builder = SpanBatchBuilder()
        for row in rows {
            let start = base + row.start * millisecond
            builder.append(
                SpanRecord(
                    traceID: TraceID(high: 1, low: row.trace), spanID: SpanID(row.span), parentSpanID: SpanID(row.parent),
                    name: row.name, kind: row.kind, startTimeUnixNano: start, endTimeUnixNano: start + row.milliseconds * millisecond,
                    attributes: row.attributes, status: SpanStatus(code: row.status, message: "")
                ),
                resource: Resource(attributes: [Attribute("service.name", .string(row.service))]), scope: InstrumentationScope(name: "test")
            )
        }
        return builder.build()
    }

    /// Traces 1–6 each qualify through one span only, never their root; 7 splits the
    /// qualities over two spans; 8 has a child stored before its parent.
    static let rows: [Row] = [
        Row(trace: 1, span: 11, start: 0, milliseconds: 10),
        Row(trace: 1, span: 12, parent: 11, service: "db", name: "SELECT", kind: .client, start: 1, milliseconds: 500),
        Row(trace: 2, span: 21, start: 10, milliseconds: 900),
        Row(trace: 2, span: 22, parent: 21, service: "cache", name: "GET key", kind: .client, start: 11, milliseconds: 2),
        Row(trace: 3, span: 31, start: 20, milliseconds: 10),
        Row(trace: 3, span: 32, parent: 31, name: "render", kind: .internal, start: 21, milliseconds: 5),
        Row(trace: 4, span: 41, start: 30, milliseconds: 10),
        Row(trace: 4, span: 42, parent: 41, kind: .producer, start: 31, milliseconds: 3),
        Row(trace: 5, span: 51, start: 40, milliseconds: 10),
        Row(trace: 5, span: 52, parent: 51, service: "db", name: "SELECT", kind: .client, status: .error, start: 41, milliseconds: 4),
        Row(trace: 6, span: 61, start: 50, milliseconds: 10),
        Row(trace: 6, span: 62, parent: 61, service: "db", name: "SELECT", kind: .client, start: 51, milliseconds: 2, attributes: [Attribute("db.table", "orders")]),
        // The service on one span, the duration on another: no single span matches.
        Row(trace: 7, span: 71, service: "db", start: 60, milliseconds: 2),
        Row(trace: 7, span: 72, parent: 71, service: "api", start: 61, milliseconds: 700),
        // The child starts first, so it is row 0 and names its parent by a later row.
        Row(trace: 8, span: 82, parent: 81, service: "worker", name: "job", kind: .consumer, start: 70, milliseconds: 300),
        Row(trace: 8, span: 81, service: "queue", name: "enqueue", kind: .producer, start: 71, milliseconds: 1),
    ]

    static let queries: [(TraceQuery, [UInt64])] = [
        (TraceQuery(service: "db", minDuration: 100 * millisecond), [1]),
        (TraceQuery(service: "cache"), [2]),
        (TraceQuery(service: "front", minDuration: 800 * millisecond), [2]),
        (TraceQuery(operation: "render"), [3]),
        (TraceQuery(service: "front", kind: .producer), [4]),
        (TraceQuery(service: "db", status: .error), [5]),
        (TraceQuery(service: "db", maxDuration: 3 * millisecond), [6, 7]),
        (TraceQuery(service: "db", minDuration: 600 * millisecond), []),
        (TraceQuery(service: "api", maxDuration: 100 * millisecond), []),
        (TraceQuery(service: "worker", operation: "job", kind: .consumer, minDuration: 200 * millisecond), [8]),
        (TraceQuery(service: "queue", operation: "job"), []),
        (TraceQuery(timeRange: TimeRange(start: base + 41 * millisecond, end: base + 42 * millisecond), service: "db"), [5]),
        (TraceQuery(timeRange: TimeRange(start: base + 40 * millisecond, end: base + 41 * millisecond), service: "db"), []),
        (TraceQuery(service: "db", attributes: [AttributeFilter(scope: .span, key: "db.table", .equals(.string("orders")))]), [6]),
        (TraceQuery(service: "front", attributes: [AttributeFilter(scope: .span, key: "db.table", .exists)]), []),
        (TraceQuery(attributes: [AttributeFilter(scope: .resource, key: "service.name", .equals(.string("worker")))]), [8]),
    ]

    // MARK: Through the store

    @Test(arguments: [4, 1_000])
    func search_findsTracesOnlyThroughTheSpanThatQualifies(pageSpans: Int) async throws {
        let directory = TemporaryDirectory("prefilter")
        defer { directory.cleanUp() }
        var configuration = NativeStoreConfiguration.testing(directory.path)
        configuration.pageTargetSpans = pageSpans
        let store = try NativeTraceStore.open(configuration)
        try await store.write(Self.batch(Self.rows))
        try store.cutHead()
        #expect(store.headSpanCount == 0)
        for (query, expected) in Self.queries {
            var limited = query
            limited.limit = 100
            let found = try await store.search(limited).map(\.traceID.low).sorted()
            #expect(found == expected, "\(query)")
        }
        await store.close()
    }

    @Test func search_summarizesAChildStoredBeforeItsParentByTheParent() async throws {
        let directory = TemporaryDirectory("prefilter")
        defer { directory.cleanUp() }
        let store = try NativeTraceStore.open(.testing(directory.path))
        try await store.write(Self.batch(Self.rows))
        try store.cutHead()
        let summaries = try await store.search(TraceQuery(service: "worker", minDuration: 200 * Self.millisecond))
        #expect(summaries == [TraceSummary(
            traceID: TraceID(high: 1, low: 8), rootService: "queue", rootOperation: "enqueue",
            startTimeUnixNano: Self.base + 70 * Self.millisecond, endTimeUnixNano: Self.base + 370 * Self.millisecond,
            spanCount: 2, errorCount: 0, services: ["queue", "worker"]
        )])
        let trace = try #require(try await store.trace(id: TraceID(high: 1, low: 8), timeRange: nil))
        let parents = Dictionary(uniqueKeysWithValues: trace.tables.spans.map { ($0.spanID, $0.parentSpanID) })
        #expect(parents == [SpanID(81): .zero, SpanID(82): SpanID(81)])
        await store.close()
    }

    // MARK: The page skim

    @Test func sift_dropsOnlyTracesThatCannotMatch() throws {
        let page = Self.page(Self.batch(Self.rows))
        for (query, expected) in Self.queries {
            #expect(try Self.siftedMatches(page, query).map(\.low).sorted() == expected, "\(query)")
            #expect(try Self.siftedMatches(page, query) == Self.exactMatches(page, query), "\(query)")
        }
    }

    @Test func sift_decodesOnlyTracesThatMayMatch() throws {
        let page = Self.page(Self.batch(Self.rows))
        let complete = try PageCodec.sift(page, SpanConditions(TraceQuery(service: "db", status: .error)))
        #expect(complete.matching == [TraceID(high: 1, low: 5)])
        #expect(!complete.hasUndecided)
        #expect(Set(complete.decoded.tables.spans.map(\.spanID)) == [SpanID(51), SpanID(52)])
        // Found before a bound it starts before, so not decoded.
        let bounded = try PageCodec.sift(page, SpanConditions(TraceQuery(service: "db", status: .error)), decodingMatchesFrom: Self.base + 41 * Self.millisecond)
        #expect(bounded.matching == [TraceID(high: 1, low: 5)])
        #expect(bounded.decoded.isEmpty)
        // An attribute filter leaves the verdict to the exact matcher.
        let filter = AttributeFilter(scope: .span, key: "db.table", .exists)
        let partial = try PageCodec.sift(page, SpanConditions(TraceQuery(service: "db", maxDuration: 3 * Self.millisecond, attributes: [filter])))
        #expect(partial.matching.isEmpty)
        #expect(partial.hasUndecided)
        #expect(Set(partial.decoded.tables.spans.map(\.traceID.low)) == [6, 7])
    }

    /// Many traces over several services, names, kinds, statuses and durations: for each
    /// query built from their own values, the skim agrees with the full decode.
    @Test func sift_agreesWithTheExactMatcherOnGeneratedTraces() throws {
        var random = SplitMix64(seed: 5)
        let services = ["front", "db", "cache", "queue"]
        let names = ["GET /", "SELECT", "render", "job"]
        let kinds: [SpanKind] = [.server, .client, .internal, .producer, .consumer]
        var rows: [Row] = []
        for trace: UInt64 in 0..<200 {
            let spans = 1 + random.next() % 6
            for span in 0..<spans {
                rows.append(Row(
                    trace: trace, span: trace * 100 + span + 1, parent: span == 0 ? 0 : trace * 100 + 1,
                    service: services[Int(random.next() % 4)], name: names[Int(random.next() % 4)],
                    kind: kinds[Int(random.next() % 5)], status: random.next() % 7 == 0 ? .error : .unset,
                    start: trace * 3 + random.next() % 20, milliseconds: random.next() % 1_000
                ))
            }
        }
        let page = Self.page(Self.batch(rows))
        var nonEmpty = 0
        for index in 0..<120 {
            let row = rows[Int(random.next() % UInt64(rows.count))]
            var query = TraceQuery(limit: 1_000)
            if index % 2 == 0 { query.service = row.service }
            if index % 3 == 0 { query.operation = row.name }
            if index % 4 == 0 { query.kind = row.kind }
            if index % 5 == 0 { query.status = row.status }
            if index % 3 == 1 { query.minDuration = row.milliseconds * Self.millisecond }
            if index % 7 == 1 { query.maxDuration = row.milliseconds * Self.millisecond + random.next() % 300 * Self.millisecond }
            if index % 6 == 5 { query.timeRange = TimeRange(start: Self.base + row.start * Self.millisecond, end: Self.base + (row.start + 50) * Self.millisecond) }
            let exact = try Self.exactMatches(page, query)
            if !exact.isEmpty { nonEmpty += 1 }
            #expect(try Self.siftedMatches(page, query) == exact, "\(query)")
        }
        #expect(nonEmpty > 60)
    }

    @Test func sift_leavesATraceWithARepeatedSpanIDToTheExactMatcher() throws {
        // Two rows of one span ID: the store keeps one copy; the skim does not choose.
        let rows = [
            Row(trace: 1, span: 11, service: "db", start: 0, milliseconds: 5),
            Row(trace: 1, span: 11, service: "db", start: 1, milliseconds: 500),
        ]
        let page = Self.page(Self.batch(rows))
        let query = TraceQuery(service: "db", minDuration: 100 * Self.millisecond)
        let sifted = try PageCodec.sift(page, SpanConditions(query))
        #expect(sifted.matching.isEmpty)
        #expect(sifted.hasUndecided)
        #expect(try Self.siftedMatches(page, query) == Self.exactMatches(page, query))
    }

    @Test func pageStrings_compareAsTheDecoderDecodes() throws {
        // 0xFF is not UTF-8: decoded it becomes U+FFFD, which is what a query compares.
        var writer = ByteWriter()
        writer.varint(2)
        writer.lengthPrefixed([0x61, 0xFF])
        writer.lengthPrefixed(Array("é".utf8))
        let strings = try PageStrings(decoding: writer.bytes)
        #expect(strings.decodes(0, to: Array("a\u{FFFD}".utf8)))
        #expect(!strings.decodes(0, to: [0x61, 0xFF, 0x00]))
        #expect(strings.decodes(1, to: Array("é".utf8)))
        #expect(!strings.decodes(1, to: Array("e\u{301}".utf8)))
    }

    // MARK: Damage

    @Test func sift_throwsTheDecodersErrorForEveryTruncation() throws {
        let page = Self.page(Self.batch(Self.rows))
        let conditions = SpanConditions(TraceQuery(service: "db", minDuration: 100 * Self.millisecond))
        var failures = 0
        for length in 0..<page.count {
            let truncated = Array(page.prefix(length))
            let decoded = Self.error { () throws(FormatError) in _ = try PageCodec.decode(truncated) }
            let sifted = Self.error { () throws(FormatError) in _ = try PageCodec.sift(truncated, conditions) }
            #expect(sifted == decoded, "truncated to \(length) bytes")
            if sifted != nil { failures += 1 }
        }
        #expect(failures > page.count / 2)
    }

    @Test func sift_throwsTheDecodersErrorForEveryFlippedByte() throws {
        let page = Self.page(Self.batch(Self.rows))
        let conditions = SpanConditions(TraceQuery(service: "db", operation: "SELECT", minDuration: 100 * Self.millisecond))
        var failures = 0
        for offset in page.indices {
            for mask: UInt8 in [0x80, 0xFF] {
                var damaged = page
                damaged[offset] ^= mask
                let decoded = Self.error { () throws(FormatError) in _ = try PageCodec.decode(damaged) }
                let sifted = Self.error { () throws(FormatError) in _ = try PageCodec.sift(damaged, conditions) }
                #expect(sifted == decoded, "byte \(offset) ^ \(mask)")
                if sifted != nil { failures += 1 }
            }
        }
        #expect(failures > 0)
    }

    @Test func skipValue_refusesNestingDeeperThanTheDecoderDoes() throws {
        var writer = ByteWriter()
        for _ in 0..<PageCodec.maxDepth {
            writer.u8(PageCodec.ValueTag.array.rawValue)
            writer.varint(1)
        }
        writer.u8(PageCodec.ValueTag.empty.rawValue)
        var skipping = ByteReader(writer.bytes)
        let skipped = Self.error { () throws(FormatError) in try PageCodec.skipValue(&skipping, stringCount: 0, depth: 0) }
        var reading = ByteReader(writer.bytes)
        let dictionary = try StringDictionary(decoding: [0])
        let read = Self.error { () throws(FormatError) in _ = try PageCodec.value(&reading, dictionary: dictionary, depth: 0) }
        #expect(skipped == "attribute values nested deeper than 64 at byte \(2 * PageCodec.maxDepth)")
        #expect(skipped == read)
    }

    @Test func search_quarantinesABlockWithADamagedPage() async throws {
        let directory = TemporaryDirectory("prefilter")
        defer { directory.cleanUp() }
        let store = try NativeTraceStore.open(.testing(directory.path))
        try await store.write(Self.batch(Self.rows))
        try store.cutHead()
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: directory.path + "/blocks").first { $0.hasSuffix(".block") })
        let path = directory.path + "/blocks/" + name
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[BlockFormat.headerSize + 4] ^= 0xFF  // inside the first page
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        // The damaged page is met by the search, whose reader quarantines the block.
        #expect(try await store.search(TraceQuery(service: "db", minDuration: 100 * Self.millisecond)).isEmpty)
        #expect(store.blockCount == 0)
        await store.close()
    }

    // MARK: Helpers

    /// One page holding every span of `batch`, encoded as the block writer does.
    static func page(_ batch: SpanBatch) -> [UInt8] {
        var groups: [SpanGroup] = []
        var groupIndex: [SpanGroup: Int] = [:]
        var spans: [PageSpan] = []
        for row in 0..<batch.spanCount {
            let group = SpanGroup(resource: batch.resource(ofSpanAt: row), scope: batch.scope(ofSpanAt: row))
            if groupIndex[group] == nil {
                groupIndex[group] = groups.count
                groups.append(group)
            }
            spans.append(PageSpan(batch: 0, row: row, group: groupIndex[group] ?? 0))
        }
        let rows = batch.tables.spans
        // Traces by earliest start; rows of a trace by start.
        var firstStart: [TraceID: UInt64] = [:]
        for row in rows { firstStart[row.traceID] = min(firstStart[row.traceID] ?? .max, row.startTimeUnixNano) }
        spans.sort {
            let (left, right) = (rows[$0.row], rows[$1.row])
            let (leftTrace, rightTrace) = (firstStart[left.traceID] ?? 0, firstStart[right.traceID] ?? 0)
            if left.traceID != right.traceID { return (leftTrace, left.traceID) < (rightTrace, right.traceID) }
            return (left.startTimeUnixNano, left.spanID) < (right.startTimeUnixNano, right.spanID)
        }
        var encoder = PageCodec.Encoder()
        var stats = PageStats()
        return encoder.encode(spans, batches: [batch], groups: groups, serviceOfGroup: groups.map { _ in nil }, stats: &stats)
    }

    /// What the search takes from a sifted page.
    static func siftedMatches(_ page: [UInt8], _ query: TraceQuery) throws -> Set<TraceID> {
        let sifted = try PageCodec.sift(page, SpanConditions(query))
        let scratch = InMemoryTraceStore(maxSpans: .max)
        scratch.insert(sifted.decoded)
        return Set(sifted.matching).union(try scratch.matchingTraces(query))
    }

    /// The in-memory store's answer over the whole decoded page.
    static func exactMatches(_ page: [UInt8], _ query: TraceQuery) throws -> Set<TraceID> {
        let scratch = InMemoryTraceStore(maxSpans: .max)
        scratch.insert(try PageCodec.decode(page))
        return try scratch.matchingTraces(query)
    }

    static func error(_ body: () throws(FormatError) -> Void) -> String? {
        do {
            try body()
            return nil
        } catch {
            return error.description
        }
    }
}
