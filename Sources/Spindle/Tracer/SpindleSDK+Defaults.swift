extension SpindleSDK {
    /// What a configuration exports to when the application names no processors: a
    /// `BatchSpanProcessor` (`OTEL_BSP_*`) over an `OTLPHTTPExporter`
    /// (`OTEL_EXPORTER_OTLP_*`).
    public static func defaultProcessors(for configuration: SpindleConfiguration) -> [any SpanProcessor] {
        [BatchSpanProcessor(exporter: OTLPHTTPExporter(configuration: configuration.otlpHTTPExporter), configuration: configuration.batch)]
    }

    /// Sets up tracing for the process from the OpenTelemetry environment variables (and
    /// any overrides set on `configuration`), exporting over OTLP/HTTP in batches:
    ///
    ///     let tracing = SpindleSDK.bootstrap()
    ///     let group = ServiceGroup(services: [tracing, app], gracefulShutdownSignals: [.sigterm], logger: logger)
    public static func bootstrap(configuration: SpindleConfiguration = SpindleConfiguration()) -> SpindleService {
        bootstrap(configuration: configuration, processors: defaultProcessors(for: configuration))
    }
}
