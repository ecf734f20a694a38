import SpindleModel
import SpindleQuery
import SpindleStorage
import SpindleTesting
import Testing

@Suite struct AnalyticsREDTests {
    static let t: UInt64 = 1_000 * second
    static let range = TimeRange(start: t, end: t + 30 * second)

    /// Service "api" over three 10 s steps: four server requests in the first step, none
    /// in the second, a server and a consumer request in the third; plus spans that must
    /// not count.
    static let spans: [TestSpan] = [
        TestSpan("api", 1, name: "GET /items", kind: .server, start: t + 1 * second, end: t + 1 * second + 10 * millisecond),
        TestSpan("api", 2, name: "GET /items", kind: .server, start: t + 2 * second, end: t + 2 * second + 20 * millisecond),
        TestSpan("api", 3, name: "POST /items", kind: .server, start: t + 3 * second, end: t + 3 * second + 30 * millisecond, error: true),
        TestSpan("api", 4, name: "GET /items", kind: .server, start: t + 9 * second, end: t + 9 * second + 40 * millisecond),
        TestSpan("api", 5, name: "GET /items", kind: .server, start: t + 20 * second, end: t + 20 * second + 5 * millisecond, error: true),
        TestSpan("api", 6, name: "consume job", kind: .consumer, start: t + 25 * second, end: t + 25 * second + 7 * millisecond),
        // Not requests: other kinds of the service, another service, outside the range.
        TestSpan("api", 7, parent: 1, name: "GET /items", kind: .internal, start: t + 1 * second, end: t + 2 * second, error: true),
        TestSpan("api", 8, parent: 1, name: "SELECT", kind: .client, start: t + 1 * second, end: t + 2 * second),
        TestSpan("web", 9, name: "GET /items", kind: .server, start: t + 1 * second, end: t + 2 * second),
        TestSpan("api", 10, name: "GET /items", kind: .server, start: t - 1, end: t + 1 * second),
        TestSpan("api", 11, name: "GET /items", kind: .server, start: t + 30 * second, end: t + 31 * second),
    ]

    @Test func compute_countsServerAndConsumerSpansPerStep() async throws {
        let store = try await TestSpan.store(Self.spans, separately: true)
        let series = try await REDSeries.compute(reader: store, service: "api", operation: nil, timeRange: Self.range, step: 10 * second)
        #expect(series == REDSeries(service: "api", operation: nil, points: [
            // [10, 20, 30, 40] ms: p50 is rank 2, p95 and p99 rank 4.
            .init(timestampUnixNano: Self.t, requests: 4, errors: 1, ratePerSecond: 0.4, errorRate: 0.25, p50Nanos: 20 * millisecond, p95Nanos: 40 * millisecond, p99Nanos: 40 * millisecond),
            .init(timestampUnixNano: Self.t + 10 * second, requests: 0, errors: 0, ratePerSecond: 0, errorRate: 0, p50Nanos: 0, p95Nanos: 0, p99Nanos: 0),
            // [5, 7] ms: p50 is rank 1, p95 and p99 rank 2.
            .init(timestampUnixNano: Self.t + 20 * second, requests: 2, errors: 1, ratePerSecond: 0.2, errorRate: 0.5, p50Nanos: 5 * millisecond, p95Nanos: 7 * millisecond, p99Nanos: 7 * millisecond),
        ]))
    }

    @Test func compute_forOneOperation_keepsOnlyItsSpans() async throws {
        let store = try await TestSpan.store(Self.spans)
        let series = try await REDSeries.compute(reader: store, service: "api", operation: "GET /items", timeRange: Self.range, step: 10 * second)
        #expect(series == REDSeries(service: "api", operation: "GET /items", points: [
            // [10, 20, 40] ms: p50 is rank 2, p95 and p99 rank 3.
            .init(timestampUnixNano: Self.t, requests: 3, errors: 0, ratePerSecond: 0.3, errorRate: 0, p50Nanos: 20 * millisecond, p95Nanos: 40 * millisecond, p99Nanos: 40 * millisecond),
            .init(timestampUnixNano: Self.t + 10 * second, requests: 0, errors: 0, ratePerSecond: 0, errorRate: 0, p50Nanos: 0, p95Nanos: 0, p99Nanos: 0),
            .init(timestampUnixNano: Self.t + 20 * second, requests: 1, errors: 1, ratePerSecond: 0.1, errorRate: 1, p50Nanos: 5 * millisecond, p95Nanos: 5 * millisecond, p99Nanos: 5 * millisecond),
        ]))
    }

    @Test func compute_lastStepCutShortByTheRange_stillDividesByTheStep() async throws {
        let store = try await TestSpan.store(Self.spans)
        let range = TimeRange(start: Self.t, end: Self.t + 25 * second + 1)
        let series = try await REDSeries.compute(reader: store, service: "api", operation: nil, timeRange: range, step: 20 * second)
        #expect(series.points.map(\.timestampUnixNano) == [Self.t, Self.t + 20 * second])
        #expect(series.points.map(\.requests) == [4, 2])
        #expect(series.points.map(\.ratePerSecond) == [0.2, 0.1])
    }

    @Test func operations_totalsEachOperationOverTheRange() async throws {
        let store = try await TestSpan.store(Self.spans)
        let rows = try await REDSeries.operations(reader: store, service: "api", timeRange: Self.range)
        #expect(rows == [
            // [5, 10, 20, 40] ms: p50 is rank 2, p95 and p99 rank 4.
            OperationStats(operation: "GET /items", kind: .server, requests: 4, errors: 1, p50Nanos: 10 * millisecond, p95Nanos: 40 * millisecond, p99Nanos: 40 * millisecond),
            OperationStats(operation: "POST /items", kind: .server, requests: 1, errors: 1, p50Nanos: 30 * millisecond, p95Nanos: 30 * millisecond, p99Nanos: 30 * millisecond),
            OperationStats(operation: "consume job", kind: .consumer, requests: 1, errors: 0, p50Nanos: 7 * millisecond, p95Nanos: 7 * millisecond, p99Nanos: 7 * millisecond),
        ])
    }

    /// A service without server or consumer spans is measured by its entry spans.
    @Test func compute_withoutServerSpans_countsEntrySpans() async throws {
        let t = Self.t
        let spans = [
            TestSpan("batch", 1, name: "job", start: t + 1 * second, end: t + 1 * second + 100 * millisecond, trace: TraceID(high: 2, low: 1)),
            TestSpan("batch", 2, parent: 1, name: "step", start: t + 1 * second, end: t + 1 * second + 50 * millisecond, trace: TraceID(high: 2, low: 1)),
            TestSpan("batch", 3, parent: 2, name: "call", kind: .client, start: t + 1 * second, end: t + 1 * second + 40 * millisecond, trace: TraceID(high: 2, low: 1)),
            TestSpan("web", 4, name: "POST /run", kind: .server, start: t + 2 * second, end: t + 3 * second, trace: TraceID(high: 2, low: 2)),
            TestSpan("batch", 5, parent: 4, name: "handle", start: t + 2 * second, end: t + 2 * second + 300 * millisecond, error: true, trace: TraceID(high: 2, low: 2)),
            TestSpan("batch", 6, parent: 0xDEAD, name: "orphan", kind: .producer, start: t + 12 * second, end: t + 12 * second + 2 * millisecond, trace: TraceID(high: 2, low: 3)),
        ]
        let store = try await TestSpan.store(spans, separately: true)
        let series = try await REDSeries.compute(reader: store, service: "batch", operation: nil, timeRange: Self.range, step: 10 * second)
        #expect(series.points.map(\.requests) == [2, 1, 0])
        #expect(series.points.map(\.errors) == [1, 0, 0])
        #expect(series.points.map(\.p99Nanos) == [300 * millisecond, 2 * millisecond, 0])
        let rows = try await REDSeries.operations(reader: store, service: "batch", timeRange: Self.range)
        #expect(rows == [
            OperationStats(operation: "handle", kind: .internal, requests: 1, errors: 1, p50Nanos: 300 * millisecond, p95Nanos: 300 * millisecond, p99Nanos: 300 * millisecond),
            OperationStats(operation: "job", kind: .internal, requests: 1, errors: 0, p50Nanos: 100 * millisecond, p95Nanos: 100 * millisecond, p99Nanos: 100 * millisecond),
            OperationStats(operation: "orphan", kind: .producer, requests: 1, errors: 0, p50Nanos: 2 * millisecond, p95Nanos: 2 * millisecond, p99Nanos: 2 * millisecond),
        ])
    }

    @Test func operations_overFixtures_followTheRequestRule() async throws {
        let store = try await fixtureStore()
        // checkout has server and consumer spans: its client span "charge" is not a request.
        let checkout = try await REDSeries.operations(reader: store, service: "checkout", timeRange: .all)
        #expect(checkout.map(\.operation) == ["POST /cart/checkout", "consume refund"])
        // inventory has only client and internal spans, all entered from frontend or checkout.
        let inventory = try await REDSeries.operations(reader: store, service: "inventory", timeRange: .all)
        #expect(inventory.map { "\($0.operation) \($0.kind) \($0.requests) \($0.p50Nanos)" } == [
            "SELECT products client 1 60000000", "SELECT stock client 1 30000000", "cache.lookup internal 1 1000000",
        ])
    }

    @Test func compute_rejectsUnusableSteps() async throws {
        let store = try await fixtureStore()
        let zero = await analyticsError { _ = try await REDSeries.compute(reader: store, service: "api", operation: nil, timeRange: Self.range, step: 0) }
        #expect(zero?.description == "invalid argument: step must be at least 1 nanosecond, got 0")
        let tooMany = await analyticsError { _ = try await REDSeries.compute(reader: store, service: "api", operation: nil, timeRange: TimeRange(start: 0, end: 11_001), step: 1) }
        #expect(tooMany?.description == "invalid argument: a step of 1 ns gives 11001 points over the time range, more than 11000; use a larger step or a shorter range")
        let empty = await analyticsError { _ = try await REDSeries.compute(reader: store, service: "api", operation: nil, timeRange: TimeRange(start: 5, end: 5), step: 1) }
        #expect(empty?.description == "invalid argument: time range 5..<5 is empty; the end must be after the start")
        let all = await analyticsError { _ = try await REDSeries.compute(reader: store, service: "api", operation: nil, timeRange: .all, step: 60 * second) }
        #expect(all?.description.hasPrefix("invalid argument: a step of 60000000000 ns gives 307445735 points") == true)
        // Exactly the maximum is accepted.
        let most = try await REDSeries.compute(reader: store, service: "api", operation: nil, timeRange: TimeRange(start: 0, end: 11_000), step: 1)
        #expect(most.points.count == 11_000)
    }
}
