import SpindleModel
import Testing
@testable import SpindleCollector

/// Buffering, deciding on time, late spans and the bounds.
@Suite struct TailSamplerBufferTests {
    typealias F = TailFixture

    @Test func traces_waitTheDecisionWaitFromTheirFirstSpan() throws {
        let metrics = RecordingMetrics()
        let sampler = try F.sampler([], wait: .seconds(10), metrics: metrics)
        let first = sampler.offer(F.batch([F.span(F.traceID(1), id: 1)]), now: .seconds(100))
        let second = sampler.offer(F.batch([F.span(F.traceID(1), id: 2, parent: 1), F.span(F.traceID(2), id: 3)]), now: .seconds(105))
        #expect(first.isEmpty && second.isEmpty)
        #expect(sampler.bufferedTraceCount == 2)
        #expect(sampler.bufferedSpanCount == 3)
        #expect(sampler.nextDeadline == .seconds(110))
        #expect(metrics.gauge("spindle_tail_sampling_buffered_traces") == 2)
        #expect(metrics.gauge("spindle_tail_sampling_buffered_spans") == 3)
        #expect(metrics.gauge("spindle_tail_sampling_buffered_bytes") == Double(sampler.approximateBufferedBytes))

        #expect(sampler.decideDue(now: .milliseconds(109_999)).isEmpty)
        let due = sampler.decideDue(now: .seconds(110))
        #expect(F.spanIDs(due) == [1, 2])
        #expect(sampler.nextDeadline == .seconds(115))
        #expect(F.spanIDs(sampler.decideDue(now: .seconds(115))) == [3])
        #expect(sampler.nextDeadline == nil)
        #expect(sampler.bufferedTraceCount == 0 && sampler.bufferedSpanCount == 0)
        #expect(metrics.gauge("spindle_tail_sampling_buffered_spans") == 0)
        #expect(metrics.gauge("spindle_tail_sampling_buffered_bytes") == 0)
    }

    @Test func keptTraces_comeBackWhole_withTheirResourcesAndAttributes() throws {
        let sampler = try F.sampler([])
        let spans = [
            F.span(F.traceID(1), id: 1, attributes: [Attribute("http.route", "/pay"), Attribute("retries", 2)]),
            F.span(F.traceID(1), id: 2, parent: 1, status: .error),
        ]
        _ = sampler.offer(F.batch([("front", [spans[0]]), ("orders", [F.span(F.traceID(2), id: 3)])]), now: .zero)
        _ = sampler.offer(F.batch([("payments", [spans[1]])]), now: .seconds(1))
        let kept = sampler.decideAll(now: .seconds(2))
        #expect(kept.resourceSpans.map { $0.resource.attributes["service.name"] } == ["front", "orders", "payments"])
        #expect(kept.spans.filter { $0.traceID == F.traceID(1) } == spans)
    }

    @Test func lateSpans_followAKeepDecisionAtOnce() throws {
        let metrics = RecordingMetrics()
        let sampler = try F.sampler(.error, metrics: metrics)
        _ = sampler.offer(F.batch([F.span(F.traceID(1), id: 1, status: .error)]), now: .zero)
        #expect(F.spanIDs(sampler.decideDue(now: .seconds(10))) == [1])
        let late = sampler.offer(F.batch([F.span(F.traceID(1), id: 2, parent: 1), F.span(F.traceID(2), id: 3)]), now: .seconds(11))
        #expect(F.spanIDs(late) == [2])
        #expect(sampler.bufferedTraceCount == 1)
        #expect(metrics.counter("spindle_tail_sampling_late_spans_total", [("decision", "sampled")]) == 1)
        #expect(metrics.counter("spindle_tail_sampling_late_spans_total", [("decision", "not_sampled")]) == 0)
    }

    @Test func lateSpans_followADropDecision() throws {
        let metrics = RecordingMetrics()
        let sampler = try F.sampler(.error, metrics: metrics)
        _ = sampler.offer(F.batch([F.span(F.traceID(1), id: 1)]), now: .zero)
        #expect(sampler.decideDue(now: .seconds(10)).isEmpty)
        // Even an error span cannot revive a dropped trace.
        let late = sampler.offer(F.batch([F.span(F.traceID(1), id: 2, parent: 1, status: .error), F.span(F.traceID(1), id: 3, parent: 1)]), now: .seconds(11))
        #expect(late.isEmpty)
        #expect(sampler.bufferedTraceCount == 0)
        #expect(metrics.counter("spindle_tail_sampling_late_spans_total", [("decision", "not_sampled")]) == 2)
        #expect(metrics.counter("spindle_tail_sampling_spans_total", [("decision", "not_sampled")]) == 3)
    }

    @Test func decisionCache_forgetsTheOldestDecisionFirst() throws {
        let sampler = try F.sampler([TailSamplingPolicy(name: "errors", rule: .error)], decisionCacheSize: 2)
        for number in UInt64(1)...3 {
            _ = sampler.offer(F.batch([F.span(F.traceID(number), id: number)]), now: .seconds(Int64(number)))
        }
        _ = sampler.decideDue(now: .seconds(20))
        #expect(sampler.rememberedDecisionCount == 2)
        // Trace 1's drop is forgotten: its late error span starts a new trace, which is kept.
        let late = sampler.offer(F.batch([
            F.span(F.traceID(1), id: 11, parent: 1, status: .error),
            F.span(F.traceID(2), id: 12, parent: 2, status: .error),
            F.span(F.traceID(3), id: 13, parent: 3, status: .error),
        ]), now: .seconds(21))
        #expect(late.isEmpty)
        #expect(sampler.bufferedTraceCount == 1)
        #expect(F.spanIDs(sampler.decideAll(now: .seconds(21))) == [11])
        // Deciding trace 1 again made room by forgetting trace 2, the oldest left.
        let after = sampler.offer(F.batch([F.span(F.traceID(2), id: 22, status: .error), F.span(F.traceID(3), id: 23, status: .error)]), now: .seconds(22))
        #expect(after.isEmpty)
        #expect(sampler.bufferedTraceCount == 1)
        #expect(sampler.rememberedDecisionCount == 2)
    }

    @Test func decisionCacheOfZero_remembersNothing() throws {
        let sampler = try F.sampler([], decisionCacheSize: 0)
        _ = sampler.offer(F.roots([1]), now: .zero)
        #expect(F.spanIDs(sampler.decideAll(now: .zero)) == [2])
        #expect(sampler.offer(F.roots([1]), now: .seconds(1)).isEmpty)
        #expect(sampler.bufferedTraceCount == 1)
    }

    @Test func maxTraces_decidesTheOldestFirst() throws {
        let metrics = RecordingMetrics()
        let sampler = try F.sampler([TailSamplingPolicy(name: "odd", rule: .attribute(.init(key: "odd", .bool(true))))], maxTraces: 3, metrics: metrics)
        func trace(_ number: UInt64) -> SpanBatch {
            F.batch([F.span(F.traceID(number), id: number, attributes: [Attribute("odd", .bool(number % 2 == 1))])])
        }
        for number in UInt64(1)...3 { #expect(sampler.offer(trace(number), now: .seconds(Int64(number))).isEmpty) }
        // A fourth trace decides trace 1 (kept: it comes back at once), a fifth trace 2 (dropped).
        #expect(F.spanIDs(sampler.offer(trace(4), now: .seconds(4))) == [1])
        #expect(sampler.offer(trace(5), now: .seconds(5)).isEmpty)
        #expect(sampler.bufferedTraceCount == 3)
        #expect(sampler.nextDeadline == .seconds(13))
        // A span of a buffered trace takes no room.
        #expect(sampler.offer(trace(3), now: .seconds(6)).isEmpty)
        #expect(sampler.bufferedTraceCount == 3)
        // Two new traces in one batch decide traces 3 and 4.
        let both = sampler.offer(F.batch([F.span(F.traceID(6), id: 6), F.span(F.traceID(7), id: 7)]), now: .seconds(7))
        #expect(F.spanIDs(both) == [3, 3])
        #expect(metrics.counter("spindle_tail_sampling_evicted_early_total", [("reason", "max_traces")]) == 4)
        #expect(metrics.counter("spindle_tail_sampling_traces_total", [("policy", "odd"), ("decision", "sampled")]) == 2)
        #expect(metrics.counter("spindle_tail_sampling_traces_total", [("policy", "none"), ("decision", "not_sampled")]) == 2)
    }

    @Test func maxSpansPerTrace_decidesATraceWhenItReachesTheLimit() throws {
        let metrics = RecordingMetrics()
        let sampler = try F.sampler([], maxSpansPerTrace: 3, metrics: metrics)
        let trace = F.traceID(1)
        #expect(sampler.offer(F.batch([F.span(trace, id: 1), F.span(trace, id: 2, parent: 1)]), now: .zero).isEmpty)
        // The third span reaches the limit: the three are decided; the rest follow at once.
        let kept = sampler.offer(F.batch((3...6).map { F.span(trace, id: $0, parent: 1) } + [F.span(F.traceID(2), id: 7)]), now: .seconds(1))
        #expect(F.spanIDs(kept) == [1, 2, 3, 4, 5, 6])
        #expect(sampler.bufferedTraceCount == 1)
        #expect(sampler.bufferedSpanCount == 1)
        #expect(metrics.counter("spindle_tail_sampling_evicted_early_total", [("reason", "max_spans_per_trace")]) == 1)
        #expect(metrics.counter("spindle_tail_sampling_late_spans_total", [("decision", "sampled")]) == 3)
        #expect(F.spanIDs(sampler.offer(F.batch([F.span(trace, id: 8, parent: 1)]), now: .seconds(2))) == [8])
    }

    @Test func maxBufferedSpans_decidesTheOldestTraces() throws {
        let metrics = RecordingMetrics()
        let sampler = try F.sampler([], maxBufferedSpans: 5, metrics: metrics)
        for number in UInt64(1)...2 {
            let spans = (0..<2).map { F.span(F.traceID(number), id: number * 10 + $0) }
            #expect(sampler.offer(F.batch(spans), now: .seconds(Int64(number))).isEmpty)
        }
        // 4 + 3 spans: over 5, so the oldest trace (1) is decided, leaving 5.
        let kept = sampler.offer(F.batch((0..<3).map { F.span(F.traceID(3), id: 30 + $0) }), now: .seconds(3))
        #expect(F.spanIDs(kept) == [10, 11])
        #expect(sampler.bufferedSpanCount == 5)
        #expect(metrics.counter("spindle_tail_sampling_evicted_early_total", [("reason", "max_buffered_spans")]) == 1)
    }

    @Test func maxBufferedBytes_decidesTheOldestTraces() throws {
        let metrics = RecordingMetrics()
        let padding = [Attribute("payload", .string(String(repeating: "x", count: 10_000)))]
        func trace(_ number: UInt64) -> SpanBatch { F.batch([F.span(F.traceID(number), id: number, attributes: padding)]) }
        let one = F.batch([F.span(F.traceID(99), id: 99, attributes: padding)])
        let perTrace = TailSamplingTrace.approximateBytes(of: one) + TailSamplingTrace.overheadBytes
            + TailSamplingTrace.pieceOverheadBytes + MemoryLayout<Int>.stride
        let sampler = try F.sampler([], maxBufferedBytes: 3 * perTrace, metrics: metrics)
        for number in UInt64(1)...3 { #expect(sampler.offer(trace(number), now: .seconds(Int64(number))).isEmpty) }
        #expect(sampler.approximateBufferedBytes == 3 * perTrace)
        // A fourth goes over: the oldest trace is decided (and kept: no policies).
        #expect(F.spanIDs(sampler.offer(trace(4), now: .seconds(4))) == [1])
        #expect(sampler.bufferedTraceCount == 3)
        #expect(sampler.approximateBufferedBytes == 3 * perTrace)
        #expect(metrics.counter("spindle_tail_sampling_evicted_early_total", [("reason", "max_buffered_bytes")]) == 1)
    }

    /// Hostile traffic: every request is large, but holds only one span of a new trace
    /// (the rest follow decided traces). Each request is held whole while its one trace
    /// waits, so the byte bound, not the trace bound, is what keeps memory flat.
    @Test func largeBatchesHeldBySmallTraces_stayWithinTheByteBound() throws {
        let limit = 1 << 20
        let sampler = try F.sampler([TailSamplingPolicy(name: "errors", rule: .error)], maxTraces: 10_000, maxBufferedBytes: limit)
        _ = sampler.offer(F.roots([0]), now: .zero)
        _ = sampler.decideAll(now: .zero)
        let padding = (0..<20).map { F.span(F.traceID(0), id: 1_000 + UInt64($0), parent: 1, attributes: [Attribute("pad", .string(String(repeating: "p", count: 5_000)))]) }
        var maxBytes = 0
        for number in UInt64(1)...200 {
            _ = sampler.offer(F.batch(padding + [F.span(F.traceID(number), id: number)]), now: .milliseconds(Int64(number)))
            maxBytes = max(maxBytes, sampler.approximateBufferedBytes)
        }
        #expect(maxBytes <= limit)
        #expect(sampler.bufferedTraceCount < 20)
        #expect(sampler.heldBatchCount == sampler.bufferedTraceCount)
        _ = sampler.decideAll(now: .seconds(1))
        #expect(sampler.heldBatchCount == 0 && sampler.approximateBufferedBytes == 0)
    }

    @Test func heldBatches_areReleasedWithTheirLastBufferedTrace() throws {
        let sampler = try F.sampler([], wait: .seconds(10))
        // Batch A holds traces 1 and 2; batch B holds more of trace 2 and trace 3.
        _ = sampler.offer(F.roots([1, 2]), now: .seconds(0))
        _ = sampler.offer(F.batch([F.span(F.traceID(2), id: 22, parent: 3), F.span(F.traceID(3), id: 4)]), now: .seconds(5))
        #expect(sampler.heldBatchCount == 2)
        // Traces 1 and 2 are due at 10 s: batch A is released, B still holds trace 3.
        let due = sampler.decideDue(now: .seconds(10))
        #expect(F.spanIDs(due) == [2, 3, 22])
        #expect(sampler.heldBatchCount == 1)
        #expect(F.spanIDs(sampler.decideDue(now: .seconds(15))) == [4])
        #expect(sampler.heldBatchCount == 0)
    }

    @Test func keptSpansOfOneBatch_comeBackUnderTheirSharedResource() throws {
        let sampler = try F.sampler([])
        _ = sampler.offer(F.roots([1, 2, 3]), now: .zero)
        let kept = sampler.decideAll(now: .zero)
        #expect(kept.tables.resources.count == 1)
        #expect(F.spanIDs(kept) == [2, 3, 4])
    }

    @Test func distinctTraceIDs_neverBufferMoreThanMaxTraces() throws {
        let metrics = RecordingMetrics()
        let sampler = try F.sampler([TailSamplingPolicy(name: "half", rule: .probabilistic(0.5))], maxTraces: 1_000, metrics: metrics)
        var keptSpans = 0
        var maxBuffered = 0
        for start in stride(from: UInt64(0), to: 100_000, by: 1_000) {
            // Spread over the 64-bit range so that about half are sampled.
            let numbers = (start..<start + 1_000).map { $0 &* 0x9E37_79B9_7F4A_7C15 }
            keptSpans += sampler.offer(F.roots(numbers), now: .milliseconds(Int64(start / 1_000))).spanCount
            maxBuffered = max(maxBuffered, sampler.bufferedTraceCount)
        }
        #expect(maxBuffered == 1_000)
        #expect(metrics.counter("spindle_tail_sampling_evicted_early_total", [("reason", "max_traces")]) == 99_000)
        keptSpans += sampler.decideAll(now: .seconds(1)).spanCount
        #expect(sampler.bufferedTraceCount == 0 && sampler.approximateBufferedBytes == 0)
        let sampled = try #require(metrics.counter("spindle_tail_sampling_traces_total", [("policy", "half"), ("decision", "sampled")]))
        let notSampled = try #require(metrics.counter("spindle_tail_sampling_traces_total", [("policy", "none"), ("decision", "not_sampled")]))
        #expect(sampled + notSampled == 100_000)
        #expect(Int64(keptSpans) == sampled)
        #expect(sampler.rememberedDecisionCount == 1_000)
    }

    @Test func oneHugeTrace_buffersAtMostTheSpanLimit() throws {
        let metrics = RecordingMetrics()
        let sampler = try F.sampler([TailSamplingPolicy(name: "errors", rule: .error)], maxSpansPerTrace: 1_000, metrics: metrics)
        let trace = F.traceID(1)
        var maxBuffered = 0
        var nextID: UInt64 = 1
        // 999 spans, then 100 batches of 1 000: 100 999 spans of one trace.
        for count in [999] + Array(repeating: 1_000, count: 100) {
            let spans = (0..<UInt64(count)).map { F.span(trace, id: nextID + $0, parent: 1) }
            nextID += UInt64(count)
            #expect(sampler.offer(F.batch(spans), now: .milliseconds(Int64(nextID / 1_000))).isEmpty)
            maxBuffered = max(maxBuffered, sampler.bufferedSpanCount)
        }
        #expect(maxBuffered == 999)
        #expect(sampler.bufferedSpanCount == 0 && sampler.bufferedTraceCount == 0)
        #expect(metrics.counter("spindle_tail_sampling_evicted_early_total", [("reason", "max_spans_per_trace")]) == 1)
        #expect(metrics.counter("spindle_tail_sampling_late_spans_total", [("decision", "not_sampled")]) == 99_999)
        #expect(metrics.counter("spindle_tail_sampling_spans_total", [("decision", "not_sampled")]) == 100_999)
    }

    @Test func approximateBufferedBytes_followsTheBufferedSpans() throws {
        let sampler = try F.sampler([])
        #expect(sampler.approximateBufferedBytes == 0)
        let long = String(repeating: "x", count: 10_000)
        _ = sampler.offer(F.batch([F.span(F.traceID(1), id: 1, attributes: [Attribute("big", .string(long))])]), now: .zero)
        let one = sampler.approximateBufferedBytes
        #expect(one > 10_000 && one < 12_000)
        _ = sampler.offer(F.batch([F.span(F.traceID(2), id: 2)]), now: .zero)
        #expect(sampler.approximateBufferedBytes > one)
        _ = sampler.decideAll(now: .zero)
        #expect(sampler.approximateBufferedBytes == 0)
    }

    @Test func timeSteppingBack_isTakenAsTheLatestTimeSeen() throws {
        let sampler = try F.sampler([], wait: .seconds(10))
        _ = sampler.offer(F.roots([1]), now: .seconds(50))
        _ = sampler.offer(F.roots([2]), now: .seconds(20))
        #expect(sampler.nextDeadline == .seconds(60))
        #expect(sampler.decideDue(now: .seconds(30)).isEmpty)
        #expect(F.traceNumbers([sampler.decideDue(now: .seconds(60))]) == [1, 2])
    }

    @Test func emptyBatches_changeNothing() throws {
        let sampler = try F.sampler([])
        #expect(sampler.offer(SpanBatch(), now: .zero).isEmpty)
        #expect(sampler.decideDue(now: .seconds(100)).isEmpty)
        #expect(sampler.decideAll(now: .seconds(100)).isEmpty)
        #expect(sampler.nextDeadline == nil)
    }
}
