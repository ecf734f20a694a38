import SpindleModel
import SpindleQuery
import SpindleTesting
import Testing

@Suite struct AnalyticsStatisticsTests {
    @Test func compute_selfTimeSubtractsTheUnionOfChildren() {
        let trace = TestSpan.batch([
            TestSpan("frontend", 1, name: "GET /", start: 0, end: 100),
            // Overlapping children: together they cover [10, 70].
            TestSpan("db", 2, parent: 1, name: "query", start: 10, end: 50, error: true),
            TestSpan("db", 3, parent: 1, name: "query", start: 30, end: 70),
            // Outlives the root: only [90, 100] is taken from the root's time.
            TestSpan("cache", 4, parent: 1, name: "get", start: 90, end: 120),
            TestSpan("db", 5, parent: 2, name: "parse", start: 20, end: 30),
        ])
        #expect(TraceStatistics.compute(trace: trace) == TraceStatistics(rows: [
            // 2: 40 - 10; 3: 40.
            .init(service: "db", operation: "query", count: 2, totalNanos: 80, selfNanos: 70, errorCount: 1),
            // Equal self time: by service.
            .init(service: "cache", operation: "get", count: 1, totalNanos: 30, selfNanos: 30, errorCount: 0),
            // 100 - (60 + 10).
            .init(service: "frontend", operation: "GET /", count: 1, totalNanos: 100, selfNanos: 30, errorCount: 0),
            .init(service: "db", operation: "parse", count: 1, totalNanos: 10, selfNanos: 10, errorCount: 0),
        ]))
    }

    @Test func compute_overFixtureTraceA() async throws {
        let store = try await fixtureStore()
        let trace = try #require(try await store.trace(id: ConformanceFixtures.traceA, timeRange: nil))
        let ms = millisecond
        // A1 250 - A2 200 = 50; A2 200 - A3 [1020, 1170] - A5 [1100, 1130] (inside A3) = 50;
        // A3 150 - A4 140 = 10; A4 140; A5 30.
        #expect(TraceStatistics.compute(trace: trace) == TraceStatistics(rows: [
            .init(service: "payments", operation: "charge", count: 1, totalNanos: 140 * ms, selfNanos: 140 * ms, errorCount: 1),
            .init(service: "checkout", operation: "POST /cart/checkout", count: 1, totalNanos: 200 * ms, selfNanos: 50 * ms, errorCount: 0),
            .init(service: "frontend", operation: "GET /checkout", count: 1, totalNanos: 250 * ms, selfNanos: 50 * ms, errorCount: 0),
            .init(service: "inventory", operation: "SELECT stock", count: 1, totalNanos: 30 * ms, selfNanos: 30 * ms, errorCount: 0),
            .init(service: "checkout", operation: "charge", count: 1, totalNanos: 150 * ms, selfNanos: 10 * ms, errorCount: 1),
        ]))
    }

    @Test func compute_spanWithoutService_isUnderTheEmptyName() async throws {
        let store = try await fixtureStore()
        let trace = try #require(try await store.trace(id: ConformanceFixtures.traceE, timeRange: nil))
        #expect(TraceStatistics.compute(trace: trace).rows == [.init(service: "", operation: "orphan", count: 1, totalNanos: 10 * millisecond, selfNanos: 10 * millisecond, errorCount: 0)])
    }
}
