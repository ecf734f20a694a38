import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import NIOCore
import Prometheus
import ServiceLifecycle
import SpindleCollector
import SpindleModel
import SpindleStorage
import SpindleWire
import Synchronization
import Testing
@testable import SpindleServer

/// Alerts end to end: spans in over OTLP/HTTP, span metrics, the rule's states under a
/// test clock, and notifications arriving at a real local webhook receiver.
@Suite struct AlertingTests {
    /// What the receiver got: path and body of every POST, in order.
    final class Received: Sendable {
        private let posts = Mutex<[(path: String, body: [UInt8])]>([])
        /// Answers 503 to this many posts first, so retries are exercised.
        private let failuresLeft = Mutex(0)

        func failNext(_ count: Int) { failuresLeft.withLock { $0 = count } }

        func record(_ path: String, _ body: [UInt8]) -> Bool {
            posts.withLock { $0.append((path, body)) }
            return failuresLeft.withLock { left in
                guard left > 0 else { return false }
                left -= 1
                return true
            }
        }

        var all: [(path: String, body: [UInt8])] { posts.withLock { $0 } }
    }

    /// A Hummingbird server on a free loopback port recording every POST.
    private func withReceiver<T>(_ body: (Int, Received) async throws -> T) async throws -> T {
        let received = Received()
        let router = Router()
        router.post("/**") { request, context -> Response in
            let bytes = try await request.body.collect(upTo: 1 << 20)
            let fail = received.record(request.uri.path, Array(bytes.readableBytesView))
            return Response(status: fail ? .serviceUnavailable : .ok)
        }
        let port = Mutex<Int?>(nil)
        var logger = Logger(label: "webhook-receiver")
        logger.logLevel = .warning
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in port.withLock { $0 = channel.localAddress?.port } },
            logger: logger
        )
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        let running = Task { try await group.run() }
        defer { running.cancel() }
        var bound: Int?
        for _ in 0..<6_000 where bound == nil {
            bound = port.withLock { $0 }
            if bound == nil { try await Task.sleep(for: .milliseconds(10)) }
        }
        let receiverPort = try #require(bound)
        let result = try await body(receiverPort, received)
        await group.triggerGracefulShutdown()
        return result
    }

    private func spans(service: String, errors: Int, ok: Int, at time: Duration) -> [UInt8] {
        let start = UInt64(time.components.seconds) * 1_000_000_000
        var records: [SpanRecord] = []
        for index in 0..<(errors + ok) {
            records.append(SpanRecord(
                traceID: TraceID(high: UInt64(time.components.seconds), low: UInt64(index + 1)),
                spanID: SpanID(UInt64(index + 1)),
                name: "POST /pay",
                kind: .server,
                startTimeUnixNano: start,
                endTimeUnixNano: start + 20_000_000,
                status: index < errors ? SpanStatus(code: .error, message: "declined") : SpanStatus(code: .ok, message: "")
            ))
        }
        let batch = SpanBatch([ResourceSpans(
            resource: Resource(attributes: [Attribute("service.name", .string(service))]),
            scopeSpans: [ScopeSpans(scope: InstrumentationScope(name: "tests"), spans: records)]
        )])
        return OTLPProtobuf.encodeExportRequest(batch)
    }

    @Test func anErrorRateRule_goesPendingFiringResolved_andTheWebhookSeesFiringAndResolvedAtThoseMoments() async throws {
        try await withReceiver { port, received in
            let start = Duration.seconds(1_800_000_000)
            let now = Mutex(start)
            var configuration = SpindleServerConfiguration.ephemeral()
            configuration.logLevel = .warning
            configuration.alerts = AlertingConfiguration(
                evaluationInterval: .seconds(3600),
                webhooks: [
                    AlertWebhook(name: "ops", url: "http://127.0.0.1:\(port)/alertmanager"),
                    AlertWebhook(name: "chat", url: "http://127.0.0.1:\(port)/slack", format: .slack),
                ],
                rules: [AlertRule(
                    name: "checkout-errors", service: "checkout", condition: .errorRate(above: 0.5),
                    window: .seconds(60), forDuration: .seconds(30), labels: ["severity": "page"]
                )]
            )
            let store = InMemoryTraceStore(maxSpans: 10_000)
            let server = try SpindleServer(
                configuration: configuration, writer: store, reader: store,
                wallClock: { now.withLock { $0 } }, webhookBackoff: .milliseconds(10)
            )
            let running = Task { try await server.run() }
            defer { running.cancel() }
            let ports = try await server.waitUntilListening()
            let alerting = try #require(server.alerting)
            let otlp = "http://127.0.0.1:\(ports.otlpHTTP)/v1/traces"
            let protobuf = [("Content-Type", "application/x-protobuf")]

            // t0: 3 errors of 4 requests, in a slot still filling: alerts read complete
            // slots only, so nothing is pending yet.
            let first = try await send(.POST, otlp, headers: protobuf, body: spans(service: "checkout", errors: 3, ok: 1, at: start))
            #expect(first.status == 200)
            var notifications = await alerting.evaluateAndDeliver(at: start)
            #expect(notifications.isEmpty)
            #expect(alerting.evaluator.statuses().map(\.state) == [.inactive])

            // t0 + 10 s: the slot is complete; the condition holds: pending.
            now.withLock { $0 = start + .seconds(10) }
            notifications = await alerting.evaluateAndDeliver(at: start + .seconds(10))
            #expect(notifications.isEmpty)
            #expect(alerting.evaluator.statuses().map(\.state) == [.pending])

            // t0 + 30 s: still pending (for 30 s), nothing sent.
            now.withLock { $0 = start + .seconds(30) }
            notifications = await alerting.evaluateAndDeliver(at: start + .seconds(30))
            #expect(notifications.isEmpty)
            #expect(received.all.isEmpty)

            // t0 + 40 s: pending for `for`: firing, sent to both webhooks. The first post
            // is refused with 503 and retried.
            received.failNext(1)
            now.withLock { $0 = start + .seconds(40) }
            notifications = await alerting.evaluateAndDeliver(at: start + .seconds(40))
            #expect(notifications.map(\.state) == [.firing])
            let firing = received.all
            #expect(firing.count == 3)
            #expect(Set(firing.map(\.path)) == ["/alertmanager", "/slack"])
            let alertmanager = try #require(firing.last { $0.path == "/alertmanager" })
            let json = try #require(try JSONSerialization.jsonObject(with: Data(alertmanager.body)) as? [String: Any])
            #expect(json["status"] as? String == "firing")
            let alerts = try #require(json["alerts"] as? [[String: Any]])
            let labels = try #require(alerts.first?["labels"] as? [String: String])
            #expect(labels["alertname"] == "checkout-errors")
            #expect(labels["service"] == "checkout")
            #expect(labels["severity"] == "page")
            let slack = try #require(firing.last { $0.path == "/slack" })
            let slackJSON = try #require(try JSONSerialization.jsonObject(with: Data(slack.body)) as? [String: Any])
            #expect((slackJSON["text"] as? String)?.contains("checkout-errors") == true)

            // The API reports it firing.
            let api = try await get("http://127.0.0.1:\(ports.http)/api/spindle/alerts")
            #expect(api.status == 200)
            let states = try #require(try JSONSerialization.jsonObject(with: Data(api.body)) as? [String: Any])
            let alertState = try #require((states["alerts"] as? [[String: Any]])?.first)
            #expect(alertState["rule"] as? String == "checkout-errors")
            #expect(alertState["state"] as? String == "firing")

            // Healthy traffic at t0 + 40 s; at t0 + 60 s the errors are still in the
            // window (its complete slots t0 .. t0 + 50: 3 errors of 5): still firing,
            // nothing new sent.
            let healthy = try await send(.POST, otlp, headers: protobuf, body: spans(service: "checkout", errors: 0, ok: 1, at: start + .seconds(40)))
            #expect(healthy.status == 200)
            now.withLock { $0 = start + .seconds(60) }
            notifications = await alerting.evaluateAndDeliver(at: start + .seconds(60))
            #expect(notifications.isEmpty)
            #expect(received.all.count == 3)

            // t0 + 70 s: the window is t0 + 10 .. t0 + 60; the errors have left it:
            // resolved, sent once to each webhook.
            now.withLock { $0 = start + .seconds(70) }
            notifications = await alerting.evaluateAndDeliver(at: start + .seconds(70))
            #expect(notifications.map(\.state) == [.resolved])
            let resolved = Array(received.all.dropFirst(3))
            #expect(resolved.count == 2)
            let resolvedBody = try #require(resolved.first { $0.path == "/alertmanager" })
            let resolvedJSON = try #require(try JSONSerialization.jsonObject(with: Data(resolvedBody.body)) as? [String: Any])
            #expect(resolvedJSON["status"] as? String == "resolved")

            let metrics = server.metricsText()
            #expect(metrics.contains("spindle_alert_notifications_total{webhook=\"ops\",result=\"delivered\"} 2"))
            #expect(metrics.contains("spindle_alert_notification_attempts_total{webhook=\"ops\"} 3") || metrics.contains("spindle_alert_notification_attempts_total{webhook=\"chat\"} 3"))
            await server.shutdown()
            try await running.value
        }
    }

    @Test func configurationsThatCannotWork_areRefusedByName() {
        func message(_ alerts: AlertingConfiguration, spanMetrics: Bool = true) -> String? {
            var configuration = SpindleServerConfiguration.ephemeral()
            configuration.alerts = alerts
            if !spanMetrics { configuration.spanMetrics = nil }
            do throws(SpindleServerError) {
                try configuration.validate()
                return nil
            } catch {
                return error.message
            }
        }
        let rule = AlertRule(name: "x", condition: .errorRate(above: 0.1), window: .seconds(300))
        #expect(message(AlertingConfiguration(rules: [rule], routes: ["x": ["ops"]])) == "alerts: rule x notifies webhook ops, which is not defined; no webhooks are defined (alerts.webhooks)")
        #expect(message(AlertingConfiguration(webhooks: [AlertWebhook(name: "chat", url: "http://127.0.0.1:1/")], rules: [rule], routes: ["x": ["ops"]])) == "alerts: rule x notifies webhook ops, which is not defined; the webhooks are: chat")
        #expect(message(AlertingConfiguration(webhooks: [AlertWebhook(name: "ops", url: "ftp://example.com")])) == "alerts: webhook ops has url \"ftp://example.com\"; give an http:// or https:// URL")
        #expect(message(AlertingConfiguration(rules: [rule]), spanMetrics: false) == "alerts: rules need span metrics, which are off (span_metrics.enabled: false)")
        #expect(message(AlertingConfiguration(rules: [rule])) == nil)
    }

    @Test func aWebhookThatIsDown_isRetriedUpToMaxAttempts_andCountedAsFailed() async throws {
        let registry = PrometheusCollectorRegistry()
        let notifier = WebhookNotifier(logger: Logger(label: "test"), metrics: PrometheusMetricsFactory(registry: registry), firstBackoff: .milliseconds(1))
        // Port 9 (discard) on loopback: nothing listens, every attempt is refused.
        let delivered = await notifier.deliver(Array("{}".utf8), to: AlertWebhook(name: "down", url: "http://127.0.0.1:9/hook", maxAttempts: 3, timeout: .seconds(1)))
        #expect(delivered == false)
        let text = registry.emitToString()
        #expect(text.contains("spindle_alert_notification_attempts_total{webhook=\"down\"} 3"))
        #expect(text.contains("spindle_alert_notifications_total{webhook=\"down\",result=\"failed\"} 1"))
    }
}
