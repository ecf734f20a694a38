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
