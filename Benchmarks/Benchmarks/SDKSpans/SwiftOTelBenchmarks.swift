// The swift-otel column of the SDK benchmarks: SDKSpans.swift's Spindle benchmarks, the same
// work done with swift-otel 1.6.0 (OTLP/HTTP trait), so one run prints both SDKs.
//
// Same conditions as the Spindle column: the same span name and kind, the same 8 attributes,
// root spans (`.topLevel`), the same traceparent, the same header-dictionary carrier, the same
// 512 spans to encode. swift-otel's public API is `OTel.makeTracingBackend(configuration:)`
// only (its tracer, processors and exporters are internal), so each tracer below is what that
// returns with the `none` trace exporter: ended spans go through swift-otel's own pipeline
// (its tracer's event stream, then its batch span processor) and are then dropped, never
// exported. README.md describes what each benchmark does and where the two differ.

import Benchmark
import OTel
import ServiceLifecycle
import Spindle
import SpindleModel
import SpindleWire
#if SWIFT_OTEL_ENCODING
import SwiftOTelEncoding
#endif
import Synchronization
import Tracing

func swiftOTelBenchmarks() {
    // makeTracingBackend throws only for a configuration it rejects; these are fixed.
    do {
        try registerSwiftOTelBenchmarks()
    } catch {
        fatalError("swift-otel: could not make a tracing backend: \(error)")
    }
}

private func registerSwiftOTelBenchmarks() throws {
    // One backend per benchmark that starts spans: a backend's service (a ServiceGroup) runs
    // once, and each benchmark starts it in `setup` and stops it in `teardown`.
    let sampled = try OTel.makeTracingBackend(configuration: .benchmark(sampler: .parentBasedAlwaysOn))
    let sampledService = BackgroundService()
    Benchmark("swift-otel: sampled span, start + end") { benchmark in
        for _ in benchmark.scaledIterations {
            let span = sampled.factory.startSpan("GET /checkout", context: .topLevel, ofKind: .server)
            span.end()
        }
    } setup: {
        sampledService.start(sampled.service)
    } teardown: {
        await sampledService.stop()
    }

    let attributed = try OTel.makeTracingBackend(configuration: .benchmark(sampler: .parentBasedAlwaysOn))
    let attributedService = BackgroundService()
    Benchmark("swift-otel: sampled span with 8 attributes") { benchmark in
        for _ in benchmark.scaledIterations {
            let span = attributed.factory.startSpan("GET /checkout", context: .topLevel, ofKind: .server)
            span.attributes["http.request.method"] = "GET"
            span.attributes["http.route"] = "/checkout"
            span.attributes["http.response.status_code"] = 200
            span.attributes["url.scheme"] = "https"
            span.attributes["server.address"] = "shop.example.com"
            span.attributes["server.port"] = 443
            span.attributes["user_agent.original"] = "Mozilla/5.0"
            span.attributes["enduser.id"] = "user-42"
            span.end()
        }
    } setup: {
        attributedService.start(attributed.service)
    } teardown: {
        await attributedService.stop()
    }

    let scoped = try OTel.makeTracingBackend(configuration: .benchmark(sampler: .parentBasedAlwaysOn))
    let scopedService = BackgroundService()
    Benchmark("swift-otel: withSpan, sampled (context set as current)") { benchmark in
        for _ in benchmark.scaledIterations {
            scoped.factory.withSpan("GET /checkout", context: .topLevel, ofKind: .server) { _ in
                blackHole(InstrumentationContext.current)
            }
        }
    } setup: {
        scopedService.start(scoped.service)
    } teardown: {
        await scopedService.stop()
    }

    let unsampled = try OTel.makeTracingBackend(configuration: .benchmark(sampler: .alwaysOff))
    let unsampledService = BackgroundService()
    Benchmark("swift-otel: unsampled span, start + end") { benchmark in
        for _ in benchmark.scaledIterations {
            let span = unsampled.factory.startSpan("GET /checkout", context: .topLevel, ofKind: .server)
            span.end()
        }
    } setup: {
        unsampledService.start(unsampled.service)
    } teardown: {
        await unsampledService.stop()
    }

    // Injection and extraction start no spans, so nothing reaches this backend's service and
    // it is not run. swift-otel keeps its span context under an internal context key: the
    // context to inject is the one its own `extract` makes of the traceparent Spindle's
    // benchmark injects (same IDs, sampled).
    let propagation = try OTel.makeTracingBackend(configuration: .benchmark(sampler: .parentBasedAlwaysOn))
    let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    let headers = ["traceparent": traceparent]
    var parent = InstrumentationContext.topLevel
    propagation.factory.extract(headers, into: &parent, using: HeaderDictionaryExtractor())
    let context = parent
    // swift-otel's default (and only supported W3C) propagator is trace context: it writes
    // `traceparent`, and `tracestate` only when the state is not empty; it has no baggage
    // propagator. Spindle's writes `baggage` only when the context holds baggage, which it
    // does not here: both write the one header.
    Benchmark("swift-otel: W3C inject (traceparent)") { benchmark in
        for _ in benchmark.scaledIterations {
            var headers: [String: String] = [:]
            propagation.factory.inject(context, into: &headers, using: HeaderDictionaryInjector())
            blackHole(headers)
        }
    } setup: {
        var headers: [String: String] = [:]
        propagation.factory.inject(context, into: &headers, using: HeaderDictionaryInjector())
        guard headers == ["traceparent": traceparent] else {
            throw SwiftOTelBenchmarkSetupError("swift-otel injected \(headers), not the traceparent it extracted")
        }
    }

    Benchmark("swift-otel: W3C extract (traceparent)") { benchmark in
        for _ in benchmark.scaledIterations {
            var extracted = InstrumentationContext.topLevel
            propagation.factory.extract(headers, into: &extracted, using: HeaderDictionaryExtractor())
            blackHole(extracted)
        }
    }

    #if SWIFT_OTEL_ENCODING
    // The same 512 spans as Spindle's encode benchmark: traces of 8, the same IDs, times,
    // name, kind and 8 attributes, resource `service.name=bench`.
    let attributes: SpanAttributes = [
        "http.request.method": "GET", "http.route": "/checkout",
        "http.response.status_code": 200, "url.scheme": "https",
        "server.address": "shop.example.com", "server.port": 443,
        "user_agent.original": "Mozilla/5.0", "enduser.id": "user-42",
    ]
    let batch = SwiftOTelSpanBatch(resource: ["service.name": "bench"], spans: (0..<512).map { index in
        let number = UInt64(index)
        let start: UInt64 = 1_700_000_000_000_000_000 + number * 1_000
        return SwiftOTelSpanBatch.SpanFields(
            traceID: (high: 1, low: number / 8 + 1), spanID: number + 1,
            parentSpanID: index % 8 == 0 ? nil : number / 8 * 8 + 1,
            operationName: "GET /checkout", kind: .server,
            startTimeNanosecondsSinceEpoch: start, endTimeNanosecondsSinceEpoch: start + 500_000,
            attributes: attributes
        )
    })
    // swift-otel builds its ExportTraceServiceRequest with types and code that are
    // `package`/`internal` to it: this runs that code, extracted unchanged from the resolved
    // swift-otel checkout by External/SwiftOTelEncoding/extract.sh (never committed).
    Benchmark("swift-otel: OTLP encode, 512 spans of 8 attributes", configuration: .init(scalingFactor: .one)) { benchmark in
        for _ in benchmark.scaledIterations {
            try blackHole(batch.encodeOTLPHTTPProtobuf())
        }
    } setup: {
        // A figure for an encoding that does not decode would mean nothing.
        let body = try batch.encodeOTLPHTTPProtobuf()
        let decoded = try OTLPProtobuf.decodeExportRequest(body)
        let spans = decoded.spans
        guard spans.count == 512, spans.allSatisfy({ $0.attributes.count == 8 && $0.name == "GET /checkout" }) else {
            throw SwiftOTelBenchmarkSetupError("swift-otel's encoding of 512 spans decoded to \(spans.count) spans")
        }
    }
    #endif
}

extension OTel.Configuration {
    /// swift-otel's defaults, except: the given sampler, the `none` trace exporter (spans are
    /// processed, then dropped), `service.name=bench` as in the Spindle column, and its
    /// diagnostic logger at `error` so that its batch processor's "spans were dropped"
    /// warnings do not print over the results.
    static func benchmark(sampler: TracesConfiguration.SamplerConfiguration) -> Self {
        var configuration = OTel.Configuration.default
        configuration.serviceName = "bench"
        configuration.diagnosticLogLevel = .error
        configuration.traces.sampler = sampler
        configuration.traces.exporter = .none
        return configuration
    }
}

/// Runs a swift-otel tracing backend's service for one benchmark. swift-otel's tracer hands
/// every started and ended span to that service over an `AsyncStream` (its tracer's event loop
/// feeds its batch span processor); without it the stream only grows.
final class BackgroundService: Sendable {
    private let task = Mutex<Task<Void, Never>?>(nil)

    func start(_ service: some Service) {
        task.withLock { $0 = Task { try? await service.run() } }
    }

    /// Cancels the service and waits for it to finish.
    func stop() async {
        guard let running = task.withLock({ $0.take() }) else { return }
        running.cancel()
        await running.value
    }
}

struct SwiftOTelBenchmarkSetupError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
