import SpindleModel
import SpindleQuery
import Testing

/// Hand-built traces for TraceQL tests.
enum TestTrace {
    static let traceID = TraceID(high: 0x1111, low: 0x2222)
    /// Start of every hand-built trace: 1,000 s after the epoch.
    static let base: UInt64 = 1_000_000_000_000

    struct Span {
        var id: UInt64
        var parent: UInt64 = 0
        var name: String
        var service: String? = "svc"
        var kind: SpanKind = .internal
        var status: StatusCode = .unset
        var startMillis: UInt64 = 0
        var durationMillis: UInt64 = 1
        var attributes: [Attribute] = []
        var resourceAttributes: [Attribute] = []
        var events: [SpanEvent] = []
        var links: [SpanLink] = []
        var scope = InstrumentationScope(name: "test.lib", version: "1.2")
        var trace: TraceID = TestTrace.traceID
    }

    static func batch(_ spans: [Span]) -> SpanBatch {
        var builder = SpanBatchBuilder()
        for span in spans {
            let record = SpanRecord(
                traceID: span.trace, spanID: SpanID(span.id), parentSpanID: SpanID(span.parent), name: span.name, kind: span.kind,
                startTimeUnixNano: base + span.startMillis * 1_000_000,
                endTimeUnixNano: base + (span.startMillis + span.durationMillis) * 1_000_000,
                attributes: span.attributes, events: span.events, links: span.links,
                status: SpanStatus(code: span.status, message: span.status == .error ? "failed" : "")
            )
            let resource = Resource(attributes: (span.service.map { [Attribute("service.name", .string($0))] } ?? []) + span.resourceAttributes)
            builder.append(record, resource: resource, scope: span.scope)
        }
        return builder.build()
    }

    /// The small trace most evaluator tests use:
    ///
    /// ```
    /// 1 GET /   frontend server   0–100 ms  http.status_code=200
    /// ├─ 2 auth   auth  client    5–15 ms   ok
    /// ├─ 3 db     db    client   20–80 ms   error, db.system, "a b"
    /// │  └─ 5 query db internal 25–75 ms   rows=10, events retry/done
    /// └─ 4 cache  cache client   85–90 ms   cache.hit, a link
    /// ```
    static let small = batch([
        Span(id: 1, name: "GET /", service: "frontend", kind: .server, startMillis: 0, durationMillis: 100,
             attributes: [Attribute("http.status_code", .int(200)), Attribute("x", .int(1))],
             resourceAttributes: [Attribute("region", "eu"), Attribute("x", .int(2))]),
        Span(id: 2, parent: 1, name: "auth", service: "auth", kind: .client, status: .ok, startMillis: 5, durationMillis: 10,
             resourceAttributes: [Attribute("x", .int(2))]),
        Span(id: 3, parent: 1, name: "db", service: "db", kind: .client, status: .error, startMillis: 20, durationMillis: 60,
             attributes: [Attribute("db.system", "postgres"), Attribute("a b", "x"), Attribute("ratio", .double(0.25))]),
        Span(id: 5, parent: 3, name: "query", service: "db", kind: .internal, startMillis: 25, durationMillis: 50,
             attributes: [Attribute("rows", .int(10)), Attribute("digest", .bytes([1, 2]))],
             events: [
                SpanEvent(timeUnixNano: base + 30_000_000, name: "retry", attributes: [Attribute("attempt", .int(1))]),
                SpanEvent(timeUnixNano: base + 40_000_000, name: "done", attributes: [Attribute("attempt", .int(2)), Attribute("ok", .bool(true))]),
             ],
             scope: InstrumentationScope(name: "db.lib", version: "3.0", attributes: [Attribute("pool", "main")])),
        Span(id: 4, parent: 1, name: "cache", service: "cache", kind: .client, startMillis: 85, durationMillis: 5,
             attributes: [Attribute("cache.hit", .bool(true))],
             links: [SpanLink(traceID: TraceID(high: 0, low: 0xABC), spanID: SpanID(9), attributes: [Attribute("reason", "follows")])]),
    ])

    /// The span IDs of each spanset `query` gives for `batch`, by start time.
    static func spanIDs(_ query: String, in batch: SpanBatch = small) throws -> [[UInt64]] {
        try TraceQLQuery.parse(query).spanSets(in: batch, spansPerSpanSet: .max).map { $0.spans.map(\.spanID.value) }
    }

    /// How many spans each spanset holds.
    static func counts(_ query: String, in batch: SpanBatch) throws -> [Int] {
        try TraceQLQuery.parse(query).spanSets(in: batch, spansPerSpanSet: 0).map(\.matched)
    }
}

/// Spanset filters over one hand-built trace: intrinsics, attributes, literals, types.
@Suite struct TraceQLEvaluatorTests {
    typealias T = TestTrace

    @Test func emptyFilter_matchesEverySpan_inStartOrder() throws {
        #expect(try T.spanIDs("{}") == [[1, 2, 3, 5, 4]])
        #expect(try T.spanIDs("{ true }") == [[1, 2, 3, 5, 4]])
        #expect(try T.spanIDs("{ false }") == [])
        #expect(try T.spanIDs("{}", in: SpanBatch()) == [])
    }

    @Test func spanIntrinsics() throws {
        #expect(try T.spanIDs("{ name = \"db\" }") == [[3]])
        #expect(try T.spanIDs("{ span:name != \"db\" }") == [[1, 2, 5, 4]])
        #expect(try T.spanIDs("{ status = error }") == [[3]])
        #expect(try T.spanIDs("{ span:status != unset }") == [[2, 3]])
        #expect(try T.spanIDs("{ statusMessage = \"failed\" }") == [[3]])
        #expect(try T.spanIDs("{ kind = client }") == [[2, 3, 4]])
        #expect(try T.spanIDs("{ span:kind = server }") == [[1]])
        #expect(try T.spanIDs("{ span:id = \"0000000000000003\" }") == [[3]])
        #expect(try T.spanIDs("{ span:parentID = \"0000000000000001\" }") == [[2, 3, 4]])
        #expect(try T.spanIDs("{ span:parentID = nil }") == [[1]])
        #expect(try T.spanIDs("{ childCount = 3 }") == [[1]])
        #expect(try T.spanIDs("{ span:childCount = 0 }") == [[2, 5, 4]])
        #expect(try T.spanIDs("{ instrumentation:name = \"db.lib\" && instrumentation:version = \"3.0\" }") == [[5]])
        #expect(try T.spanIDs("{ instrumentation.pool = \"main\" }") == [[5]])
    }

    @Test func durations_compareWithDurationsAndWithNanoseconds() throws {
        #expect(try T.spanIDs("{ duration > 50ms }") == [[1, 3]])
        #expect(try T.spanIDs("{ duration >= 60ms }") == [[1, 3]])
        #expect(try T.spanIDs("{ duration < 10ms }") == [[4]])
        #expect(try T.spanIDs("{ duration <= 10ms }") == [[2, 4]])
        #expect(try T.spanIDs("{ span:duration = 10ms }") == [[2]])
        #expect(try T.spanIDs("{ duration = 10000000 }") == [[2]])
        #expect(try T.spanIDs("{ duration > 5e7 }") == [[1, 3]])
        #expect(try T.spanIDs("{ duration = 0.01s }") == [[2]])
    }

    @Test func traceIntrinsics_describeTheWholeTrace() throws {
        #expect(try T.spanIDs("{ trace:rootName = \"GET /\" && name = \"db\" }") == [[3]])
        #expect(try T.spanIDs("{ rootName = \"auth\" }") == [])
        #expect(try T.spanIDs("{ trace:rootService = \"frontend\" && kind = client }") == [[2, 3, 4]])
        #expect(try T.spanIDs("{ rootServiceName = \"frontend\" }") == [[1, 2, 3, 5, 4]])
        #expect(try T.spanIDs("{ trace:duration = 100ms }") == [[1, 2, 3, 5, 4]])
        #expect(try T.spanIDs("{ traceDuration > 1s }") == [])
        #expect(try T.spanIDs("{ trace:id = \"00000000000011110000000000002222\" && name = \"auth\" }") == [[2]])
    }

    @Test func attributes_byScope() throws {
        #expect(try T.spanIDs("{ span.http.status_code = 200 }") == [[1]])
        #expect(try T.spanIDs("{ resource.service.name = \"db\" }") == [[3, 5]])
        #expect(try T.spanIDs("{ resource.region = \"eu\" }") == [[1]])
        #expect(try T.spanIDs("{ span.region = \"eu\" }") == [])
        // `.x` reads the span first, then its resource.
        #expect(try T.spanIDs("{ .region = \"eu\" }") == [[1]])
        #expect(try T.spanIDs("{ .x = 1 }") == [[1]])
        #expect(try T.spanIDs("{ .x = 2 }") == [[2]])
        #expect(try T.spanIDs("{ .x = \"1\" }") == [])
        #expect(try T.spanIDs("{ .region != \"us\" }") == [[1]])
        #expect(try T.spanIDs("{ \"eu\" = resource.region }") == [[1]])
        #expect(try T.spanIDs("{ span.\"a b\" = \"x\" }") == [[3]])
        #expect(try T.spanIDs("{ .\"db.system\" = \"postgres\" }") == [[3]])
        #expect(try T.spanIDs("{ span.cache.hit = true }") == [[4]])
        #expect(try T.spanIDs("{ span.cache.hit }") == [[4]])
        #expect(try T.spanIDs("{ span.cache.hit = false }") == [])
    }

    @Test func eventsAndLinks_matchWhenAnyEventOrLinkDoes() throws {
        #expect(try T.spanIDs("{ event:name = \"retry\" }") == [[5]])
        #expect(try T.spanIDs("{ event:name = \"missing\" }") == [])
        #expect(try T.spanIDs("{ event.attempt = 2 }") == [[5]])
        #expect(try T.spanIDs("{ event.attempt > 5 }") == [])
        #expect(try T.spanIDs("{ event:name = \"done\" && event.ok = true }") == [[5]])
        #expect(try T.spanIDs("{ event:timeSinceStart = 5ms }") == [[5]])
        #expect(try T.spanIDs("{ event.attempt != nil }") == [[5]])
        #expect(try T.spanIDs("{ event.attempt = nil && name = \"auth\" }") == [[2]])
        #expect(try T.spanIDs("{ link.reason = \"follows\" }") == [[4]])
        #expect(try T.spanIDs("{ link:spanID = \"0000000000000009\" }") == [[4]])
        #expect(try T.spanIDs("{ link:traceID = \"00000000000000000000000000000abc\" }") == [[4]])
    }

    @Test func typeRules_followTempo() throws {
        // Ints and floats compare numerically; a string never equals a number.
        #expect(try T.spanIDs("{ span.http.status_code = 200.0 }") == [[1]])
        #expect(try T.spanIDs("{ span.http.status_code = \"200\" }") == [])
        #expect(try T.spanIDs("{ span.ratio < 1 }") == [[3]])
        #expect(try T.spanIDs("{ span.ratio = 0.25 }") == [[3]])
        #expect(try T.spanIDs("{ span.db.system > 5 }") == [])
        // Comparisons with an absent attribute are false, != included.
        #expect(try T.spanIDs("{ span.http.status_code != 200 }") == [])
        #expect(try T.spanIDs("{ span.http.status_code != 404 }") == [[1]])
        // nil tests absence and presence.
        #expect(try T.spanIDs("{ span.http.status_code = nil }") == [[2, 3, 5, 4]])
        #expect(try T.spanIDs("{ span.http.status_code != nil }") == [[1]])
        // Bytes are present but compare false with everything.
        #expect(try T.spanIDs("{ span.digest != nil }") == [[5]])
        #expect(try T.spanIDs("{ span.digest = \"\\u0001\\u0002\" }") == [])
        // Strings order byte-wise.
        #expect(try T.spanIDs("{ name > \"cache\" }") == [[3, 5]])
        #expect(try T.spanIDs("{ name <= \"auth\" }") == [[1, 2]])
        // Booleans, statuses and kinds support only = and !=.
        #expect(try T.spanIDs("{ span.cache.hit > false }") == [])
        #expect(try T.spanIDs("{ status > ok }") == [])
    }

    @Test func arithmetic() throws {
        #expect(try T.spanIDs("{ duration * 2 > 150ms }") == [[1]])
        #expect(try T.spanIDs("{ duration + 40ms = 100ms }") == [[3]])
        #expect(try T.spanIDs("{ duration - 1ms < 5ms }") == [[4]])
        #expect(try T.spanIDs("{ duration / 2 = 25ms }") == [[5]])
        #expect(try T.spanIDs("{ duration / 10ms = 6 }") == [[3]])
        // Integers divide as integers, as in Tempo; a float operand makes it a float.
        #expect(try T.spanIDs("{ span.rows / 4 = 2 }") == [[5]])
        #expect(try T.spanIDs("{ span.rows / 4 = 2.5 }") == [])
        #expect(try T.spanIDs("{ span.rows / 4.0 = 2.5 }") == [[5]])
        #expect(try T.spanIDs("{ -span.rows / 4 = -2 }") == [[5]])
        #expect(try T.spanIDs("{ span.rows % 3 = 1 }") == [[5]])
        #expect(try T.spanIDs("{ span.rows * 3 - 5 = 25 }") == [[5]])
        #expect(try T.spanIDs("{ -span.rows = -10 }") == [[5]])
        #expect(try T.spanIDs("{ span.rows ^ 2 = 100 }") == [[5]])
        #expect(try T.spanIDs("{ span.rows / 0 = 1 || span.rows % 0 = 1 }") == [])
        #expect(try T.spanIDs("{ span.rows + \"a\" = 10 }") == [])
        #expect(try T.spanIDs("{ span.rows * 9223372036854775807 > 0 }") == [])
    }

    @Test func booleanOperators() throws {
        #expect(try T.spanIDs("{ kind = server || status = error }") == [[1, 3]])
        #expect(try T.spanIDs("{ kind = client && status != error }") == [[2, 4]])
        #expect(try T.spanIDs("{ !(status = error) && kind = client }") == [[2, 4]])
        #expect(try T.spanIDs("{ !span.cache.hit }") == [[1, 2, 3, 5]])
        #expect(try T.spanIDs("{ (name = \"auth\" || name = \"db\") && duration > 20ms }") == [[3]])
        #expect(try T.spanIDs("{ (span.rows = 10) = true }") == [[5]])
    }

    @Test func regexes_areFullyAnchored() throws {
        #expect(try T.spanIDs("{ name =~ \"d.*\" }") == [[3]])
        #expect(try T.spanIDs("{ name =~ \"b\" }") == [])
        #expect(try T.spanIDs("{ name !~ \"d.*\" }") == [[1, 2, 5, 4]])
        #expect(try T.spanIDs("{ resource.service.name =~ \"auth|cache\" }") == [[2, 4]])
        #expect(try T.spanIDs("{ span.http.status_code =~ \"2.*\" }") == [])
        #expect(try T.spanIDs("{ span.missing !~ \"x\" }") == [])
    }

    @Test func spansPerSpanSet_limitsListedSpans_notTheCount() throws {
        let sets = try TraceQLQuery.parse("{ kind = client }").spanSets(in: T.small, spansPerSpanSet: 2)
        #expect(sets.count == 1)
        #expect(sets[0].matched == 3)
        #expect(sets[0].spans == [
            MatchedSpan(spanID: SpanID(2), name: "auth", service: "auth", startTimeUnixNano: T.base + 5_000_000, durationNanos: 10_000_000, attributes: []),
            MatchedSpan(spanID: SpanID(3), name: "db", service: "db", startTimeUnixNano: T.base + 20_000_000, durationNanos: 60_000_000, attributes: []),
        ])
        #expect(sets[0].attributes == [])
    }

    @Test func metricsQuery_cannotBeEvaluatedAsASearch() throws {
        #expect(throws: QueryError.self) { try TraceQLQuery.parse("{} | rate()").spanSets(in: T.small) }
        #expect(throws: QueryError.self) { try TraceQLQuery.parse("{ parent.x = 1 }").spanSets(in: T.small) }
    }
}
