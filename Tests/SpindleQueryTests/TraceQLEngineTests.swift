import SpindleModel
import SpindleQuery
import SpindleStorage
import SpindleTesting
import Synchronization
import Testing

/// Searches over the conformance fixtures (see ConformanceFixtures: traces A–E).
@Suite struct TraceQLEngineTests {
    typealias F = ConformanceFixtures
    /// Covers every fixture span: T .. T+10 s.
    static let range = TimeRange(start: F.baseTime, end: F.time(10_000))

    static func search(
        _ query: String, range: TimeRange = range, limit: Int = 20, spans: Int = 3,
        minDuration: UInt64? = nil, maxDuration: UInt64? = nil, limits: QueryLimits = QueryLimits()
    ) async throws -> TraceQLSearchResult {
        let engine = TraceQLEngine(reader: try await fixtureStore(), limits: limits)
        return try await engine.search(
            TraceQLQuery.parse(query), timeRange: range, limit: limit, spansPerSpanSet: spans,
            minDuration: minDuration, maxDuration: maxDuration
        )
    }

    /// Trace and span IDs of each match: `[trace: [[span]]]` in result order.
    static func ids(_ result: TraceQLSearchResult) -> [String] {
        result.traces.map { match in
            let sets = match.spanSets.map { $0.spans.map { String($0.spanID.value, radix: 16, uppercase: true) }.joined(separator: ",") }
            return "\(String(match.summary.traceID.high >> 56, radix: 16, uppercase: true)):" + sets.joined(separator: "|")
        }
    }

    @Test func emptyFilter_returnsEveryTrace_mostRecentFirst() async throws {
        let result = try await Self.search("{}", spans: 100)
        #expect(Self.ids(result) == ["E:E1", "D:D1,D2", "C:C1,C2,C3", "B:B1,B2,B3", "A:A1,A2,A3,A4,A5"])
        #expect(result.traces.map(\.summary) == F.summaries)
        #expect(result.inspectedTraces == 5)
        #expect(result.inspectedSpans == 14)
    }

    @Test func matchedSpans_carryNameServiceTimesAndCount() async throws {
        let result = try await Self.search("{ resource.service.name = \"payments\" && status = error }")
        #expect(Self.ids(result) == ["C:C1", "A:A4"])
        #expect(result.traces[1].spanSets == [MatchedSpanSet(
            spans: [MatchedSpan(spanID: SpanID(0xA4), name: "charge", service: "payments", startTimeUnixNano: F.time(1025), durationNanos: 140_000_000, attributes: [])],
            matched: 1, attributes: []
        )])
    }

    @Test func attributeTypes_intAndDoubleCompareNumerically() async throws {
        #expect(Self.ids(try await Self.search("{ span.http.response.status_code = 200 }")) == ["D:D1", "B:B1", "A:A1,A2"])
        #expect(Self.ids(try await Self.search("{ span.http.response.status_code >= 500 }")) == ["A:A3"])
        #expect(Self.ids(try await Self.search("{ span.http.response.status_code = \"200\" }")) == [])
        #expect(Self.ids(try await Self.search("{ .ключ = \"значение\" }")) == ["E:E1"])
        #expect(Self.ids(try await Self.search("{ span.message = \"Grüße, 世界 🌍\" }")) == ["A:A2"])
        #expect(Self.ids(try await Self.search("{ span.note = \"\" }")) == ["A:A4"])
        #expect(Self.ids(try await Self.search("{ resource.deployment.weight > 0.9 }")) == ["C:C3", "A:A2,A3"])
    }

    @Test func structuralQueries() async throws {
        #expect(Self.ids(try await Self.search("{ name = \"charge\" } > { name = \"charge\" }")) == ["A:A4"])
        #expect(Self.ids(try await Self.search("{ resource.service.name = \"frontend\" } >> { status = error }")) == ["A:A3,A4"])
        #expect(Self.ids(try await Self.search("{} >> { name = \"consume refund\" }")) == ["C:C3"])
        #expect(Self.ids(try await Self.search("{ kind = server } ~ { kind = client }")) == [])
        #expect(Self.ids(try await Self.search("{ name = \"SELECT products\" } ~ {}")) == ["B:B3"])
        #expect(Self.ids(try await Self.search("{ name = \"heartbeat\" } > { name = \"heartbeat\" }")) == ["D:D2"])
    }

    @Test func rootIntrinsics_needAStoredRoot() async throws {
        // C's first span has a parent ID whose span is not stored: C has no root.
        #expect(Self.ids(try await Self.search("{ trace:rootName = \"refund\" }")) == [])
        #expect(Self.ids(try await Self.search("{ trace:rootService = \"frontend\" && status = error }")) == ["A:A3,A4"])
        // E's root has no service.name; C has no root at all.
        #expect(Self.ids(try await Self.search("{ rootServiceName = nil }")) == ["E:E1", "C:C1,C2,C3"])
    }

    @Test func pipelines() async throws {
        let result = try await Self.search("{ trace:rootService = \"frontend\" } | by(resource.service.name) | count() > 1")
        #expect(Self.ids(result) == ["D:D1,D2", "B:B2,B3", "A:A2,A3"])
        #expect(result.traces.map { $0.spanSets.map(\.attributes) } == [
            [[Attribute("by(resource.service.name)", "frontend")]],
            [[Attribute("by(resource.service.name)", "inventory")]],
            [[Attribute("by(resource.service.name)", "checkout")]],
        ])
        let selected = try await Self.search("{ kind = consumer } | select(span.messaging.system, resource.service.version)")
        #expect(selected.traces.first?.spanSets.first?.spans.first?.attributes == [
            Attribute("messaging.system", "kafka"), Attribute("service.version", "2.0.1"),
        ])
        #expect(Self.ids(try await Self.search("{} | avg(duration) > 100ms")) == ["C:C1,C2,C3", "A:A1,A2,A3"])
    }

    @Test func regexes() async throws {
        #expect(Self.ids(try await Self.search("{ resource.service.name =~ \"pay.*|check.*\" && status = error }")) == ["C:C1", "A:A3,A4"])
        // Fully anchored, case-sensitive: "GET /products" has no "e".
        #expect(Self.ids(try await Self.search("{ name !~ \".*e.*\" && kind = server }")) == ["B:B1"])
        #expect(Self.ids(try await Self.search("{ name =~ \"GET\" }")) == [])
    }

    @Test func traceDurationBounds_filterBySummary() async throws {
        // Trace durations: A 250 ms, B 80 ms, C 500 ms, D 3 ms, E 10 ms.
        #expect(Self.ids(try await Self.search("{}", spans: 0, minDuration: 100_000_000)) == ["C:", "A:"])
        #expect(Self.ids(try await Self.search("{}", spans: 0, maxDuration: 10_000_000)) == ["E:", "D:"])
        #expect(Self.ids(try await Self.search("{}", spans: 0, minDuration: 80_000_000, maxDuration: 80_000_000)) == ["B:"])
        let result = try await Self.search("{}", minDuration: 100_000_000)
        #expect(result.inspectedTraces == 2)
    }

    @Test func limit_returnsTheMostRecentMatches() async throws {
        let result = try await Self.search("{}", limit: 2, spans: 1)
        #expect(Self.ids(result) == ["E:E1", "D:D1"])
        #expect(result.inspectedTraces == 2)
        #expect(try await Self.search("{}", limit: 0).traces.isEmpty)
        #expect(Self.ids(try await Self.search("{ status = error }", limit: 1)) == ["C:C1"])
    }

    @Test func timeRange_limitsTheSpansAQuerySees() async throws {
        let onlyB = TimeRange(start: F.time(2000), end: F.time(3000))
        #expect(Self.ids(try await Self.search("{}", range: onlyB)) == ["B:B1,B2,B3"])
        // A's spans from T+1100 ms on: A5 only; its parent A2 is outside the range.
        let lateA = TimeRange(start: F.time(1100), end: F.time(1200))
        #expect(Self.ids(try await Self.search("{}", range: lateA)) == ["A:A5"])
        #expect(Self.ids(try await Self.search("{} > { name = \"SELECT stock\" }", range: lateA)) == [])
        #expect(Self.ids(try await Self.search("{}", range: TimeRange(start: F.time(6000), end: F.time(7000)))) == [])
    }

    @Test func budget_exhaustedBeforeTheSearchCompletes_throws() async throws {
        // `.x = 1` cannot be pushed down: every trace is a candidate.
        await #expect(throws: QueryError.self) {
            try await Self.search("{ .x = 1 }", limits: QueryLimits(maxTracesInspected: 2))
        }
        do {
            _ = try await Self.search("{ .x = 1 }", limits: QueryLimits(maxTracesInspected: 2))
        } catch let error as QueryError {
            guard case .tooExpensive(let message) = error else {
                Issue.record("expected tooExpensive, got \(error)")
                return
            }
            #expect(message.hasPrefix("the search inspected 2 traces (QueryLimits.maxTracesInspected) and found 0 of the 20 asked for"))
        }
        // Finding enough before the budget runs out is not an error.
        let found = try await Self.search("{}", limit: 2, limits: QueryLimits(maxTracesInspected: 2))
        #expect(found.traces.count == 2)
        // Nor is exhausting the candidates exactly at the budget.
        let exact = try await Self.search("{ .x = 1 }", limits: QueryLimits(maxTracesInspected: 5))
        #expect(exact.traces.isEmpty && exact.inspectedTraces == 5)
    }

    @Test func timeout_isMeasuredOnTheEnginesClock() async throws {
        // Each reading of the clock is one second later than the last.
        let engine = TraceQLEngine(reader: try await fixtureStore(), limits: QueryLimits(timeout: .milliseconds(2500)), clock: SteppingClock())
        let query = try TraceQLQuery.parse("{}")
        do {
            _ = try await engine.search(query, timeRange: Self.range, limit: 20)
            Issue.record("expected the search to time out")
        } catch {
            guard case .tooExpensive(let message) = error else {
                Issue.record("expected tooExpensive, got \(error)")
                return
            }
            #expect(message.hasPrefix("the query ran for 3.0 seconds, longer than its timeout of 2.5 seconds (QueryLimits.timeout)"))
        }
    }

    @Test func cancellation_throwsUnavailable() async throws {
        let store = try await fixtureStore()
        let query = try TraceQLQuery.parse("{}")
        let task = Task { () async throws(QueryError) -> TraceQLSearchResult in
            withUnsafeCurrentTask { $0?.cancel() }
            return try await TraceQLEngine(reader: store).search(query, timeRange: Self.range, limit: 20)
        }
        switch await task.result {
        case .success: Issue.record("a cancelled search returned results")
        case .failure(let error):
            guard case .storage(let cause)? = error as? QueryError else {
                Issue.record("expected a storage error, got \(error)")
                return
            }
            #expect(cause.code == .unavailable)
        }
    }

    @Test func unsupportedQueries_sayWhichPart() async throws {
        let engine = TraceQLEngine(reader: try await fixtureStore())
        for (query, part) in [
            ("{ parent.x = 1 }", "not supported: the parent scope (parent.x)"),
            ("{} | rate()", "not supported: searching with a metrics query (rate()); use metrics() instead"),
        ] {
            let parsed = try TraceQLQuery.parse(query)
            do {
                _ = try await engine.search(parsed, timeRange: Self.range, limit: 20)
                Issue.record("\(query) was answered")
            } catch {
                #expect(error.message == part)
            }
        }
    }
}

/// A clock whose every reading is one second after the previous one.
final class SteppingClock: Clock {
    struct Instant: InstantProtocol {
        var offset: Duration
        func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        func duration(to other: Instant) -> Duration { other.offset - offset }
        static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
    }

    private let readings = Mutex(0)

    var now: Instant {
        readings.withLock { count in
            defer { count += 1 }
            return Instant(offset: .seconds(count))
        }
    }

    var minimumResolution: Duration { .nanoseconds(1) }

    func sleep(until deadline: Instant, tolerance: Duration?) async throws {}
}
