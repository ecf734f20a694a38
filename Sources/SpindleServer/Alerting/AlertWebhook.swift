import AsyncHTTPClient
import Logging
import Metrics
import NIOCore
import NIOHTTP1
import SpindleCollector

/// Where alert notifications go: an HTTP endpoint that takes a POST.
public struct AlertWebhook: Sendable, Hashable {
    /// The body a webhook receives.
    public enum Format: String, Sendable, Hashable, CaseIterable {
        /// Alertmanager's webhook JSON: `{"version":"4","status":"firing","alerts":[...]}`.
        case json
        /// A Slack incoming-webhook message: `{"text":"..."}`.
        case slack
    }

    /// How rules refer to it (`notify: [name]`).
    public var name: String
    /// An `http://` or `https://` URL.
    public var url: String
    public var format: Format
    /// Extra request headers (an `Authorization` for the receiver, say). Never logged.
    public var headers: [String: String]
    /// Attempts per notification, the first included (default 5).
    public var maxAttempts: Int
    /// How long one attempt may take (default 10 s).
    public var timeout: Duration

    public init(name: String, url: String, format: Format = .json, headers: [String: String] = [:], maxAttempts: Int = 5, timeout: Duration = .seconds(10)) {
        self.name = name
        self.url = url
        self.format = format
        self.headers = headers
        self.maxAttempts = maxAttempts
        self.timeout = timeout
    }

    /// Names what cannot work.
    func validate() throws(SpindleServerError) {
        if name.isEmpty {
            throw SpindleServerError(.invalidConfiguration, "alerts: a webhook has no name")
        }
        let lowered = url.lowercased()
        guard lowered.hasPrefix("http://") || lowered.hasPrefix("https://"), url.count > 8 else {
            throw SpindleServerError(.invalidConfiguration, "alerts: webhook \(name) has url \"\(url)\"; give an http:// or https:// URL")
        }
        if maxAttempts < 1 {
            throw SpindleServerError(.invalidConfiguration, "alerts: webhook \(name) needs max_attempts of at least 1, not \(maxAttempts)")
        }
        if timeout <= .zero {
            throw SpindleServerError(.invalidConfiguration, "alerts: webhook \(name) needs a positive timeout")
        }
    }
}

/// Posts alert notifications to webhooks, retrying what may succeed later.
///
/// A notification is retried on a connection error, a timeout, 408, 429 and any 5xx, up
/// to the webhook's ``AlertWebhook/maxAttempts``, waiting 1 s, 2 s, 4 s ... (at most 60 s)
/// between attempts; any other answer (2xx, or a 4xx that will not change) ends it.
/// Counted in `spindle_alert_notifications_total{webhook, result}` (`delivered`,
/// `failed`) and `spindle_alert_notification_attempts_total{webhook}`.
struct WebhookNotifier: Sendable {
    let client: HTTPClient
    let logger: Logger
    let metrics: any MetricsFactory
    /// Waits between attempts (tests shorten it).
    let sleep: @Sendable (Duration) async throws -> Void
    let firstBackoff: Duration

    init(
        client: HTTPClient = .shared,
        logger: Logger,
        metrics: any MetricsFactory,
        firstBackoff: Duration = .seconds(1),
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) {
        self.client = client
        self.logger = logger
        self.metrics = metrics
        self.firstBackoff = firstBackoff
        self.sleep = sleep
    }

    /// Posts `body` to `webhook` until it is delivered or attempts run out; true when delivered.
    @discardableResult
    func deliver(_ body: [UInt8], to webhook: AlertWebhook) async -> Bool {
        let attempts = Counter(label: "spindle_alert_notification_attempts_total", dimensions: [("webhook", webhook.name)], factory: metrics)
        var backoff = firstBackoff
        for attempt in 1...webhook.maxAttempts {
            attempts.increment()
            let outcome = await post(body, to: webhook)
            switch outcome {
            case .delivered:
                count(webhook, "delivered")
                return true
            case .rejected(let status):
                logger.warning("alert webhook refused the notification", metadata: ["webhook": "\(webhook.name)", "status": "\(status)"])
                count(webhook, "failed")
                return false
            case .retryable(let reason):
                guard attempt < webhook.maxAttempts else {
                    logger.warning("alert webhook unreachable; giving up", metadata: ["webhook": "\(webhook.name)", "attempts": "\(attempt)", "error": "\(reason)"])
                    count(webhook, "failed")
                    return false
                }
                logger.debug("alert webhook failed; retrying", metadata: ["webhook": "\(webhook.name)", "attempt": "\(attempt)", "error": "\(reason)"])
                do {
                    try await sleep(backoff)
                } catch {
                    count(webhook, "failed")
                    return false
                }
                backoff = min(backoff * 2, .seconds(60))
            }
        }
        return false
    }

    private func count(_ webhook: AlertWebhook, _ result: String) {
        Counter(label: "spindle_alert_notifications_total", dimensions: [("webhook", webhook.name), ("result", result)], factory: metrics).increment()
    }

    private enum Outcome {
        case delivered
        case rejected(status: UInt)
        case retryable(String)
    }

    private func post(_ body: [UInt8], to webhook: AlertWebhook) async -> Outcome {
        var request = HTTPClientRequest(url: webhook.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "spindle-alerts")
        for (name, value) in webhook.headers { request.headers.replaceOrAdd(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await client.execute(request, timeout: .nanoseconds(webhook.timeout.clampedNanoseconds))
            // The body is not needed, but must be consumed (at most a little of it).
            _ = try? await response.body.collect(upTo: 64 << 10)
            let status = response.status.code
            switch status {
            case 200..<300: return .delivered
            case 408, 429, 500..<600: return .retryable("HTTP \(status)")
            default: return .rejected(status: status)
            }
        } catch {
            return .retryable("\(error)")
        }
    }
}
