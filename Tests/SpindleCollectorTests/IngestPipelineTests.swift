import SpindleModel
import SpindleStorage
import Synchronization
import Testing
@testable import SpindleCollector

@Suite struct IngestPipelineValidationTests {
    @Test func eachKindOfInvalidSpan_isRejectedAlone_andTheValidSpansAreStored() async throws {
        let writer = RecordingWriter()
        let metrics = RecordingMetrics()
        let good1 = span("good-1", id: 1)
        let zeroTrace = span("zero-trace", trace: .zero, id: 2)
        let zeroSpan = span("zero-span", id: 0)
        let backwards = span("backwards", id: 4, start: 2000, end: 1999)
        let good2 = span("good-2", trace: traceB, id: 5, start: 7, end: 7)
        let request = SpanBatch([
            resourceSpans([good1, zeroTrace], service: "checkout"),
            resourceSpans([zeroSpan], service: "cart"),
            resourceSpans([backwards, good2], service: "payments"),
        ])
        let outcome = try await withPipeline(writer: writer, metrics: metrics) { pipeline in
            try await pipeline.ingest(request, byteCount: 500, protocol: .otlpHTTP)
        }
        #expect(outcome == IngestOutcome(
            accepted: 2, rejected: 3,
            rejectionMessage: "3 spans rejected: 1 with an all-zero trace_id, 1 with an all-zero or malformed span_id or parent_span_id, 1 ending before it starts"
        ))
        let stored = await writer.batches
        #expect(stored.count == 1)
        // Groups left without spans are dropped; the others keep their resources.
        #expect(stored.first == SpanBatch([resourceSpans([good1], service: "checkout"), resourceSpans([good2], service: "payments")]))
        #expect(metrics.counter("spindle_received_spans_total", [("protocol", "otlp_http")]) == 5)
        #expect(metrics.counter("spindle_accepted_spans_total", [("protocol", "otlp_http")]) == 2)
        for reason in ["zero_trace_id", "zero_span_id", "end_before_start"] {
            #expect(metrics.counter("spindle_rejected_spans_total", [("protocol", "otlp_http"), ("reason", reason)]) == 1)
        }
    }

    @Test func oneRejectedSpan_isNamedInTheSingular() async throws {
        let writer = RecordingWriter()
        let outcome = try await withPipeline(writer: writer) { pipeline in
            try await pipeline.ingest(batch([span("ok", id: 1), span("late", id: 2, start: 5, end: 4)]), byteCount: 10, protocol: .zipkin)
        }
        #expect(outcome == IngestOutcome(accepted: 1, rejected: 1, rejectionMessage: "1 span rejected: 1 ending before it starts"))
    }

    @Test func aSpanWithSeveralProblems_isCountedOnce_underItsFirstReason() async throws {
        let writer = RecordingWriter()
        let metrics = RecordingMetrics()
        let outcome = try await withPipeline(writer: writer, metrics: metrics) { pipeline in
            try await pipeline.ingest(batch([span("everything wrong", trace: .zero, id: 0, start: 9, end: 1)]), byteCount: 10, protocol: .otlpGRPC)
        }
        #expect(outcome == IngestOutcome(accepted: 0, rejected: 1, rejectionMessage: "1 span rejected: 1 with an all-zero trace_id"))
        #expect(metrics.counter("spindle_rejected_spans_total", [("protocol", "otlp_grpc"), ("reason", "zero_trace_id")]) == 1)
        #expect(metrics.counter("spindle_rejected_spans_total", [("protocol", "otlp_grpc"), ("reason", "zero_span_id")]) == 0)
    }

    @Test func aRequestWithNoValidSpan_writesNothing_andHoldsNoBytes() async throws {
        let writer = RecordingWriter()
        try await withPipeline(writer: writer) { pipeline in
            let outcome = try await pipeline.ingest(batch([span("a", id: 0), span("b", id: 0)]), byteCount: 100, protocol: .otlpHTTP)
            #expect(outcome == IngestOutcome(accepted: 0, rejected: 2, rejectionMessage: "2 spans rejected: 2 with an all-zero or malformed span_id or parent_span_id"))
            #expect(pipeline.bytesInFlight == 0)
        }
        #expect(await writer.writeCalls == 0)
    }

    @Test func anEmptyRequest_isAcceptedWithoutAWrite() async throws {
        let writer = RecordingWriter()
        let outcome = try await withPipeline(writer: writer) { pipeline in
            try await pipeline.ingest(SpanBatch(), byteCount: 0, protocol: .otlpHTTP)
        }
        #expect(outcome == IngestOutcome(accepted: 0, rejected: 0, rejectionMessage: ""))
        #expect(await writer.writeCalls == 0)
    }
}

@Suite struct IngestPipelineBackpressureTests {
    @Test func aFullPipeline_refusesAtOnce_andLosesNothingItAccepted() async throws {
        let writer = RecordingWriter()
        let metrics = RecordingMetrics()
        await writer.block()
        let first = batch(spans("first", count: 3, firstID: 1))
        let second = batch(spans("second", count: 2, firstID: 10))
        try await withPipeline(writer: writer, configuration: IngestConfiguration(maxBytesInFlight: 1000), metrics: metrics) { pipeline in
            try await withThrowingTaskGroup(of: IngestOutcome.self) { group in
                group.addTask { try await pipeline.ingest(first, byteCount: 600, protocol: .otlpHTTP) }
                await waitUntil("the first write is held") { await writer.heldWrites == 1 }
                // Exactly at the bound is still admitted.
                group.addTask { try await pipeline.ingest(second, byteCount: 400, protocol: .otlpHTTP) }
                await waitUntil("the second request is queued") { pipeline.queuedRequestCount == 2 }
                #expect(pipeline.bytesInFlight == 1000)
                #expect(metrics.gauge("spindle_ingest_bytes_in_flight") == 1000)

                await #expect(throws: IngestError.overloaded(retryAfterSeconds: 1)) {
                    try await pipeline.ingest(batch(spans("third", count: 1, firstID: 20)), byteCount: 1, protocol: .zipkin)
                }
                #expect(metrics.counter("spindle_refused_requests_total", [("protocol", "zipkin"), ("reason", "overloaded")]) == 1)
                #expect(pipeline.bytesInFlight == 1000)

                await writer.release()
                var accepted = 0
                for try await outcome in group { accepted += outcome.accepted }
                #expect(accepted == 5)
            }
            #expect(pipeline.bytesInFlight == 0)
            #expect(metrics.gauge("spindle_ingest_bytes_in_flight") == 0)
            // Room again: the refused request goes through when retried.
            let retried = try await pipeline.ingest(batch(spans("third", count: 1, firstID: 20)), byteCount: 1, protocol: .zipkin)
            #expect(retried.accepted == 1)
        }
        #expect(await writer.spans == first.spans + second.spans + spans("third", count: 1, firstID: 20))
    }

    @Test func aRequestLargerThanTheBound_isAdmittedWhenNothingIsInFlight_andRefusedOtherwise() async throws {
        let writer = RecordingWriter()
        await writer.block()
        try await withPipeline(writer: writer, configuration: IngestConfiguration(maxBytesInFlight: 100)) { pipeline in
            try await withThrowingTaskGroup(of: IngestOutcome.self) { group in
                group.addTask { try await pipeline.ingest(batch(spans("big", count: 1)), byteCount: 10_000, protocol: .otlpHTTP) }
                await waitUntil("the big request is being written") { await writer.heldWrites == 1 }
                #expect(pipeline.bytesInFlight == 10_000)
                await #expect(throws: IngestError.overloaded(retryAfterSeconds: 1)) {
                    try await pipeline.ingest(batch(spans("small", count: 1, firstID: 5)), byteCount: 1, protocol: .otlpHTTP)
                }
                await writer.release()
                for try await outcome in group { #expect(outcome.accepted == 1) }
            }
        }
    }
}

@Suite struct IngestPipelineGroupCommitTests {
    @Test func requestsQueuedWhileAWriteRuns_goIntoOneStorageWrite() async throws {
        let writer = RecordingWriter()
        await writer.block()
        let first = batch(spans("a", count: 1, firstID: 1), service: "a")
        let queued = [
            batch(spans("b", count: 2, firstID: 10), service: "b"),
            batch(spans("c", count: 3, firstID: 20), service: "c"),
            batch(spans("d", count: 1, firstID: 30), service: "d"),
        ]
        try await withPipeline(writer: writer) { pipeline in
            try await withThrowingTaskGroup(of: IngestOutcome.self) { group in
                group.addTask { try await pipeline.ingest(first, byteCount: 10, protocol: .otlpHTTP) }
                await waitUntil("the first write is held") { await writer.heldWrites == 1 }
                for (index, request) in queued.enumerated() {
                    group.addTask { try await pipeline.ingest(request, byteCount: 10, protocol: .otlpGRPC) }
                    await waitUntil("request \(index) is queued") { pipeline.queuedRequestCount == index + 2 }
                }
                await writer.release()
                var accepted = 0
                for try await outcome in group { accepted += outcome.accepted }
                #expect(accepted == 7)
            }
        }
        #expect(await writer.writeCalls == 2)
        let stored = await writer.batches
        try #require(stored.count == 2)
        #expect(stored[0] == first)
        // One write holding the three requests in arrival order, each under its own resource.
        try stored[1].tables.validate()
        #expect(stored[1] == SpanBatch(queued.flatMap(\.resourceSpans)))
    }

    @Test func aMergedWrite_holdsAtMostMaxSpansPerWrite() async throws {
        let writer = RecordingWriter()
        await writer.block()
        try await withPipeline(writer: writer, configuration: IngestConfiguration(maxSpansPerWrite: 4)) { pipeline in
            try await withThrowingTaskGroup(of: IngestOutcome.self) { group in
                group.addTask { try await pipeline.ingest(batch(spans("a", count: 1, firstID: 1)), byteCount: 10, protocol: .otlpHTTP) }
                await waitUntil("the first write is held") { await writer.heldWrites == 1 }
                for (index, name) in ["b", "c", "d"].enumerated() {
                    group.addTask { try await pipeline.ingest(batch(spans(name, count: 2, firstID: UInt64(10 * (index + 1)))), byteCount: 10, protocol: .otlpHTTP) }
                    await waitUntil("request \(name) is queued") { pipeline.queuedRequestCount == index + 2 }
                }
                await writer.release()
                for try await _ in group {}
            }
        }
        #expect(await writer.batches.map(\.spanCount) == [1, 4, 2])
        #expect(await writer.spans.map(\.name) == ["a-0", "b-0", "b-1", "c-0", "c-1", "d-0", "d-1"])
    }

    @Test func aRequestLargerThanMaxSpansPerWrite_isWrittenInParts_andAcknowledgedOnceAllAreDurable() async throws {
        let writer = RecordingWriter()
        let request = batch(spans("big", count: 5))
        let outcome = try await withPipeline(writer: writer, configuration: IngestConfiguration(maxSpansPerWrite: 2)) { pipeline in
            try await pipeline.ingest(request, byteCount: 50, protocol: .otlpHTTP)
        }
        #expect(outcome == IngestOutcome(accepted: 5, rejected: 0, rejectionMessage: ""))
        #expect(await writer.batches.map(\.spanCount) == [2, 2, 1])
        #expect(await writer.spans == request.spans)
    }
}

@Suite struct IngestPipelineStorageErrorTests {
    /// Holds a first request in a write, queues two more behind it, then lets the writer fail.
    private func failThreeRequests(with error: StorageError) async throws -> (results: [Result<IngestOutcome, IngestError>], writer: RecordingWriter, after: IngestOutcome) {
        let writer = RecordingWriter()
        await writer.block()
        await writer.fail(with: error)
        return try await withPipeline(writer: writer) { pipeline in
            let results = await withTaskGroup(of: Result<IngestOutcome, IngestError>.self) { group in
                for (index, name) in ["a", "b", "c"].enumerated() {
                    group.addTask {
                        do throws(IngestError) {
                            return .success(try await pipeline.ingest(batch(spans(name, count: 1, firstID: UInt64(index + 1))), byteCount: 10, protocol: .otlpHTTP))
                        } catch {
                            return .failure(error)
                        }
                    }
                    await waitUntil("request \(name) is queued") { pipeline.queuedRequestCount == index + 1 }
                }
                await writer.release()
                var results: [Result<IngestOutcome, IngestError>] = []
                for await result in group { results.append(result) }
                return results
            }
            #expect(pipeline.bytesInFlight == 0)
            // The loop goes on: once storage recovers, requests succeed again.
            await writer.fail(with: nil)
            let after = try await pipeline.ingest(batch(spans("d", count: 1, firstID: 9)), byteCount: 10, protocol: .otlpHTTP)
            return (results, writer, after)
        }
    }

    @Test func storageUnavailable_failsEveryRequestInTheWrite_asUnavailable() async throws {
        let (results, writer, after) = try await failThreeRequests(with: StorageError(.unavailable, "the WAL is full"))
        #expect(results.count == 3)
        for result in results {
            #expect(result == .failure(.unavailable("storage is unavailable: the WAL is full")))
        }
        #expect(await writer.writeCalls == 3) // a; b and c merged; d
        #expect(await writer.spans.map(\.name) == ["d-0"])
        #expect(after.accepted == 1)
    }

    @Test func otherStorageErrors_failEveryRequestInTheWrite_asInternalErrors() async throws {
        let (results, writer, _) = try await failThreeRequests(with: StorageError(.corrupt, "segment 3 is torn at byte 17"))
        #expect(results.count == 3)
        for result in results {
            #expect(result == .failure(.internalError("storage failed: corrupt: segment 3 is torn at byte 17")))
        }
        #expect(await writer.spans.map(\.name) == ["d-0"])
    }

    @Test func storageFailures_areCountedAsRefusedRequests() async throws {
        let writer = RecordingWriter()
        let metrics = RecordingMetrics()
        await writer.fail(with: StorageError(.unavailable, "busy"))
        try await withPipeline(writer: writer, metrics: metrics) { pipeline in
            await #expect(throws: IngestError.unavailable("storage is unavailable: busy")) {
                try await pipeline.ingest(batch(spans("a", count: 2)), byteCount: 10, protocol: .otlpGRPC)
            }
        }
        #expect(metrics.counter("spindle_refused_requests_total", [("protocol", "otlp_grpc"), ("reason", "unavailable")]) == 1)
        #expect(metrics.counter("spindle_accepted_spans_total", [("protocol", "otlp_grpc")]) == 0)
    }
}

@Suite struct IngestPipelineShutdownTests {
    @Test func shutdown_refusesNewRequests_writesEverythingAccepted_thenRunReturns() async throws {
        let writer = RecordingWriter()
        let metrics = RecordingMetrics()
        await writer.block()
        let pipeline = IngestPipeline(writer: writer, metrics: metrics, logger: quietLogger)
        let runReturned = Flag()
        try await withThrowingTaskGroup(of: IngestOutcome?.self) { group in
            group.addTask {
                await pipeline.run()
                runReturned.set()
                return nil
            }
            group.addTask { try await pipeline.ingest(batch(spans("a", count: 1, firstID: 1)), byteCount: 10, protocol: .otlpHTTP) }
            await waitUntil("the first write is held") { await writer.heldWrites == 1 }
            group.addTask { try await pipeline.ingest(batch(spans("b", count: 2, firstID: 5)), byteCount: 10, protocol: .otlpHTTP) }
            await waitUntil("the second request is queued") { pipeline.queuedRequestCount == 2 }

            pipeline.shutdown()
            await #expect(throws: IngestError.unavailable("shutting down")) {
                try await pipeline.ingest(batch(spans("c", count: 1, firstID: 9)), byteCount: 10, protocol: .zipkin)
            }
            #expect(metrics.counter("spindle_refused_requests_total", [("protocol", "zipkin"), ("reason", "unavailable")]) == 1)
            #expect(!runReturned.isSet)

            await writer.release()
            var accepted = 0
            for try await outcome in group { accepted += outcome?.accepted ?? 0 }
            #expect(accepted == 3)
        }
        #expect(runReturned.isSet)
        #expect(await writer.spans.map(\.name) == ["a-0", "b-0", "b-1"])
        await #expect(throws: IngestError.unavailable("shutting down")) {
            try await pipeline.ingest(batch(spans("d", count: 1)), byteCount: 10, protocol: .otlpHTTP)
        }
    }

    @Test func cancellingRun_shutsThePipelineDown() async throws {
        let pipeline = IngestPipeline(writer: RecordingWriter(), metrics: RecordingMetrics(), logger: quietLogger)
        let run = Task { await pipeline.run() }
        run.cancel()
        await run.value
        await #expect(throws: IngestError.unavailable("shutting down")) {
            try await pipeline.ingest(batch(spans("a", count: 1)), byteCount: 10, protocol: .otlpHTTP)
        }
    }
}

@Suite struct IngestPipelineMetricsTests {
    @Test func aRequest_isCountedAndTimed_withTheInjectedClock() async throws {
        let writer = RecordingWriter()
        let metrics = RecordingMetrics()
        let pipeline = IngestPipeline(writer: writer, metrics: metrics, logger: quietLogger, clock: SteppingClock(step: .milliseconds(5)))
        async let run: Void = pipeline.run()
        let request = batch([span("ok", id: 1), span("ok", id: 2), span("bad", id: 3, start: 2, end: 1)])
        _ = try await pipeline.ingest(request, byteCount: 123, protocol: .otlpHTTP)
        pipeline.shutdown()
        await run

        let http = [("protocol", "otlp_http")]
        #expect(metrics.counter("spindle_received_spans_total", http) == 3)
        #expect(metrics.counter("spindle_received_bytes_total", http) == 123)
        #expect(metrics.counter("spindle_accepted_spans_total", http) == 2)
        #expect(metrics.counter("spindle_rejected_spans_total", http + [("reason", "end_before_start")]) == 1)
        #expect(metrics.counter("spindle_received_spans_total", [("protocol", "zipkin")]) == 0)
        #expect(metrics.timer("spindle_ingest_duration_seconds", http) == [5_000_000])
        #expect(metrics.gauge("spindle_ingest_bytes_in_flight") == 0)
    }
}
