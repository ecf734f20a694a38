import SpindleModel
import Testing
@testable import SpindleCollector

/// Evaluations every 10 s against real span metrics on a manual clock. An evaluation at
/// `now` reads only complete 10 s slots (the one holding `now` is still filling), so
/// spans recorded at +10 s first count at the evaluation at +20 s.
@Suite("Alerting: evaluation over span metrics")
struct AlertEvaluatorTests {
    let clock = MetricsClock()

    /// `count` spans of checkout's `GET /cart`, `errors` of them failed.
    func traffic(_ metrics: SpanMetrics, count: Int, errors: Int = 0, duration: Duration = .milliseconds(3)) {
        let spans = (0..<count).map { index in
            metricsSpan("GET /cart", kind: .internal, duration: duration, status: index < errors ? .error : .ok, id: UInt64(index + 1))
        }
        metrics.observe(metricsBatch(service: "checkout", spans))
    }

    /// The state after each evaluation and the notifications, as "+seconds state" and
    /// "+seconds firing|resolved since +seconds [until +seconds]".
    struct Run {
        var states: [String] = []
        var notifications: [String] = []
        var sent: [AlertNotification] = []
    }

    func step(_ evaluator: AlertEvaluator, _ start: Duration, _ run: inout Run) {
        let now = clock.now
        let seconds = { (time: Duration) in Int((time - start) / .seconds(1)) }
        for notification in evaluator.evaluate(at: now) {
            var text = "+\(seconds(now)) \(notification.state.rawValue) since +\(seconds(notification.startsAt))"
            if let endsAt = notification.endsAt { text += " until +\(seconds(endsAt))" }
            run.notifications.append(text)
            run.sent.append(notification)
        }
        run.states.append("+\(seconds(now)) \(evaluator.statuses()[0].state.rawValue)")
    }

    @Test func errorRate_goesPendingThenFiringAfterForThenResolvesWhenErrorsLeaveTheWindow() throws {
        let metrics = smallMetrics(clock)
        let rule = AlertRule(
            name: "HighErrorRate", service: "checkout", condition: .errorRate(above: 0.1),
            window: .seconds(60), forDuration: .seconds(30),
            labels: ["severity": "page"], annotations: ["summary": "checkout fails"]
        )
        let evaluator = try AlertEvaluator(rules: [rule], metrics: metrics)
        let start = clock.now
        var run = Run()
        step(evaluator, start, &run)
        for second in stride(from: 10, through: 90, by: 10) {
            clock.set(start + .seconds(second))
            traffic(metrics, count: 10, errors: second == 10 ? 10 : 0)
            step(evaluator, start, &run)
        }
        // The errors recorded at +10 count from +20 (when their slot is complete) to +70,
        // and have left the window at +80.
        #expect(run.states == [
            "+0 inactive", "+10 inactive", "+20 pending", "+30 pending", "+40 pending", "+50 firing",
            "+60 firing", "+70 firing", "+80 resolved", "+90 inactive",
        ])
        #expect(run.notifications == ["+50 firing since +50", "+80 resolved since +50 until +80"])
        let firing = run.sent[0]
        #expect(firing == AlertNotification(
            ruleName: "HighErrorRate", state: .firing, value: 0.25, startsAt: start + .seconds(50), endsAt: nil,
            labels: ["alertname": "HighErrorRate", "service": "checkout", "severity": "page"],
            annotations: ["summary": "checkout fails"],
            message: "error rate 0.25 > 0.1 over 1m0s for service checkout (10 errors in 40 requests)"
        ))
        #expect(run.sent[1].value == 0)
        #expect(run.sent[1].message == "error rate 0 <= 0.1 over 1m0s for service checkout (0 errors in 60 requests)")
    }

    @Test func errorRate_firesAtOnceWhenForIsZero() throws {
        let metrics = smallMetrics(clock)
        let evaluator = try AlertEvaluator(rules: [AlertRule(name: "Errors", condition: .errorRate(above: 0), window: .seconds(20))], metrics: metrics)
        traffic(metrics, count: 4, errors: 1)
        clock.advance(by: .seconds(10))
        let notifications = evaluator.evaluate(at: clock.now)
        #expect(notifications.map(\.state) == [.firing])
        #expect(notifications.first?.startsAt == clock.now)
        #expect(evaluator.statuses()[0].state == .firing)
    }

    @Test func errorRate_pendingThatClearsBeforeForGoesInactiveWithoutNotifying() throws {
        let metrics = smallMetrics(clock)
        let evaluator = try AlertEvaluator(rules: [AlertRule(name: "Errors", condition: .errorRate(above: 0.1), window: .seconds(20), forDuration: .seconds(60))], metrics: metrics)
        let start = clock.now
        var run = Run()
        for second in stride(from: 0, through: 30, by: 10) {
            clock.set(start + .seconds(second))
            traffic(metrics, count: 2, errors: second == 0 ? 2 : 0)
            step(evaluator, start, &run)
        }
        #expect(run.states == ["+0 inactive", "+10 pending", "+20 pending", "+30 inactive"])
        #expect(run.notifications == [])
    }

    @Test func errorRate_isNotTrueWithoutRequests() throws {
        let metrics = smallMetrics(clock)
        let evaluator = try AlertEvaluator(rules: [AlertRule(name: "Errors", condition: .errorRate(above: 0), window: .seconds(60))], metrics: metrics)
        #expect(evaluator.evaluate(at: clock.now) == [])
        let status = evaluator.statuses()[0]
        #expect(status.state == .inactive)
        #expect(status.value == nil)
        #expect(status.message == "no requests over 1m0s: no error rate")
        #expect(status.lastEvaluated == clock.now)
    }

    @Test func absent_firesAfterAWholeWindowWithoutTrafficAndResolvesWhenTrafficReturns() throws {
        let metrics = smallMetrics(clock)
        let evaluator = try AlertEvaluator(rules: [AlertRule(name: "NoTraffic", service: "checkout", condition: .absent, window: .seconds(30))], metrics: metrics)
        let start = clock.now
        var run = Run()
        for second in stride(from: 0, through: 90, by: 10) {
            clock.set(start + .seconds(second))
            if second == 40 { traffic(metrics, count: 1) }
            step(evaluator, start, &run)
        }
        // The request recorded at +40 counts once its slot is complete, from +50 to +70.
        #expect(run.states == [
            "+0 inactive", "+10 inactive", "+20 inactive", "+30 firing", "+40 firing",
            "+50 resolved", "+60 inactive", "+70 inactive", "+80 firing", "+90 firing",
        ])
        #expect(run.notifications == ["+30 firing since +30", "+50 resolved since +30 until +50", "+80 firing since +80"])
        #expect(run.sent.map(\.value) == [0, 1, 0])
    }

    @Test func latency_comparesTheQuantileOfTheWindow() throws {
        let metrics = smallMetrics(clock)
        let evaluator = try AlertEvaluator(rules: [AlertRule(name: "Slow", service: "checkout", operation: "GET /cart", condition: .latency(quantile: 0.99, above: .milliseconds(5)), window: .seconds(20))], metrics: metrics)
        let start = clock.now
        var run = Run()
        traffic(metrics, count: 5, duration: .milliseconds(3))
        clock.advance(by: .seconds(10))
        step(evaluator, start, &run)
        #expect(evaluator.statuses()[0].value == 0.00398)
        #expect(evaluator.statuses()[0].message == "p99 latency 3.98ms <= 5ms over 20s for service checkout operation GET /cart")
        traffic(metrics, count: 5, duration: .milliseconds(7))
        clock.advance(by: .seconds(10))
        step(evaluator, start, &run)
        // Five spans in the 2-4 ms bucket and five in 4-8 ms: p99 is 4 + 4 × 4.9/5 ms.
        #expect(evaluator.statuses()[0].value == 0.00792)
        clock.advance(by: .seconds(10))
        step(evaluator, start, &run)
        #expect(evaluator.statuses()[0].value == 0.00796)
        clock.advance(by: .seconds(10))
        step(evaluator, start, &run)
        #expect(run.states == ["+10 inactive", "+20 firing", "+30 firing", "+40 resolved"])
        #expect(evaluator.statuses()[0].value == nil)
    }

    @Test func requestRate_comparesRequestsPerSecondAboveAndBelow() throws {
        let metrics = smallMetrics(clock)
        let evaluator = try AlertEvaluator(rules: [
            AlertRule(name: "Busy", condition: .requestRateAbove(perSecond: 1), window: .seconds(20)),
            AlertRule(name: "Quiet", kind: .server, condition: .requestRateBelow(perSecond: 0.5), window: .seconds(20), forDuration: .seconds(10)),
        ], metrics: metrics)
        traffic(metrics, count: 40)
        clock.advance(by: .seconds(10))
        #expect(evaluator.evaluate(at: clock.now).map(\.ruleName) == ["Busy"])
        #expect(evaluator.statuses().map(\.state) == [.firing, .pending])
        #expect(evaluator.statuses().map(\.value) == [2, 0])
        #expect(evaluator.statuses()[1].message == "request rate 0/s < 0.5/s over 20s kind server")
        clock.advance(by: .seconds(10))
        let stillBusy = evaluator.evaluate(at: clock.now)
        #expect(stillBusy.map { "\($0.ruleName) \($0.state.rawValue)" } == ["Quiet firing"])
        #expect(evaluator.statuses().map(\.value) == [2, 0])
        clock.advance(by: .seconds(10))
        let notifications = evaluator.evaluate(at: clock.now)
        #expect(notifications.map { "\($0.ruleName) \($0.state.rawValue)" } == ["Busy resolved"])
    }

    @Test func evaluate_ignoresTheSlotStillFillingUntilItIsComplete() throws {
        let metrics = smallMetrics(clock)
        let evaluator = try AlertEvaluator(rules: [AlertRule(name: "Errors", service: "checkout", condition: .errorRate(above: 0), window: .seconds(20), forDuration: .seconds(60))], metrics: metrics)
        let start = clock.now
        clock.set(start + .seconds(5))
        traffic(metrics, count: 4, errors: 4)
        #expect(metrics.window(SpanMetricsSelector(service: "checkout"), last: .seconds(20)).requests == 4)
        for time in [start + .seconds(5), start + .seconds(10) - .nanoseconds(1)] {
            clock.set(time)
            #expect(evaluator.evaluate(at: time) == [])
            #expect(evaluator.statuses() == [AlertStatus(ruleName: "Errors", state: .inactive, since: .zero, value: nil, lastEvaluated: time, message: "no requests over 20s for service checkout: no error rate")])
        }
        clock.set(start + .seconds(10))
        #expect(evaluator.evaluate(at: clock.now) == [])
        #expect(evaluator.statuses() == [AlertStatus(ruleName: "Errors", state: .pending, since: start + .seconds(10), value: 1, lastEvaluated: start + .seconds(10), message: "error rate 1 > 0 over 20s for service checkout (4 errors in 4 requests)")])
    }

    @Test func statuses_startInactiveAndNotEvaluated() throws {
        let evaluator = try AlertEvaluator(rules: [AlertRule(name: "A", condition: .absent, window: .seconds(20))], metrics: smallMetrics(clock))
        #expect(evaluator.statuses() == [AlertStatus(ruleName: "A", state: .inactive, since: .zero, value: nil, lastEvaluated: nil, message: "not evaluated yet")])
    }

    // MARK: Validation

    @Test(arguments: [
        (AlertRule(name: "", condition: .absent, window: .seconds(20)), AlertRuleError.Code.emptyName, "invalid alert rule: every rule needs a name"),
        (AlertRule(name: "w", condition: .absent, window: .zero), .invalidWindow, "invalid alert rule \"w\": window must be greater than zero, not 0s"),
        (AlertRule(name: "w", condition: .absent, window: .seconds(10)), .invalidWindow, "invalid alert rule \"w\": window 10s is shorter than two span-metrics slots (20s); lengthen the window"),
        (AlertRule(name: "w", condition: .absent, window: .seconds(3_600)), .invalidWindow, "invalid alert rule \"w\": window 1h0m0s is longer than the span metrics retention 10m0s; shorten the window or raise the retention"),
        (AlertRule(name: "f", condition: .absent, window: .seconds(20), forDuration: .seconds(-1)), .invalidForDuration, "invalid alert rule \"f\": for must not be negative, not -1s"),
        (AlertRule(name: "e", condition: .errorRate(above: 5), window: .seconds(20)), .invalidThreshold, "invalid alert rule \"e\": error rate threshold must be a fraction in 0...1 (0.05 for 5%), not 5.0"),
        (AlertRule(name: "e", condition: .errorRate(above: .nan), window: .seconds(20)), .invalidThreshold, "invalid alert rule \"e\": error rate threshold must be a fraction in 0...1 (0.05 for 5%), not nan"),
        (AlertRule(name: "q", condition: .latency(quantile: 1, above: .seconds(1)), window: .seconds(20)), .invalidQuantile, "invalid alert rule \"q\": latency quantile must be between 0 and 1 exclusive (0.99 for p99), not 1.0"),
        (AlertRule(name: "q", condition: .latency(quantile: 0.5, above: .seconds(-1)), window: .seconds(20)), .invalidThreshold, "invalid alert rule \"q\": latency threshold must not be negative, not -1s"),
        (AlertRule(name: "r", condition: .requestRateBelow(perSecond: -1), window: .seconds(20)), .invalidThreshold, "invalid alert rule \"r\": request rate threshold must be a number of requests per second, 0 or more, not -1.0"),
        (AlertRule(name: "l", condition: .absent, window: .seconds(20), labels: ["bad-name": "x"]), .invalidLabelName, "invalid alert rule \"l\": label name \"bad-name\" must match [a-zA-Z_][a-zA-Z0-9_]* (as Prometheus and Alertmanager require)"),
    ])
    func init_refusesInvalidRulesNamingTheRuleAndTheFix(rule: AlertRule, code: AlertRuleError.Code, description: String) {
        #expect {
            try AlertEvaluator(rules: [rule], metrics: smallMetrics(clock))
        } throws: { error in
            let error = error as? AlertRuleError
            return error?.code == code && error?.description == description
        }
    }

    @Test func init_refusesDuplicateNames() {
        let rule = AlertRule(name: "Same", condition: .absent, window: .seconds(20))
        #expect(throws: AlertRuleError(.duplicateName, rule: "Same", "two rules are named \"Same\"; rule names must be unique")) {
            try AlertEvaluator(rules: [rule, rule], metrics: smallMetrics(clock))
        }
    }

    // MARK: The state machine alone

    @Test func stateMachine_followsPrometheusRules() {
        var machine = AlertStateMachine(forDuration: .seconds(20))
        var log: [String] = []
        for (second, holds) in [(0, false), (10, true), (20, true), (30, true), (40, true), (50, false), (60, true), (70, false), (80, false)] {
            let action = machine.evaluate(conditionHolds: holds, at: .seconds(second))
            log.append("\(second) \(machine.state.rawValue) since \(Int(machine.since / .seconds(1)))" + (action.map { " \($0)" } ?? ""))
        }
        #expect(log == [
            "0 inactive since 0",
            "10 pending since 10",
            "20 pending since 10",
            "30 firing since 30 notifyFiring(startsAt: 30.0 seconds)",
            "40 firing since 30",
            "50 resolved since 50 notifyResolved(startsAt: 30.0 seconds, endsAt: 50.0 seconds)",
            "60 pending since 60",
            "70 inactive since 70",
            "80 inactive since 70",
        ])
    }
}
