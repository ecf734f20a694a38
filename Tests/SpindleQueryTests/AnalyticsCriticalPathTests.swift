import SpindleModel
import SpindleQuery
import Testing

@Suite struct AnalyticsCriticalPathTests {
    /// (span ID, start, end) of each segment, for compact expectations.
    static func path(_ spans: [TestSpan]) -> [[UInt64]] {
        CriticalPath.compute(trace: TestSpan.batch(spans)).segments.map { [$0.spanID.value, $0.startUnixNano, $0.endUnixNano] }
    }

    @Test func sequentialChildren_backToBack_areAllOnThePath() {
        let spans = [
            TestSpan("svc", 1, start: 0, end: 100),
            TestSpan("svc", 2, parent: 1, start: 10, end: 40),
            TestSpan("svc", 3, parent: 1, start: 40, end: 70),
            TestSpan("svc", 4, parent: 1, start: 75, end: 90),
        ]
        #expect(Self.path(spans) == [[1, 0, 10], [2, 10, 40], [3, 40, 70], [1, 70, 75], [4, 75, 90], [1, 90, 100]])
        let totals = CriticalPath.compute(trace: TestSpan.batch(spans)).totalBySpan
        #expect(totals == [SpanID(1): 25, SpanID(2): 30, SpanID(3): 30, SpanID(4): 15])
    }

    @Test func overlappingChildren_skipTheOnesTheTraceDidNotWaitOn() {
        // 4 finishes last; 3 ends after 4 starts, so it is skipped; 2 ends before 4 starts.
        let spans = [
            TestSpan("svc", 1, start: 0, end: 100),
            TestSpan("svc", 2, parent: 1, start: 10, end: 50),
            TestSpan("svc", 3, parent: 1, start: 30, end: 60),
            TestSpan("svc", 4, parent: 1, start: 55, end: 90),
        ]
        #expect(Self.path(spans) == [[1, 0, 10], [2, 10, 50], [1, 50, 55], [4, 55, 90], [1, 90, 100]])
    }

    @Test func childOutlivingItsParent_isClippedToIt() {
        // 3 runs on to 150, past its parent 2 and the root; 5 starts before the root.
        let spans = [
            TestSpan("svc", 1, start: 10, end: 100),
            TestSpan("svc", 2, parent: 1, start: 20, end: 60),
            TestSpan("svc", 3, parent: 2, start: 50, end: 150),
            TestSpan("svc", 5, parent: 1, start: 0, end: 15),
            // Entirely after its parent: ignored.
            TestSpan("svc", 6, parent: 2, start: 70, end: 80),
        ]
        #expect(Self.path(spans) == [[5, 10, 15], [1, 15, 20], [2, 20, 50], [3, 50, 60], [1, 60, 100]])
    }

    @Test func gapsBetweenChildren_areTheParentsOwnWork() {
        let spans = [
            TestSpan("svc", 1, start: 0, end: 100),
            TestSpan("svc", 2, parent: 1, start: 20, end: 30),
            TestSpan("svc", 3, parent: 1, start: 60, end: 70),
        ]
        #expect(Self.path(spans) == [[1, 0, 20], [2, 20, 30], [1, 30, 60], [3, 60, 70], [1, 70, 100]])
    }

    @Test func nestedChildren_descendIntoTheChosenChild() {
        let spans = [
            TestSpan("svc", 1, start: 0, end: 100),
            TestSpan("svc", 2, parent: 1, start: 10, end: 90),
            TestSpan("svc", 3, parent: 2, start: 20, end: 40),
            TestSpan("svc", 4, parent: 2, start: 30, end: 80),
            TestSpan("svc", 5, parent: 4, start: 50, end: 60),
        ]
        #expect(Self.path(spans) == [[1, 0, 10], [2, 10, 30], [4, 30, 50], [5, 50, 60], [4, 60, 80], [2, 80, 90], [1, 90, 100]])
    }

    @Test func deepChainOf1000Spans_isWalkedWithoutRecursion() {
        // Span k (1…1000) is the child of k-1 and covers [k-1, 2001-k].
        let spans = (UInt64(1)...1000).map { k in TestSpan("svc", k, parent: k - 1, start: k - 1, end: 2001 - k) }
        let path = CriticalPath.compute(trace: TestSpan.batch(spans))
        #expect(path.segments.count == 1999)
        #expect(path.segments.first == CriticalPath.Segment(spanID: SpanID(1), startUnixNano: 0, endUnixNano: 1))
        #expect(path.segments[999] == CriticalPath.Segment(spanID: SpanID(1000), startUnixNano: 999, endUnixNano: 1001))
        #expect(path.segments.last == CriticalPath.Segment(spanID: SpanID(1), startUnixNano: 1999, endUnixNano: 2000))
        #expect(path.totalBySpan.count == 1000)
        #expect(path.totalBySpan.values.allSatisfy { $0 == 2 })
        #expect(zip(path.segments, path.segments.dropFirst()).allSatisfy { $0.endUnixNano == $1.startUnixNano })
    }

    @Test func wideTraceOf5000Children_inAnyOrder() {
        // Child i covers [2i, 2i+1]; the root fills every gap. Batch order is reversed.
        let children = (UInt64(0)..<5000).map { i in TestSpan("svc", 2 + i, parent: 1, start: 2 * i, end: 2 * i + 1) }
        let spans = [TestSpan("svc", 1, start: 0, end: 10_000)] + children.reversed()
        let path = CriticalPath.compute(trace: TestSpan.batch(spans))
        #expect(path.segments.count == 10_000)
        #expect(path.segments.prefix(3).map { [$0.spanID.value, $0.startUnixNano, $0.endUnixNano] } == [[2, 0, 1], [1, 1, 2], [3, 2, 3]])
        #expect(path.segments.last == CriticalPath.Segment(spanID: SpanID(1), startUnixNano: 9_999, endUnixNano: 10_000))
        #expect(path.totalBySpan[SpanID(1)] == 5_000)
        #expect(path.totalBySpan.count == 5_001)
    }

    @Test func childrenEndingTogether_theEarliestStartingIsChosen() {
        let spans = [
            TestSpan("svc", 1, start: 0, end: 100),
            TestSpan("svc", 3, parent: 1, start: 40, end: 80),
            TestSpan("svc", 2, parent: 1, start: 20, end: 80),
        ]
        #expect(Self.path(spans) == [[1, 0, 20], [2, 20, 80], [1, 80, 100]])
    }

    @Test func severalRoots_theEarliestStartingIsUsed() {
        // 7's parent is missing; it starts before the real root 1.
        let spans = [
            TestSpan("svc", 1, start: 10, end: 50),
            TestSpan("svc", 7, parent: 99, start: 5, end: 30),
            TestSpan("svc", 8, parent: 7, start: 10, end: 20),
        ]
        #expect(Self.path(spans) == [[7, 5, 10], [8, 10, 20], [7, 20, 30]])
    }

    @Test func hostileData_doesNotLoopOrTrap() {
        // A self-parented span is a root; a parent cycle is never reached; end before start is length 0.
        let spans = [
            TestSpan("svc", 1, parent: 1, start: 0, end: 10),
            TestSpan("svc", 2, parent: 3, start: 0, end: 5),
            TestSpan("svc", 3, parent: 2, start: 0, end: 5),
            TestSpan("svc", 4, parent: 1, start: 8, end: 2),
        ]
        #expect(Self.path(spans) == [[1, 0, 10]])
        #expect(CriticalPath.compute(trace: TestSpan.batch([])).segments.isEmpty)
        #expect(CriticalPath.compute(trace: TestSpan.batch([TestSpan("svc", 1, start: 9, end: 3)])).segments.isEmpty)
    }
}
