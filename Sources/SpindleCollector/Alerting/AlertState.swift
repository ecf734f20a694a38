/// Where an alert is in its lifecycle, as in Prometheus.
public enum AlertState: String, Sendable, Hashable, CaseIterable {
    /// The condition is false.
    case inactive
    /// The condition is true, but not yet for the rule's `for` duration.
    case pending
    /// The condition has been true for the `for` duration; a notification was sent.
    case firing
    /// The alert was firing and its condition is false now; a notification was sent. It
    /// is reported at one evaluation, then the alert is inactive (or active again).
    case resolved
}

/// One rule's alert as last evaluated.
public struct AlertStatus: Sendable, Hashable {
    public var ruleName: String
    public var state: AlertState
    /// When the alert entered ``state``, since the Unix epoch; for an inactive alert
    /// never evaluated, zero.
    public var since: Duration
    /// The value the condition was checked against (an error rate, a latency in seconds,
    /// requests per second, or the request count for absence); nil when there was none
    /// (an error rate or latency without requests) or before the first evaluation.
    public var value: Double?
    /// The last evaluation, since the Unix epoch; nil before the first.
    public var lastEvaluated: Duration?
    /// What the condition found, in words ("error rate 0.25 > 0.1 over 5m0s ...").
    public var message: String

    public init(ruleName: String, state: AlertState, since: Duration, value: Double?, lastEvaluated: Duration?, message: String) {
        self.ruleName = ruleName
        self.state = state
        self.since = since
        self.value = value
        self.lastEvaluated = lastEvaluated
        self.message = message
    }
}

/// One alert's lifecycle as a plain state machine (no clock, no I/O): each evaluation
/// says whether the condition holds, and the machine answers what to notify.
///
/// Prometheus' rules: true from inactive → pending (or firing at once when `for` is zero);
/// pending and true for `for` → firing, notify; pending and false → inactive, nothing to
/// notify; firing and false → resolved, notify once; resolved is inactive at the next
/// evaluation.
struct AlertStateMachine: Hashable {
    enum Action: Hashable {
        /// The alert started firing at this time.
        case notifyFiring(startsAt: Duration)
        /// The alert that fired since `startsAt` resolved at `endsAt`.
        case notifyResolved(startsAt: Duration, endsAt: Duration)
    }

    let forDuration: Duration
    private(set) var state: AlertState = .inactive
    /// When ``state`` began.
    private(set) var since: Duration = .zero
    /// When the alert started firing, while it fires (and at its resolution).
    private(set) var firingSince: Duration = .zero

    init(forDuration: Duration) {
        self.forDuration = forDuration
    }

    /// Advances with the condition's truth at `now`; the notification to send, if any.
    mutating func evaluate(conditionHolds: Bool, at now: Duration) -> Action? {
        switch (state, conditionHolds) {
        case (.inactive, true), (.resolved, true):
            if forDuration <= .zero { return fire(at: now) }
            enter(.pending, at: now)
            return nil
        case (.pending, true):
            return now - since >= forDuration ? fire(at: now) : nil
        case (.firing, true):
            return nil
        case (.pending, false), (.resolved, false):
            enter(.inactive, at: now)
            return nil
        case (.inactive, false):
            return nil
        case (.firing, false):
            enter(.resolved, at: now)
            return .notifyResolved(startsAt: firingSince, endsAt: now)
        }
    }

    private mutating func fire(at now: Duration) -> Action {
        enter(.firing, at: now)
        firingSince = now
        return .notifyFiring(startsAt: now)
    }

    private mutating func enter(_ state: AlertState, at now: Duration) {
        self.state = state
        since = now
    }
}
