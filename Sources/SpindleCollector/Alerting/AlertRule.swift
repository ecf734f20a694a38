public import SpindleModel

/// An alerting rule over span metrics, as a Prometheus alerting rule reads: a condition
/// over a window of the selected spans, which must hold for `forDuration` before the alert
/// fires.
public struct AlertRule: Sendable, Hashable {
    /// What must be true of the window for the alert to be active.
    public enum Condition: Sendable, Hashable {
        /// Errors divided by requests above this fraction (0...1). Never true without
        /// requests: no traffic is what ``absent`` is for.
        case errorRate(above: Double)
        /// The latency `quantile` (in 0...1 exclusive) above this duration. Never true
        /// without requests.
        case latency(quantile: Double, above: Duration)
        /// Requests per second above this rate.
        case requestRateAbove(perSecond: Double)
        /// Requests per second below this rate; no traffic at all is a rate of zero, so
        /// it counts.
        case requestRateBelow(perSecond: Double)
        /// No requests in the window. Not true before the evaluator has run for one
        /// window, so a restart does not look like an outage.
        case absent
    }

    /// Unique among the rules; the `alertname` label of notifications.
    public var name: String
    /// The service (`service.name`); nil for all.
    public var service: String?
    /// The span name; nil for all.
    public var operation: String?
    /// The span kind, often `.server` so that a service's calls to others are not
    /// counted as its own requests; nil for all.
    public var kind: SpanKind?
    public var condition: Condition
    /// How far back the condition looks (whole span-metrics slots, see
    /// ``SpanMetricsWindow``). At most the span metrics' retention.
    public var window: Duration
    /// How long the condition must hold before the alert fires (Prometheus' `for`); zero
    /// fires at the first evaluation that finds it true.
    public var forDuration: Duration
    /// Added to every notification, after `alertname`, `service` and `operation`.
    public var labels: [String: String]
    /// `summary`, `description` and the like, sent as they are.
    public var annotations: [String: String]

    public init(
        name: String,
        service: String? = nil,
        operation: String? = nil,
        kind: SpanKind? = nil,
        condition: Condition,
        window: Duration,
        forDuration: Duration = .zero,
        labels: [String: String] = [:],
        annotations: [String: String] = [:]
    ) {
        self.name = name
        self.service = service
        self.operation = operation
        self.kind = kind
        self.condition = condition
        self.window = window
        self.forDuration = forDuration
        self.labels = labels
        self.annotations = annotations
    }

    var selector: SpanMetricsSelector {
        SpanMetricsSelector(service: service, operation: operation, kind: kind)
    }

    /// The labels of its notifications: `alertname`, `service` and `operation` when set,
    /// then ``labels`` (which may override them).
    var notificationLabels: [String: String] {
        var result = ["alertname": name]
        if let service { result["service"] = service }
        if let operation { result["operation"] = operation }
        result.merge(labels) { _, new in new }
        return result
    }
}

/// A rule that cannot be evaluated; the message names the rule and says what to change.
public struct AlertRuleError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        case emptyName
        case duplicateName
        case invalidWindow
        case invalidForDuration
        case invalidThreshold
        case invalidQuantile
        case invalidLabelName
        case tooManyRules
    }

    public var code: Code
    /// The rule's name, or "" when it has none.
    public var rule: String
    public var message: String

    public init(_ code: Code, rule: String, _ message: String) {
        self.code = code
        self.rule = rule
        self.message = message
    }

    public var description: String {
        rule.isEmpty ? "invalid alert rule: \(message)" : "invalid alert rule \"\(rule)\": \(message)"
    }
}

extension AlertRule {
    /// The most rules an evaluator takes: each evaluation reads every rule's window.
    public static let maxRules = 1_000

    /// Checks the rule alone (names are checked together by ``AlertEvaluator``).
    func validate(retention: Duration, resolution: Duration) throws(AlertRuleError) {
        guard !name.isEmpty else { throw AlertRuleError(.emptyName, rule: "", "every rule needs a name") }
        guard window > .zero else {
            throw AlertRuleError(.invalidWindow, rule: name, "window must be greater than zero, not \(GoDurationText.format(window))")
        }
        // A window is made of whole, complete slots; one slot would make every rate jump
        // from one slot to the next.
        guard window >= resolution * 2 else {
            throw AlertRuleError(.invalidWindow, rule: name, "window \(GoDurationText.format(window)) is shorter than two span-metrics slots (\(GoDurationText.format(resolution * 2))); lengthen the window")
        }
        guard window <= retention else {
            throw AlertRuleError(.invalidWindow, rule: name, "window \(GoDurationText.format(window)) is longer than the span metrics retention \(GoDurationText.format(retention)); shorten the window or raise the retention")
        }
        guard forDuration >= .zero else {
            throw AlertRuleError(.invalidForDuration, rule: name, "for must not be negative, not \(GoDurationText.format(forDuration))")
        }
        switch condition {
        case .errorRate(let above):
            guard above.isFinite, above >= 0, above <= 1 else {
                throw AlertRuleError(.invalidThreshold, rule: name, "error rate threshold must be a fraction in 0...1 (0.05 for 5%), not \(above)")
            }
        case .latency(let quantile, let above):
            guard quantile.isFinite, quantile > 0, quantile < 1 else {
                throw AlertRuleError(.invalidQuantile, rule: name, "latency quantile must be between 0 and 1 exclusive (0.99 for p99), not \(quantile)")
            }
            guard above >= .zero else {
                throw AlertRuleError(.invalidThreshold, rule: name, "latency threshold must not be negative, not \(GoDurationText.format(above))")
            }
        case .requestRateAbove(let rate), .requestRateBelow(let rate):
            guard rate.isFinite, rate >= 0 else {
                throw AlertRuleError(.invalidThreshold, rule: name, "request rate threshold must be a number of requests per second, 0 or more, not \(rate)")
            }
        case .absent:
            break
        }
        for key in labels.keys where !Self.isValidLabelName(key) {
            throw AlertRuleError(.invalidLabelName, rule: name, "label name \"\(key)\" must match [a-zA-Z_][a-zA-Z0-9_]* (as Prometheus and Alertmanager require)")
        }
    }

    static func isValidLabelName(_ name: String) -> Bool {
        guard let first = name.utf8.first, !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else { return false }
        return name.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "_")
        }
    }
}
