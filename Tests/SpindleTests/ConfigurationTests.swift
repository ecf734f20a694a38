import Foundation
import Spindle
import SpindleModel
import Testing
import Tracing

@Suite struct ConfigurationTests {
    @Test func emptyEnvironment_givesTheSpecificationDefaults() {
        let config = SpindleConfiguration(environment: [:])
        #expect(!config.isSDKDisabled)
        #expect(config.tracesEndpoint.absoluteString == "http://localhost:4318/v1/traces")
        #expect(config.headers.isEmpty)
        #expect(config.compression == .none)
        #expect(config.exportTimeout == .milliseconds(10_000))
        #expect(config.sampler.description == ParentBasedSampler(root: AlwaysOnSampler()).description)
        #expect(config.batch == BatchSpanProcessor.Configuration())
        #expect(config.spanLimits == SpanLimits())
        #expect(config.warnings.isEmpty)
    }

    @Test func everyVariable_isRead() {
        let config = SpindleConfiguration(environment: [
            "OTEL_SDK_DISABLED": "TRUE",
            "OTEL_SERVICE_NAME": " checkout ",
            "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment=prod, team = a%20b%2Cc ,,service.version=1.2",
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318/",
            "OTEL_EXPORTER_OTLP_HEADERS": "api-key=secret%3D1,x-tenant=t1",
            "OTEL_EXPORTER_OTLP_TRACES_HEADERS": "X-Tenant=t2",
            "OTEL_EXPORTER_OTLP_COMPRESSION": "GZIP",
            "OTEL_EXPORTER_OTLP_TIMEOUT": "2500",
            "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
            "OTEL_TRACES_SAMPLER_ARG": "0.25",
            "OTEL_PROPAGATORS": "b3multi",
            "OTEL_BSP_SCHEDULE_DELAY": "100",
            "OTEL_BSP_EXPORT_TIMEOUT": "200",
            "OTEL_BSP_MAX_QUEUE_SIZE": "300",
            "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "30",
            "OTEL_ATTRIBUTE_COUNT_LIMIT": "50",
            "OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT": "10",
            "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT": "64",
            "OTEL_SPAN_EVENT_COUNT_LIMIT": "11",
            "OTEL_SPAN_LINK_COUNT_LIMIT": "12",
            "OTEL_LINK_ATTRIBUTE_COUNT_LIMIT": "13",
        ])
        #expect(config.warnings == [])
        #expect(config.isSDKDisabled)
        #expect(config.serviceName == "checkout")
        #expect(config.resourceAttributes == [
            Attribute("deployment.environment", "prod"), Attribute("team", "a b,c"), Attribute("service.version", "1.2"),
        ])
        #expect(config.tracesEndpoint.absoluteString == "http://collector:4318/v1/traces")
        #expect(config.headers.map { "\($0.name)=\($0.value)" } == ["api-key=secret=1", "X-Tenant=t2"])
        #expect(config.compression == .gzip)
        #expect(config.exportTimeout == .milliseconds(2500))
        #expect(config.sampler.description == ParentBasedSampler(root: TraceIDRatioSampler(ratio: 0.25)).description)
        var headers: [String: String] = [:]
        var context = ServiceContext.topLevel
        context.spanContext = SpanContext(traceID: TraceID(high: 0, low: 1), spanID: SpanID(2))
        config.propagator.inject(context, into: &headers, using: DictionaryInjector())
        #expect(headers["x-b3-traceid"] == "00000000000000000000000000000001")
        #expect(config.batch == BatchSpanProcessor.Configuration(
            maxQueueSize: 300, scheduledDelay: .milliseconds(100), maxExportBatchSize: 30, exportTimeout: .milliseconds(200)))
        #expect(config.spanLimits == SpanLimits(
            attributeCountLimit: 10, attributeValueLengthLimit: 64, eventCountLimit: 11, linkCountLimit: 12,
            attributePerEventCountLimit: 50, attributePerLinkCountLimit: 13))
    }

    @Test func tracesEndpoint_isUsedAsIs() {
        let config = SpindleConfiguration(environment: [
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://ignored:4318",
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://collector.example/custom/path",
        ])
        #expect(config.tracesEndpoint.absoluteString == "https://collector.example/custom/path")
        let generic = SpindleConfiguration(environment: ["OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318/base"])
        #expect(generic.tracesEndpoint.absoluteString == "http://c:4318/base/v1/traces")
    }

    @Test func samplerNames_mapToTheirSamplers() {
        let expected: [String: String] = [
            "always_on": "AlwaysOnSampler",
            "always_off": "AlwaysOffSampler",
            "traceidratio": "TraceIdRatioBased{0.5}",
            "parentbased_always_on": ParentBasedSampler(root: AlwaysOnSampler()).description,
            "parentbased_always_off": ParentBasedSampler(root: AlwaysOffSampler()).description,
            "parentbased_traceidratio": ParentBasedSampler(root: TraceIDRatioSampler(ratio: 0.5)).description,
        ]
        for (name, description) in expected {
            let config = SpindleConfiguration(environment: ["OTEL_TRACES_SAMPLER": name, "OTEL_TRACES_SAMPLER_ARG": "0.5"])
            #expect(config.sampler.description == description, "\(name)")
        }
        let limited = SpindleConfiguration(environment: ["OTEL_TRACES_SAMPLER": "ratelimiting", "OTEL_TRACES_SAMPLER_ARG": "20"])
        #expect(limited.sampler.description == ParentBasedSampler(root: RateLimitingSampler(spansPerSecond: 20)).description)
        let ratioDefault = SpindleConfiguration(environment: ["OTEL_TRACES_SAMPLER": "traceidratio"])
        #expect(ratioDefault.sampler.description == "TraceIdRatioBased{1.0}")
    }

    @Test func malformedValues_fallBackToDefaultsWithWarnings() {
        let config = SpindleConfiguration(environment: [
            "OTEL_SDK_DISABLED": "yes",
            "OTEL_RESOURCE_ATTRIBUTES": "a=1,broken",
            "OTEL_EXPORTER_OTLP_HEADERS": "k=%zz",
            "OTEL_EXPORTER_OTLP_ENDPOINT": "not a url",
            "OTEL_EXPORTER_OTLP_COMPRESSION": "brotli",
            "OTEL_EXPORTER_OTLP_TIMEOUT": "-5",
            "OTEL_TRACES_SAMPLER": "traceidratio",
            "OTEL_TRACES_SAMPLER_ARG": "1.5",
            "OTEL_PROPAGATORS": "tracecontext,xray",
            "OTEL_BSP_MAX_QUEUE_SIZE": "0",
            "OTEL_BSP_SCHEDULE_DELAY": "5s",
            "OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT": "many",
        ])
        #expect(!config.isSDKDisabled)
        #expect(config.resourceAttributes.isEmpty)
        #expect(config.headers.isEmpty)
        #expect(config.tracesEndpoint.absoluteString == "http://localhost:4318/v1/traces")
        #expect(config.compression == .none)
        #expect(config.exportTimeout == .milliseconds(10_000))
        #expect(config.sampler.description == "TraceIdRatioBased{1.0}")
        #expect(config.batch == BatchSpanProcessor.Configuration())
        #expect(config.spanLimits == SpanLimits())
        #expect(config.warnings.count == 11)  // every variable but the valid OTEL_TRACES_SAMPLER
        #expect(config.warnings.contains { $0.hasPrefix("OTEL_TRACES_SAMPLER_ARG=\"1.5\"") })
        #expect(config.warnings.contains("OTEL_PROPAGATORS: unknown propagator \"xray\" ignored"))
    }

    @Test func batchSizeAboveQueueSize_isClamped() {
        let config = SpindleConfiguration(environment: ["OTEL_BSP_MAX_QUEUE_SIZE": "100", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "512"])
        #expect(config.batch.maxExportBatchSize == 100)
        #expect(config.warnings.count == 1)
    }

    @Test func resource_precedenceAndDetectedAttributes() {
        var config = SpindleConfiguration(environment: [
            "OTEL_RESOURCE_ATTRIBUTES": "service.name=from-attributes,host.name=override,telemetry.sdk.name=fake",
        ])
        var resource = config.makeResource()
        #expect(resource.serviceName == "from-attributes")
        #expect(resource.attributes["host.name"] == "override")
        #expect(resource.attributes["telemetry.sdk.name"] == .string(SpindleSDK.name))
        #expect(resource.attributes["telemetry.sdk.language"] == "swift")
        #expect(resource.attributes["process.pid"] == .int(Int64(ProcessInfo.processInfo.processIdentifier)))
        #expect(resource.attributes["process.executable.name"] == .string(ProcessInfo.processInfo.processName))
        #expect(resource.attributes["process.runtime.name"] == "swift")
        #expect(resource.attributes["os.type"] != nil)
        #expect(resource.attributes.filter { $0.key == "host.name" }.count == 1)

        config.serviceName = "from-code"
        config.serviceVersion = "2.0"
        resource = config.makeResource()
        #expect(Array(resource.attributes.prefix(2)) == [Attribute("service.name", "from-code"), Attribute("service.version", "2.0")])

        let unnamed = SpindleConfiguration(environment: [:]).makeResource()
        #expect(unnamed.serviceName == "unknown_service:\(ProcessInfo.processInfo.processName)")
        #expect(unnamed.attributes["service.version"] == nil)
        #expect(unnamed.attributes["host.name"] != nil)
    }

    @Test func sdkDisabled_makesANoOpTracer() {
        let processor = RecordingProcessor()
        let tracer = SpindleTracer(configuration: SpindleConfiguration(environment: ["OTEL_SDK_DISABLED": "true"]), processors: [processor])
        #expect(!tracer.isEnabled)
        tracer.withSpan("op") { span in #expect(!span.isRecording) }
        #expect(processor.spans.isEmpty)
    }
}
