public import Foundation
public import Instrumentation
public import SpindleModel

/// Everything `SpindleSDK.bootstrap` needs, read from the OpenTelemetry environment
/// variables and then overridable in code (set a property after `init`).
///
/// Parsing follows the OpenTelemetry specification ("Environment Variable
/// Specification", "OTLP Exporter Configuration"): empty variables count as unset;
/// malformed values fall back to the default and add a line to `warnings`, never a crash.
/// See `init(environment:)` for every variable read.
public struct SpindleConfiguration: Sendable {
    /// `OTEL_SDK_DISABLED=true` (case-insensitive): a tracer that records nothing.
    public var isSDKDisabled = false

    /// `service.name`; from `OTEL_SERVICE_NAME`. When nil, `service.name` of
    /// `resourceAttributes` is used, then `unknown_service:<executable name>`.
    public var serviceName: String?
    /// `service.version`, when set (else `service.version` of `resourceAttributes`).
    public var serviceVersion: String?
    /// `OTEL_RESOURCE_ATTRIBUTES`, decoded, in order (string values).
    public var resourceAttributes: [Attribute] = []

    /// `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL`, else `OTEL_EXPORTER_OTLP_PROTOCOL`: the
    /// transport `http/protobuf` (the default) or `grpc`. The SDK's own exporter speaks
    /// OTLP/HTTP; the `SpindleOTLPGRPC` library's `makeOTLPExporter()` honours `grpc`.
    public var otlpProtocol = OTLPProtocol.httpProtobuf
    /// Where OTLP/HTTP trace exports go. `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` as-is, else
    /// `OTEL_EXPORTER_OTLP_ENDPOINT` with `v1/traces` appended, else
    /// `http://localhost:4318/v1/traces`.
    public var tracesEndpoint = URL(string: "http://localhost:4318/v1/traces")!
    /// Where OTLP/gRPC trace exports go (the `SpindleOTLPGRPC` library):
    /// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, else `OTEL_EXPORTER_OTLP_ENDPOINT`, both as-is,
    /// else `http://localhost:4317`. `https` asks for TLS.
    public var grpcTracesEndpoint = URL(string: "http://localhost:4317")!
    /// Extra request headers: `OTEL_EXPORTER_OTLP_HEADERS`, then
    /// `OTEL_EXPORTER_OTLP_TRACES_HEADERS` (which replaces headers of the same name).
    public var headers: [(name: String, value: String)] = []
    /// `OTEL_EXPORTER_OTLP[_TRACES]_COMPRESSION`: `gzip` or `none` (the default).
    public var compression = OTLPCompression.none
    /// `OTEL_EXPORTER_OTLP[_TRACES]_TIMEOUT` (milliseconds): the limit for one export
    /// request, retries included (10 s).
    public var exportTimeout = Duration.milliseconds(10_000)

    /// `OTEL_TRACES_SAMPLER` and `OTEL_TRACES_SAMPLER_ARG` (default `parentbased_always_on`).
    public var sampler: any Sampler = ParentBasedSampler(root: AlwaysOnSampler())
    /// `OTEL_PROPAGATORS` (default `tracecontext,baggage`).
    public var propagator: any Instrument = Propagators.parse("").propagator
    /// `OTEL_BSP_SCHEDULE_DELAY`, `OTEL_BSP_EXPORT_TIMEOUT` (milliseconds),
    /// `OTEL_BSP_MAX_QUEUE_SIZE`, `OTEL_BSP_MAX_EXPORT_BATCH_SIZE`.
    public var batch = BatchSpanProcessor.Configuration()
    /// `OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT` (else `OTEL_ATTRIBUTE_COUNT_LIMIT`),
    /// `OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT` (else `OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT`),
    /// `OTEL_SPAN_EVENT_COUNT_LIMIT`, `OTEL_SPAN_LINK_COUNT_LIMIT`,
    /// `OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT` and `OTEL_LINK_ATTRIBUTE_COUNT_LIMIT` (both else
    /// `OTEL_ATTRIBUTE_COUNT_LIMIT`).
    public var spanLimits = SpanLimits()

    /// One line per environment value that was malformed and replaced by its default.
    public var warnings: [String] = []

    /// OTLP request body compression.
    public typealias OTLPCompression = OTLPHTTPExporter.Configuration.Compression

    /// The OTLP transports (`OTEL_EXPORTER_OTLP_PROTOCOL`); `http/json` is not supported.
    public enum OTLPProtocol: String, Sendable, Hashable {
        /// OTLP/HTTP with protobuf bodies.
        case httpProtobuf = "http/protobuf"
        /// OTLP/gRPC.
        case grpc
    }

    /// The configuration the environment describes (by default the process's).
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        var reader = EnvironmentReader(environment: environment)
        reader.read(into: &self)
        warnings = reader.warnings
    }

    /// The resource the configuration describes: `service.name`, `service.version` when
    /// known, the rest of `resourceAttributes`, then the detected host and process
    /// attributes not already given, then `telemetry.sdk.*`.
    public func makeResource() -> Resource {
        ResourceDetector.resource(serviceName: serviceName, serviceVersion: serviceVersion, attributes: resourceAttributes)
    }

    /// The OTLP/HTTP exporter this configuration describes: its endpoint, headers (a later
    /// header of the same name wins) and compression, with `exportTimeout` bounding both
    /// one request and one export with its retries, as `OTEL_EXPORTER_OTLP_TIMEOUT` says.
    public var otlpHTTPExporter: OTLPHTTPExporter.Configuration {
        var byName: [String: String] = [:]
        for header in headers { byName[header.name] = header.value }
        return OTLPHTTPExporter.Configuration(
            endpoint: tracesEndpoint, headers: byName, compression: compression, timeout: exportTimeout, exportTimeout: exportTimeout
        )
    }
}
