/// A set of Unicode code points, kept as sorted, disjoint, non-adjacent closed ranges:
/// what a character class, `.`, `\d` or a case-folded letter matches.
///
/// Ranges are code points, not scalars: a negated class also covers the surrogate block,
/// which no `Unicode.Scalar` can hold, so it never changes what matches.
struct ScalarSet: Hashable, Sendable {
    static let maxCodePoint: UInt32 = 0x10FFFF

    /// Sorted by lower bound; no two ranges overlap or touch.
    private(set) var ranges: [ClosedRange<UInt32>]

    /// The empty set.
    init() { ranges = [] }

    /// The union of `ranges`, in any order, overlapping or not. Bounds past
    /// ``maxCodePoint`` are clipped.
    init(_ ranges: [ClosedRange<UInt32>]) {
        self.ranges = Self.normalized(ranges)
    }

    static func scalar(_ value: UInt32) -> ScalarSet { ScalarSet([value...value]) }

    /// Every code point.
    static let all = ScalarSet([0...maxCodePoint])
    /// Every code point but `\n`: what `.` matches without `(?s)`.
    static let allButNewline = ScalarSet([0...0x09, 0x0B...maxCodePoint])

    var isEmpty: Bool { ranges.isEmpty }

    /// The one code point in the set, when it holds exactly one.
    var single: UInt32? {
        guard ranges.count == 1, let only = ranges.first, only.lowerBound == only.upperBound else { return nil }
        return only.lowerBound
    }

    func contains(_ value: UInt32) -> Bool {
        // Binary search for the last range starting at or before `value`.
        var low = 0
        var high = ranges.count
        while low < high {
            let middle = (low + high) / 2
            if ranges[middle].lowerBound <= value { low = middle + 1 } else { high = middle }
        }
        return low > 0 && ranges[low - 1].upperBound >= value
    }

    func union(_ other: ScalarSet) -> ScalarSet {
        ScalarSet(ranges + other.ranges)
    }

    /// Every code point not in the set.
    func inverted() -> ScalarSet {
        var result: [ClosedRange<UInt32>] = []
        var next: UInt32 = 0
        for range in ranges {
            if range.lowerBound > next { result.append(next...(range.lowerBound - 1)) }
            next = range.upperBound + 1
        }
        if next <= Self.maxCodePoint { result.append(next...Self.maxCodePoint) }
        var set = ScalarSet()
        set.ranges = result
        return set
    }

    /// The set plus every code point that is the same letter in another case (`(?i)`).
    func caseFolded() -> ScalarSet {
        CaseFolding.table.fold(self)
    }

    private static func normalized(_ input: [ClosedRange<UInt32>]) -> [ClosedRange<UInt32>] {
        let clipped = input.compactMap { range -> ClosedRange<UInt32>? in
            range.lowerBound > maxCodePoint ? nil : range.lowerBound...min(range.upperBound, maxCodePoint)
        }
        let sorted = clipped.sorted { $0.lowerBound < $1.lowerBound }
        var result: [ClosedRange<UInt32>] = []
        result.reserveCapacity(sorted.count)
        for range in sorted {
            if let last = result.last, range.lowerBound <= last.upperBound + 1 {
                if range.upperBound > last.upperBound {
                    result[result.count - 1] = last.lowerBound...range.upperBound
                }
            } else {
                result.append(range)
            }
        }
        return result
    }
}
