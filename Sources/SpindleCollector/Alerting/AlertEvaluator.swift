import Synchronization

/// Evaluates alert rules over ``SpanMetrics`` and keeps each rule's alert state, with
/// Prometheus' semantics (see ``AlertStateMachine``).
///
/// It does no I/O and keeps no clock: the server calls ``evaluate(at:)`` on a timer (every
/// resolution, say) and sends the notifications it returns. A rule's window is read
/// ending at the evaluation's time, from slots the metrics still hold.
///
/// Thread-safe; evaluations are serialized.
public final class AlertEvaluator: Sendable {
    public let rules: [AlertRule]
    private let metrics: SpanMetrics
    private let state: Mutex<State>

    private struct State {
        var machines: [AlertStateMachine]
        var statuses: [AlertStatus]
        /// The first evaluation, from which absence can be judged.
        var firstEvaluation: Duration?
    }

    /// Checks `rules` (names non-empty and unique, windows in (0, retention], `for` not
    /// negative, thresholds and quantiles in range, label names as Prometheus allows, at
    /// most ``AlertRule/maxRules``) and starts every alert inactive.
    public init(rules: [AlertRule], metrics: SpanMetrics) throws(AlertRuleError) {
        guard rules.count <= AlertRule.maxRules else {
            throw AlertRuleError(.tooManyRules, rule: "", "at most \(AlertRule.maxRules) rules, not \(rules.count)")
        }
        var names = Set<String>()
        for rule in rules {
            try rule.validate(retention: metrics.configuration.retention, resolution: metrics.configuration.resolution)
            guard names.insert(rule.name).inserted else {
                throw AlertRuleError(.duplicateName, rule: rule.name, "two rules are named \"\(rule.name)\"; rule names must be unique")
            }
        }
        self.rules = rules
        self.metrics = metrics
        state = Mutex(State(
            machines: rules.map { AlertStateMachine(forDuration: $0.forDuration) },
            statuses: rules.map { AlertStatus(ruleName: $0.name, state: .inactive, since: .zero, value: nil, lastEvaluated: nil, message: "not evaluated yet") },
            firstEvaluation: nil
        ))
    }

    /// Evaluates every rule at `now` (the wall time since the Unix epoch), advances the
    /// alerts, and returns the notifications to send, in rule order: firing when an alert
    /// starts firing, resolved when a firing alert's condition stops holding.
    public func evaluate(at now: Duration) -> [AlertNotification] {
        state.withLock { state in
            let firstEvaluation = state.firstEvaluation ?? now
            state.firstEvaluation = firstEvaluation
            var notifications: [AlertNotification] = []
            for (index, rule) in rules.enumerated() {
                // Complete slots only: the slot holding `now` is still filling, and
                // counting it would understate rates and make `absent` flap.
                let window = metrics.window(rule.selector, last: rule.window, endingAt: now - metrics.configuration.resolution)
                let check = Self.check(rule, window, observedFor: now - firstEvaluation)
                let action = state.machines[index].evaluate(conditionHolds: check.holds, at: now)
                let machine = state.machines[index]
                state.statuses[index] = AlertStatus(ruleName: rule.name, state: machine.state, since: machine.since, value: check.value, lastEvaluated: now, message: check.message)
                switch action {
                case .notifyFiring(let startsAt):
                    notifications.append(notification(rule, .firing, check, startsAt: startsAt, endsAt: nil))
                case .notifyResolved(let startsAt, let endsAt):
                    notifications.append(notification(rule, .resolved, check, startsAt: startsAt, endsAt: endsAt))
                case nil:
                    break
                }
            }
            return notifications
        }
    }

    /// Every rule's alert as last evaluated, in rule order.
    public func statuses() -> [AlertStatus] {
        state.withLock { $0.statuses }
    }

    private func notification(_ rule: AlertRule, _ state: AlertState, _ check: Check, startsAt: Duration, endsAt: Duration?) -> AlertNotification {
        AlertNotification(ruleName: rule.name, state: state, value: check.value, startsAt: startsAt, endsAt: endsAt, labels: rule.notificationLabels, annotations: rule.annotations, message: check.message)
    }

    struct Check {
        var holds: Bool
        var value: Double?
        var message: String
    }

    /// Whether `rule`'s condition holds over `window`, its value and a sentence saying so.
    static func check(_ rule: AlertRule, _ window: SpanMetricsWindow, observedFor: Duration) -> Check {
        let scope = describe(rule)
        switch rule.condition {
        case .errorRate(let above):
            guard let rate = window.errorRate else {
                return Check(holds: false, value: nil, message: "no requests \(scope): no error rate")
            }
            let holds = rate > above
            return Check(holds: holds, value: rate, message: "error rate \(format(rate)) \(holds ? ">" : "<=") \(format(above)) \(scope) (\(window.errors) errors in \(window.requests) requests)")
        case .latency(let quantile, let above):
            guard let latency = window.quantile(quantile) else {
                return Check(holds: false, value: nil, message: "no requests \(scope): no latency")
            }
            let holds = latency > above
            return Check(holds: holds, value: Double(latency.spanMetricsNanoseconds) / 1e9, message: "p\(percentile(quantile)) latency \(format(latency)) \(holds ? ">" : "<=") \(format(above)) \(scope)")
        case .requestRateAbove(let above):
            let rate = window.ratePerSecond
            let holds = rate > above
            return Check(holds: holds, value: rate, message: "request rate \(format(rate))/s \(holds ? ">" : "<=") \(format(above))/s \(scope)")
        case .requestRateBelow(let below):
            let rate = window.ratePerSecond
            let holds = rate < below
            return Check(holds: holds, value: rate, message: "request rate \(format(rate))/s \(holds ? "<" : ">=") \(format(below))/s \(scope)")
        case .absent:
            let requests = Double(window.requests)
            guard window.requests == 0 else {
                return Check(holds: false, value: requests, message: "\(window.requests) requests \(scope)")
            }
            guard observedFor >= rule.window else {
                return Check(holds: false, value: requests, message: "no requests \(scope) yet, but observed for only \(format(observedFor))")
            }
            return Check(holds: true, value: requests, message: "no requests \(scope)")
        }
    }

    private static func describe(_ rule: AlertRule) -> String {
        var text = "over \(format(rule.window))"
        if let service = rule.service { text += " for service \(service)" }
        if let operation = rule.operation { text += " operation \(operation)" }
        if let kind = rule.kind { text += " kind \(kind.name)" }
        return text
    }

    static func format(_ value: Double) -> String { GoDurationText.number(value) }

    static func format(_ duration: Duration) -> String { GoDurationText.format(duration) }

    private static func percentile(_ quantile: Double) -> String {
        let percent = quantile * 100
        return percent == percent.rounded() ? String(Int(percent)) : String(percent)
    }
}
