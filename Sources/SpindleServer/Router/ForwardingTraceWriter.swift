public import AsyncHTTPClient
import Foundation
public import Logging
public import Metrics
public import Prometheus
public import SpindleModel
public import SpindleStorage
import Synchronization

/// The router of a collector fleet: a ``TraceWriter`` that forwards every span to the one
/// collector that owns its trace, chosen by consistent hashing of the trace ID, over
/// OTLP/HTTP (protobuf). A Spindle server whose writer is a router accepts every protocol
/// (OTLP gRPC, OTLP HTTP, Zipkin) and forwards what it accepts.
///
/// Tail sampling decides per trace inside one collector, so a fleet that tail-samples
/// needs every span of a trace at the same collector; this type guarantees it.
///
/// Guarantees:
/// - **Same trace, same collector, while membership is stable.** A trace's collector is
///   its owner on a hash ring of the collectors' URLs (``virtualNodes`` points per
///   collector), a function of the trace ID and the set of URLs alone: every router given
///   the same URLs (the same text: the ring is keyed by it, in any order) sends a trace
///   to the same collector, in every request, whatever protocol it came by. Adding a
///   collector moves about 1/N of the traces, all of them to the new collector.
/// - **A collector that is down.** A part whose collector cannot be reached, times out
///   (``timeout`` per request), or answers anything but success, 400 or 413 (so 5xx,
///   408, 429, and 401, 403, 404, 405 or 415 from a wrong URL or a proxy), is sent to each trace's *next distinct collector on the
///   ring* — where the trace would go if the failed collector were removed — and so on,
///   each collector at most once per part. The collector is then *down* (``status``,
///   `spindle_router_collector_up`) until it answers again, and for ``retryInterval``
///   after each failure it is gone around: its traces go straight to their successors,
///   and no part is failed over to it. Once the interval is over, the parts whose first
///   choice it is try it again (and bring it back up if it answers); with every collector
///   down, each trace's owner is still tried once per write, so a write never fails
///   untried. So while a collector is down its traces go consistently to their
///   successors. A timed-out request may have been stored all the same, so a trace can
///   then be split between a collector and its successor: the failover's one
///   inconsistency.
/// - **Rejected spans.** Spans a collector refuses for good — counted in its OTLP
///   partial-success answer, a whole part answered 400 (malformed), or a single span
///   answered 413 (larger than the collector takes) — are
///   counted (`spindle_router_rejected_spans_total`) and logged, never retried: the data
///   is at fault, not the collector. The write still succeeds, as the collector's own
///   partial success would.
/// - **Too large.** A part of several spans answered 413 (the collector's
///   `--max-body-size` is smaller than the router's) is sent again to the same collector
///   in halves, and so on down to single spans.
/// - **Undeliverable.** A span is undeliverable when every collector failed for it in
///   this write, or failed for it and the rest are down (gone around). The write then
///   throws ``StorageError`` `.unavailable` naming every collector and why it did not
///   take the span, so the client is told to retry the whole request later; parts that
///   did arrive are sent again then, which is harmless because collector writes are
///   idempotent. Undeliverable spans are counted
///   (`spindle_router_undeliverable_spans_total`) and logged. The router keeps nothing:
///   durability is the collectors' (a write returns only after every collector that
///   received a part answered that it stored it).
/// - **Bounded.** No queue: a write's parts go out concurrently (at most
///   ``maxSpansPerRequest`` spans per request) and the write returns when all answered;
///   the server's pipeline bounds the bytes in flight. Error bodies are read only up to
///   64 KiB.
///
/// Metrics (`spindle_router_*`, per collector where it applies) are listed in
/// `RouterMetrics`; ``status`` tells whether each collector is up.
public final class ForwardingTraceWriter: TraceWriter {
    /// One collector as the router sees it now.
    public struct CollectorStatus: Sendable, Hashable {
        /// The collector's OTLP/HTTP base URL, as the ring knows it.
        public var url: String
        /// False from a failure (unreachable, timeout, 429, 5xx) until its next answer.
        public var isUp: Bool
        /// Why its last failure happened; nil if it never failed.
        public var lastFailure: String?
    }

    /// The default number of ring points per collector: the share of each of N
    /// collectors is then within about ±8 % (one standard deviation) of 1/N.
    public static let defaultVirtualNodes = 160

    /// The collectors' OTLP/HTTP base URLs (trailing slashes removed), in the given order.
    public let collectors: [String]
    /// How long one POST to a collector may take, connecting included.
    public let timeout: Duration
    /// Ring points per collector.
    public let virtualNodes: Int
    /// The most spans in one POST; larger parts are sent as several requests.
    public let maxSpansPerRequest: Int
    /// Bodies of at least this many bytes are sent gzip-compressed (at zlib's fastest
    /// level); nil sends every body as it is.
    public let gzipMinimumBytes: Int?
    /// How long a collector that failed is gone around before it is tried again.
    public let retryInterval: Duration

    let ring: HashRing
    let metrics: RouterMetrics
    let httpClient: HTTPClient
    let logger: Logger
    /// `/v1/traces` of each collector.
    let endpoints: [String]
    private let health: Mutex<CollectorHealth>
    /// Time since the router was created, from the injected clock.
    private let elapsed: @Sendable () -> Duration

    /// The process-wide HTTP client routers share unless given another, never shut down.
    /// A failed connection attempt fails its request at once
    /// (`retryConnectionEstablishment` off) rather than retrying until the deadline, so
    /// a stopped collector's traces go to its successor promptly.
    public static let sharedHTTPClient: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(5)
        // A collector answers /v1/traces itself; a redirect means a wrong URL.
        configuration.redirectConfiguration = .disallow
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    /// A router to `collectors`, reporting its metrics to a server's Prometheus registry,
    /// through ``sharedHTTPClient`` with the default settings.
    ///
    /// - Throws: ``SpindleServerError`` `.invalidConfiguration` when a URL is not an
    ///   `http://` or `https://` base URL, is given twice, or the list is empty.
    public convenience init(collectors: [String], registry: PrometheusCollectorRegistry, logger: Logger = Logger(label: "spindle.router")) throws(SpindleServerError) {
        try self.init(collectors: collectors, httpClient: Self.sharedHTTPClient, logger: logger, metrics: PrometheusMetricsFactory(registry: registry))
    }

    /// A router to `collectors` (OTLP/HTTP base URLs such as `http://10.0.0.7:4318`; the
    /// router posts to `<url>/v1/traces`).
    ///
    /// - Parameters:
    ///   - httpClient: The client to send with (by default ``sharedHTTPClient``); the
    ///     caller owns the lifecycle of any other. It should
    ///     not retry connection establishment (see ``sharedHTTPClient``), or a stopped
    ///     collector costs every request the whole `timeout`.
    ///   - timeout: The longest one POST may take.
    ///   - metrics: Where the `spindle_router_*` metrics go.
    ///   - virtualNodes: Ring points per collector (1...10 000). Every router of a fleet
    ///     must use the same number.
    ///   - maxSpansPerRequest: The most spans in one POST (at least 1).
    ///   - gzipMinimumBytes: Compress bodies from this size on; nil never compresses.
    ///   - retryInterval: How long a failed collector is gone around.
    /// - Throws: ``SpindleServerError`` `.invalidConfiguration` when a setting cannot work.
    public convenience init(
        collectors: [String],
        httpClient: HTTPClient = ForwardingTraceWriter.sharedHTTPClient,
        timeout: Duration = .seconds(10),
        logger: Logger = Logger(label: "spindle.router"),
        metrics: any MetricsFactory,
        virtualNodes: Int = ForwardingTraceWriter.defaultVirtualNodes,
        maxSpansPerRequest: Int = 4096,
        gzipMinimumBytes: Int? = 1024,
        retryInterval: Duration = .seconds(2)
    ) throws(SpindleServerError) {
        try self.init(
            collectors: collectors, httpClient: httpClient, timeout: timeout, logger: logger, metrics: metrics,
            virtualNodes: virtualNodes, maxSpansPerRequest: maxSpansPerRequest, gzipMinimumBytes: gzipMinimumBytes,
            retryInterval: retryInterval, clock: ContinuousClock()
        )
    }

    /// The same, with the clock that times ``retryInterval`` injected (tests).
    init<C: Clock>(
        collectors: [String],
        httpClient: HTTPClient,
        timeout: Duration = .seconds(10),
        logger: Logger = Logger(label: "spindle.router"),
        metrics: any MetricsFactory,
        virtualNodes: Int = ForwardingTraceWriter.defaultVirtualNodes,
        maxSpansPerRequest: Int = 4096,
        gzipMinimumBytes: Int? = 1024,
        retryInterval: Duration = .seconds(2),
        clock: C
    ) throws(SpindleServerError) where C.Duration == Duration {
        let urls = try Self.validated(collectors)
        guard timeout > .zero, timeout <= .seconds(86_400) else {
            throw SpindleServerError(.invalidConfiguration, "the router's timeout must be more than 0 and at most a day, not \(timeout)")
        }
        guard (1...10_000).contains(virtualNodes) else {
            throw SpindleServerError(.invalidConfiguration, "the router's virtual nodes per collector must be between 1 and 10000, not \(virtualNodes)")
        }
        guard maxSpansPerRequest >= 1 else {
            throw SpindleServerError(.invalidConfiguration, "the router's spans per request must be at least 1, not \(maxSpansPerRequest)")
        }
        guard retryInterval >= .zero else {
            throw SpindleServerError(.invalidConfiguration, "the router's retry interval cannot be negative (\(retryInterval))")
        }
        self.collectors = urls
        self.endpoints = urls.map { $0 + "/v1/traces" }
        self.timeout = timeout
        self.virtualNodes = virtualNodes
        self.maxSpansPerRequest = maxSpansPerRequest
        self.gzipMinimumBytes = gzipMinimumBytes.map { max(0, $0) }
        self.retryInterval = retryInterval
        self.ring = HashRing(members: urls, virtualNodes: virtualNodes)
        self.metrics = RouterMetrics(collectors: urls, factory: metrics)
        self.httpClient = httpClient
        self.logger = logger
        self.health = Mutex(CollectorHealth(collectorCount: urls.count, retryInterval: retryInterval))
        let start = clock.now
        self.elapsed = { start.duration(to: clock.now) }
    }

    /// The collector that owns `traceID` on the ring (where its spans go while every
    /// collector is up).
    public func owner(of traceID: TraceID) -> String {
        collectors[ring.owner(of: traceID)]
    }

    /// Every collector, in the given order, with whether it is up now.
    public var status: [CollectorStatus] {
        let entries = health.withLock { $0.entries }
        return zip(collectors, entries).map { CollectorStatus(url: $0, isUp: $1.isUp, lastFailure: $1.lastFailure) }
    }

    // MARK: URLs

    static func validated(_ collectors: [String]) throws(SpindleServerError) -> [String] {
        guard !collectors.isEmpty else {
            throw SpindleServerError(.invalidConfiguration, "a router needs at least one collector URL to forward to (for example http://10.0.0.7:4318)")
        }
        var seen: Set<String> = []
        var urls: [String] = []
        for given in collectors {
            var url = given.trimmingCharacters(in: .whitespaces)
            while url.hasSuffix("/") { url.removeLast() }
            let lowered = url.lowercased()
            guard lowered.hasPrefix("http://") || lowered.hasPrefix("https://"),
                  let parsed = URL(string: url), let host = parsed.host, !host.isEmpty,
                  parsed.query == nil, parsed.fragment == nil
            else {
                throw SpindleServerError(.invalidConfiguration, "\"\(given.prefix(200))\" is not a collector's OTLP/HTTP base URL; give one like http://10.0.0.7:4318")
            }
            guard !lowered.hasSuffix("/v1/traces") else {
                throw SpindleServerError(.invalidConfiguration, "\"\(given.prefix(200))\" names the traces path; give the collector's base URL (without /v1/traces): the router adds the path")
            }
            guard seen.insert(url).inserted else {
                throw SpindleServerError(.invalidConfiguration, "the collector \(url) is given twice; give each collector once")
            }
            urls.append(url)
        }
        return urls
    }

    // MARK: Health

    func recordAnswer(from collector: Int) {
        guard let transition = health.withLock({ $0.answered(collector) }) else { return }
        report(transition, collector)
    }

    func recordFailure(of collector: Int, reason: String) {
        let now = elapsed()
        guard let transition = health.withLock({ $0.failed(collector, reason: reason, at: now) }) else { return }
        report(transition, collector)
    }

    /// One flag per collector, true for those to go around now, and what is known of each.
    func avoidedCollectors() -> (avoided: [Bool], entries: [CollectorHealth.Entry]) {
        let now = elapsed()
        return health.withLock { ($0.avoided(at: now), $0.entries) }
    }

    private func report(_ transition: CollectorHealth.Transition, _ collector: Int) {
        switch transition {
        case .wentDown(let reason):
            metrics[collector].up.record(0)
            logger.warning("router: collector is down; its traces go to their next collector on the ring", metadata: ["collector": "\(collectors[collector])", "reason": "\(reason)"])
        case .cameUp:
            metrics[collector].up.record(1)
            logger.info("router: collector is up again", metadata: ["collector": "\(collectors[collector])"])
        }
    }
}
