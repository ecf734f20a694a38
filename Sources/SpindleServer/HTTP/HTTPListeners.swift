import Hummingbird
import Logging
import NIOCore
import Prometheus
import ServiceLifecycle
import SpindleCollector
import SpindleStorage

/// The HTTP listeners of `spindle serve`, each a Hummingbird application with its own
/// router. Every one answers `GET /ready` with 200 once it is serving.
enum HTTPListeners {
    /// What every HTTP listener shares.
    struct Settings: Sendable {
        var host: String
        var maxBodyBytes: Int
        var readTimeout: Duration
        var logger: Logger
        var registry: PrometheusCollectorRegistry
    }

    /// OTLP/HTTP on 4318: `POST /v1/traces`, protobuf or JSON, gzip or deflate.
    static func otlpHTTP(receiver: OTLPHTTPReceiver, port: Int, settings: Settings, onBound: @escaping @Sendable (Int) -> Void) -> any Service {
        let endpoint = IngestEndpoint(
            name: "otlp-http",
            maxBodyBytes: settings.maxBodyBytes,
            readTimeout: settings.readTimeout,
            logger: settings.logger,
            refusal: otlpRefusal,
            receive: { contentType, body in await receiver.handle(contentType: contentType, body: body) },
            refusals: RefusalCounters(registry: settings.registry, protocol: "otlp_http")
        )
        let router = baseRouter(listener: "otlp-http", settings: settings, allowed: ["/v1/traces": [.post]])
        router.post("/v1/traces") { request, context in
            try await endpoint.respond(to: request, context: context)
        }
        return application("otlp-http", router: router, port: port, settings: settings, onBound: onBound)
    }

    /// Zipkin on 9411: `POST /api/v2/spans` (JSON v2), gzip or deflate.
    static func zipkin(receiver: ZipkinReceiver, port: Int, settings: Settings, onBound: @escaping @Sendable (Int) -> Void) -> any Service {
        let endpoint = IngestEndpoint(
            name: "zipkin",
            maxBodyBytes: settings.maxBodyBytes,
            readTimeout: settings.readTimeout,
            logger: settings.logger,
            refusal: { status, message, _ in Response.text(status: status, message + "\n") },
            receive: { contentType, body in await receiver.handle(contentType: contentType, body: body) },
            refusals: RefusalCounters(registry: settings.registry, protocol: "zipkin")
        )
        let router = baseRouter(listener: "zipkin", settings: settings, allowed: ["/api/v2/spans": [.post]])
        router.post("/api/v2/spans") { request, context in
            try await endpoint.respond(to: request, context: context)
        }
        return application("zipkin", router: router, port: port, settings: settings, onBound: onBound)
    }

    /// The UI and API port (16686): the web UI at `/`, `GET /metrics` (Prometheus text
    /// format), Spindle's own API under `/api/spindle/` (with the live tail's stream), and
    /// the Jaeger query API (`/api/...`, `/api/v3/...`).
    static func ui(
        registry: PrometheusCollectorRegistry,
        reader: any TraceReader,
        liveTail: LiveTailHub,
        spanMetrics: SpanMetrics?,
        alerts: AlertEvaluator?,
        uiDirectory: String?,
        port: Int,
        settings: Settings,
        onBound: @escaping @Sendable (Int) -> Void
    ) -> any Service {
        var allowed: [String: [HTTPRequest.Method]] = ["/metrics": [.get]]
        for path in JaegerAPI.fixedPaths + SpindleAPI.fixedPaths + WebUI.fixedPaths + [LiveTailEndpoint.path] + SpanMetricsAPI.fixedPaths { allowed[path] = [.get] }
        let router = baseRouter(listener: "http", settings: settings, allowed: allowed)
        registerMetrics(on: router, registry: registry, spanMetrics: spanMetrics)
        SpanMetricsAPI.register(on: router, spanMetrics: spanMetrics, alerts: alerts)
        SpindleAPI.register(on: router, reader: reader)
        LiveTailEndpoint.register(on: router, hub: liveTail)
        JaegerAPI.register(on: router, reader: reader)
        WebUI.register(on: router, directory: uiDirectory)
        // Streams end when the listener shuts down, so its shutdown does not wait on them.
        return LiveTailListener(hub: liveTail, listener: application("http", router: router, port: port, settings: settings, onBound: onBound))
    }

    /// The HTTP port of a collector or router (16686): only `GET /metrics` (the server's
    /// own metrics and its span metrics) and `GET /ready`; the UI and the query APIs are the
    /// query nodes' (`docs/scale-out.md`).
    static func status(
        registry: PrometheusCollectorRegistry,
        spanMetrics: SpanMetrics?,
        port: Int,
        settings: Settings,
        onBound: @escaping @Sendable (Int) -> Void
    ) -> any Service {
        let router = baseRouter(listener: "http", settings: settings, allowed: ["/metrics": [.get]])
        registerMetrics(on: router, registry: registry, spanMetrics: spanMetrics)
        return application("http", router: router, port: port, settings: settings, onBound: onBound)
    }

    /// `GET /metrics`: the server's own metrics, then the span metrics (rendered by
    /// SpanMetrics, which bounds their label sets itself).
    private static func registerMetrics(on router: Router<ListenerRequestContext>, registry: PrometheusCollectorRegistry, spanMetrics: SpanMetrics?) {
        router.get("/metrics") { _, _ in
            var text = registry.emitToBuffer()
            if let spanMetrics { text += Array(spanMetrics.prometheusText().utf8) }
            return Response.bytes(status: .ok, text, contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
    }

    /// The Tempo API port (3200), as Grafana's Tempo data source calls it.
    static func tempo(reader: any TraceReader, port: Int, settings: Settings, onBound: @escaping @Sendable (Int) -> Void) -> any Service {
        var allowed: [String: [HTTPRequest.Method]] = [:]
        for path in TempoAPI.fixedPaths { allowed[path] = [.get] }
        let router = baseRouter(listener: "tempo", settings: settings, allowed: allowed)
        TempoAPI.register(on: router, reader: reader)
        return application("tempo", router: router, port: port, settings: settings, onBound: onBound)
    }

    // MARK: - Shared

    private static func baseRouter(listener: String, settings: Settings, allowed: [String: [HTTPRequest.Method]]) -> Router<ListenerRequestContext> {
        let router = Router(context: ListenerRequestContext.self)
        router.add(middleware: RequestLogMiddleware(listener: listener, logger: settings.logger))
        var allowed = allowed
        allowed["/ready"] = [.get]
        router.add(middleware: MethodNotAllowedMiddleware(allowed: allowed))
        router.add(middleware: BodyLimitMiddleware(maxUploadSize: settings.maxBodyBytes))
        router.get("/ready") { _, _ in
            Response.text(status: .ok, "ready\n")
        }
        return router
    }

    private static func application(
        _ name: String,
        router: Router<ListenerRequestContext>,
        port: Int,
        settings: Settings,
        onBound: @escaping @Sendable (Int) -> Void
    ) -> any Service {
        // Hummingbird logs every server start at info and request failures at debug: keep
        // the former out of an info-level log (Spindle logs its own summary) and the
        // latter in a debug one.
        var applicationLogger = settings.logger
        applicationLogger[metadataKey: "listener"] = .string(name)
        if applicationLogger.logLevel > .debug {
            applicationLogger.logLevel = max(applicationLogger.logLevel, .notice)
        }
        return Application(
            router: router,
            server: .http1(configuration: .init(idleTimeout: TimeAmount(settings.readTimeout))),
            configuration: .init(address: .hostname(settings.host, port: port), serverName: nil),
            onServerRunning: { channel in
                onBound(channel.localAddress?.port ?? port)
            },
            logger: applicationLogger
        )
    }

    /// OTLP/HTTP's error body: a `google.rpc.Status` in the request's encoding (OTLP
    /// specification, "Failures").
    @Sendable static func otlpRefusal(status: HTTPResponse.Status, message: String, contentType: String?) -> Response {
        let rpcStatus = RPCStatus(code: RPCStatus.invalidArgument, message: message)
        if let contentType, contentType.lowercased().contains("json") {
            return Response.bytes(status: status, rpcStatus.json, contentType: "application/json")
        }
        return Response.bytes(status: status, rpcStatus.protobuf, contentType: "application/x-protobuf")
    }
}
