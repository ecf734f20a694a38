import AsyncHTTPClient
import Logging
public import SpindleCollector
import ServiceLifecycle

/// Alert rules over span metrics and where their notifications go (`docs/alerts.md`).
public struct AlertingConfiguration: Sendable, Hashable {
    /// How often every rule is evaluated (default 15 s, Prometheus' usual interval).
    public var evaluationInterval: Duration
    public var webhooks: [AlertWebhook]
    public var rules: [AlertRule]
    /// The webhooks of each rule, by rule name; a rule not named here notifies every webhook.
    public var routes: [String: [String]]

    public init(evaluationInterval: Duration = .seconds(15), webhooks: [AlertWebhook] = [], rules: [AlertRule] = [], routes: [String: [String]] = [:]) {
        self.evaluationInterval = evaluationInterval
        self.webhooks = webhooks
        self.rules = rules
        self.routes = routes
    }

    /// Names what cannot work: a webhook that cannot be called, a route to a webhook that
    /// does not exist, rules without span metrics, a rule the evaluator refuses.
    func validate(spanMetrics: SpanMetricsConfiguration?) throws(SpindleServerError) {
        if evaluationInterval <= .zero {
            throw SpindleServerError(.invalidConfiguration, "alerts: evaluation_interval must be positive")
        }
        var names = Set<String>()
        for webhook in webhooks {
            try webhook.validate()
            guard names.insert(webhook.name).inserted else {
                throw SpindleServerError(.invalidConfiguration, "alerts: two webhooks are named \(webhook.name)")
            }
        }
        for (rule, targets) in routes.sorted(by: { $0.key < $1.key }) {
            for target in targets where !names.contains(target) {
                let defined = names.isEmpty ? "no webhooks are defined (alerts.webhooks)" : "the webhooks are: \(names.sorted().joined(separator: ", "))"
                throw SpindleServerError(.invalidConfiguration, "alerts: rule \(rule) notifies webhook \(target), which is not defined; \(defined)")
            }
        }
        guard !rules.isEmpty else { return }
        guard let spanMetrics else {
            throw SpindleServerError(.invalidConfiguration, "alerts: rules need span metrics, which are off (span_metrics.enabled: false)")
        }
        do {
            _ = try AlertEvaluator(rules: rules, metrics: SpanMetrics(configuration: spanMetrics, now: { .zero }))
        } catch {
            throw SpindleServerError(.invalidConfiguration, "alerts: \(error.message)")
        }
    }
}

/// Evaluates the rules every ``AlertingConfiguration/evaluationInterval`` and posts the
/// notifications to their webhooks. Deliveries (with their retries) run beside the
/// evaluations, so a slow webhook never delays the next evaluation.
final class AlertingService: Service, Sendable {
    let evaluator: AlertEvaluator
    private let configuration: AlertingConfiguration
    private let notifier: WebhookNotifier
    private let now: @Sendable () -> Duration
    private let logger: Logger

    init(configuration: AlertingConfiguration, metrics spanMetrics: SpanMetrics, notifier: WebhookNotifier, now: @escaping @Sendable () -> Duration, logger: Logger) throws(SpindleServerError) {
        do {
            evaluator = try AlertEvaluator(rules: configuration.rules, metrics: spanMetrics)
        } catch {
            throw SpindleServerError(.invalidConfiguration, "alerts: \(error.message)")
        }
        self.configuration = configuration
        self.notifier = notifier
        self.now = now
        self.logger = logger
    }

    func run() async throws {
        guard !configuration.rules.isEmpty else {
            try? await gracefulShutdown()
            return
        }
        // A graceful shutdown cancels the loop and any delivery still retrying.
        try? await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                while !Task.isCancelled {
                    do {
                        try await Task.sleep(for: self.configuration.evaluationInterval)
                    } catch {
                        break
                    }
                    for delivery in self.deliveries(of: self.evaluator.evaluate(at: self.now())) {
                        group.addTask { await self.notifier.deliver(delivery.body, to: delivery.webhook) }
                    }
                }
            }
        }
    }

    /// Evaluates once at `now` and delivers every notification (retries included) before
    /// returning: what tests drive instead of the timer.
    func evaluateAndDeliver(at now: Duration) async -> [AlertNotification] {
        let notifications = evaluator.evaluate(at: now)
        await withDiscardingTaskGroup { group in
            for delivery in deliveries(of: notifications) {
                group.addTask { await self.notifier.deliver(delivery.body, to: delivery.webhook) }
            }
        }
        return notifications
    }

    private struct Delivery {
        var body: [UInt8]
        var webhook: AlertWebhook
    }

    private func deliveries(of notifications: [AlertNotification]) -> [Delivery] {
        var deliveries: [Delivery] = []
        for notification in notifications {
            logger.info("alert \(notification.state.rawValue)", metadata: ["rule": "\(notification.ruleName)"])
            let targets = configuration.routes[notification.ruleName].map { names in configuration.webhooks.filter { names.contains($0.name) } } ?? configuration.webhooks
            for webhook in targets {
                let body = webhook.format == .slack ? notification.slackBody() : notification.jsonBody()
                deliveries.append(Delivery(body: body, webhook: webhook))
            }
        }
        return deliveries
    }
}
