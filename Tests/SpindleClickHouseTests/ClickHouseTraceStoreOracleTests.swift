import Foundation
@testable import SpindleClickHouse
import SpindleModel
import SpindleSamples
import SpindleStorage
import SpindleTesting
import Testing

/// The ClickHouse store against the in-memory store on the same generated spans, with
/// pages so small that every search, scan and autocomplete crosses many page boundaries.
@Suite(.clickHouseServer, .serialized)
struct ClickHouseTraceStoreOracleTests {
    @Test func everyReaderMethod_answersAsTheMemoryStoreDoes_acrossPages() async throws {
        let server = try ClickHouseServerScope.server()
        let client = ClickHouseClient(.init(url: server.httpURL, user: ClickHouseServer.user, password: server.password))
        try await ClickHouseSchema(client: client, database: "store_oracle").migrate()
        let store = ClickHouseTraceStore(
            clients: [client], tables: ClickHouseTables(database: "store_oracle"),
            paging: .init(searchPage: 7, scanChunk: 50, valuesPage: 3)
        )
        let memory = InMemoryTraceStore(maxSpans: 100_000)

        var workload = Workload(Workload.Configuration(services: 6, operations: 30, traceSpans: 1...40, errorRate: 0.1, users: 20, traceIntervalNanos: 2_000_000, seed: 11))
        var batches: [SpanBatch] = (0..<4).map { _ in workload.nextBatch(targetSpans: 800) }
        // A trace whose root started long before its last span (which is the newest span
        // of all), and one without a root whose spans all start at the same nanosecond.
        let base = ConformanceFixtures.baseTime
        let late = Resource(attributes: [Attribute("service.name", "late-svc")])
        var builder = SpanBatchBuilder()
        builder.append(SpanRecord(traceID: TraceID(high: 9, low: 1), spanID: SpanID(1), name: "early root", startTimeUnixNano: base - 3_600_000_000_000, endTimeUnixNano: base + 20_000_000_000), resource: late, scope: InstrumentationScope())
        builder.append(SpanRecord(traceID: TraceID(high: 9, low: 1), spanID: SpanID(2), parentSpanID: SpanID(1), name: "late child", startTimeUnixNano: base + 10_000_000_000, endTimeUnixNano: base + 10_000_000_001, status: SpanStatus(code: .error)), resource: late, scope: InstrumentationScope())
        for span in 0..<120 {
            builder.append(SpanRecord(traceID: TraceID(high: 9, low: 2), spanID: SpanID(UInt64(span) + 1), parentSpanID: SpanID(999), name: "burst", startTimeUnixNano: base + 5_000_000_000, endTimeUnixNano: base + 5_000_000_000 + UInt64(span)), resource: late, scope: InstrumentationScope())
        }
        batches.append(builder.build())
        for batch in batches {
            try await store.write(batch)
            try await memory.write(batch)
        }
        // Written again: copies must not show.
        try await store.write(batches[1])

        let services = try await memory.services(timeRange: nil)
        let clickHouseServices = try await store.services(timeRange: nil)
        #expect(clickHouseServices == services)
        #expect(services.count == 7)

        let window = TimeRange(start: base + 100_000_000, end: base + 300_000_000)
        var queries: [TraceQuery] = [1, 2, 7, 8, 50, 1000].map { TraceQuery(limit: $0) }
        queries += services.map { TraceQuery(service: $0, limit: 9) }
        queries += [
            TraceQuery(status: .error, limit: 5), TraceQuery(kind: .client, limit: 13), TraceQuery(kind: .server, limit: 1000),
            TraceQuery(minDuration: 50_000_000, limit: 20), TraceQuery(maxDuration: 1_000, limit: 20),
            TraceQuery(timeRange: window, limit: 30), TraceQuery(timeRange: window, service: services[0], limit: 3),
            TraceQuery(attributes: [AttributeFilter(scope: .span, key: "http.status_code", .range(min: 500, max: nil))], limit: 10),
            TraceQuery(attributes: [AttributeFilter(scope: .span, key: "http.status_code", .equals(.double(200)))], limit: 10),
            TraceQuery(attributes: [AttributeFilter(scope: .span, key: "app.order.amount", .range(min: 100, max: 400.5))], limit: 10),
            TraceQuery(attributes: [AttributeFilter(scope: .span, key: "db.connection_pool.utilization", .range(min: 0.25, max: 0.5))], limit: 10),
            TraceQuery(attributes: [AttributeFilter(scope: .span, key: "cache.hit", .equals(.bool(false)))], limit: 10),
            TraceQuery(attributes: [AttributeFilter(scope: .resource, key: "service.name", .exists), AttributeFilter(scope: .span, key: "http.method", .equals("GET"))], limit: 10),
        ]
        for query in queries {
            let expected = try await memory.search(query)
            let actual = try await store.search(query)
            #expect(actual == expected, "\(query)")
        }

        for service in services {
            let expected = try await memory.operations(service: service, timeRange: nil)
            let actual = try await store.operations(service: service, timeRange: nil)
            #expect(actual == expected, "operations of \(service)")
        }
        for scope in [AttributeScope.span, .resource] {
            let expected = try await memory.attributeNames(scope: scope, timeRange: window)
            let actual = try await store.attributeNames(scope: scope, timeRange: window)
            #expect(actual == expected)
        }
        for (scope, key) in [(AttributeScope.span, "http.route"), (.span, "http.status_code"), (.span, "app.order.amount"), (.resource, "host.name"), (.span, "enduser.id")] {
            for limit in [1, 4, 10, 1000] {
                let expected = try await memory.attributeValues(scope: scope, key: key, timeRange: nil, limit: limit)
                let actual = try await store.attributeValues(scope: scope, key: key, timeRange: nil, limit: limit)
                #expect(actual == expected, "values of \(key), limit \(limit)")
            }
        }

        for range in [TimeRange.all, window] {
            var expected: [ConformanceFixtures.StoredSpan] = []
            for try await batch in memory.scan(timeRange: range) { expected += ConformanceFixtures.storedSpans(in: batch) }
            var actual: [ConformanceFixtures.StoredSpan] = []
            var largest = 0
            for try await batch in store.scan(timeRange: range) {
                largest = max(largest, batch.spanCount)
                actual += ConformanceFixtures.storedSpans(in: batch)
            }
            #expect(ConformanceFixtures.sorted(actual) == ConformanceFixtures.sorted(expected))
            // Chunks of at most 50 span rows, except the 120 spans of one nanosecond, read in
            // three slices by a hash of their IDs (so not exactly 40 each, but never whole).
            #expect(range == .all ? largest < 120 : largest <= 50)
        }
    }
}
