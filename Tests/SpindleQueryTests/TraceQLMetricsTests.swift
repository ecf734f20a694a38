import Foundation
import SpindleModel
import SpindleQuery
import SpindleStorage
import SpindleTesting
import Testing

/// Metrics queries: exact values per step.
@Suite struct TraceQLMetricsTests {
    static let start = TestTrace.base
    static let second: UInt64 = 1_000_000_000
    /// Three 10-second steps.
    static let range = TimeRange(start: start, end: start + 30 * second)
    static let step = 10 * second

    static func span(
        trace: UInt64, id: UInt64, parent: UInt64 = 0, name: String = "op", service: String?,
        at offset: UInt64, nanos: UInt64, status: StatusCode = .unset
    ) -> ConformanceFixtures.StoredSpan {
        ConformanceFixtures.StoredSpan(
            resource: Resource(attributes: service.map { [Attribute("service.name", .string($0))] } ?? []),
            scope: InstrumentationScope(),
            span: SpanRecord(
                traceID: TraceID(high: 7, low: trace), spanID: SpanID(id), parentSpanID: SpanID(parent), name: name,
                startTimeUnixNano: start + offset, endTimeUnixNano: start + offset + nanos, status: SpanStatus(code: status)
            )
        )
    }

    static func store(_ spans: [ConformanceFixtures.StoredSpan]) async throws -> InMemoryTraceStore {
        let store = InMemoryTraceStore(maxSpans: 10_000)
        try await store.write(ConformanceFixtures.batch(spans))
        return store
    }

    /// Durations are powers of two nanoseconds, so histogram buckets are exact.
    static let b20 = 1_048_576.0 / 1e9, b22 = 4_194_304.0 / 1e9, b27 = 134_217_728.0 / 1e9, b31 = 2_147_483_648.0 / 1e9

    /// Service a: 2^20 ns at +1 s, 2^22 ns (error) at +2 s, 2^27 ns at +15 s;
    /// service b: 2^31 ns (error) at +25 s; b again at +40 s, outside the range.
    static func simpleStore() async throws -> InMemoryTraceStore {
        try await store([
            span(trace: 1, id: 1, service: "a", at: 1 * second, nanos: 1 << 20),
            span(trace: 2, id: 2, service: "a", at: 2 * second, nanos: 1 << 22, status: .error),
            span(trace: 3, id: 3, service: "a", at: 15 * second, nanos: 1 << 27),
            span(trace: 4, id: 4, service: "b", at: 25 * second, nanos: 1 << 31, status: .error),
            span(trace: 5, id: 5, service: "b", at: 40 * second, nanos: 1),
        ])
    }

    static func metrics(_ query: String, store: InMemoryTraceStore, range: TimeRange = range, step: UInt64 = step, limits: QueryLimits = QueryLimits()) async throws -> [MetricSeries] {
        try await TraceQLEngine(reader: store, limits: limits).metrics(TraceQLQuery.parse(query), timeRange: range, step: step)
    }

    static func samples(_ values: [(step: UInt64, value: Double)]) -> [MetricSample] {
        values.map { MetricSample(timestampUnixNano: start + $0.step * step, value: $0.value) }
    }

    static func every(_ values: [Double]) -> [MetricSample] {
        samples(values.enumerated().map { (UInt64($0.offset), $0.element) })
    }

    static func service(_ name: String) -> Attribute { Attribute("resource.service.name", .string(name)) }

    @Test func rate_isSpansPerSecondInEveryStep() async throws {
        let series = try await Self.metrics("{} | rate()", store: try await Self.simpleStore())
        #expect(series == [MetricSeries(labels: [], samples: Self.every([0.2, 0.1, 0.1]))])
    }

    @Test func countOverTime_byService() async throws {
        let series = try await Self.metrics("{} | count_over_time() by (resource.service.name)", store: try await Self.simpleStore())
        #expect(series == [
            MetricSeries(labels: [Self.service("a")], samples: Self.every([2, 1, 0])),
            MetricSeries(labels: [Self.service("b")], samples: Self.every([0, 0, 1])),
        ])
        let errors = try await Self.metrics("{ status = error } | count_over_time()", store: try await Self.simpleStore())
        #expect(errors == [MetricSeries(labels: [], samples: Self.every([1, 0, 1]))])
    }

    @Test func minMaxAvgSum_overDurationsInSeconds_onlyStepsWithValues() async throws {
        let store = try await Self.simpleStore()
        #expect(try await Self.metrics("{} | min_over_time(duration) by (resource.service.name)", store: store) == [
            MetricSeries(labels: [Self.service("a")], samples: Self.samples([(0, Self.b20), (1, Self.b27)])),
            MetricSeries(labels: [Self.service("b")], samples: Self.samples([(2, Self.b31)])),
        ])
        #expect(try await Self.metrics("{} | max_over_time(duration) by (resource.service.name)", store: store) == [
            MetricSeries(labels: [Self.service("a")], samples: Self.samples([(0, Self.b22), (1, Self.b27)])),
            MetricSeries(labels: [Self.service("b")], samples: Self.samples([(2, Self.b31)])),
        ])
        #expect(try await Self.metrics("{ resource.service.name = \"a\" } | avg_over_time(duration)", store: store) == [
            MetricSeries(labels: [], samples: Self.samples([(0, (Self.b20 + Self.b22) / 2), (1, Self.b27)])),
        ])
        #expect(try await Self.metrics("{ resource.service.name = \"a\" } | sum_over_time(duration)", store: store) == [
            MetricSeries(labels: [], samples: Self.samples([(0, Self.b20 + Self.b22), (1, Self.b27)])),
        ])
    }

    @Test func histogramOverTime_powerOfTwoBucketsInSeconds() async throws {
        let series = try await Self.metrics("{} | histogram_over_time(duration)", store: try await Self.simpleStore())
        #expect(series == [
            MetricSeries(labels: [Attribute("__bucket", .double(Self.b20))], samples: Self.every([1, 0, 0])),
            MetricSeries(labels: [Attribute("__bucket", .double(Self.b22))], samples: Self.every([1, 0, 0])),
            MetricSeries(labels: [Attribute("__bucket", .double(Self.b27))], samples: Self.every([0, 1, 0])),
            MetricSeries(labels: [Attribute("__bucket", .double(Self.b31))], samples: Self.every([0, 0, 1])),
        ])
        // A duration between powers of two falls in the bucket above it: 1 ms ≤ 2^20 ns.
        let store = try await Self.store([Self.span(trace: 1, id: 1, service: "a", at: 0, nanos: 1_000_000), Self.span(trace: 2, id: 2, service: "a", at: 0, nanos: 0)])
        #expect(try await Self.metrics("{} | histogram_over_time(duration) by (resource.service.name)", store: store, step: 30 * Self.second) == [
            MetricSeries(labels: [Self.service("a"), Attribute("__bucket", .double(1e-9))], samples: Self.every([1])),
            MetricSeries(labels: [Self.service("a"), Attribute("__bucket", .double(Self.b20))], samples: Self.every([1])),
        ])
    }

    @Test func quantileOverTime_onePerQuantile_fromTheBuckets() async throws {
        let series = try await Self.metrics("{} | quantile_over_time(duration, .5, 1)", store: try await Self.simpleStore())
        #expect(series == [
            MetricSeries(labels: [Attribute("p", .double(0.5))], samples: Self.every([Self.b20, Self.b27, Self.b31])),
            MetricSeries(labels: [Attribute("p", .double(1))], samples: Self.every([Self.b22, Self.b27, Self.b31])),
        ])
    }

    @Test func quantileOverTime_interpolatesExponentiallyWithinABucket() async throws {
        // One value of 2^20 ns and two of 2^22 ns: the median is the 2nd of 3 values,
        // halfway through the 2^22 bucket from the 2^20 bound below it.
        let store = try await Self.store([
            Self.span(trace: 1, id: 1, service: "a", at: 0, nanos: 1 << 20),
            Self.span(trace: 2, id: 2, service: "a", at: 1, nanos: 1 << 22),
            Self.span(trace: 3, id: 3, service: "a", at: 2, nanos: 1 << 22),
        ])
        let median = pow(2, log2(Self.b20) + (log2(Self.b22) - log2(Self.b20)) * 0.5)
        // The 10th percentile is the 1st value: exactly the first bucket's bound.
        let low = Self.b20
        #expect(try await Self.metrics("{} | quantile_over_time(duration, 0.5, 0.1)", store: store, step: 30 * Self.second) == [
            MetricSeries(labels: [Attribute("p", .double(0.1))], samples: Self.every([low])),
            MetricSeries(labels: [Attribute("p", .double(0.5))], samples: Self.every([median])),
        ])
        let three = try await Self.store((1...3).map { Self.span(trace: $0, id: $0, service: "a", at: 0, nanos: 1 << 20) })
        #expect(try await Self.metrics("{} | quantile_over_time(duration, 0.5)", store: three, step: 30 * Self.second) == [
            MetricSeries(labels: [Attribute("p", .double(0.5))], samples: Self.every([pow(2, log2(Self.b20) - 1 + 2.0 / 3.0)])),
        ])
    }

    @Test func spansWithoutAByField_formASeriesWithAnEmptyLabel() async throws {
        let store = try await Self.store([
            Self.span(trace: 1, id: 1, service: nil, at: 0, nanos: 1),
            Self.span(trace: 2, id: 2, service: "z", at: 0, nanos: 1),
        ])
        #expect(try await Self.metrics("{} | count_over_time() by (resource.service.name, status)", store: store, step: 30 * Self.second) == [
            MetricSeries(labels: [Attribute("resource.service.name", .empty), Attribute("status", "unset")], samples: Self.every([1])),
            MetricSeries(labels: [Self.service("z"), Attribute("status", "unset")], samples: Self.every([1])),
        ])
    }

    // MARK: Queries that need whole traces

    /// Trace 1: root at +1 s (service a) with children at +2 s and +12 s; trace 2: root
    /// at +21 s (service b) with a child at +22 s.
    static func treeStore() async throws -> InMemoryTraceStore {
        try await store([
            span(trace: 1, id: 1, name: "root", service: "a", at: 1 * second, nanos: 1),
            span(trace: 1, id: 2, parent: 1, name: "c1", service: "a", at: 2 * second, nanos: 1),
            span(trace: 1, id: 3, parent: 1, name: "c2", service: "x", at: 12 * second, nanos: 1),
            span(trace: 2, id: 4, name: "root", service: "b", at: 21 * second, nanos: 1),
            span(trace: 2, id: 5, parent: 4, name: "c3", service: "x", at: 22 * second, nanos: 1),
        ])
    }

    @Test func structuralAndTraceLevelQueries_groupSpansByTrace() async throws {
        let store = try await Self.treeStore()
        #expect(try await Self.metrics("{ name = \"root\" } > {} | count_over_time()", store: store) == [
            MetricSeries(labels: [], samples: Self.every([1, 1, 1])),
        ])
        #expect(try await Self.metrics("{} | count() > 2 | count_over_time()", store: store) == [
            MetricSeries(labels: [], samples: Self.every([2, 1, 0])),
        ])
        #expect(try await Self.metrics("{ resource.service.name = \"x\" } | count_over_time() by (trace:rootService)", store: store) == [
            MetricSeries(labels: [Attribute("trace:rootService", "a")], samples: Self.every([0, 1, 0])),
            MetricSeries(labels: [Attribute("trace:rootService", "b")], samples: Self.every([0, 0, 1])),
        ])
    }

    @Test func wholeTraceQueries_overTheTraceBudget_throw() async throws {
        let store = try await Self.treeStore()
        await #expect(throws: QueryError.self) {
            try await Self.metrics("{} > {} | rate()", store: store, limits: QueryLimits(maxTracesInspected: 1))
        }
        // Span-local queries are not bounded by it.
        #expect(try await Self.metrics("{} | rate()", store: store, limits: QueryLimits(maxTracesInspected: 1)).count == 1)
    }

    // MARK: Over the conformance fixtures

    @Test func fixtures_countByService_andErrorRate() async throws {
        let store = try await fixtureStore()
        let range = TimeRange(start: ConformanceFixtures.baseTime, end: ConformanceFixtures.time(6000))
        let perSecond = { (values: [Double]) in
            values.enumerated().map { MetricSample(timestampUnixNano: ConformanceFixtures.time(UInt64($0.offset) * 1000), value: $0.element) }
        }
        let engine = TraceQLEngine(reader: store)
        #expect(try await engine.metrics(TraceQLQuery.parse("{} | count_over_time() by (resource.service.name)"), timeRange: range, step: Self.second) == [
            MetricSeries(labels: [Attribute("resource.service.name", .empty)], samples: perSecond([0, 0, 0, 0, 0, 1])),
            MetricSeries(labels: [Self.service("checkout")], samples: perSecond([0, 2, 0, 1, 0, 0])),
            MetricSeries(labels: [Self.service("frontend")], samples: perSecond([0, 1, 1, 0, 2, 0])),
            MetricSeries(labels: [Self.service("inventory")], samples: perSecond([0, 1, 2, 0, 0, 0])),
            MetricSeries(labels: [Self.service("payments")], samples: perSecond([0, 1, 0, 2, 0, 0])),
        ])
        #expect(try await engine.metrics(TraceQLQuery.parse("{ status = error } | rate()"), timeRange: range, step: 2 * Self.second) == [
            MetricSeries(labels: [], samples: [
                MetricSample(timestampUnixNano: ConformanceFixtures.time(0), value: 1),
                MetricSample(timestampUnixNano: ConformanceFixtures.time(2000), value: 0.5),
                MetricSample(timestampUnixNano: ConformanceFixtures.time(4000), value: 0),
            ]),
        ])
    }

    // MARK: Refusals

    static func error(_ query: String, range: TimeRange = range, step: UInt64 = step, limits: QueryLimits = QueryLimits()) async throws -> String? {
        let parsed = try TraceQLQuery.parse(query)
        let engine = TraceQLEngine(reader: try await simpleStore(), limits: limits)
        do {
            _ = try await engine.metrics(parsed, timeRange: range, step: step)
            return nil
        } catch {
            return error.message
        }
    }

    @Test func refusals_sayWhatIsWrong() async throws {
        #expect(try await Self.error("{ status = error }")
            == "not supported: metrics() needs a query ending in a metrics function such as rate(); use search() for { (status = error) }")
        #expect(try await Self.error("{} | rate()", step: 0) == "not supported: a metrics step of 0 ns; the step must be at least 1 ns")
        #expect(try await Self.error("{} | rate()", step: 1)
            == "query too expensive: the time range spans 30000000000 steps, more than 11000 (QueryLimits.maxIntervals); use a longer step")
        #expect(try await Self.error("{} | count_over_time() by (span:id)", limits: QueryLimits(maxSeries: 2))
            == "query too expensive: the query makes more than 2 series (QueryLimits.maxSeries); group by fewer or coarser fields")
        #expect(try await Self.error("{} | compare({ status = error })") == "not supported: the metrics function compare()")
        #expect(try await Self.error("{} | rate() | topk(3)") == "not supported: topk()")
        #expect(try await Self.error("{} | rate() with(sample=0.1)") == "not supported: with()")
        #expect(try await Self.error("{} | rate()", range: TimeRange(start: 5, end: 5)) == nil)
    }
}
