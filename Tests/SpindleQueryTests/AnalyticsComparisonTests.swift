import SpindleModel
import SpindleQuery
import Testing

@Suite struct AnalyticsComparisonTests {
    static let ms = millisecond

    static let a = TestSpan.batch([
        TestSpan("frontend", 1, name: "GET /", kind: .server, start: 0, end: 100 * ms),
        TestSpan("api", 2, parent: 1, name: "list", start: 10 * ms, end: 60 * ms),
        TestSpan("db", 3, parent: 2, name: "query", start: 20 * ms, end: 30 * ms),
        TestSpan("db", 4, parent: 2, name: "query", start: 30 * ms, end: 40 * ms),
        TestSpan("cache", 5, parent: 1, name: "get", start: 60 * ms, end: 65 * ms),
        TestSpan("auth", 6, parent: 1, name: "check", start: 1 * ms, end: 3 * ms),
    ])

    static let b = TestSpan.batch([
        TestSpan("frontend", 11, name: "GET /", kind: .server, start: 0, end: 105 * ms, trace: TraceID(high: 0x7E57, low: 2)),
        TestSpan("api", 12, parent: 11, name: "list", start: 10 * ms, end: 90 * ms, trace: TraceID(high: 0x7E57, low: 2)),
        TestSpan("db", 13, parent: 12, name: "query", start: 20 * ms, end: 25 * ms, trace: TraceID(high: 0x7E57, low: 2)),
        TestSpan("mq", 14, parent: 11, name: "publish", start: 90 * ms, end: 100 * ms, trace: TraceID(high: 0x7E57, low: 2)),
        // The same service and name as 13, under the root instead: a different place.
        TestSpan("db", 15, parent: 11, name: "query", start: 95 * ms, end: 96 * ms, trace: TraceID(high: 0x7E57, low: 2)),
        TestSpan("auth", 16, parent: 11, name: "check", start: 1 * ms, end: 1 * ms + 2_900_000, trace: TraceID(high: 0x7E57, low: 2)),
    ])

    @Test func compare_matchesSpansByPlaceInTheTree() throws {
        let root = "frontend: GET /"
        let ms = Self.ms
        #expect(try TraceComparison.compare(Self.a, Self.b) == TraceComparison(entries: [
            // 100 → 105 ms: within 10%.
            .init(service: "frontend", operation: "GET /", path: [root], countA: 1, countB: 1, totalDurationA: 100 * ms, totalDurationB: 105 * ms, change: .unchanged),
            // 50 → 80 ms.
            .init(service: "api", operation: "list", path: [root, "api: list"], countA: 1, countB: 1, totalDurationA: 50 * ms, totalDurationB: 80 * ms, change: .slower),
            // Two calls of 10 ms → one of 5 ms.
            .init(service: "db", operation: "query", path: [root, "api: list", "db: query"], countA: 2, countB: 1, totalDurationA: 20 * ms, totalDurationB: 5 * ms, change: .faster),
            // 2 → 2.9 ms: 45% slower but within 1 ms.
            .init(service: "auth", operation: "check", path: [root, "auth: check"], countA: 1, countB: 1, totalDurationA: 2 * ms, totalDurationB: 2_900_000, change: .unchanged),
            .init(service: "cache", operation: "get", path: [root, "cache: get"], countA: 1, countB: 0, totalDurationA: 5 * ms, totalDurationB: 0, change: .removed),
            .init(service: "db", operation: "query", path: [root, "db: query"], countA: 0, countB: 1, totalDurationA: 0, totalDurationB: 1 * ms, change: .added),
            .init(service: "mq", operation: "publish", path: [root, "mq: publish"], countA: 0, countB: 1, totalDurationA: 0, totalDurationB: 10 * ms, change: .added),
        ]))
    }

    @Test func compare_toleranceIsTheLargerOfTenPercentAndOneMillisecond() throws {
        func change(_ a: UInt64, _ b: UInt64) throws -> TraceComparison.Change? {
            let left = TestSpan.batch([TestSpan("svc", 1, start: 0, end: a)])
            let right = TestSpan.batch([TestSpan("svc", 1, start: 0, end: b)])
            return try TraceComparison.compare(left, right).entries.first?.change
        }
        #expect(try change(100 * Self.ms, 110 * Self.ms) == .unchanged)
        #expect(try change(100 * Self.ms, 110 * Self.ms + 1) == .slower)
        #expect(try change(100 * Self.ms, 90 * Self.ms) == .unchanged)
        #expect(try change(100 * Self.ms, 90 * Self.ms - 1) == .faster)
        #expect(try change(3 * Self.ms, 4 * Self.ms) == .unchanged)
        #expect(try change(3 * Self.ms, 4 * Self.ms + 1) == .slower)
    }

    @Test func compare_withItself_isUnchangedEverywhere() throws {
        let comparison = try TraceComparison.compare(Self.a, Self.a)
        #expect(comparison.entries.count == 5)
        #expect(comparison.entries.allSatisfy { $0.change == .unchanged && $0.countA == $0.countB })
    }

    @Test func compare_spansWithoutStoredParents_startPathsOfTheirOwn() throws {
        let orphaned = TestSpan.batch([
            TestSpan("svc", 1, name: "root", start: 0, end: 10),
            TestSpan("svc", 2, parent: 42, name: "lost", start: 2, end: 4),
            TestSpan("svc", 3, parent: 2, name: "leaf", start: 2, end: 3),
        ])
        let comparison = try TraceComparison.compare(orphaned, TestSpan.batch([]))
        #expect(comparison.entries.map(\.path) == [["svc: lost"], ["svc: lost", "svc: leaf"], ["svc: root"]])
        #expect(comparison.entries.allSatisfy { $0.change == .removed })
    }

    @Test func compare_refusesTracesTooDeepToAnswer() throws {
        // A chain of 2,000 spans: its places' paths hold 1 + 2 + … + 2,000 = 2,001,000 steps.
        let spans: [TestSpan] = (1...2_000).map { (i: Int) -> TestSpan in
            let id = UInt64(i)
            return TestSpan("svc", id, parent: id - 1, name: "step", start: id, end: 10_000)
        }
        let chain = TestSpan.batch(spans)
        #expect(throws: AnalyticsError.self) { try TraceComparison.compare(chain, chain) }
        do throws(AnalyticsError) {
            _ = try TraceComparison.compare(chain, TestSpan.batch([]), maxPathSteps: 2_000_999)
            Issue.record("a comparison past its bound was answered")
        } catch {
            #expect(error.description == "too expensive: the traces are too deep to compare: the paths of their 2000 places have 2001000 steps in all, more than 2000999")
        }
        let answered = try TraceComparison.compare(chain, TestSpan.batch([]), maxPathSteps: 2_001_000)
        #expect(answered.entries.count == 2_000)
        #expect(answered.entries.last?.path.count == 2_000)
    }
}
