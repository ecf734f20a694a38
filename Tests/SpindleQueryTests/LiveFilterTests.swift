import SpindleModel
import SpindleQuery
import Testing

/// ``LiveSpanFilter``: TraceQL reduced to one span at a time, for the live tail.
@Suite struct LiveFilterTests {
    typealias T = TestTrace

    /// The IDs of the spans of `batch` that `query` matches, in batch order
    /// (`TestTrace.small` holds spans 1, 2, 3, 5, 4 in that order).
    static func matching(_ query: String, in batch: SpanBatch = T.small) throws -> [UInt64] {
        let filter = try LiveSpanFilter(query)
        let spans = batch.tables.spans
        return filter.matchingSpans(in: batch).map { spans[$0].spanID.value }
    }

    /// The message and position `query` is refused with.
    static func refusal(_ query: String) -> TraceQLError? {
        do {
            _ = try LiveSpanFilter(query)
            return nil
        } catch {
            return error
        }
    }

    static let suffix = "; live tail filters single spans as they arrive, so it takes { } conditions joined by && and ||"

    @Test func anEmptyQuery_andEmptySpansets_matchEverySpan() throws {
        for query in ["", "   \n\t", "{}", "{ } || { name = \"db\" }", "{} && {}"] {
            #expect(try Self.matching(query) == [1, 2, 3, 5, 4], "\(query)")
            #expect(try LiveSpanFilter(query).matchesEverySpan, "\(query)")
        }
        #expect(try LiveSpanFilter("").description == "{}")
        #expect(try Self.matching("{}", in: SpanBatch()) == [])
        #expect(try LiveSpanFilter("{ false }").matchesEverySpan == false)
        #expect(try Self.matching("{ false }") == [])
    }

    @Test func conditions_onIntrinsicsAndAttributes() throws {
        #expect(try Self.matching("{ status = error }") == [3])
        #expect(try Self.matching("{ span:status != unset }") == [2, 3])
        #expect(try Self.matching("{ statusMessage = \"failed\" }") == [3])
        #expect(try Self.matching("{ kind = client && duration > 20ms }") == [3])
        #expect(try Self.matching("{ duration <= 10ms }") == [2, 4])
        #expect(try Self.matching("{ name =~ \"c.*\" }") == [4])
        #expect(try Self.matching("{ name !~ \"(auth|db)\" }") == [1, 5, 4])
        #expect(try Self.matching("{ resource.service.name = \"db\" || span.cache.hit = true }") == [3, 5, 4])
        #expect(try Self.matching("{ .service.name = \"auth\" }") == [2])
        #expect(try Self.matching("{ span.http.status_code >= 200 && span.http.status_code < 300 }") == [1])
        #expect(try Self.matching("{ .region = \"eu\" }") == [1])
        #expect(try Self.matching("{ span.rows * 2 = 20 }") == [5])
        #expect(try Self.matching("{ !(kind = client) }") == [1, 5])
        #expect(try Self.matching("{ span:parentID = nil }") == [1])
        #expect(try Self.matching("{ span:id = \"0000000000000003\" }") == [3])
        #expect(try Self.matching("{ trace:id = \"00000000000011110000000000002222\" && name = \"auth\" }") == [2])
        #expect(try Self.matching("{ instrumentation:name = \"db.lib\" && instrumentation.pool = \"main\" }") == [5])
        #expect(try Self.matching("{ event:name = \"retry\" && event.attempt = 2 }") == [5])
        #expect(try Self.matching("{ link.reason = \"follows\" }") == [4])
        #expect(try Self.matching("{ span.missing != \"x\" }") == [])
    }

    /// Every span-level query selects exactly the spans a search's `{ … }` selects: the
    /// filter evaluates conditions with the search evaluator.
    @Test func spanLevelQueries_agreeWithTheSearchEvaluator() throws {
        let queries = [
            "{ status = error }", "{ kind = client }", "{ duration > 50ms }", "{ resource.service.name = \"db\" }",
            "{ span.cache.hit = true || name = \"GET /\" }", "{ event.attempt = 1 }", "{ .x = 2 }", "{ name =~ \"^.u.*\" }",
            "{ name = \"auth\" } || { name = \"cache\" }", "{ true }",
        ]
        for query in queries {
            let searched = try TraceQLQuery.parse(query).spanSets(in: T.small, spansPerSpanSet: .max).flatMap { $0.spans.map(\.spanID.value) }
            #expect(try Self.matching(query).sorted() == searched.sorted(), "\(query)")
        }
    }

    @Test func orBetweenSpansets_matchesASpanOnEitherSide() throws {
        #expect(try Self.matching("{ name = \"auth\" } || { name = \"cache\" }") == [2, 4])
        #expect(try Self.matching("{ name = \"auth\" } || { name = \"nothing\" }") == [2])
        #expect(try Self.matching("({ name = \"auth\" } || { status = error }) || { kind = server }") == [1, 2, 3])
    }

    /// `&&` between spansets: both sides on the one span (a trace-level search would
    /// also match the trace with an `auth` span and a `db` span, and return both).
    @Test func andBetweenSpansets_needsBothSidesOnTheSameSpan() throws {
        #expect(try Self.matching("{ kind = client } && { status = error }") == [3])
        #expect(try Self.matching("{ name = \"auth\" } && { name = \"db\" }") == [])
        #expect(try TraceQLQuery.parse("{ name = \"auth\" } && { name = \"db\" }").spanSets(in: T.small).map(\.matched) == [2])
        #expect(try Self.matching("{} && { name = \"db\" }") == [3])
        #expect(try Self.matching("({ kind = client } || { kind = server }) && { duration >= 60ms }") == [1, 3])
        #expect(try LiveSpanFilter("{ kind = client } && { status = error }").description == "{ ((kind = client) && (status = error)) }")
    }

    @Test func aParsedQuery_isReducedToo() throws {
        let filter = try LiveSpanFilter(TraceQLQuery.parse("{ kind = client } || { status = error }"))
        #expect(filter.matchingSpans(in: T.small) == [1, 2, 4])
        #expect(filter.matches(spanAt: 2, in: T.small))
        #expect(filter.matches(spanAt: 0, in: T.small) == false)
        #expect(filter.matches(spanAt: 99, in: T.small) == false)
        #expect(filter.matches(spanAt: -1, in: T.small) == false)
        #expect(filter.description == "{ ((kind = client) || (status = error)) }")
        // Positions of refusals then point into the query's canonical text.
        let error = #expect(throws: TraceQLError.self) { try LiveSpanFilter(TraceQLQuery.parse("{.a=1}>{.b=2}")) }
        // `({ (.a = 1) } > { (.b = 2) })`
        #expect(error?.column == 15)
    }

    @Test func structuralOperators_areRefusedWhereTheyAre() {
        #expect(Self.refusal("{ name = \"a\" } >> { name = \"b\" }") == TraceQLError(
            line: 1, column: 16, message: "the structural operator \">>\" relates spans of a whole trace" + Self.suffix
        ))
        #expect(Self.refusal("{ duration > 1s } > { kind = client }")?.column == 19)
        #expect(Self.refusal("{ duration > 1s } > { kind = client }")?.message == "the structural operator \">\" relates spans of a whole trace" + Self.suffix)
        #expect(Self.refusal("{}\n  ~ {}") == TraceQLError(line: 2, column: 3, message: "the structural operator \"~\" relates spans of a whole trace" + Self.suffix))
        #expect(Self.refusal("{ .a = 1 } || ({ .b = 2 } !< { .c = 3 })")?.column == 27)
        #expect(Self.refusal("{} &>> {}")?.message.hasPrefix("the structural operator \"&>>\"") == true)
    }

    @Test func pipelineStagesAndMetrics_areRefusedNamingTheConstruct() {
        let cases: [(String, Int, String)] = [
            ("{ } | count() > 2", 5, "the aggregate count() needs a whole spanset"),
            ("{ kind = server } | avg(duration) > 1s", 19, "the aggregate avg() needs a whole spanset"),
            ("{} | 2 < max(span.rows)", 4, "the aggregate max() needs a whole spanset"),
            ("{} | by(resource.service.name)", 4, "by() groups the spans of a whole trace"),
            ("{} | select(span.rows)", 4, "select() picks fields for search results (live tail sends every span whole)"),
            ("{} | coalesce()", 4, "coalesce() merges the spansets of a whole trace"),
            ("{ .a = 1 } | { .b = 2 }", 12, "a second spanset stage after \"|\" filters spansets of a whole trace (write { a && b } instead of { a } | { b })"),
            ("{ status = error } | rate()", 20, "the metrics function rate() aggregates spans over time"),
            ("{} | quantile_over_time(duration, 0.9) by (name)", 4, "the metrics function quantile_over_time(duration, 0.9) aggregates spans over time"),
            ("({ .a = 1 } | count() > 1) && { .b = 2 }", 13, "the aggregate count() needs a whole spanset"),
        ]
        for (query, column, what) in cases {
            #expect(Self.refusal(query) == TraceQLError(line: 1, column: column, message: what + Self.suffix), "\(query)")
        }
    }

    @Test func traceLevelFields_areRefusedWhereTheyAre() {
        #expect(Self.refusal("{ kind = server && trace:duration > 1s }") == TraceQLError(
            line: 1, column: 20, message: "the intrinsic trace:duration needs the other spans of the trace" + Self.suffix
        ))
        #expect(Self.refusal("{ traceDuration > 1s }")?.message == "the intrinsic traceDuration needs the other spans of the trace" + Self.suffix)
        #expect(Self.refusal("{ rootName = \"GET /\" }")?.column == 3)
        #expect(Self.refusal("{ name = \"x\" } || { trace:rootService = \"a\" }")?.column == 21)
        #expect(Self.refusal("{ span:childCount = 0 }")?.message == "the intrinsic span:childCount needs the other spans of the trace" + Self.suffix)
        #expect(Self.refusal("{ .a = 1 && parent.b = 2 }") == TraceQLError(
            line: 1, column: 13, message: "the parent scope (parent.b) needs the span's parent" + Self.suffix
        ))
    }

    @Test func syntaxErrors_areTheParsersErrors() {
        for query in ["{ name = }", "{", "name = \"x\"", "{ nope = 1 }", "{ .a = 1 } ||"] {
            var expected: TraceQLError?
            do { _ = try TraceQLQuery.parse(query) } catch { expected = error }
            #expect(expected != nil)
            #expect(Self.refusal(query) == expected, "\(query)")
        }
    }

    @Test func hostileInput_isRefusedOrMatchedWithoutHarm() throws {
        #expect(Self.refusal(String(repeating: "{}||", count: 20_000) + "{}")?.message.hasPrefix("the query is") == true)
        #expect(Self.refusal(String(repeating: "(", count: 500) + "{}" + String(repeating: ")", count: 500)) != nil)
        #expect(try Self.matching("{ span.\"é\\u{0}🙂\" = \"\\u{2028}\" }") == [])
        let odd = T.batch([T.Span(id: 7, name: "é\u{0}🙂", service: nil, attributes: [Attribute("é\u{0}🙂", "\u{2028}")])])
        #expect(try Self.matching("{ span.\"é\\u{0}🙂\" = \"\\u{2028}\" }", in: odd) == [7])
        #expect(try Self.matching("{ resource.service.name = nil && name = \"é\\u{0}🙂\" }", in: odd) == [7])
    }
}
