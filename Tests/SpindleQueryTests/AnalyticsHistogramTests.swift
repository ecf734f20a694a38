import SpindleModel
import SpindleQuery
import SpindleStorage
import SpindleTesting
import Testing

@Suite struct AnalyticsHistogramTests {
    static func trace(_ number: UInt64) -> TraceID { TraceID(high: 0, low: number) }

    @Test func compute_bucketsFourPerPowerOfTwo_withExamples() async throws {
        let spans = [
            TestSpan("api", 1, start: 100, end: 105, trace: Self.trace(10)),
            TestSpan("api", 2, start: 100, end: 107, error: true, trace: Self.trace(20)),
            TestSpan("api", 3, start: 100, end: 112, trace: Self.trace(30)),
            TestSpan("api", 4, start: 100, end: 113, error: true, trace: Self.trace(40)),
            // As long as span 4, on a smaller trace ID: the example for the bucket.
            TestSpan("api", 5, start: 100, end: 113, trace: Self.trace(35)),
        ]
        let histogram = try await LatencyHistogram.compute(reader: try await TestSpan.store(spans), service: nil, operation: nil, timeRange: .all)
        #expect(histogram == LatencyHistogram(buckets: [
            .init(lowerNanos: 5, upperNanos: 6, count: 1, exampleTraceID: Self.trace(10), exampleErrorTraceID: nil),
            .init(lowerNanos: 6, upperNanos: 7, count: 0, exampleTraceID: nil, exampleErrorTraceID: nil),
            .init(lowerNanos: 7, upperNanos: 8, count: 1, exampleTraceID: Self.trace(20), exampleErrorTraceID: Self.trace(20)),
            .init(lowerNanos: 8, upperNanos: 10, count: 0, exampleTraceID: nil, exampleErrorTraceID: nil),
            .init(lowerNanos: 10, upperNanos: 12, count: 0, exampleTraceID: nil, exampleErrorTraceID: nil),
            .init(lowerNanos: 12, upperNanos: 14, count: 3, exampleTraceID: Self.trace(35), exampleErrorTraceID: Self.trace(40)),
        ], total: 5))
    }

    @Test func compute_bucketBoundsOfSmallAndLargeDurations() async throws {
        let spans = [
            TestSpan("api", 1, start: 100, end: 100, trace: Self.trace(1)),
            TestSpan("api", 2, start: 100, end: 100 + millisecond, trace: Self.trace(2)),
        ]
        let histogram = try await LatencyHistogram.compute(reader: try await TestSpan.store(spans), service: nil, operation: nil, timeRange: .all)
        // 0 ns up to 1 ms: 4 one-nanosecond buckets, then 4 per power of two from 2^2 to 2^19.
        #expect(histogram.buckets.count == 4 + 17 * 4 + 4)
        #expect(histogram.buckets.first == .init(lowerNanos: 0, upperNanos: 1, count: 1, exampleTraceID: Self.trace(1), exampleErrorTraceID: nil))
        // 1,000,000 is in [2^19, 2^20), in its last quarter.
        #expect(histogram.buckets.last == .init(lowerNanos: 917_504, upperNanos: 1_048_576, count: 1, exampleTraceID: Self.trace(2), exampleErrorTraceID: nil))
        // Buckets are back to back.
        #expect(zip(histogram.buckets, histogram.buckets.dropFirst()).allSatisfy { $0.upperNanos == $1.lowerNanos })
        #expect(histogram.total == 2)
    }

    @Test func compute_forAService_countsItsRequestsOnly() async throws {
        // frontend's requests are its server spans A1 (250 ms) and B1 (80 ms); D1 and D2 are not.
        let histogram = try await LatencyHistogram.compute(reader: try await fixtureStore(), service: "frontend", operation: nil, timeRange: .all)
        #expect(histogram.total == 2)
        // 80 ms is in [2^26, 2^27), first quarter; 250 ms in [2^27, 2^28), last quarter.
        #expect(histogram.buckets.count == 8)
        #expect(histogram.buckets.first == .init(lowerNanos: 67_108_864, upperNanos: 83_886_080, count: 1, exampleTraceID: ConformanceFixtures.traceB, exampleErrorTraceID: nil))
        #expect(histogram.buckets.last == .init(lowerNanos: 234_881_024, upperNanos: 268_435_456, count: 1, exampleTraceID: ConformanceFixtures.traceA, exampleErrorTraceID: nil))
    }

    @Test func compute_forAnOperation_acrossServices() async throws {
        // "charge" is A3 (checkout client, 150 ms, error) and A4 (payments server, 140 ms, error).
        let histogram = try await LatencyHistogram.compute(reader: try await fixtureStore(), service: nil, operation: "charge", timeRange: .all)
        #expect(histogram.total == 2)
        // Both in [2^27, 2^28)'s first quarter, [134217728, 167772160).
        #expect(histogram.buckets == [.init(lowerNanos: 134_217_728, upperNanos: 167_772_160, count: 2, exampleTraceID: ConformanceFixtures.traceA, exampleErrorTraceID: ConformanceFixtures.traceA)])
    }

    @Test func compute_withNothingInRange_isEmpty() async throws {
        let histogram = try await LatencyHistogram.compute(reader: try await fixtureStore(), service: "nobody", operation: nil, timeRange: .all)
        #expect(histogram == LatencyHistogram(buckets: [], total: 0))
    }
}
