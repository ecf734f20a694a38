public import SpindleModel

/// How two traces of the same request differ: which calls were added or removed and
/// which got faster or slower (Jaeger's trace comparison, as a table).
public struct TraceComparison: Sendable, Hashable {
    /// One place in the call tree, in either trace or both.
    public struct Entry: Sendable, Hashable {
        public var service: String
        /// The span name.
        public var operation: String
        /// The chain from the root down to and including this place, each step written
        /// `"service: operation"`: same-named spans under different parents are
        /// different entries.
        public var path: [String]
        /// Spans at this place in trace A and in trace B.
        public var countA: Int
        public var countB: Int
        /// The sums of those spans' durations (saturating).
        public var totalDurationA: UInt64
        public var totalDurationB: UInt64
        public var change: Change

        public init(service: String, operation: String, path: [String], countA: Int, countB: Int, totalDurationA: UInt64, totalDurationB: UInt64, change: Change) {
            self.service = service
            self.operation = operation
            self.path = path
            self.countA = countA
            self.countB = countB
            self.totalDurationA = totalDurationA
            self.totalDurationB = totalDurationB
            self.change = change
        }
    }

    public enum Change: String, Sendable, Hashable {
        /// Only in B.
        case added
        /// Only in A.
        case removed
        /// In both, B's total shorter than A's beyond the tolerance.
        case faster
        /// In both, B's total longer than A's beyond the tolerance.
        case slower
        /// In both, totals within the tolerance.
        case unchanged
    }

    /// Sorted by path (step by step, a prefix first), so a parent comes before the places
    /// below it.
    public var entries: [Entry]

    public init(entries: [Entry]) {
        self.entries = entries
    }

    /// Totals of the same place may differ by this much and still be `unchanged`: the
    /// larger of a tenth of A's total (rounded down) and this absolute amount, 1 ms.
    public static let absoluteToleranceNanos: UInt64 = 1_000_000

    /// The most path steps (places times their depths) a comparison returns.
    public static let defaultMaxPathSteps = 1_000_000

    /// Compares trace `a` (the baseline) with trace `b`.
    ///
    /// Spans are matched by place: their service and name and the services and names
    /// of their ancestors up to the root. A span whose parent is not in its batch starts
    /// a path of its own (as does a span on a parent cycle, in start order). Places in
    /// both traces compare total durations, so a place called more often shows as slower:
    /// `unchanged` when they differ by at most 10% of A's total or 1 ms, whichever is
    /// larger; otherwise `slower` or `faster`.
    ///
    /// Every entry carries its whole path, so the answer grows with the square of a
    /// trace's depth: past `maxPathSteps` steps in all (a chain some 1,400 spans deep) the
    /// comparison is refused rather than built.
    public static func compare(_ a: SpanBatch, _ b: SpanBatch, maxPathSteps: Int = defaultMaxPathSteps) throws(AnalyticsError) -> TraceComparison {
        var places = PlaceTable()
        let totalsA = places.totals(of: TraceTree(a))
        let totalsB = places.totals(of: TraceTree(b))
        let steps = places.totalPathSteps
        guard steps <= maxPathSteps else {
            throw .tooExpensive("the traces are too deep to compare: the paths of their \(places.count) places have \(steps) steps in all, more than \(maxPathSteps)")
        }
        var entries: [Entry] = []
        entries.reserveCapacity(places.count)
        for place in 0..<places.count {
            // A's totals were sized before B numbered its own places.
            let inA = place < totalsA.count ? totalsA[place] : PlaceTable.Total()
            let inB = totalsB[place]
            guard inA.count > 0 || inB.count > 0 else { continue }
            let step = places.step(of: place)
            entries.append(Entry(
                service: step.service, operation: step.operation, path: places.path(of: place),
                countA: inA.count, countB: inB.count, totalDurationA: inA.duration, totalDurationB: inB.duration,
                change: change(from: inA, to: inB)
            ))
        }
        entries.sort { $0.path.lexicographicallyPrecedes($1.path) }
        return TraceComparison(entries: entries)
    }

    private static func change(from a: PlaceTable.Total, to b: PlaceTable.Total) -> Change {
        if a.count == 0 { return .added }
        if b.count == 0 { return .removed }
        let difference = a.duration > b.duration ? a.duration - b.duration : b.duration - a.duration
        let tolerance = max(a.duration / 10, absoluteToleranceNanos)
        if difference <= tolerance { return .unchanged }
        return b.duration > a.duration ? .slower : .faster
    }
}

/// Numbers the places (root-to-span chains of service and operation) of the traces being
/// compared, so that both traces count into the same slots. A place is stored as its
/// parent place and its own step, so a deep trace costs one entry per span, not one
/// per span per level.
private struct PlaceTable {
    struct Step: Hashable {
        var service: String
        var operation: String
    }

    struct Total {
        var count = 0
        var duration: UInt64 = 0
    }

    private struct Place: Hashable {
        /// The parent place, or -1 at a root.
        var parent: Int
        var step: Int
    }

    /// Each place's path length (1 at a root), by place number.
    private var depths: [Int] = []
    /// The sum of every place's path length: the steps the answer's paths hold.
    private(set) var totalPathSteps = 0

    private var steps: [Step] = []
    private var stepNumbers: [Step: Int] = [:]
    private var places: [Place] = []
    private var placeNumbers: [Place: Int] = [:]

    var count: Int { places.count }

    func step(of place: Int) -> Step { steps[places[place].step] }

    /// The place's chain from the root, as `"service: operation"` strings.
    func path(of place: Int) -> [String] {
        var path: [String] = []
        var current = place
        while current >= 0 {
            let step = steps[places[current].step]
            path.append("\(step.service): \(step.operation)")
            current = places[current].parent
        }
        return path.reversed()
    }

    /// Span counts and duration sums per place (indexed by place number, sized to every
    /// place numbered so far).
    mutating func totals(of tree: TraceTree) -> [Total] {
        var placeOfSpan = [Int](repeating: -1, count: tree.count)
        var totals: [Total] = []
        for span in tree.topDownOrder() {
            let parent = tree.parents[span]
            // On a cycle the parent has no place yet: the span starts a path of its own.
            let parentPlace = parent >= 0 ? placeOfSpan[parent] : -1
            let place = number(Place(parent: parentPlace, step: number(Step(service: tree.services[span], operation: tree.name(span)))))
            placeOfSpan[span] = place
            if place >= totals.count { totals.append(contentsOf: repeatElement(Total(), count: place + 1 - totals.count)) }
            totals[place].count += 1
            totals[place].duration = totals[place].duration.addingSaturating(tree.end(span) - tree.start(span))
        }
        if totals.count < places.count { totals.append(contentsOf: repeatElement(Total(), count: places.count - totals.count)) }
        return totals
    }

    private mutating func number(_ step: Step) -> Int {
        if let known = stepNumbers[step] { return known }
        stepNumbers[step] = steps.count
        steps.append(step)
        return steps.count - 1
    }

    private mutating func number(_ place: Place) -> Int {
        if let known = placeNumbers[place] { return known }
        placeNumbers[place] = places.count
        places.append(place)
        let depth = place.parent >= 0 ? depths[place.parent] + 1 : 1
        depths.append(depth)
        totalPathSteps += depth
        return places.count - 1
    }
}
