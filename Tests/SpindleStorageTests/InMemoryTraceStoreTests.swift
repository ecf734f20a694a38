import SpindleModel
import SpindleStorage
import SpindleTesting
import Testing

@Suite struct InMemoryTraceStoreTests {
    // MARK: The conformance suite

    @Test(arguments: TraceStoreConformance.caseNames)
    func conformance(_ name: String) async throws {
        try await TraceStoreConformance.run(name, on: InMemoryTraceStore(maxSpans: 1_000))
    }

    // MARK: Eviction

    /// `count` spans of one trace each, in one batch, starting at `first`.
    static func batch(traces: Range<UInt64>, spansPerTrace: UInt64 = 1, start: UInt64 = 1_000) -> SpanBatch {
        var builder = SpanBatchBuilder()
        let resource = Resource(attributes: [Attribute("service.name", "svc")])
        for trace in traces {
            for span in 0..<spansPerTrace {
                let record = SpanRecord(
                    traceID: TraceID(high: 1, low: trace), spanID: SpanID(span + 1),
                    parentSpanID: span == 0 ? .zero : SpanID(1), name: "op",
                    startTimeUnixNano: start + trace * 10 + span, endTimeUnixNano: start + trace * 10 + span + 5
                )
                builder.append(record, resource: resource, scope: InstrumentationScope(name: "test"))
            }
        }
        return builder.build()
    }

    static func scannedCount(_ store: InMemoryTraceStore) async throws -> Int {
        var count = 0
        for try await batch in store.scan(timeRange: .all) { count += batch.spanCount }
        return count
    }

    static func spanCount(_ store: InMemoryTraceStore, trace: UInt64) async throws -> Int? {
        try await store.trace(id: TraceID(high: 1, low: trace), timeRange: nil)?.spanCount
    }

    @Test func eviction_dropsWholeOldestBatchesFirst() async throws {
        let store = InMemoryTraceStore(maxSpans: 24)
        // Traces 0..<3, 3..<6, 6..<9: three batches of 3 traces × 4 spans = 12 spans.
        try await store.write(Self.batch(traces: 0..<3, spansPerTrace: 4))
        try await store.write(Self.batch(traces: 3..<6, spansPerTrace: 4))
        #expect(store.spanCount == 24)
        try await store.write(Self.batch(traces: 6..<9, spansPerTrace: 4))
        // 36 > 24: exactly the first batch goes.
        #expect(store.spanCount == 24)
        #expect(store.traceCount == 6)
        #expect(try await Self.scannedCount(store) == 24)
        for trace: UInt64 in 0..<3 { #expect(try await Self.spanCount(store, trace: trace) == nil) }
        for trace: UInt64 in 3..<9 { #expect(try await Self.spanCount(store, trace: trace) == 4) }
        #expect(try await store.search(TraceQuery(limit: 100)).count == 6)
        #expect(try await store.attributeNames(scope: .resource, timeRange: nil) == ["service.name"])
    }

    @Test func eviction_continuesIntoTheNextBatchDownToTheBound() async throws {
        let store = InMemoryTraceStore(maxSpans: 25)
        try await store.write(Self.batch(traces: 0..<3, spansPerTrace: 4))
        try await store.write(Self.batch(traces: 3..<6, spansPerTrace: 4))
        try await store.write(Self.batch(traces: 6..<9, spansPerTrace: 4))
        // 36 > 25: the oldest 11 spans go, which leaves the last span of trace 2.
        #expect(store.spanCount == 25)
        #expect(store.traceCount == 7)
        #expect(try await Self.scannedCount(store) == 25)
        #expect(try await Self.spanCount(store, trace: 1) == nil)
        #expect(try await Self.spanCount(store, trace: 2) == 1)
        #expect(try await Self.spanCount(store, trace: 3) == 4)
    }

    @Test func eviction_trimsTheOldestSpansOfABatchToStayAtTheBound() async throws {
        let store = InMemoryTraceStore(maxSpans: 10)
        try await store.write(Self.batch(traces: 0..<2, spansPerTrace: 4))  // 8 spans
        try await store.write(Self.batch(traces: 2..<3, spansPerTrace: 4))  // 12 > 10: trace 0 loses 2
        #expect(store.spanCount == 10)
        #expect(try await Self.spanCount(store, trace: 0) == 2)
        #expect(try await Self.spanCount(store, trace: 1) == 4)
        #expect(try await Self.spanCount(store, trace: 2) == 4)
        // The kept spans of trace 0 are its newest: spans 3 and 4.
        let trace0 = try #require(try await store.trace(id: TraceID(high: 1, low: 0), timeRange: nil))
        #expect(trace0.spans.map(\.spanID) == [SpanID(3), SpanID(4)])
        #expect(try await Self.scannedCount(store) == 10)
    }

    @Test func eviction_ofABatchLargerThanTheBoundKeepsItsNewestSpans() async throws {
        let store = InMemoryTraceStore(maxSpans: 5)
        try await store.write(Self.batch(traces: 0..<3))
        try await store.write(Self.batch(traces: 10..<22))  // 12 spans alone
        #expect(store.spanCount == 5)
        #expect(store.traceCount == 5)
        let kept = try await store.search(TraceQuery(limit: 100)).map(\.traceID.low)
        #expect(kept == [21, 20, 19, 18, 17])
    }

    @Test func eviction_thenRewrite_storesTheSpanAgain() async throws {
        let store = InMemoryTraceStore(maxSpans: 2)
        try await store.write(Self.batch(traces: 0..<1))
        try await store.write(Self.batch(traces: 1..<3))
        #expect(try await Self.spanCount(store, trace: 0) == nil)
        try await store.write(Self.batch(traces: 0..<1))
        #expect(try await Self.spanCount(store, trace: 0) == 1)
        #expect(try await Self.spanCount(store, trace: 1) == nil)
        #expect(store.spanCount == 2)
    }

    @Test func eviction_keepsTheBoundOverManyWrites() async throws {
        let store = InMemoryTraceStore(maxSpans: 1_000)
        for round: UInt64 in 0..<200 {
            try await store.write(Self.batch(traces: round * 7..<round * 7 + 7, spansPerTrace: 3))
        }
        // 200 × 21 = 4,200 written; the newest 1,000 kept (47 whole batches and 13 spans).
        #expect(store.spanCount == 1_000)
        #expect(try await Self.scannedCount(store) == 1_000)
        #expect(store.traceCount == 47 * 7 + 5)
    }

    // MARK: Idempotency

    @Test func rewrites_neverCountASpanTwice() async throws {
        let store = InMemoryTraceStore(maxSpans: 100)
        let batch = Self.batch(traces: 0..<4, spansPerTrace: 3)
        try await store.write(batch)
        try await store.write(batch)
        #expect(store.spanCount == 12)
        // Half old, half new: only the new half is stored.
        try await store.write(Self.batch(traces: 2..<6, spansPerTrace: 3))
        #expect(store.spanCount == 18)
        #expect(store.traceCount == 6)
        #expect(try await Self.scannedCount(store) == 18)
    }

    @Test func duplicatesWithinOneBatch_areStoredOnce() async throws {
        let store = InMemoryTraceStore(maxSpans: 100)
        let span = ConformanceFixtures.traceASpans[0]
        try await store.write(ConformanceFixtures.batch([span, span, span]))
        #expect(store.spanCount == 1)
        let trace = try #require(try await store.trace(id: ConformanceFixtures.traceA, timeRange: nil))
        #expect(ConformanceFixtures.storedSpans(in: trace) == [span])
    }

    @Test func rewrites_keepTheFirstCopy() async throws {
        let store = InMemoryTraceStore(maxSpans: 100)
        var first = ConformanceFixtures.traceASpans[0]
        var second = first
        first.span.name = "first"
        second.span.name = "second"
        try await store.write(ConformanceFixtures.batch([first]))
        try await store.write(ConformanceFixtures.batch([second]))
        let trace = try #require(try await store.trace(id: ConformanceFixtures.traceA, timeRange: nil))
        #expect(trace.spans.map(\.name) == ["first"])
    }

    @Test func emptyBatch_storesNothing() async throws {
        let store = InMemoryTraceStore(maxSpans: 10)
        try await store.write(SpanBatch())
        #expect(store.spanCount == 0)
        #expect(try await Self.scannedCount(store) == 0)
    }

    // MARK: Concurrency

    @Test func concurrentWritersAndReaders_seeExactCounts() async throws {
        let store = InMemoryTraceStore(maxSpans: 1_000_000)
        let writers: UInt64 = 8
        let batchesPerWriter: UInt64 = 25
        let tracesPerBatch: UInt64 = 10
        let spansPerTrace: UInt64 = 4
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<writers {
                group.addTask {
                    for batch in 0..<batchesPerWriter {
                        let first = (writer * batchesPerWriter + batch) * tracesPerBatch
                        let spans = Self.batch(traces: first..<first + tracesPerBatch, spansPerTrace: spansPerTrace)
                        try await store.write(spans)
                        // Every fourth batch is written twice, as a retrying client would.
                        if batch % 4 == 0 { try await store.write(spans) }
                    }
                }
            }
            for reader: UInt64 in 0..<4 {
                group.addTask {
                    for round: UInt64 in 0..<25 {
                        // Whatever is visible is whole per batch: traces are never partial.
                        let trace = (reader * 25 + round) % (writers * batchesPerWriter * tracesPerBatch)
                        if let count = try await Self.spanCount(store, trace: trace) { #expect(count == Int(spansPerTrace)) }
                        let found = try await store.search(TraceQuery(service: "svc", limit: 5))
                        #expect(found.allSatisfy { $0.spanCount == Int(spansPerTrace) && $0.rootOperation == "op" })
                        let scanned = try await Self.scannedCount(store)
                        #expect(scanned % Int(spansPerTrace) == 0)
                    }
                }
            }
            try await group.waitForAll()
        }
        let traces = Int(writers * batchesPerWriter * tracesPerBatch)
        #expect(store.spanCount == traces * Int(spansPerTrace))
        #expect(store.traceCount == traces)
        #expect(try await Self.scannedCount(store) == traces * Int(spansPerTrace))
        #expect(try await store.search(TraceQuery(limit: 10_000)).count == traces)
        #expect(try await store.services(timeRange: nil) == ["svc"])
        for trace in stride(from: UInt64(0), to: UInt64(traces), by: 97) {
            #expect(try await Self.spanCount(store, trace: trace) == Int(spansPerTrace))
        }
    }

    // MARK: Cancellation

    @Test func cancelledReads_throwUnavailable() async throws {
        let store = InMemoryTraceStore(maxSpans: 100)
        try await store.write(Self.batch(traces: 0..<4))
        // Reads started in a cancelled task throw rather than return what they got so far.
        let task = Task { () -> [StorageError.Code] in
            while !Task.isCancelled { await Task.yield() }
            var codes: [StorageError.Code] = []
            do throws(StorageError) { _ = try await store.search(TraceQuery()) } catch { codes.append(error.code) }
            do throws(StorageError) { _ = try await store.services(timeRange: nil) } catch { codes.append(error.code) }
            do {
                for try await _ in store.scan(timeRange: .all) {}
            } catch let error as StorageError {
                codes.append(error.code)
            } catch {}
            return codes
        }
        task.cancel()
        #expect(await task.value == [.unavailable, .unavailable, .unavailable])
    }

    // MARK: Concatenation

    @Test func concatenating_copiesOnlyTheSelectedSpans() throws {
        let big = Samples.realisticBatch(spans: 200)
        let rich = SpanBatch(Samples.richResourceSpans())
        let parts = [big.selecting(spansAt: [3, 150]), rich.selecting(spansAt: [1]), big.selecting(spansAt: [199])]
        let joined = SpanBatch(concatenating: parts)
        try joined.tables.validate()
        #expect(joined.spans == [big.span(at: 3), big.span(at: 150), rich.span(at: 1), big.span(at: 199)])
        #expect(joined.resource(ofSpanAt: 2) == rich.resource(ofSpanAt: 1))
        #expect(joined.scope(ofSpanAt: 3) == big.scope(ofSpanAt: 199))
        #expect(joined.tables.resources.count == 3)
        #expect(joined.tables.arena.count < big.tables.arena.count / 10)
        let everything = SpanBatch(concatenating: [rich, big])
        try everything.tables.validate()
        #expect(everything.resourceSpans == rich.resourceSpans + big.resourceSpans)
    }
}
