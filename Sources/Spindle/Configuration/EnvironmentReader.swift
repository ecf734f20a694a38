import Foundation
import SpindleModel

/// Reads the OpenTelemetry environment variables into a `SpindleConfiguration`,
/// collecting a warning for every malformed value it replaces by the default.
struct EnvironmentReader {
    let environment: [String: String]
    private(set) var warnings: [String] = []

    init(environment: [String: String]) {
        self.environment = environment
    }

    mutating func read(into configuration: inout SpindleConfiguration) {
        configuration.isSDKDisabled = boolean("OTEL_SDK_DISABLED")
        configuration.serviceName = value("OTEL_SERVICE_NAME")
        configuration.resourceAttributes = (keyValueList("OTEL_RESOURCE_ATTRIBUTES") ?? []).map { Attribute($0.key, .string($0.value)) }
        readExporter(into: &configuration)
        configuration.sampler = sampler()
        if let names = value("OTEL_PROPAGATORS") {
            let (propagator, unknown) = Propagators.parse(names)
            configuration.propagator = propagator
            for name in unknown {
                warnings.append("OTEL_PROPAGATORS: unknown propagator \"\(name)\" ignored")
            }
        }
        readBatch(into: &configuration.batch)
        readLimits(into: &configuration.spanLimits)
    }

    private mutating func readExporter(into configuration: inout SpindleConfiguration) {
        for name in ["OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"] {
            guard let text = value(name) else { continue }
            if let otlpProtocol = SpindleConfiguration.OTLPProtocol(rawValue: text.lowercased()) {
                configuration.otlpProtocol = otlpProtocol
            } else {
                warn(name, text, "expected http/protobuf or grpc (http/json is not supported)")
            }
        }
        if let endpoint = url("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") {
            configuration.tracesEndpoint = endpoint
            configuration.grpcTracesEndpoint = endpoint
        } else if let base = url("OTEL_EXPORTER_OTLP_ENDPOINT") {
            let text = base.absoluteString
            configuration.tracesEndpoint = URL(string: text + (text.hasSuffix("/") ? "v1/traces" : "/v1/traces")) ?? base
            configuration.grpcTracesEndpoint = base
        }
        var headers = keyValueList("OTEL_EXPORTER_OTLP_HEADERS") ?? []
        for (name, value) in keyValueList("OTEL_EXPORTER_OTLP_TRACES_HEADERS") ?? [] {
            headers.removeAll { $0.key.lowercased() == name.lowercased() }
            headers.append((name, value))
        }
        configuration.headers = headers.map { (name: $0.key, value: $0.value) }
        for name in ["OTEL_EXPORTER_OTLP_COMPRESSION", "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION"] {
            guard let text = value(name) else { continue }
            if let compression = SpindleConfiguration.OTLPCompression(rawValue: text.lowercased()) {
                configuration.compression = compression
            } else {
                warn(name, text, "expected gzip or none")
            }
        }
        for name in ["OTEL_EXPORTER_OTLP_TIMEOUT", "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT"] {
            if let milliseconds = integer(name) { configuration.exportTimeout = .milliseconds(milliseconds) }
        }
    }

    private mutating func sampler() -> any Sampler {
        let defaultSampler = ParentBasedSampler(root: AlwaysOnSampler())
        guard let name = value("OTEL_TRACES_SAMPLER") else { return defaultSampler }
        switch name.lowercased() {
        case "always_on": return AlwaysOnSampler()
        case "always_off": return AlwaysOffSampler()
        case "traceidratio": return TraceIDRatioSampler(ratio: ratio())
        case "parentbased_always_on": return defaultSampler
        case "parentbased_always_off": return ParentBasedSampler(root: AlwaysOffSampler())
        case "parentbased_traceidratio": return ParentBasedSampler(root: TraceIDRatioSampler(ratio: ratio()))
        case "ratelimiting": return ParentBasedSampler(root: RateLimitingSampler(spansPerSecond: spansPerSecond()))
        default:
            warn("OTEL_TRACES_SAMPLER", name, "unknown sampler; using parentbased_always_on")
            return defaultSampler
        }
    }

    /// `OTEL_TRACES_SAMPLER_ARG` for the ratio samplers: a number in 0...1, default 1.
    private mutating func ratio() -> Double {
        guard let text = value("OTEL_TRACES_SAMPLER_ARG") else { return 1 }
        guard let ratio = Double(text), ratio >= 0, ratio <= 1 else {
            warn("OTEL_TRACES_SAMPLER_ARG", text, "expected a ratio in 0...1; using 1")
            return 1
        }
        return ratio
    }

    /// `OTEL_TRACES_SAMPLER_ARG` for `ratelimiting`: spans per second, default 100.
    private mutating func spansPerSecond() -> Double {
        let defaultRate: Double = 100
        guard let text = value("OTEL_TRACES_SAMPLER_ARG") else { return defaultRate }
        guard let rate = Double(text), rate.isFinite, rate >= 0 else {
            warn("OTEL_TRACES_SAMPLER_ARG", text, "expected spans per second (a number ≥ 0); using \(Int(defaultRate))")
            return defaultRate
        }
        return rate
    }

    private mutating func readBatch(into batch: inout BatchSpanProcessor.Configuration) {
        if let delay = integer("OTEL_BSP_SCHEDULE_DELAY") { batch.scheduledDelay = .milliseconds(delay) }
        if let timeout = integer("OTEL_BSP_EXPORT_TIMEOUT") { batch.exportTimeout = .milliseconds(timeout) }
        if let size = integer("OTEL_BSP_MAX_QUEUE_SIZE", minimum: 1) { batch.maxQueueSize = size }
        if let size = integer("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", minimum: 1) { batch.maxExportBatchSize = size }
        if batch.maxExportBatchSize > batch.maxQueueSize {
            warnings.append(
                "OTEL_BSP_MAX_EXPORT_BATCH_SIZE (\(batch.maxExportBatchSize)) exceeds OTEL_BSP_MAX_QUEUE_SIZE "
                    + "(\(batch.maxQueueSize)); using \(batch.maxQueueSize)")
            batch.maxExportBatchSize = batch.maxQueueSize
        }
    }

    private mutating func readLimits(into limits: inout SpanLimits) {
        let general = integer("OTEL_ATTRIBUTE_COUNT_LIMIT")
        let generalLength = integer("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT")
        if let limit = integer("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT") ?? general { limits.attributeCountLimit = limit }
        if let limit = integer("OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT") ?? generalLength {
            limits.attributeValueLengthLimit = limit
        }
        if let limit = integer("OTEL_SPAN_EVENT_COUNT_LIMIT") { limits.eventCountLimit = limit }
        if let limit = integer("OTEL_SPAN_LINK_COUNT_LIMIT") { limits.linkCountLimit = limit }
        if let limit = integer("OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT") ?? general { limits.attributePerEventCountLimit = limit }
        if let limit = integer("OTEL_LINK_ATTRIBUTE_COUNT_LIMIT") ?? general { limits.attributePerLinkCountLimit = limit }
    }

    // MARK: Typed reads

    private func value(_ name: String) -> String? {
        EnvironmentValues.nonEmpty(environment[name])
    }

    /// The specification's boolean: only `true` (any case) is true; `false` or unset is
    /// false; anything else is false with a warning.
    private mutating func boolean(_ name: String) -> Bool {
        guard let text = value(name) else { return false }
        switch text.lowercased() {
        case "true": return true
        case "false": return false
        default:
            warn(name, text, "expected true or false; using false")
            return false
        }
    }

    private mutating func integer(_ name: String, minimum: Int = 0) -> Int? {
        guard let text = value(name) else { return nil }
        guard let number = EnvironmentValues.nonNegativeInteger(text), number >= minimum else {
            warn(name, text, "expected an integer ≥ \(minimum); using the default")
            return nil
        }
        return number
    }

    private mutating func keyValueList(_ name: String) -> [(key: String, value: String)]? {
        guard let text = value(name) else { return nil }
        guard let pairs = EnvironmentValues.keyValueList(text) else {
            warn(name, text, "expected key=value pairs separated by commas, values percent-encoded; ignored")
            return nil
        }
        return pairs
    }

    /// An absolute http or https URL.
    private mutating func url(_ name: String) -> URL? {
        guard let text = value(name) else { return nil }
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              url.host != nil
        else {
            warn(name, text, "expected an absolute http(s) URL; using the default")
            return nil
        }
        return url
    }

    private mutating func warn(_ name: String, _ value: String, _ problem: String) {
        warnings.append("\(name)=\"\(value)\": \(problem)")
    }
}
