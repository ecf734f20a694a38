import SpindleModel
import SpindleTesting
import Testing

@Suite struct SpanBatchTests {
    @Test func plainValues_roundTripThroughTheTables() throws {
        let groups = Samples.richResourceSpans()
        let batch = SpanBatch(groups)
        try batch.tables.validate()
        #expect(batch.resourceSpans == groups)
        #expect(batch.spanCount == 2)
        #expect(batch.span(at: 1).name == "charge")
        #expect(batch.resource(ofSpanAt: 1).serviceName == "checkout")
        #expect(batch.scope(ofSpanAt: 0).version == "0.9.1")
    }

    @Test func nestedValues_keepTheirOwnListsContiguous() throws {
        let batch = SpanBatch(Samples.richResourceSpans())
        let tables = batch.tables
        // The span's three attributes are rows 0..<3 of the span table even though
        // the nested list in the middle added rows to the nested tables first.
        #expect(tables.spans[0].attributes == TableRange(start: 0, count: 3))
        #expect(tables.nestedAttributes.count == 3)
        #expect(tables.nestedValues.count == 4)
    }

    @Test func builder_mergesConsecutiveSpansOfTheSameResourceAndScope() throws {
        var builder = SpanBatchBuilder()
        let resource = Resource(attributes: [Attribute("service.name", "a")])
        let scope = InstrumentationScope(name: "lib")
        let span = SpanRecord(traceID: TraceID(high: 0, low: 1), spanID: SpanID(1), name: "x", startTimeUnixNano: 1, endTimeUnixNano: 2)
        builder.append(span, resource: resource, scope: scope)
        builder.append(span, resource: resource, scope: scope)
        builder.append(span, resource: Resource(attributes: [Attribute("service.name", "b")]), scope: scope)
        let batch = builder.build()
        try batch.tables.validate()
        #expect(batch.tables.resources.count == 2)
        #expect(batch.resourceSpans[0].scopeSpans[0].spans.count == 2)
        #expect(batch.resourceSpans[1].resource.serviceName == "b")
    }

    @Test func equality_comparesValuesNotStorage() {
        #expect(SpanBatch(Samples.richResourceSpans()) == SpanBatch(Samples.richResourceSpans()))
        #expect(SpanBatch(Samples.richResourceSpans()) != SpanBatch())
    }

    @Test func validate_reportsARangeOutsideItsTable() {
        var tables = SpanBatch(Samples.richResourceSpans()).tables
        tables.spans[0].events = TableRange(start: 0, count: 9)
        #expect(throws: SpanTables.InvariantViolation.self) { try tables.validate() }
    }

    @Test func durations_neverUnderflow() {
        var span = SpanRecord(traceID: TraceID(high: 0, low: 1), spanID: SpanID(1), name: "x", startTimeUnixNano: 10, endTimeUnixNano: 25)
        #expect(span.durationNanos == 15)
        span.endTimeUnixNano = 5
        #expect(span.durationNanos == 0)
        #expect(span.isRoot)
    }
}

@Suite struct SpanBatchSelectingTests {
    @Test func selecting_keepsChosenSpansWithTheirResourceAndScope() throws {
        let batch = SpanBatch(Samples.richResourceSpans())
        let second = batch.selecting(spansAt: [1])
        try second.tables.validate()
        #expect(second.spanCount == 1)
        #expect(second.span(at: 0) == batch.span(at: 1))
        #expect(second.resource(ofSpanAt: 0) == batch.resource(ofSpanAt: 1))
        #expect(second.scope(ofSpanAt: 0) == batch.scope(ofSpanAt: 1))
        // The empty scope and the empty resource group are gone.
        #expect(second.tables.scopes.count == 1)
        #expect(second.tables.resources.count == 1)
    }

    @Test func selecting_everything_givesTheSameSpansAndNothing_givesAnEmptyBatch() throws {
        let batch = Samples.realisticBatch(spans: 30)
        let all = batch.selecting(spansAt: 0..<30)
        try all.tables.validate()
        #expect(all.spans == batch.spans)
        #expect(batch.selecting(spansAt: []).isEmpty)
    }

    @Test func selecting_acrossGroups_rebuildsEachGroupOnce() throws {
        var builder = SpanBatchBuilder()
        for (index, service) in ["a", "a", "b", "b", "a"].enumerated() {
            let span = SpanRecord(traceID: TraceID(high: 0, low: 1), spanID: SpanID(UInt64(index + 1)), name: "s\(index)", startTimeUnixNano: 1, endTimeUnixNano: 2)
            builder.append(span, resource: Resource(attributes: [Attribute("service.name", .string(service))]), scope: InstrumentationScope(name: "lib"))
        }
        let batch = builder.build()
        let picked = batch.selecting(spansAt: [0, 2, 3, 4])
        try picked.tables.validate()
        #expect(picked.spans.map(\.name) == ["s0", "s2", "s3", "s4"])
        #expect(picked.resourceSpans.map { $0.resource.serviceName } == ["a", "b", "a"])
        #expect(picked.resourceSpans.map { $0.scopeSpans[0].spans.count } == [1, 2, 1])
    }
}
