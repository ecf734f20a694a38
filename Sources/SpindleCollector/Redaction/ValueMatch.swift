/// A part of a string that a value rule redacts: byte offsets within the string, and the
/// index of the rule (into ``RedactionRules/names``).
struct ValueMatch: Hashable, Sendable {
    var range: Range<Int>
    var rule: Int
}

/// The matches found in one string, kept disjoint: detectors run in priority order and a
/// match that overlaps one already kept is ignored (a URL's password is not also an email
/// address; a query parameter's value is not also a JWT).
struct ValueMatches {
    private(set) var matches: [ValueMatch] = []

    var isEmpty: Bool { matches.isEmpty }

    mutating func add(_ range: Range<Int>, rule: Int) {
        guard !range.isEmpty, !matches.contains(where: { $0.range.overlaps(range) }) else { return }
        matches.append(ValueMatch(range: range, rule: rule))
    }

    /// The matches in string order.
    var sorted: [ValueMatch] { matches.sorted { $0.range.lowerBound < $1.range.lowerBound } }
}
