public import Logging
import Prometheus
import ServiceLifecycle
import SpindleClickHouse
import SpindleCollector
import SpindleStorage

extension SpindleServer {
    /// Builds the server for any storage and role, opening its store: the native store
    /// replays its WAL; ClickHouse is reached and its schema created or migrated (every
    /// shard's, with a cluster). Nothing is bound until ``run(shutdownOnSignals:)``.
    ///
    /// - Throws: ``SpindleServerError`` when the configuration cannot work or the store
    ///   cannot be opened.
    public static func open(configuration: SpindleServerConfiguration, logger: Logger = Logger(label: "spindle")) async throws(SpindleServerError) -> SpindleServer {
        try configuration.validate()
        if configuration.role == .router {
            return try router(configuration: configuration, logger: logger)
        }
        switch configuration.storage {
        case .memory, .native:
            return try SpindleServer(configuration: configuration, logger: logger)
        case .clickhouse:
            return try await clickHouse(configuration: configuration, logger: logger)
        }
    }

    /// A router forwards what it receives untouched: redaction, limits, span metrics and
    /// tail sampling are the collectors' (run twice, hash redaction would hash twice, and
    /// a router's tail sampler would see only part of each trace's fleet-wide spans).
    private static func router(configuration: SpindleServerConfiguration, logger: Logger) throws(SpindleServerError) -> SpindleServer {
        var configuration = configuration
        configuration.redaction = .disabled
        configuration.limits = .unlimited
        configuration.spanMetrics = nil
        configuration.tailSampling = nil
        configuration.alerts = AlertingConfiguration()
        let registry = PrometheusCollectorRegistry()
        let writer = try ForwardingTraceWriter(collectors: configuration.forwardTo, registry: registry, logger: logger)
        logger.info("routing spans by trace ID to \(writer.collectors.joined(separator: ", "))")
        return try SpindleServer(
            configuration: configuration, writer: writer, reader: InMemoryTraceStore(maxSpans: 1), logger: logger, registry: registry
        )
    }

    /// Opens ClickHouse (creating or migrating the schema) and, unless this is a query
    /// node, runs retention hourly.
    private static func clickHouse(configuration: SpindleServerConfiguration, logger: Logger) async throws(SpindleServerError) -> SpindleServer {
        let settings = configuration.clickHouse
        let store: ClickHouseTraceStore
        do {
            store = try await ClickHouseTraceStore.open(settings)
        } catch {
            throw SpindleServerError(.storageNotAvailable, "cannot open ClickHouse storage (\(settings)): \(error.message)", underlying: error)
        }
        logger.info("storing in \(settings)")
        var background: [any Service] = []
        if let retention = configuration.retention, configuration.role != .query {
            var storeLogger = logger
            storeLogger.logLevel = configuration.logLevel
            background.append(RetentionService(
                retention: retention, interval: .seconds(3_600), now: SpindleServer.unixTime, logger: storeLogger,
                drop: { cutoff throws(StorageError) in try await store.dropPartitions(olderThan: cutoff) }
            ))
        }
        return try SpindleServer(configuration: configuration, writer: store, reader: store, logger: logger, background: background)
    }
}
