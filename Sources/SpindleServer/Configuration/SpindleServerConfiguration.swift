public import Logging
import Metrics
public import SpindleClickHouse
public import SpindleCollector
public import SpindleStore

/// Everything `spindle serve` can be told: where to listen, where and how to store, and
/// the bounds that keep one bad client from hurting the others.
///
/// Defaults follow DESIGN.md (Jaeger all-in-one and Tempo ports, loopback only). A port of
/// 0 asks the system for any free port; ``SpindleServer/waitUntilListening()`` reports
/// the ports actually bound.
public struct SpindleServerConfiguration: Sendable, Hashable {
    /// Where spans are stored.
    public enum Storage: String, Sendable, Hashable, CaseIterable {
        /// ``InMemoryTraceStore``: bounded by ``SpindleServerConfiguration/memoryMaxSpans``,
        /// lost on exit.
        case memory
        /// ``NativeTraceStore``, the embedded engine, under ``SpindleServerConfiguration/dataDir``:
        /// the default.
        case native
        /// ``ClickHouseSettings``: a ClickHouse server or cluster (`docs/scale-out.md`).
        case clickhouse
    }

    /// What one `spindle serve` process does (`docs/scale-out.md`).
    public enum Role: String, Sendable, Hashable, CaseIterable {
        /// Everything: ingest, store, query, UI. The default.
        case all
        /// Ingests and stores; its HTTP port serves only `/metrics` and `/ready`.
        case collector
        /// Serves the UI and the query APIs (Spindle, Jaeger, Tempo) from the store; no
        /// ingest listeners.
        case query
        /// Forwards every span to ``SpindleServerConfiguration/forwardTo`` by trace ID, so
        /// each trace reaches one collector; stores nothing.
        case router
    }

    /// The interface every listener binds to: an IP address, or `localhost`.
    public var host: String
    /// OTLP/gRPC `TraceService/Export`.
    public var otlpGRPCPort: Int
    /// OTLP/HTTP `POST /v1/traces`.
    public var otlpHTTPPort: Int
    /// Zipkin `POST /api/v2/spans`.
    public var zipkinPort: Int
    /// The UI, Spindle's own API, the Jaeger API and `/metrics`.
    public var httpPort: Int
    /// The Tempo API.
    public var tempoPort: Int
    /// Where the native engine keeps its files.
    public var dataDir: String
    public var storage: Storage
    /// Where ``Storage/clickhouse`` connects.
    public var clickHouse: ClickHouseSettings
    /// What this process does.
    public var role: Role
    /// The router's collectors: their OTLP/HTTP base URLs (`http://host:4318`).
    public var forwardTo: [String]
    /// What an acknowledged span survives (native storage): see ``FsyncPolicy``.
    public var fsync: FsyncPolicy
    /// Blocks whose newest span is older than this are deleted; nil keeps everything.
    public var retention: Duration?
    /// Past this many bytes of blocks and WAL, the oldest blocks are deleted; nil for no bound.
    public var maxDiskBytes: Int?
    /// The memory store's bound: past it the oldest spans are evicted.
    public var memoryMaxSpans: Int
    /// The largest request body accepted, in bytes, measured after decompression; larger
    /// requests (and decompression bombs) are answered 413 / RESOURCE_EXHAUSTED.
    public var maxBodyBytes: Int
    /// The pipeline's bound: bytes of requests accepted but not yet stored. Past it clients
    /// are told to retry later (429 / RESOURCE_EXHAUSTED).
    public var maxBytesInFlight: Int
    /// How long a client may take to send one request (headers and body), and how long an
    /// idle keep-alive connection stays open. A client that stalls is disconnected;
    /// everyone else keeps being served.
    public var requestReadTimeout: Duration
    /// The longest a graceful shutdown may take before what is left is cancelled.
    public var shutdownTimeout: Duration
    public var logLevel: Logger.Level
    /// Serve the web UI from this directory, read on every request, instead of the copy
    /// built into the binary: for working on the UI without rebuilding.
    public var uiDirectory: String?
    /// How secrets are redacted before anything is stored: on by default, with the
    /// built-in rules (`docs/redaction.md`). Its hash key is never logged.
    public var redaction: RedactionConfiguration
    /// What one span, trace and request may hold (`docs/limits.md`).
    public var limits: SpanLimits
    /// The live tail's bounds (`GET /api/spindle/live`): clients at once, spans buffered per client.
    public var liveTail: LiveTailConfiguration
    /// Tail sampling (`docs/tail-sampling.md`): off (nil) unless configured.
    public var tailSampling: TailSamplingConfiguration?
    /// Span metrics (`docs/span-metrics.md`): request, error and latency series and the
    /// service graph from every span as it arrives, at `/metrics` and in the API. On by
    /// default; nil turns them off.
    public var spanMetrics: SpanMetricsConfiguration?
    /// Alert rules over span metrics and their webhooks (`docs/alerts.md`); none by default.
    public var alerts: AlertingConfiguration

    public init(
        host: String = "127.0.0.1",
        otlpGRPCPort: Int = 4317,
        otlpHTTPPort: Int = 4318,
        zipkinPort: Int = 9411,
        httpPort: Int = 16686,
        tempoPort: Int = 3200,
        dataDir: String = "./spindle-data",
        storage: Storage = .native,
        clickHouse: ClickHouseSettings = ClickHouseSettings(),
        role: Role = .all,
        forwardTo: [String] = [],
        fsync: FsyncPolicy = .interval(.milliseconds(10)),
        retention: Duration? = .seconds(7 * 24 * 3600),
        maxDiskBytes: Int? = nil,
        memoryMaxSpans: Int = 1_000_000,
        maxBodyBytes: Int = 64 << 20,
        maxBytesInFlight: Int = 256 << 20,
        requestReadTimeout: Duration = .seconds(30),
        shutdownTimeout: Duration = .seconds(30),
        logLevel: Logger.Level = .info,
        uiDirectory: String? = nil,
        redaction: RedactionConfiguration = RedactionConfiguration(),
        limits: SpanLimits = SpanLimits(),
        liveTail: LiveTailConfiguration = LiveTailConfiguration(),
        tailSampling: TailSamplingConfiguration? = nil,
        spanMetrics: SpanMetricsConfiguration? = SpanMetricsConfiguration(),
        alerts: AlertingConfiguration = AlertingConfiguration()
    ) {
        self.host = host
        self.otlpGRPCPort = otlpGRPCPort
        self.otlpHTTPPort = otlpHTTPPort
        self.zipkinPort = zipkinPort
        self.httpPort = httpPort
        self.tempoPort = tempoPort
        self.dataDir = dataDir
        self.storage = storage
        self.clickHouse = clickHouse
        self.role = role
        self.forwardTo = forwardTo
        self.fsync = fsync
        self.retention = retention
        self.maxDiskBytes = maxDiskBytes
        self.memoryMaxSpans = memoryMaxSpans
        self.maxBodyBytes = maxBodyBytes
        self.maxBytesInFlight = maxBytesInFlight
        self.requestReadTimeout = requestReadTimeout
        self.shutdownTimeout = shutdownTimeout
        self.logLevel = logLevel
        self.uiDirectory = uiDirectory
        self.redaction = redaction
        self.limits = limits
        self.liveTail = liveTail
        self.tailSampling = tailSampling
        self.spanMetrics = spanMetrics
        self.alerts = alerts
    }

    /// Every port 0 (any free port) on loopback and memory storage: what tests use, so
    /// several servers can run side by side.
    public static func ephemeral() -> SpindleServerConfiguration {
        SpindleServerConfiguration(otlpGRPCPort: 0, otlpHTTPPort: 0, zipkinPort: 0, httpPort: 0, tempoPort: 0, storage: .memory)
    }

    /// Checks what cannot work before anything is started.
    public func validate() throws(SpindleServerError) {
        if storage == .native, dataDir.isEmpty {
            throw SpindleServerError(.invalidConfiguration, "--data-dir is empty; give the directory the native store keeps its files in")
        }
        if storage == .clickhouse, role != .router {
            try clickHouse.validate()
        }
        switch role {
        case .router:
            if forwardTo.isEmpty {
                throw SpindleServerError(.invalidConfiguration, "--role router needs --forward-to: the OTLP/HTTP URLs of its collectors (http://host:4318, comma-separated)")
            }
            for url in forwardTo where !(url.lowercased().hasPrefix("http://") || url.lowercased().hasPrefix("https://")) {
                throw SpindleServerError(.invalidConfiguration, "--forward-to \"\(url)\" is not an HTTP URL; give a collector's OTLP/HTTP base URL such as http://10.0.0.5:4318")
            }
        case .collector, .query:
            if storage != .clickhouse {
                throw SpindleServerError(.invalidConfiguration, "--role \(role.rawValue) shares its store with the other roles, so it needs --storage clickhouse (the \(storage.rawValue) store belongs to one process; use --role all)")
            }
        case .all:
            break
        }
        if !forwardTo.isEmpty, role != .router {
            throw SpindleServerError(.invalidConfiguration, "--forward-to is for --role router; this process has role \(role.rawValue)")
        }
        if let retention, retention <= .zero {
            throw SpindleServerError(.invalidConfiguration, "--retention must be positive, not \(retention)")
        }
        if case .interval(let interval) = fsync, interval <= .zero {
            throw SpindleServerError(.invalidConfiguration, "the --fsync interval must be positive, not \(interval)")
        }
        if let maxDiskBytes, maxDiskBytes < 1 {
            throw SpindleServerError(.invalidConfiguration, "--max-disk must be at least 1 byte, not \(maxDiskBytes)")
        }
        for (flag, port) in [
            ("--otlp-grpc-port", otlpGRPCPort), ("--otlp-http-port", otlpHTTPPort), ("--zipkin-port", zipkinPort),
            ("--http-port", httpPort), ("--tempo-port", tempoPort),
        ] where !(0...65_535).contains(port) {
            throw SpindleServerError(.invalidConfiguration, "\(flag) \(port) is not a TCP port (0...65535; 0 means any free port)")
        }
        let fixed = [otlpGRPCPort, otlpHTTPPort, zipkinPort, httpPort, tempoPort].filter { $0 != 0 }
        if Set(fixed).count != fixed.count {
            throw SpindleServerError(.invalidConfiguration, "two listeners are given the same port: \(fixed.map(String.init).joined(separator: ", "))")
        }
        if host.isEmpty {
            throw SpindleServerError(.invalidConfiguration, "--host is empty; give an IP address such as 127.0.0.1 or 0.0.0.0")
        }
        if memoryMaxSpans < 1 {
            throw SpindleServerError(.invalidConfiguration, "--memory-max-spans must be at least 1, not \(memoryMaxSpans)")
        }
        // A request's spans become one WAL record, at most 1 GiB.
        if maxBodyBytes < 1 || maxBodyBytes > 512 << 20 {
            throw SpindleServerError(.invalidConfiguration, "--max-body-size must be between 1 byte and 512 MiB, not \(maxBodyBytes)")
        }
        if maxBytesInFlight < 1 {
            throw SpindleServerError(.invalidConfiguration, "--max-bytes-in-flight must be at least 1 byte, not \(maxBytesInFlight)")
        }
        if requestReadTimeout <= .zero {
            throw SpindleServerError(.invalidConfiguration, "the request read timeout must be positive")
        }
        _ = try makeRedactor()
        do {
            try limits.validate()
        } catch {
            throw SpindleServerError(.invalidConfiguration, error.message)
        }
        try liveTail.validate()
        _ = try makeTailSampler(metrics: NOOPMetricsHandler.instance)
        if let spanMetrics {
            do {
                try spanMetrics.validate()
            } catch {
                throw SpindleServerError(.invalidConfiguration, "span_metrics: \(error.message)")
            }
        }
        try alerts.validate(spanMetrics: spanMetrics)
    }

    /// The pipeline's tail sampler, nil when tail sampling is off.
    func makeTailSampler(metrics: any MetricsFactory) throws(SpindleServerError) -> TailSampler? {
        guard let tailSampling else { return nil }
        do {
            return try TailSampler(configuration: tailSampling, metrics: metrics)
        } catch {
            throw SpindleServerError(.invalidConfiguration, "tail_sampling: \(error.message)")
        }
    }

    /// The pipeline's redactor, built from ``redaction``.
    func makeRedactor() throws(SpindleServerError) -> Redactor {
        do {
            return try Redactor(configuration: redaction)
        } catch {
            throw SpindleServerError(.invalidConfiguration, "redaction: \(error.message)")
        }
    }
}
