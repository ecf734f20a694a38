import Foundation
@testable import SpindleClickHouse
import SpindleModel
import SpindleSamples
import SpindleStorage
import SpindleTesting
import Testing

/// The reader, the RowBinary decoder, failover, retention and query cost against a real
/// `clickhouse-server` (one per suite).
@Suite(.clickHouseServer, .serialized)
struct ClickHouseTraceStoreTests {
    typealias StoredSpan = ConformanceFixtures.StoredSpan

    static func open(_ database: String, urls: [String]? = nil) async throws -> ClickHouseTraceStore {
        let server = try ClickHouseServerScope.server()
        return try await ClickHouseTraceStore.open(ClickHouseStoreConfiguration(
            urls: urls ?? [server.httpURL], database: database, user: ClickHouseServer.user, password: server.password
        ))
    }

    /// Every span of `batch` with its resource and scope, in trace and span ID order.
    static func stored(_ batch: SpanBatch?) -> [StoredSpan] {
        batch.map { ConformanceFixtures.storedSpans(in: $0) } ?? []
    }

    // MARK: Decoding

    @Test func decoder_readsBackEveryFieldOfEveryValueTag() async throws {
        let store = try await Self.open("store_decode")
        var rich = SpanBatchBuilder()
        for group in Samples.richResourceSpans() { rich.append(group) }
        let written = ConformanceFixtures.all + [ClickHouseTraceWriterTests.hostileSpan]
            + ConformanceFixtures.storedSpans(in: rich.build())
        let batch = ConformanceFixtures.batch(written)
        try await store.write(batch)

        // Straight from the table through the decoder.
        let answer = try await store.query("SELECT \(ClickHouseTraceStore.spanColumns) FROM store_decode.spans ORDER BY trace_id, span_id FORMAT RowBinary")
        let rows = try ClickHouseSpanRowReader.rows(answer, what: "test rows")
        let decoded = rows.map { StoredSpan(resource: $0.resource, scope: $0.scope, span: $0.span) }
        let expected = ConformanceFixtures.storedSpans(in: batch)
        #expect(decoded.count == expected.count)
        for (got, want) in zip(decoded, expected) {
            #expect(got.span == want.span)
            #expect(got.resource == want.resource)
            #expect(got.scope == want.scope)
        }
        // Through trace(id:), every trace whole.
        for trace in Set(written.map(\.span.traceID)) {
            let read = try await store.trace(id: trace, timeRange: nil)
            try #require(read != nil)
            try read?.tables.validate()
            #expect(Self.stored(read) == expected.filter { $0.span.traceID == trace })
        }
    }

    @Test func decoder_refusesTruncatedAndMalformedRowsWithoutCrashing() async throws {
        let store = try await Self.open("store_truncated")
        try await store.write(ConformanceFixtures.batch(ConformanceFixtures.traceASpans))
        let answer = try await store.query("SELECT \(ClickHouseTraceStore.spanColumns) FROM store_truncated.spans ORDER BY span_id LIMIT 1 FORMAT RowBinary")
        #expect(try ClickHouseSpanRowReader.rows(answer, what: "one row").count == 1)
        for length in 1..<answer.count {
            #expect(throws: StorageError.self) { try ClickHouseSpanRowReader.rows(Array(answer.prefix(length)), what: "a cut row") }
        }
        // A huge count is refused before anything is allocated.
        var huge = Array(answer.prefix(16 + 8 + 8))
        huge += [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]
        do {
            _ = try ClickHouseSpanRowReader.rows(huge, what: "a huge length")
            Issue.record("a huge length was accepted")
        } catch {
            #expect(error.code == .corrupt)
            #expect(error.message.contains("trace_state at byte 42"))
        }
        // An unknown type tag.
        var mangled = answer
        let tags = try #require(Self.range(of: [5, 1, 3, 1, 2, 4], in: mangled)) // A1's attribute_types
        mangled[tags.lowerBound + 1] = 99
        #expect(throws: StorageError.self) { try ClickHouseSpanRowReader.rows(mangled, what: "a bad tag") }
    }

    static func range(of needle: [UInt8], in haystack: [UInt8]) -> Range<Int>? {
        guard needle.count <= haystack.count else { return nil }
        for start in 0...(haystack.count - needle.count) where Array(haystack[start..<(start + needle.count)]) == needle {
            return start..<(start + needle.count)
        }
        return nil
    }

    // MARK: Hostile strings

    static let hostile: [String] = [
        "quote ' in it", "back\\slash", "nul\0byte", "new\nline", "per%cent", "under_score", "Grüße 世界 🌍",
        "e\u{301}", "tab\tand\rreturn", "x' OR 1=1 --", "') OR ('1'='1", "{ .a = \"b\" } && } || true",
        "\\' UNION SELECT * FROM system.users --", "%", "_", "",
    ]

    @Test func hostileNamesKeysAndValues_findExactlyTheirSpans() async throws {
        let store = try await Self.open("store_hostile")
        var builder = SpanBatchBuilder()
        for (index, text) in Self.hostile.enumerated() {
            let span = SpanRecord(
                traceID: TraceID(high: 0x4000 + UInt64(index), low: 1), spanID: SpanID(1), name: text, kind: .server,
                startTimeUnixNano: ConformanceFixtures.time(UInt64(index)), endTimeUnixNano: ConformanceFixtures.time(UInt64(index) + 1),
                attributes: [Attribute(text, .string(text)), Attribute("key", .string(text))]
            )
            builder.append(span, resource: Resource(attributes: [Attribute("service.name", .string(text)), Attribute("r" + text, .string(text))]), scope: InstrumentationScope(name: "s"))
        }
        try await store.write(builder.build())
        // Swift compares "e\u{301}" with nothing else here, so every text is its own value.
        let expectedServices = Set(Self.hostile).sorted()
        let services = try await store.services(timeRange: nil)
        #expect(services == expectedServices)

        for (index, text) in Self.hostile.enumerated() {
            let id = TraceID(high: 0x4000 + UInt64(index), low: 1)
            let byService = try await store.search(TraceQuery(service: text, limit: 100))
            #expect(byService.map(\.traceID) == [id], "service \(text.debugDescription)")
            #expect(byService.first?.rootService == text)
            let byOperation = try await store.search(TraceQuery(operation: text, limit: 100))
            #expect(byOperation.map(\.traceID) == [id], "operation \(text.debugDescription)")
            #expect(byOperation.first?.rootOperation == text)
            let byKey = try await store.search(TraceQuery(attributes: [AttributeFilter(scope: .span, key: text, .exists)], limit: 100))
            #expect(byKey.map(\.traceID) == [id], "key \(text.debugDescription)")
            let byValue = try await store.search(TraceQuery(attributes: [AttributeFilter(scope: .span, key: "key", .equals(.string(text)))], limit: 100))
            #expect(byValue.map(\.traceID) == [id], "value \(text.debugDescription)")
            let byResource = try await store.search(TraceQuery(attributes: [AttributeFilter(scope: .resource, key: "r" + text, .equals(.string(text)))], limit: 100))
            #expect(byResource.map(\.traceID) == [id], "resource key \(text.debugDescription)")
            let operations = try await store.operations(service: text, timeRange: nil)
            #expect(operations == [Operation(name: text, kind: .server)])
            let values = try await store.attributeValues(scope: .span, key: text, timeRange: nil, limit: 10)
            #expect(values == [text])
        }
        let keyValues = try await store.attributeValues(scope: .span, key: "key", timeRange: nil, limit: 100)
        #expect(keyValues == expectedServices)
        let names = try await store.attributeNames(scope: .span, timeRange: nil)
        #expect(names == Set(Self.hostile + ["key"]).sorted())
        // An injected condition is a value like any other: it finds nothing else.
        let injected = try await store.search(TraceQuery(service: "nope' OR '1'='1", limit: 100))
        #expect(injected.isEmpty)
        let likePattern = try await store.search(TraceQuery(operation: "%quote%", limit: 100))
        #expect(likePattern.isEmpty)
        let tables = try await store.query("SELECT count() FROM system.tables WHERE database = 'store_hostile' FORMAT TabSeparated")
        #expect(String(decoding: tables, as: UTF8.self) == "6\n")
    }

    // MARK: Exact numeric filters finished in Swift

    @Test func numericFilters_areExactAtTheEdges() async throws {
        let store = try await Self.open("store_numeric")
        let values: [AttributeValue] = [
            .double(.leastNonzeroMagnitude), .double(0), .double(-0.0), .int(.max), .int(Int64(1) << 53 + 1),
            .double(0x1p53), .double(.nan), .double(.infinity), .array([.double(1)]), .keyValueList([Attribute("k", .int(1))]),
        ]
        var builder = SpanBatchBuilder()
        for (index, value) in values.enumerated() {
            builder.append(SpanRecord(
                traceID: TraceID(high: 0x5000, low: UInt64(index) + 1), spanID: SpanID(1), name: "n",
                startTimeUnixNano: ConformanceFixtures.time(UInt64(index)), endTimeUnixNano: ConformanceFixtures.time(UInt64(index)),
                attributes: [Attribute("v", value)]
            ), resource: Resource(), scope: InstrumentationScope())
        }
        try await store.write(builder.build())
        func expectFound(_ condition: AttributeFilter.Condition, _ expected: [UInt64], sourceLocation: SourceLocation = #_sourceLocation) async throws {
            let found = try await store.search(TraceQuery(attributes: [AttributeFilter(scope: .span, key: "v", condition)], limit: 100))
            #expect(found.map(\.traceID.low).sorted() == expected, "\(condition)", sourceLocation: sourceLocation)
        }
        // 5e-324 is below the subnormal 2^-1060; 18.16 reads both as 0.
        try await expectFound(.range(min: 0x1p-1060, max: nil), [4, 5, 6, 8])
        try await expectFound(.range(min: nil, max: 0x1p-1060), [1, 2, 3])
        try await expectFound(.range(min: 0, max: 0), [2, 3])
        try await expectFound(.equals(.double(0)), [2, 3])
        try await expectFound(.equals(.int(0)), [2, 3])
        // 2^53 + 1 is no double; 2^53 is.
        try await expectFound(.range(min: 0x1p53, max: 0x1p53), [6])
        try await expectFound(.range(min: 0x1p53 + 2, max: nil), [4, 8])
        try await expectFound(.equals(.int(Int64(1) << 53 + 1)), [5])
        try await expectFound(.equals(.int(Int64(1) << 53)), [6])
        try await expectFound(.equals(.double(.nan)), [])
        try await expectFound(.equals(.double(.infinity)), [8])
        try await expectFound(.range(min: .infinity, max: nil), [8])
        try await expectFound(.equals(.array([.double(1)])), [9])
        try await expectFound(.equals(.array([.int(1)])), [])
        try await expectFound(.equals(.keyValueList([Attribute("k", .int(1))])), [10])
    }

    // MARK: Writer

    @Test func writer_acceptsStartTimesSpreadOverCenturies() async throws {
        let store = try await Self.open("store_spread")
        let trace = TraceID(high: 0x6000, low: 1)
        let day: UInt64 = 86_400_000_000_000
        // 0, 2001, 2106 and beyond (DateTime's 32 bits wrap there), the largest time, and
        // 120 consecutive days: more than one insert's worth of days.
        var starts: [UInt64] = [0, 1_000_000_000_000_000_000, 4_294_967_295_000_000_000, 4_294_967_296_000_000_000, 5_000_000_000_000_000_000, .max - 1]
        starts += (0..<120).map { ConformanceFixtures.baseTime + UInt64($0) * day }
        var builder = SpanBatchBuilder()
        for (index, start) in starts.enumerated() {
            builder.append(SpanRecord(
                traceID: trace, spanID: SpanID(UInt64(index) + 1), name: "spread",
                startTimeUnixNano: start, endTimeUnixNano: start &+ 1
            ), resource: Resource(attributes: [Attribute("service.name", "svc")]), scope: InstrumentationScope())
        }
        let batch = builder.build()
        #expect(ClickHouseTraceWriter.dayGroups(batch.tables).count > 1)
        try await store.write(batch)
        try await store.write(batch)
        let read = try await store.trace(id: trace, timeRange: nil)
        #expect(Self.stored(read) == ConformanceFixtures.storedSpans(in: batch))
        var scanned = 0
        for try await part in store.scan(timeRange: .all) { scanned += part.spanCount }
        #expect(scanned == starts.count)
        let summary = try await store.search(TraceQuery(limit: 10))
        #expect(summary.map(\.spanCount) == [starts.count])
        #expect(summary.first?.startTimeUnixNano == 0)
        let late = try await store.trace(id: trace, timeRange: TimeRange(start: .max - 1, end: .max))
        #expect(late?.spanCount == starts.count)
    }

    @Test func migration2_indexesSpansWrittenBeforeIt() async throws {
        let database = "store_backfill"
        let client = try ClickHouseServerScope.client()
        let features = try await client.features()
        try await client.execute("CREATE DATABASE \(database)")
        for statement in ClickHouseSchema.migrations[0].statements(database, features) { try await client.execute(statement) }
        try await client.execute("CREATE TABLE \(database).spindle_schema (version UInt32, applied_unix_seconds UInt64, summary String) ENGINE = ReplacingMergeTree ORDER BY version")
        try await client.execute("INSERT INTO \(database).spindle_schema VALUES (1, 0, 'version 1')")
        try await ClickHouseTraceWriter(client: client, database: database).write(ConformanceFixtures.batch(ConformanceFixtures.all))
        // Another day partition: the backfill copies day by day.
        let later = ConformanceFixtures.StoredSpan(
            resource: ConformanceFixtures.frontend, scope: ConformanceFixtures.httpScope,
            span: SpanRecord(
                traceID: TraceID(high: 0x3D, low: 3), spanID: SpanID(0x3D), name: "three days later",
                startTimeUnixNano: ConformanceFixtures.baseTime + 3 * 86_400_000_000_000, endTimeUnixNano: ConformanceFixtures.baseTime + 3 * 86_400_000_000_000 + 1
            )
        )
        try await ClickHouseTraceWriter(client: client, database: database).write(ConformanceFixtures.batch([later]))

        let store = try await Self.open(database)
        let version = try await ClickHouseSchema(client: client, database: database).appliedVersion()
        #expect(version == 2)
        let read = try await store.trace(id: ConformanceFixtures.traceA, timeRange: nil)
        #expect(Self.stored(read) == ConformanceFixtures.sorted(ConformanceFixtures.traceASpans))
        let laterRead = try await store.trace(id: later.span.traceID, timeRange: nil)
        #expect(Self.stored(laterRead) == [later])
        let found = try await store.search(TraceQuery(timeRange: TimeRange(start: 0, end: ConformanceFixtures.baseTime + 86_400_000_000_000), limit: 10))
        #expect(found == ConformanceFixtures.summaries)
    }

    // MARK: Connections

    @Test func open_skipsAnUnavailableURL_andHidesThePassword() async throws {
        let server = try ClickHouseServerScope.server()
        // A port nothing listens on (the suite's TCP port speaks another protocol; an
        // unused loopback port refuses at once).
        let dead = "http://127.0.0.1:9"
        let configuration = ClickHouseStoreConfiguration(urls: [dead, server.httpURL], database: "store_failover", user: ClickHouseServer.user, password: server.password)
        #expect(!configuration.description.contains(server.password))
        #expect(configuration.description.contains("store_failover"))
        let store = try await ClickHouseTraceStore.open(configuration)
        try await store.write(ConformanceFixtures.batch(ConformanceFixtures.traceBSpans))
        let read = try await store.trace(id: ConformanceFixtures.traceB, timeRange: nil)
        #expect(read?.spanCount == 3)

        do {
            _ = try await ClickHouseTraceStore.open(ClickHouseStoreConfiguration(urls: [dead], password: server.password))
            Issue.record("a dead URL opened")
        } catch {
            #expect(error.code == .unavailable)
            #expect(!"\(error)".contains(server.password))
        }
        do {
            _ = try await ClickHouseTraceStore.open(ClickHouseStoreConfiguration(urls: []))
            Issue.record("no URL opened")
        } catch {
            #expect(error.code == .invalidArgument)
        }
    }

    @Test func aQueryStoppedForItsCost_isNotTriedOnTheNextURL_butAnUnreachableServerIs() throws {
        func error(_ text: String) throws -> StorageError {
            let exception = try #require(ClickHouseException(text: text))
            return StorageError(.unavailable, text, underlying: exception)
        }
        #expect(ClickHouseTraceStore.isQueryCost(try error("Code: 159, e.displayText() = DB::Exception: Timeout exceeded: elapsed 60.1 seconds, maximum: 60, e.what() = DB::Exception")))
        #expect(ClickHouseTraceStore.isQueryCost(try error("Code: 241, e.displayText() = DB::Exception: Memory limit (for query) exceeded, e.what() = DB::Exception")))
        #expect(!ClickHouseTraceStore.isQueryCost(try error("Code: 252, e.displayText() = DB::Exception: Too many parts (300), e.what() = DB::Exception")))
        #expect(!ClickHouseTraceStore.isQueryCost(StorageError(.unavailable, "cannot reach ClickHouse http://127.0.0.1:9")))
    }

    // MARK: Retention

    @Test func dropPartitions_dropsOldDaysOnly_andIsIdempotent() async throws {
        let store = try await Self.open("store_retention")
        let day: UInt64 = 86_400_000_000_000
        let now = UInt64(Date().timeIntervalSince1970) * 1_000_000_000
        let today = now / day * day
        let old = SpanRecord(traceID: TraceID(high: 0x7000, low: 1), spanID: SpanID(1), name: "old", startTimeUnixNano: today - 3 * day + 5, endTimeUnixNano: today - 3 * day + 6)
        let current = SpanRecord(traceID: TraceID(high: 0x7000, low: 2), spanID: SpanID(1), name: "current", startTimeUnixNano: today + 5, endTimeUnixNano: today + 6)
        let resource = Resource(attributes: [Attribute("service.name", "svc")])
        var builder = SpanBatchBuilder()
        builder.append(old, resource: resource, scope: InstrumentationScope())
        builder.append(current, resource: resource, scope: InstrumentationScope())
        try await store.write(builder.build())

        // The cutoff inside yesterday: the old day ended before it, yesterday did not.
        let dropped = try await store.dropPartitions(olderThan: today - day / 2)
        let oldDay = Self.partitionID(today - 3 * day)
        #expect(dropped == [oldDay])
        let oldTrace = try await store.trace(id: old.traceID, timeRange: nil)
        #expect(oldTrace == nil)
        let currentTrace = try await store.trace(id: current.traceID, timeRange: nil)
        #expect(currentTrace?.spanCount == 1)
        let left = try await store.query("SELECT DISTINCT partition_id FROM system.parts WHERE database = 'store_retention' AND table != 'spindle_schema' AND active ORDER BY partition_id FORMAT TabSeparated")
        #expect(String(decoding: left, as: UTF8.self) == Self.partitionID(today) + "\n")
        let again = try await store.dropPartitions(olderThan: today - day / 2)
        #expect(again == [])
        #expect(ClickHouseTraceStore.dayNumber(partitionID: "19700101") == 0)
        #expect(ClickHouseTraceStore.dayNumber(partitionID: "20231114") == 19_675)
        #expect(ClickHouseTraceStore.dayNumber(partitionID: "all") == nil)
    }

    static func partitionID(_ unixNano: UInt64) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd"
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.locale = Locale(identifier: "en_US_POSIX")
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(unixNano / 1_000_000_000)))
    }

    // MARK: Cost of trace by ID

    /// Writes about 100k Workload spans and measures, with ClickHouse's own statistics,
    /// how many rows trace by ID reads: a few granules (8192 rows each) per sort-key range
    /// instead of whole partitions.
    @Test func traceByID_readsFewGranules() async throws {
        let store = try await Self.open("store_cost")
        var workload = Workload(Workload.Configuration(traceIntervalNanos: 3_000_000_000, seed: 7))
        var traces: [TraceID] = []
        var total = 0
        // SPINDLE_CLICKHOUSE_COST_SPANS measures a larger store (the report's figures).
        let target = ProcessInfo.processInfo.environment["SPINDLE_CLICKHOUSE_COST_SPANS"].flatMap { Int($0) } ?? 100_000
        while total < target {
            let batch = workload.nextBatch(targetSpans: 10_000)
            total += batch.spanCount
            traces.append(contentsOf: Set((0..<batch.spanCount).map { batch.tables.spans[$0].traceID }).sorted().prefix(5))
            try await store.write(batch)
        }
        func measure() async throws -> (index: [Int], spans: [Int], ranges: [Int]) {
            var indexRowsRead: [Int] = []
            var spanRowsRead: [Int] = []
            var rangeCounts: [Int] = []
            for id in traces.prefix(20) {
                let keys = try await store.spanKeys(of: id)
                let read = try await store.trace(id: id, timeRange: nil)
                #expect(read?.spanCount == keys.count)
                indexRowsRead.append(try await Self.rowsRead(store, ClickHouseTraceStore.spanKeysQuery(spanIndex: store.spanIndexTable, id: id, format: "JSON")))
                let ranges = ClickHouseTraceStore.keyRanges(keys)
                rangeCounts.append(ranges.count)
                spanRowsRead.append(try await Self.rowsRead(store, ClickHouseTraceStore.traceQuery(spans: store.spansTable, id: id, keyRanges: ranges, format: "JSON")))
            }
            return (indexRowsRead, spanRowsRead, rangeCounts)
        }
        let beforeMerges = try await measure()
        try await store.clients[0].execute("OPTIMIZE TABLE store_cost.spans FINAL")
        try await store.clients[0].execute("OPTIMIZE TABLE store_cost.span_index FINAL")
        let afterMerges = try await measure()
        let whole = try await Self.rowsRead(store, "SELECT count() FROM store_cost.spans WHERE trace_id = unhex('\(traces[0].hexString)') FORMAT JSON")
        // What one search page reads: every matching span's trace ID, span ID and start.
        let search = SearchPlan(TraceQuery(service: "frontend", limit: 20)).pageQuery(spans: store.spansTable, after: nil, pageSize: store.paging.searchPage)
        let searchRows = try await Self.rowsRead(store, search.replacingOccurrences(of: "FORMAT RowBinary", with: "FORMAT JSON"))
        print("""
            trace by ID over \(total) spans, 20 traces with \(afterMerges.ranges) (service, hour, name) key ranges:
              before merges: span_index rows read \(beforeMerges.index), spans rows read \(beforeMerges.spans)
              after merges:  span_index rows read \(afterMerges.index), spans rows read \(afterMerges.spans)
              a trace ID alone on spans: \(whole); one search page for a service: \(searchRows)
            """)
        #expect(whole >= total)
        // One table part after the merge: one or two 1024-row granules of span_index, and at
        // most two 8192-row granules of spans per key range, whatever the table's size.
        #expect(afterMerges.index.allSatisfy { $0 <= 2 * 1024 })
        for (rows, ranges) in zip(afterMerges.spans, afterMerges.ranges) {
            #expect(rows <= 2 * 8192 * ranges)
        }
    }

    static func rowsRead(_ store: ClickHouseTraceStore, _ sql: String) async throws -> Int {
        let answer = try await store.query(sql)
        let json = try JSONSerialization.jsonObject(with: Data(answer)) as? [String: Any]
        let statistics = json?["statistics"] as? [String: Any]
        return Int(integer(statistics?["rows_read"]) ?? -1)
    }
}
