import SpindleModel
import SpindleQuery
import Testing

/// Pipelines on the small trace (see TestTrace.small): durations are 100, 10, 60, 50
/// and 5 ms (225 ms in all); services frontend, auth, db (two spans) and cache.
@Suite struct TraceQLPipelineTests {
    typealias T = TestTrace

    static func sets(_ query: String, in batch: SpanBatch = T.small, spans: Int = .max) throws -> [MatchedSpanSet] {
        try TraceQLQuery.parse(query).spanSets(in: batch, spansPerSpanSet: spans)
    }

    @Test func count() throws {
        #expect(try T.spanIDs("{} | count() > 4") == [[1, 2, 3, 5, 4]])
        #expect(try T.spanIDs("{} | count() > 5") == [])
        #expect(try T.spanIDs("{ kind = client } | count() = 3") == [[2, 3, 4]])
        #expect(try T.spanIDs("{ kind = client } | count() != 3") == [])
        #expect(try T.spanIDs("{} | count() >= 2 * 2 + 1") == [[1, 2, 3, 5, 4]])
        #expect(try T.spanIDs("{} | 4 < count()") == [[1, 2, 3, 5, 4]])
    }

    @Test func durationAggregates() throws {
        #expect(try T.spanIDs("{} | avg(duration) = 45ms") == [[1, 2, 3, 5, 4]])
        #expect(try T.spanIDs("{} | avg(duration) > 45ms") == [])
        #expect(try T.spanIDs("{} | min(duration) = 5ms") == [[1, 2, 3, 5, 4]])
        #expect(try T.spanIDs("{} | max(duration) = 100ms") == [[1, 2, 3, 5, 4]])
        #expect(try T.spanIDs("{} | sum(duration) = 225ms") == [[1, 2, 3, 5, 4]])
        #expect(try T.spanIDs("{} | sum(duration) > 225ms") == [])
        #expect(try T.spanIDs("{ kind = client } | avg(duration) = 25ms") == [[2, 3, 4]])
        #expect(try T.spanIDs("{} | max(duration) - min(duration) = 95ms") == [[1, 2, 3, 5, 4]])
        #expect(try T.spanIDs("{} | avg(duration) = 45000000") == [[1, 2, 3, 5, 4]])
    }

    @Test func numericAggregates_skipSpansWithoutNumbers() throws {
        #expect(try T.spanIDs("{} | sum(span.rows) = 10") == [[1, 2, 3, 5, 4]])
        #expect(try T.spanIDs("{} | avg(span.ratio) = 0.25") == [[1, 2, 3, 5, 4]])
        #expect(try T.spanIDs("{} | max(.x) = 2") == [[1, 2, 3, 5, 4]])
        #expect(try T.spanIDs("{} | avg(.x) = 1.5") == [[1, 2, 3, 5, 4]])
        // No numbers at all: the aggregate is absent and the filter false.
        #expect(try T.spanIDs("{} | sum(span.db.system) = 0") == [])
        #expect(try T.spanIDs("{} | min(name) != 0") == [])
    }

    @Test func by_splitsIntoLabelledSpansets() throws {
        let sets = try Self.sets("{} | by(resource.service.name)")
        #expect(sets.map { $0.spans.map(\.spanID.value) } == [[1], [2], [3, 5], [4]])
        #expect(sets.map(\.attributes) == [
            [Attribute("by(resource.service.name)", "frontend")], [Attribute("by(resource.service.name)", "auth")],
            [Attribute("by(resource.service.name)", "db")], [Attribute("by(resource.service.name)", "cache")],
        ])
        #expect(sets.map(\.matched) == [1, 1, 2, 1])
    }

    @Test func by_groupsSpansWithoutTheFieldUnderAnEmptyValue() throws {
        let sets = try Self.sets("{} | by(span.cache.hit)")
        #expect(sets.map { $0.spans.map(\.spanID.value) } == [[1, 2, 3, 5], [4]])
        #expect(sets.map(\.attributes) == [[Attribute("by(span.cache.hit)", .empty)], [Attribute("by(span.cache.hit)", .bool(true))]])
        let kinds = try Self.sets("{} | by(kind) | by(status)")
        #expect(kinds.map(\.attributes) == [
            [Attribute("by(kind)", "server"), Attribute("by(status)", "unset")],
            [Attribute("by(kind)", "client"), Attribute("by(status)", "ok")],
            [Attribute("by(kind)", "client"), Attribute("by(status)", "error")],
            [Attribute("by(kind)", "client"), Attribute("by(status)", "unset")],
            [Attribute("by(kind)", "internal"), Attribute("by(status)", "unset")],
        ])
    }

    @Test func by_thenAggregates_filterEachGroup() throws {
        #expect(try T.spanIDs("{} | by(resource.service.name) | count() > 1") == [[3, 5]])
        #expect(try T.spanIDs("{} | by(resource.service.name) | avg(duration) >= 50ms") == [[1], [3, 5]])
        #expect(try T.spanIDs("{} | by(kind) | count() = 1 | by(name)") == [[1], [5]])
    }

    @Test func select_addsFieldsToReturnedSpans() throws {
        let sets = try Self.sets("{ kind = client } | select(span.cache.hit, status, duration, resource.service.name, span.missing)")
        #expect(sets.count == 1)
        // Attributes under their bare names, as Tempo returns them.
        #expect(sets[0].spans.map(\.attributes) == [
            [Attribute("status", "ok"), Attribute("duration", .int(10_000_000)), Attribute("service.name", "auth")],
            [Attribute("status", "error"), Attribute("duration", .int(60_000_000)), Attribute("service.name", "db")],
            [Attribute("cache.hit", .bool(true)), Attribute("status", "unset"), Attribute("duration", .int(5_000_000)),
             Attribute("service.name", "cache")],
        ])
        // select() changes no spanset.
        #expect(try T.spanIDs("{ kind = client } | select(name)") == [[2, 3, 4]])
    }

    @Test func coalesce_mergesSpansets() throws {
        let sets = try Self.sets("{} | by(resource.service.name) | coalesce()")
        #expect(sets.map { $0.spans.map(\.spanID.value) } == [[1, 2, 3, 5, 4]])
        #expect(sets[0].attributes == [])
        #expect(try T.spanIDs("{} | by(resource.service.name) | count() > 5 | coalesce()") == [])
    }

    @Test func spansetFiltersInAPipeline_narrowEachSpanset() throws {
        #expect(try T.spanIDs("{} | { kind = client } | { status = error }") == [[3]])
        #expect(try T.spanIDs("{} | by(resource.service.name) | { duration > 20ms }") == [[1], [3, 5]])
        #expect(try T.spanIDs("{ kind = client } | { name = \"auth\" } || { name = \"db\" }") == [[2, 3]])
        #expect(try T.spanIDs("{ kind = client } | { name = \"GET /\" } > {}") == [])
    }

    @Test func pipelinesAsOperands() throws {
        #expect(try T.spanIDs("({} | count() > 4) && { name = \"auth\" }") == [[1, 2, 3, 5, 4]])
        #expect(try T.spanIDs("({} | count() > 5) || { name = \"auth\" }") == [[2]])
        #expect(try T.spanIDs("({ kind = client } | count() = 3) > { name = \"query\" }") == [[5]])
        #expect(try T.spanIDs("({} | by(resource.service.name) | count() > 1) && { name = \"auth\" }") == [[2, 3, 5]])
    }
}
