import SpindleModel
import SpindleStorage
import Testing
@testable import SpindleCollector

@Suite struct SpanLimitsTests {
    private func limited(_ limits: SpanLimits) -> IngestConfiguration {
        IngestConfiguration(limits: limits)
    }

    private func attributes(_ count: Int, prefix: String = "k") -> [Attribute] {
        (0..<count).map { Attribute("\(prefix)\($0)", .int(Int64($0))) }
    }

    @Test func attributesEventsAndLinksPastTheirLimits_areDropped_theFirstKept_andCounted() async throws {
        let writer = RecordingWriter()
        let metrics = RecordingMetrics()
        var record = span("big", id: 1)
        record.attributes = attributes(5)
        record.droppedAttributesCount = 2
        record.events = (0..<4).map { SpanEvent(timeUnixNano: 1500, name: "e\($0)", attributes: attributes(4, prefix: "ev")) }
        record.links = (0..<3).map { SpanLink(traceID: traceB, spanID: SpanID(UInt64(10 + $0))) }
        let small = span("small", id: 2)
        let limits = SpanLimits(maxAttributesPerSpan: 3, maxEventsPerSpan: 2, maxLinksPerSpan: 1, maxAttributeValueBytes: nil, maxSpansPerTrace: nil, maxSpansPerRequest: nil)
        let outcome = try await withPipeline(writer: writer, configuration: limited(limits), metrics: metrics) { pipeline in
            try await pipeline.ingest(batch([record, small]), byteCount: 100, protocol: .otlpHTTP)
        }
        #expect(outcome == IngestOutcome(accepted: 2, rejected: 0, rejectionMessage: ""))
        let stored = await writer.spans
        #expect(stored.count == 2)
        let big = try #require(stored.first)
        #expect(big.attributes == attributes(3))
        #expect(big.droppedAttributesCount == 4)
        #expect(big.events.map(\.name) == ["e0", "e1"])
        #expect(big.events.allSatisfy { $0.attributes == attributes(3, prefix: "ev") && $0.droppedAttributesCount == 1 })
        #expect(big.droppedEventsCount == 2)
        #expect(big.links.map(\.spanID) == [SpanID(10)])
        #expect(big.droppedLinksCount == 2)
        #expect(stored.last == small)
        // 2 span attributes + 1 per kept event (the dropped events' attributes go with them).
        #expect(metrics.counter("spindle_limited_total", [("limit", "attributes_dropped")]) == 4)
        #expect(metrics.counter("spindle_limited_total", [("limit", "events_dropped")]) == 2)
        #expect(metrics.counter("spindle_limited_total", [("limit", "links_dropped")]) == 2)
    }

    @Test func longValues_areCutAtACharacterBoundary_everywhere() async throws {
        let writer = RecordingWriter()
        let metrics = RecordingMetrics()
        // "é" is two bytes: a cut at 5 bytes would split the third one.
        let accented = String(repeating: "é", count: 10)
        var record = span("values", id: 1)
        record.attributes = [
            Attribute("short", .string("abcd")),
            Attribute("long", .string(accented)),
            Attribute("blob", .bytes(Array(0..<20))),
            Attribute("list", .array([.string("abcdefgh"), .int(7)])),
            Attribute("map", .keyValueList([Attribute("inner", .string("123456789"))])),
        ]
        record.events = [SpanEvent(timeUnixNano: 1500, name: "e", attributes: [Attribute("message", .string("0123456789"))])]
        let request = SpanBatch([ResourceSpans(
            resource: Resource(attributes: [Attribute("service.name", .string("checkout")), Attribute("host.description", .string("xxxxxxxxxx"))]),
            scopeSpans: [ScopeSpans(scope: InstrumentationScope(name: "tests"), spans: [record])]
        )])
        let limits = SpanLimits(maxAttributeValueBytes: 5, maxSpansPerTrace: nil)
        _ = try await withPipeline(writer: writer, configuration: limited(limits), metrics: metrics) { pipeline in
            try await pipeline.ingest(request, byteCount: 100, protocol: .otlpHTTP)
        }
        let stored = try #require(await writer.batches.first)
        let storedSpan = stored.span(at: 0)
        #expect(storedSpan.attributes == [
            Attribute("short", .string("abcd")),
            Attribute("long", .string("éé")),
            Attribute("blob", .bytes(Array(0..<5))),
            Attribute("list", .array([.string("abcde"), .int(7)])),
            Attribute("map", .keyValueList([Attribute("inner", .string("12345"))])),
        ])
        #expect(storedSpan.events.first?.attributes == [Attribute("message", .string("01234"))])
        #expect(stored.resource(ofSpanAt: 0).attributes == [Attribute("service.name", .string("check")), Attribute("host.description", .string("xxxxx"))])
        #expect(metrics.counter("spindle_limited_total", [("limit", "values_truncated")]) == 7)
    }

    @Test func spansPastTheTraceLimit_areRejected_andTheTraceIsMarkedOnce() async throws {
        let writer = RecordingWriter()
        let metrics = RecordingMetrics()
        let limits = SpanLimits(maxSpansPerTrace: 3)
        let (first, second, third) = try await withPipeline(writer: writer, configuration: limited(limits), metrics: metrics) { pipeline in
            let first = try await pipeline.ingest(batch([span("a1", id: 1), span("a2", id: 2), span("b1", trace: traceB, id: 3)]), byteCount: 10, protocol: .otlpHTTP)
            var late = span("a4", id: 5)
            late.parentSpanID = SpanID(1)
            let second = try await pipeline.ingest(batch([span("a3", id: 4), late, span("a5", id: 6)]), byteCount: 10, protocol: .otlpHTTP)
            let third = try await pipeline.ingest(batch([span("a6", id: 7), span("b2", trace: traceB, id: 8)]), byteCount: 10, protocol: .otlpHTTP)
            return (first, second, third)
        }
        #expect(first == IngestOutcome(accepted: 3, rejected: 0, rejectionMessage: ""))
        #expect(second == IngestOutcome(accepted: 1, rejected: 2, rejectionMessage: "2 spans rejected: 2 past the limit of 3 spans per trace"))
        #expect(third == IngestOutcome(accepted: 1, rejected: 1, rejectionMessage: "1 span rejected: 1 past the limit of 3 spans per trace"))
        let stored = await writer.spans
        #expect(stored.map(\.name) == ["a1", "a2", "b1", "a3", SpanLimiter.markerSpanName, "b2"])
        let marker = stored[4]
        #expect(marker.traceID == traceA)
        #expect(marker.spanID == SpanLimiter.markerSpanID(for: traceA))
        #expect(marker.parentSpanID == SpanID(1))
        #expect(marker.attributes == [Attribute("spindle.limit", .string("max_spans_per_trace")), Attribute("spindle.limit.max_spans", .int(3))])
        #expect(metrics.counter("spindle_rejected_spans_total", [("protocol", "otlp_http"), ("reason", "trace_too_large")]) == 3)
        #expect(metrics.counter("spindle_accepted_spans_total", [("protocol", "otlp_http")]) == 5)
        #expect(metrics.counter("spindle_limited_total", [("limit", "traces_marked")]) == 1)
    }

    @Test func aRequestWhoseWriteFails_isTakenBackFromTheTraceCounts_soItsRetryIsNotCountedTwice() async throws {
        let writer = RecordingWriter()
        let limits = SpanLimits(maxSpansPerTrace: 3)
        let request = batch([span("a1", id: 1), span("a2", id: 2), span("a3", id: 3)])
        let retried = try await withPipeline(writer: writer, configuration: limited(limits)) { pipeline in
            await writer.fail(with: StorageError(.unavailable, "busy"))
            await #expect(throws: IngestError.self) {
                try await pipeline.ingest(request, byteCount: 10, protocol: .otlpHTTP)
            }
            await writer.fail(with: nil)
            return try await pipeline.ingest(request, byteCount: 10, protocol: .otlpHTTP)
        }
        #expect(retried == IngestOutcome(accepted: 3, rejected: 0, rejectionMessage: ""))
        #expect(await writer.spans.map(\.name) == ["a1", "a2", "a3"])
    }

    @Test func spansPastTheRequestLimit_areRejected_theFirstKept() async throws {
        let writer = RecordingWriter()
        let limits = SpanLimits(maxSpansPerTrace: nil, maxSpansPerRequest: 2)
        let outcome = try await withPipeline(writer: writer, configuration: limited(limits)) { pipeline in
            try await pipeline.ingest(batch([span("a", id: 1), span("b", id: 2), span("c", id: 3), span("d", id: 4)]), byteCount: 10, protocol: .otlpGRPC)
        }
        #expect(outcome == IngestOutcome(accepted: 2, rejected: 2, rejectionMessage: "2 spans rejected: 2 past the limit of 2 spans per request"))
        #expect(await writer.spans.map(\.name) == ["a", "b"])
    }

    @Test func aBatchWithinEveryLimit_isStoredUnchanged() async throws {
        let writer = RecordingWriter()
        let request = batch([span("a", id: 1), span("b", trace: traceB, id: 2)])
        _ = try await withPipeline(writer: writer) { pipeline in
            try await pipeline.ingest(request, byteCount: 10, protocol: .otlpHTTP)
        }
        #expect(await writer.batches == [request])
    }

    @Test func theTraceCount_forgetsTheOldestTrace_pastItsCapacity() {
        var counts = TraceSpanCounts(capacity: 2)
        #expect(counts.increment(traceA) == 1)
        #expect(counts.increment(traceA) == 2)
        #expect(counts.increment(traceB) == 1)
        let traceC = TraceID(high: 3, low: 3)
        #expect(counts.increment(traceC) == 1)
        #expect(counts.trackedCount == 2)
        #expect(counts.increment(traceA) == 1)
        #expect(counts.increment(traceC) == 2)
    }

    @Test func limitsThatCannotWork_areNamed() {
        #expect(throws: SpanLimitsError("limits: max_spans_per_trace must be at least 1, not 0 (none for no limit)")) {
            try SpanLimits(maxSpansPerTrace: 0).validate()
        }
        #expect(throws: SpanLimitsError("limits: traces_tracked must be at least 1, not -1")) {
            try SpanLimits(tracesTracked: -1).validate()
        }
        #expect(throws: Never.self) { try SpanLimits().validate() }
        #expect(throws: Never.self) { try SpanLimits.unlimited.validate() }
    }
}
