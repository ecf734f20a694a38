import Foundation
import SpindleClickHouse
import SpindleModel
import SpindleQuery
import SpindleStorage
import SpindleTesting
import Testing

/// TraceQL over ClickHouse answers exactly as over the in-memory store: the engine pushes
/// what it can into `search` and evaluates the rest in Spindle, so the same queries over
/// the conformance fixtures must give the same traces, spansets and metric series.
@Suite(.clickHouseServer, .serialized)
struct ClickHouseTraceQLTests {
    typealias F = ConformanceFixtures
    static let range = TimeRange(start: F.baseTime, end: F.time(10_000))

    static let searches = [
        "{}",
        #"{ resource.service.name = "payments" && status = error }"#,
        "{ span.http.response.status_code = 200 }",
        "{ span.http.response.status_code >= 500 }",
        #"{ span.http.response.status_code = "200" }"#,
        #"{ .ключ = "значение" }"#,
        #"{ span.message = "Grüße, 世界 🌍" }"#,
        #"{ span.note = "" }"#,
        "{ resource.deployment.weight > 0.9 }",
        #"{ name = "charge" } > { name = "charge" }"#,
        #"{ resource.service.name = "frontend" } >> { status = error }"#,
        #"{} >> { name = "consume refund" }"#,
        "{ kind = server } ~ { kind = client }",
        #"{ trace:rootName = "refund" }"#,
        #"{ trace:rootService = "frontend" && status = error }"#,
        "{ rootServiceName = nil }",
        #"{ trace:rootService = "frontend" } | by(resource.service.name)"#,
        "{ kind = consumer } | select(span.messaging.system, resource.service.version)",
        "{} | avg(duration) > 50ms",
        #"{ resource.service.name =~ "pay.*|check.*" && status = error }"#,
        #"{ name !~ ".*e.*" && kind = server }"#,
        // Hostile literals reach SQL only through ClickHouseSQL.
        #"{ name = "x' OR 1=1 --" }"#,
        #"{ span.note = "\\' ; DROP TABLE spans" }"#,
    ]

    static let metrics = [
        "{} | count_over_time() by (resource.service.name)",
        "{ status = error } | rate()",
        "{} | quantile_over_time(duration, 0.5, 0.9) by (name)",
    ]

    @Test func searchesAndMetrics_answerAsOverTheMemoryStore() async throws {
        let server = try ClickHouseServerScope.server()
        let store = try await ClickHouseTraceStore.open(ClickHouseStoreConfiguration(
            urls: [server.httpURL], database: "traceql_oracle", user: ClickHouseServer.user, password: server.password
        ))
        let memory = InMemoryTraceStore(maxSpans: 1_000)
        let batch = F.batch(F.all)
        try await store.write(batch)
        try await memory.write(batch)

        let onClickHouse = TraceQLEngine(reader: store)
        let inMemory = TraceQLEngine(reader: memory)
        for text in Self.searches {
            let query = try TraceQLQuery.parse(text)
            let expected = try await inMemory.search(query, timeRange: Self.range, limit: 20, spansPerSpanSet: 100)
            let actual = try await onClickHouse.search(query, timeRange: Self.range, limit: 20, spansPerSpanSet: 100)
            #expect(actual.traces.map(\.summary) == expected.traces.map(\.summary), "\(text)")
            #expect(actual.traces.map(\.spanSets) == expected.traces.map(\.spanSets), "\(text)")
        }
        #expect(try await inMemory.search(TraceQLQuery.parse("{}"), timeRange: Self.range, limit: 20).traces.count == 5)
        for text in Self.metrics {
            let query = try TraceQLQuery.parse(text)
            let expected = try await inMemory.metrics(query, timeRange: Self.range, step: 1_000_000_000)
            let actual = try await onClickHouse.metrics(query, timeRange: Self.range, step: 1_000_000_000)
            #expect(actual == expected, "\(text)")
            #expect(!expected.isEmpty, "\(text)")
        }
    }
}
