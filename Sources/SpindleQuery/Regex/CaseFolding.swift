/// Simple case folding for `(?i)`: which scalars are "the same letter" as another.
///
/// Two scalars are equivalent when one is the single-scalar lowercase, uppercase or
/// titlecase mapping of the other; the classes ("orbits") are the transitive closure,
/// so `k`, `K` and the Kelvin sign `K` form one orbit, as do `s`, `S` and `ſ`, or `σ`,
/// `ς` and `Σ`. Mappings to several scalars (`ß` → `SS`) are ignored, like RE2's simple
/// folding. The Turkic dotted and dotless i (U+0130, U+0131) stay alone, as in RE2.
struct CaseFolding: Sendable {
    /// The table, built once per process on first use (a few tens of milliseconds).
    static let table = CaseFolding()

    /// Every scalar that has another case, sorted.
    private let scalars: [UInt32]
    /// `orbitIndex[i]` is the orbit of `scalars[i]`.
    private let orbitIndex: [Int32]
    /// Each orbit's members, sorted.
    private let orbits: [[UInt32]]

    /// Beyond this no scalar has case (the highest cased scalars are Adlam, U+1E900…).
    private static let scanLimit: UInt32 = 0x1FFFF

    private init() {
        var parent: [UInt32: UInt32] = [:]
        func root(_ value: UInt32) -> UInt32 {
            var current = value
            while let next = parent[current], next != current { current = next }
            return current
        }
        func join(_ a: UInt32, _ b: UInt32) {
            if parent[a] == nil { parent[a] = a }
            if parent[b] == nil { parent[b] = b }
            let (ra, rb) = (root(a), root(b))
            if ra != rb { parent[max(ra, rb)] = min(ra, rb) }
        }
        for value in UInt32(0)...Self.scanLimit {
            guard value != 0x130, value != 0x131, let scalar = Unicode.Scalar(value),
                scalar.properties.changesWhenCaseMapped
            else { continue }
            let properties = scalar.properties
            for mapping in [properties.lowercaseMapping, properties.uppercaseMapping, properties.titlecaseMapping] {
                var iterator = mapping.unicodeScalars.makeIterator()
                guard let first = iterator.next(), iterator.next() == nil else { continue }
                if first.value != value, first.value != 0x130, first.value != 0x131 { join(value, first.value) }
            }
        }
        var members: [UInt32: [UInt32]] = [:]
        for value in parent.keys { members[root(value), default: []].append(value) }
        let orbits = members.values.map { $0.sorted() }.sorted { $0[0] < $1[0] }
        var entries: [(UInt32, Int32)] = []
        for (index, orbit) in orbits.enumerated() {
            for member in orbit { entries.append((member, Int32(index))) }
        }
        entries.sort { $0.0 < $1.0 }
        self.scalars = entries.map(\.0)
        self.orbitIndex = entries.map(\.1)
        self.orbits = orbits
    }

    /// The scalars equivalent to `value`, itself included, sorted.
    func orbit(of value: UInt32) -> [UInt32] {
        let index = firstIndex(atLeast: value)
        guard index < scalars.count, scalars[index] == value else { return [value] }
        return orbits[Int(orbitIndex[index])]
    }

    /// `set` plus the orbits of the cased scalars in it. Costs the number of cased
    /// scalars inside the set's ranges (a few thousand at most), not their width.
    func fold(_ set: ScalarSet) -> ScalarSet {
        var added: [ClosedRange<UInt32>] = set.ranges
        for range in set.ranges {
            var index = firstIndex(atLeast: range.lowerBound)
            while index < scalars.count, scalars[index] <= range.upperBound {
                for member in orbits[Int(orbitIndex[index])] { added.append(member...member) }
                index += 1
            }
        }
        return ScalarSet(added)
    }

    private func firstIndex(atLeast value: UInt32) -> Int {
        var low = 0
        var high = scalars.count
        while low < high {
            let middle = (low + high) / 2
            if scalars[middle] < value { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
