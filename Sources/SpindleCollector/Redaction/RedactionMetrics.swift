import Metrics

/// `spindle_redactions_total{rule, place}`: redactions by rule and place, never what was
/// redacted. Created once per pipeline from its factory, one counter per rule and place,
/// so the label values are bounded by the configuration (rule names, ``RedactionPlace``).
struct RedactionMetrics: Sendable {
    /// Rule-major, like ``RedactionCounts``.
    private let counters: [Counter]

    init(ruleNames: [String], factory: any MetricsFactory) {
        counters = ruleNames.flatMap { rule in
            RedactionPlace.allCases.map { place in
                Counter(label: "spindle_redactions_total", dimensions: [("rule", rule), ("place", place.rawValue)], factory: factory)
            }
        }
    }

    func record(_ counts: RedactionCounts) {
        guard !counts.isEmpty else { return }
        for (ruleIndex, rule) in counts.ruleNames.enumerated() {
            for place in RedactionPlace.allCases {
                let count = counts[rule, place]
                if count > 0 { counters[ruleIndex * RedactionPlace.allCases.count + place.index].increment(by: count) }
            }
        }
    }
}
