/// How many redactions one batch needed, by rule and place; never what was redacted.
///
/// A redaction is one replaced part of a string (a value rule's match), one attribute
/// whose key names a secret, or one dropped attribute (counted under the rule that
/// dropped it).
public struct RedactionCounts: Sendable, Hashable {
    /// Every rule's name, by rule index.
    public let ruleNames: [String]
    /// Rule-major: `counts[rule * places + place]`; empty until something is counted, so
    /// a batch with nothing to redact allocates nothing here.
    private var counts: [Int] = []

    private static let places = RedactionPlace.allCases

    init(ruleNames: [String]) {
        self.ruleNames = ruleNames
    }

    /// True when nothing was redacted.
    public var isEmpty: Bool { counts.isEmpty }

    /// All redactions.
    public var total: Int { counts.reduce(0, +) }

    /// Redactions by `rule` (a ``RedactionRule`` raw value or an extra pattern's name) in `place`.
    public subscript(rule: String, place: RedactionPlace) -> Int {
        guard let ruleIndex = ruleNames.firstIndex(of: rule), !counts.isEmpty else { return 0 }
        return counts[ruleIndex * Self.places.count + place.index]
    }

    /// Redactions by a built-in `rule` in `place`.
    public subscript(rule: RedactionRule, place: RedactionPlace) -> Int {
        self[rule.rawValue, place]
    }

    /// Every nonzero count: rule name, place, count; rule-major, in rule and place order.
    public var nonzero: [(rule: String, place: RedactionPlace, count: Int)] {
        guard !counts.isEmpty else { return [] }
        var result: [(rule: String, place: RedactionPlace, count: Int)] = []
        for (ruleIndex, rule) in ruleNames.enumerated() {
            for place in Self.places where counts[ruleIndex * Self.places.count + place.index] > 0 {
                result.append((rule, place, counts[ruleIndex * Self.places.count + place.index]))
            }
        }
        return result
    }

    mutating func add(rule: Int, place: RedactionPlace, count: Int = 1) {
        if counts.isEmpty { counts = Array(repeating: 0, count: ruleNames.count * Self.places.count) }
        counts[rule * Self.places.count + place.index] += count
    }
}

extension RedactionPlace {
    /// The place's index in `allCases`.
    var index: Int {
        switch self {
        case .resourceAttribute: 0
        case .scopeAttribute: 1
        case .spanAttribute: 2
        case .eventAttribute: 3
        case .linkAttribute: 4
        case .spanName: 5
        case .eventName: 6
        case .statusMessage: 7
        }
    }
}
