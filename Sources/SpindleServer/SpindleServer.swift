import Foundation
public import Logging
import Prometheus
import ServiceLifecycle
import SpindleCollector
public import SpindleStorage
import SpindleStore

/// `spindle serve`: the store, the ingest pipeline and every listener, run as one
/// swift-service-lifecycle `ServiceGroup`.
///
/// Lifecycle:
/// - ``run(shutdownOnSignals:)`` binds every listener and serves until ``shutdown()``
///   (or SIGTERM/SIGINT when asked to handle signals), then returns.
/// - ``waitUntilListening()`` returns the bound ports once every listener serves
///   (useful with port 0), or throws why one could not bind.
/// - Shutdown is graceful and ordered: all listeners stop accepting at once and finish
///   the requests they have (each of which waits until its spans are stored); then the
///   pipeline drains and stops. What was acknowledged is stored. A shutdown that takes
///   longer than ``SpindleServerConfiguration/shutdownTimeout`` is cancelled.
///
/// Each server has its own Prometheus registry (served at `GET /metrics`, and by
/// ``metricsText()``): nothing global is bootstrapped, so several servers can run in
/// one process.
public final class SpindleServer: Sendable {
    public let configuration: SpindleServerConfiguration
    /// The store, for reading back what was ingested.
    public let reader: any TraceReader
    let registry: PrometheusCollectorRegistry
    private let pipeline: IngestPipeline
    /// Span metrics, nil when turned off.
    let spanMetrics: SpanMetrics?
    /// The alert rules' evaluation and delivery.
    let alerting: AlertingService?
    private let logger: Logger
    private let readiness: ListenerReadiness
    private let services: [any Service]
    private let runState = RunState()

    /// Builds the server and opens its store (the native store replays its WAL here);
    /// nothing is bound until ``run(shutdownOnSignals:)``.
    ///
    /// - Throws: ``SpindleServerError`` when the configuration cannot work or the store
    ///   cannot be opened.
    public convenience init(configuration: SpindleServerConfiguration, logger: Logger = Logger(label: "spindle")) throws(SpindleServerError) {
        try configuration.validate()
        switch configuration.storage {
        case .memory:
            let store = InMemoryTraceStore(maxSpans: configuration.memoryMaxSpans)
            try self.init(configuration: configuration, writer: store, reader: store, logger: logger)
        case .clickhouse:
            throw SpindleServerError(.invalidConfiguration, "ClickHouse storage is opened asynchronously: use SpindleServer.open(configuration:logger:)")
        case .native:
            var storeConfiguration = NativeStoreConfiguration(directory: configuration.dataDir)
            storeConfiguration.fsync = configuration.fsync
            storeConfiguration.retention = configuration.retention
            storeConfiguration.maxDiskBytes = configuration.maxDiskBytes
            var storeLogger = logger
            storeLogger.logLevel = configuration.logLevel
            storeConfiguration.logger = storeLogger
            let store: NativeTraceStore
            do {
                store = try NativeTraceStore.open(storeConfiguration)
            } catch {
                throw SpindleServerError(.storageNotAvailable, "cannot open the native store in \(configuration.dataDir): \(error.message)", underlying: error)
            }
            try self.init(configuration: configuration, writer: store, reader: store, logger: logger, close: { await store.close() })
        }
    }

    /// A server over a given store (tests use it to observe or hold writes).
    init(
        configuration: SpindleServerConfiguration,
        writer: any TraceWriter,
        reader: any TraceReader,
        logger: Logger = Logger(label: "spindle"),
        close: (@Sendable () async -> Void)? = nil,
        wallClock: @escaping @Sendable () -> Duration = SpindleServer.unixTime,
        webhookBackoff: Duration = .seconds(1),
        registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
        background: [any Service] = []
    ) throws(SpindleServerError) {
        try configuration.validate()
        var logger = logger
        logger.logLevel = configuration.logLevel
        self.configuration = configuration
        self.logger = logger
        self.reader = reader

        self.registry = registry
        let liveTail = LiveTailHub(configuration: configuration.liveTail, registry: registry)
        let spanMetrics = configuration.spanMetrics.map { SpanMetrics(configuration: $0, now: wallClock) }
        self.spanMetrics = spanMetrics
        let alerting = try spanMetrics.map { spanMetrics throws(SpindleServerError) in
            try AlertingService(
                configuration: configuration.alerts,
                metrics: spanMetrics,
                notifier: WebhookNotifier(logger: logger, metrics: PrometheusMetricsFactory(registry: registry), firstBackoff: webhookBackoff),
                now: wallClock,
                logger: logger
            )
        }
        self.alerting = alerting
        let observers: [any IngestObserver] = (spanMetrics.map { [$0] } ?? []) + [liveTail]
        let pipeline = IngestPipeline(
            writer: writer,
            configuration: IngestConfiguration(maxBytesInFlight: configuration.maxBytesInFlight, limits: configuration.limits),
            redactor: try configuration.makeRedactor(),
            observers: observers,
            tailSampler: try configuration.makeTailSampler(metrics: PrometheusMetricsFactory(registry: registry)),
            metrics: PrometheusMetricsFactory(registry: registry),
            logger: logger
        )
        self.pipeline = pipeline

        let host = Self.resolveLoopbackName(configuration.host)
        let role = configuration.role
        let readiness = ListenerReadiness(host: host, expected: role.listeners) { [logger] ports in
            logger.info("listening: \(ports)")
        }
        self.readiness = readiness

        let settings = HTTPListeners.Settings(
            host: host,
            maxBodyBytes: configuration.maxBodyBytes,
            readTimeout: configuration.requestReadTimeout,
            logger: logger,
            registry: registry
        )
        let grpc = GRPCListener(
            host: host,
            port: configuration.otlpGRPCPort,
            maxMessageBytes: configuration.maxBodyBytes,
            receiver: OTLPGRPCReceiver(pipeline: pipeline),
            logger: logger,
            onBound: { readiness.bound(.otlpGRPC, port: $0) }
        )
        let httpListener: any Service = role.servesQueries
            ? HTTPListeners.ui(
                registry: registry, reader: reader, liveTail: liveTail, spanMetrics: spanMetrics, alerts: alerting?.evaluator, uiDirectory: configuration.uiDirectory, port: configuration.httpPort, settings: settings,
                onBound: { readiness.bound(.http, port: $0) }
            )
            : HTTPListeners.status(
                registry: registry, spanMetrics: spanMetrics, port: configuration.httpPort, settings: settings,
                onBound: { readiness.bound(.http, port: $0) }
            )
        let all: [(ListenerName, any Service)] = [
                (.otlpGRPC, grpc),
                (.otlpHTTP, HTTPListeners.otlpHTTP(
                    receiver: OTLPHTTPReceiver(pipeline: pipeline), port: configuration.otlpHTTPPort, settings: settings,
                    onBound: { readiness.bound(.otlpHTTP, port: $0) }
                )),
                (.zipkin, HTTPListeners.zipkin(
                    receiver: ZipkinReceiver(pipeline: pipeline), port: configuration.zipkinPort, settings: settings,
                    onBound: { readiness.bound(.zipkin, port: $0) }
                )),
                (.http, httpListener),
                (.tempo, HTTPListeners.tempo(
                    reader: reader, port: configuration.tempoPort, settings: settings,
                    onBound: { readiness.bound(.tempo, port: $0) }
                )),
            ]
        let listeners = ListenerGroup(
            listeners: all.filter { role.listeners.contains($0.0) },
            host: host,
            configuration: configuration,
            readiness: readiness,
            logger: logger,
            requestShutdown: { [runState] in await runState.shutdown() }
        )
        // A ServiceGroup shuts its services down in reverse order, each after the one
        // behind it has finished: the listeners first, then the pipeline.
        // The store closes last, after the pipeline has stored everything accepted.
        // Alerting stops first (it only reads span metrics).
        // Background work (ClickHouse retention) stops first too.
        self.services = [StoreService(close: close), PipelineService(pipeline: pipeline), listeners] + (alerting.map { [$0] } ?? []) + background
    }

    /// Serves until ``shutdown()`` is called (or, with `shutdownOnSignals`, SIGTERM or
    /// SIGINT arrives) and everything accepted is stored; rethrows what stopped it
    /// otherwise (e.g. a port already in use, as a ``SpindleServerError``).
    public func run(shutdownOnSignals: Bool = false) async throws {
        let group = ServiceGroup(
            configuration: {
                var configuration = ServiceGroupConfiguration(
                    services: services.map { .init(service: $0) },
                    gracefulShutdownSignals: shutdownOnSignals ? [.sigterm, .sigint] : [],
                    logger: logger
                )
                configuration.maximumGracefulShutdownDuration = self.configuration.shutdownTimeout
                return configuration
            }()
        )
        let shutdownAlreadyRequested = try runState.start(group)
        defer {
            runState.finish()
            readiness.failed(SpindleServerError(.notRunning, "the server stopped before all listeners were bound"))
        }
        if shutdownAlreadyRequested {
            logger.info("stopped before starting: shutdown was requested first")
            return
        }
        do {
            try await group.run()
            logger.info("stopped")
        } catch {
            logger.error("stopped: \(error)")
            throw error
        }
    }

    /// The ports every listener is serving on, once all are; throws why the server
    /// could not start (a ``SpindleServerError``) instead.
    public func waitUntilListening() async throws -> BoundPorts {
        try await readiness.wait()
    }

    /// Starts a graceful shutdown and returns at once; ``run(shutdownOnSignals:)``
    /// returns when it is complete. Before `run`, the server shuts down as soon as it
    /// starts.
    public func shutdown() async {
        await runState.shutdown()
    }

    /// The server's own metrics in the Prometheus text format, as `GET /metrics` serves them.
    public func metricsText() -> String {
        registry.emitToString() + (spanMetrics?.prometheusText() ?? "")
    }

    /// Now, as time since the Unix epoch: the clock of span metrics and alerts.
    static let unixTime: @Sendable () -> Duration = {
        let seconds = Date().timeIntervalSince1970
        return .nanoseconds(Int64(seconds * 1_000_000_000))
    }

    /// `localhost` binds loopback on IPv4, the same for every listener (gRPC needs an
    /// address, not a name).
    private static func resolveLoopbackName(_ host: String) -> String {
        host.lowercased() == "localhost" ? "127.0.0.1" : host
    }
}

extension SpindleServerConfiguration.Role {
    /// The listeners a process of this role runs.
    var listeners: Set<ListenerName> {
        switch self {
        case .all: Set(ListenerName.allCases)
        case .collector, .router: [.otlpGRPC, .otlpHTTP, .zipkin, .http]
        case .query: [.http, .tempo]
        }
    }

    /// Whether the HTTP port serves the UI and the query APIs (else only `/metrics`).
    var servesQueries: Bool { self == .all || self == .query }
}
