import SpindleModel
import SpindleQuery
import SpindleStorage
import Testing

/// Behaviours where Spindle follows Tempo because users and Grafana rely on them.
@Suite struct TraceQLTempoParityTests {
    typealias T = TestTrace

    /// A parent chain 1 ← 2 ← … ← n.
    static func chain(_ count: Int) -> SpanBatch {
        T.batch((1...UInt64(count)).map { T.Span(id: $0, parent: $0 - 1, name: "op", startMillis: $0) })
    }

    @Test func structuralOperatorAfterBy_isRefused_notRunPerGroup() async throws {
        // Each by() group would walk the whole trace again: quadratic on a long chain.
        // Tempo refuses spanset operators over several spansets per trace; so does Spindle.
        let store = InMemoryTraceStore(maxSpans: 1 << 20)
        try await store.write(Self.chain(30_000))
        let engine = TraceQLEngine(reader: store)
        let message = "not supported: a structural operator after by(): it would run once per group over the whole trace; add | coalesce() before it"
        for text in ["{ } | by(span:id) | { } >> { }", "{ } | by(name) | ({ } > { }) && { }", "{ } | by(name) | ({ } | { } ~ { })"] {
            let query = try TraceQLQuery.parse(text)
            do {
                _ = try await engine.search(query, timeRange: .all, limit: 20)
                Issue.record("\(text) was answered")
            } catch {
                #expect(error.message == message, "\(text)")
            }
        }
        // After coalesce() the groups are one spanset again.
        let merged = try await engine.search(try TraceQLQuery.parse("{ } | by(name) | coalesce() | { span:id = \"0000000000000001\" } >> { }"), timeRange: .all, limit: 20)
        #expect(merged.traces.first?.spanSets.first?.matched == 29_999)
        // A structural operator before by() runs once.
        let before = try await engine.search(try TraceQLQuery.parse("{ } >> { } | by(name)"), timeRange: .all, limit: 20)
        #expect(before.traces.first?.spanSets.first?.matched == 29_999)
    }

    @Test func select_returnsAttributesUnderTheirBareNames() throws {
        let trace = T.batch([T.Span(id: 1, name: "GET", attributes: [Attribute("http.method", "GET")], resourceAttributes: [Attribute("region", "eu")])])
        let sets = try TraceQLQuery.parse("{ } | select(span.http.method, resource.region, .region, name)").spanSets(in: trace)
        #expect(sets.first?.spans.first?.attributes == [
            Attribute("http.method", "GET"), Attribute("region", "eu"), Attribute("region", "eu"), Attribute("name", "GET"),
        ])
    }

    @Test func nanValues_groupTogether() async throws {
        let spans = (1...3).map { T.Span(id: UInt64($0), name: "op", startMillis: UInt64($0), attributes: [Attribute("ratio", .double(.nan))]) }
            + [T.Span(id: 4, name: "op", startMillis: 4, attributes: [Attribute("ratio", .double(0.5))])]
        let sets = try TraceQLQuery.parse("{ } | by(span.ratio)").spanSets(in: T.batch(spans), spansPerSpanSet: 10)
        #expect(sets.map(\.matched) == [3, 1])

        let store = InMemoryTraceStore(maxSpans: 1000)
        try await store.write(T.batch(spans))
        let series = try await TraceQLEngine(reader: store).metrics(
            try TraceQLQuery.parse("{ } | count_over_time() by (span.ratio)"),
            timeRange: TimeRange(start: T.base, end: T.base + 1_000_000_000), step: 1_000_000_000
        )
        #expect(series.count == 2)
        #expect(series.map { $0.samples.map(\.value) }.sorted { $0[0] < $1[0] } == [[1], [3]])
    }
}
