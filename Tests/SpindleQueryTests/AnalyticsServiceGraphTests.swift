import SpindleModel
import SpindleQuery
import SpindleStorage
import SpindleTesting
import Testing

@Suite struct AnalyticsServiceGraphTests {
    typealias F = ConformanceFixtures

    /// Worked out from ConformanceFixtures' table: cross-service parent/child pairs are
    /// A1→A2 (frontend→checkout, 200 ms), A3→A4 (checkout→payments, 140 ms, error),
    /// A2→A5 (checkout→inventory, 30 ms), B1→B2 and B1→B3 (frontend→inventory, 60 ms and
    /// 1 ms) and C2→C3 (payments→checkout, 10 ms). A2→A3, C1→C2 and D1→D2 stay within a
    /// service; C1's parent is not stored; E has no service.
    static let fixtureGraph = ServiceGraph(
        nodes: [
            .init(service: "checkout", spanCount: 3, errorCount: 1),
            .init(service: "frontend", spanCount: 4, errorCount: 0),
            .init(service: "inventory", spanCount: 3, errorCount: 0),
            .init(service: "payments", spanCount: 3, errorCount: 2),
        ],
        edges: [
            .init(parent: "checkout", child: "inventory", callCount: 1, errorCount: 0, durationP50Nanos: 30 * millisecond, durationP95Nanos: 30 * millisecond, durationP99Nanos: 30 * millisecond),
            .init(parent: "checkout", child: "payments", callCount: 1, errorCount: 1, durationP50Nanos: 140 * millisecond, durationP95Nanos: 140 * millisecond, durationP99Nanos: 140 * millisecond),
            .init(parent: "frontend", child: "checkout", callCount: 1, errorCount: 0, durationP50Nanos: 200 * millisecond, durationP95Nanos: 200 * millisecond, durationP99Nanos: 200 * millisecond),
            // Nearest rank over [1 ms, 60 ms]: p50 is rank 1, p95 and p99 rank 2.
            .init(parent: "frontend", child: "inventory", callCount: 2, errorCount: 0, durationP50Nanos: 1 * millisecond, durationP95Nanos: 60 * millisecond, durationP99Nanos: 60 * millisecond),
            .init(parent: "payments", child: "checkout", callCount: 1, errorCount: 0, durationP50Nanos: 10 * millisecond, durationP95Nanos: 10 * millisecond, durationP99Nanos: 10 * millisecond),
        ]
    )

    @Test func build_overFixtures_findsEveryCrossServicePair() async throws {
        let graph = try await ServiceGraph.build(reader: try await fixtureStore(), timeRange: .all)
        #expect(graph == Self.fixtureGraph)
    }

    @Test func build_joinsParentsAndChildrenAcrossBatches() async throws {
        // Every span in its own batch, newest first: parents are found whatever the order.
        let store = InMemoryTraceStore(maxSpans: 1 << 20)
        for stored in F.all.reversed() {
            try await store.write(F.batch([stored]))
        }
        let graph = try await ServiceGraph.build(reader: store, timeRange: .all)
        #expect(graph == Self.fixtureGraph)
    }

    @Test func build_countsOnlySpansStartingInTheRange() async throws {
        // Trace B only: B1 at T+2000 ms, B2 at T+2005, B3 at T+2070.
        let range = TimeRange(start: F.time(2000), end: F.time(3000))
        let graph = try await ServiceGraph.build(reader: try await fixtureStore(), timeRange: range)
        #expect(graph == ServiceGraph(
            nodes: [.init(service: "frontend", spanCount: 1, errorCount: 0), .init(service: "inventory", spanCount: 2, errorCount: 0)],
            edges: [.init(parent: "frontend", child: "inventory", callCount: 2, errorCount: 0, durationP50Nanos: 1 * millisecond, durationP95Nanos: 60 * millisecond, durationP99Nanos: 60 * millisecond)]
        ))
        // From T+1020 ms, A1 and A2 are out: A5 (a child of A2) adds no edge, A3→A4 stays.
        let late = TimeRange(start: F.time(1020), end: F.time(1200))
        let lateGraph = try await ServiceGraph.build(reader: try await fixtureStore(), timeRange: late)
        #expect(lateGraph.edges.map { "\($0.parent)->\($0.child)" } == ["checkout->payments"])
    }

    @Test func build_onEmptyRange_isEmpty() async throws {
        let graph = try await ServiceGraph.build(reader: try await fixtureStore(), timeRange: TimeRange(start: 0, end: F.baseTime))
        #expect(graph == ServiceGraph(nodes: [], edges: []))
    }

    @Test func build_manyCallsBetweenTwoServices_hasExactPercentiles() async throws {
        // 100 calls web→db of 1…100 ms, every tenth an error.
        var spans: [TestSpan] = []
        for call in UInt64(1)...100 {
            let trace = TraceID(high: 1, low: call)
            spans.append(TestSpan("web", 1, kind: .server, start: 0, end: 200 * millisecond, trace: trace))
            spans.append(TestSpan("db", 2, parent: 1, kind: .server, start: 1, end: 1 + call * millisecond, error: call % 10 == 0, trace: trace))
        }
        let graph = try await ServiceGraph.build(reader: try await TestSpan.store(spans), timeRange: .all)
        #expect(graph.edges == [.init(parent: "web", child: "db", callCount: 100, errorCount: 10, durationP50Nanos: 50 * millisecond, durationP95Nanos: 95 * millisecond, durationP99Nanos: 99 * millisecond)])
        #expect(graph.nodes == [.init(service: "db", spanCount: 100, errorCount: 10), .init(service: "web", spanCount: 100, errorCount: 0)])
    }
}
