import SpindleModel
import SpindleQuery
import SpindleStorage
import SpindleTesting
import Testing

@Suite struct AnalyticsLimitsTests {
    @Test func scanningPastMaxSpans_isTooExpensive() async throws {
        let store = try await fixtureStore()
        let limits = AnalyticsLimits(maxSpans: 13)
        let graph = await analyticsError { _ = try await ServiceGraph.build(reader: store, timeRange: .all, limits: limits) }
        #expect(graph?.description == "too expensive: the service graph scanned more than 13 spans; narrow the time range")
        let series = await analyticsError { _ = try await REDSeries.compute(reader: store, service: "frontend", operation: nil, timeRange: .all, step: UInt64.max, limits: limits) }
        #expect(series?.description == "too expensive: the RED series of frontend scanned more than 13 spans; narrow the time range")
        let histogram = await analyticsError { _ = try await LatencyHistogram.compute(reader: store, service: nil, operation: nil, timeRange: .all, limits: limits) }
        #expect(histogram?.description == "too expensive: the latency histogram scanned more than 13 spans; narrow the time range")
        let operations = await analyticsError { _ = try await REDSeries.operations(reader: store, service: "frontend", timeRange: .all, limits: limits) }
        #expect(operations?.description == "too expensive: the operations of frontend scanned more than 13 spans; narrow the time range")
        // All 14 fixture spans are within a limit of 14.
        let within = try await ServiceGraph.build(reader: store, timeRange: .all, limits: AnalyticsLimits(maxSpans: 14))
        #expect(within.edges.count == 5)
    }

    @Test func groupingPastMaxTraces_isTooExpensive() async throws {
        let store = try await fixtureStore()
        // Traces A–D have named services (E does not, and is not grouped).
        let error = await analyticsError { _ = try await ServiceGraph.build(reader: store, timeRange: .all, limits: AnalyticsLimits(maxTraces: 3)) }
        #expect(error?.description == "too expensive: the service graph grouped more than 3 traces; narrow the time range")
        let within = try await ServiceGraph.build(reader: store, timeRange: .all, limits: AnalyticsLimits(maxTraces: 4))
        #expect(within.nodes.count == 4)
    }

    @Test func cancelledTask_throwsUnavailable_notAPartialResult() async throws {
        let store = try await fixtureStore()
        let error = await Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return await analyticsError { _ = try await ServiceGraph.build(reader: store, timeRange: .all) }
        }.value
        guard case .storage(let storage) = error else {
            Issue.record("expected a storage error, got \(String(describing: error))")
            return
        }
        #expect(storage.code == .unavailable)
    }

    @Test func storageFailure_isReportedAsStorage() async throws {
        let reader = FailingReader(error: StorageError(.corrupt, "block 7 is truncated at offset 4096"))
        let error = await analyticsError { _ = try await LatencyHistogram.compute(reader: reader, service: nil, operation: nil, timeRange: .all) }
        #expect(error?.description == "storage: corrupt: block 7 is truncated at offset 4096")
    }
}

/// A reader whose scan fails after one good batch.
private struct FailingReader: TraceReader {
    let error: StorageError

    func trace(id: TraceID, timeRange: TimeRange?) async throws(StorageError) -> SpanBatch? { nil }
    func search(_ query: TraceQuery) async throws(StorageError) -> [TraceSummary] { [] }
    func services(timeRange: TimeRange?) async throws(StorageError) -> [String] { [] }
    func operations(service: String, timeRange: TimeRange?) async throws(StorageError) -> [SpindleStorage.Operation] { [] }
    func attributeNames(scope: AttributeScope, timeRange: TimeRange?) async throws(StorageError) -> [String] { [] }
    func attributeValues(scope: AttributeScope, key: String, timeRange: TimeRange?, limit: Int) async throws(StorageError) -> [String] { [] }

    func scan(timeRange: TimeRange) -> AsyncThrowingStream<SpanBatch, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: SpanBatch.self)
        continuation.yield(ConformanceFixtures.batch(ConformanceFixtures.traceASpans))
        continuation.finish(throwing: error)
        return stream
    }
}
