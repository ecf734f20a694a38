import Benchmark
import ServiceContextModule
import Spindle
import SpindleModel
import Tracing

/// Receives ended spans and does nothing: what the tracer itself costs, without export.
final class DiscardingProcessor: SpanProcessor {
    func onEnd(_ span: FinishedSpan) {}
    func forceFlush() async {}
    func shutdown() async {}
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .mallocCountTotal, .throughput],
        scalingFactor: .kilo,
        maxDuration: .seconds(2),
        maxIterations: 1_000_000
    )

    let resource = Resource(attributes: [Attribute("service.name", .string("bench"))])
    let sampled = SpindleTracer(resource: resource, processors: [DiscardingProcessor()])
    let unsampled = SpindleTracer(resource: resource, processors: [DiscardingProcessor()], sampler: AlwaysOffSampler())

    Benchmark("Spindle: sampled span, start + end") { benchmark in
        for _ in benchmark.scaledIterations {
            let span = sampled.startSpan("GET /checkout", context: .topLevel, ofKind: .server)
            span.end()
        }
    }

    Benchmark("Spindle: sampled span with 8 attributes") { benchmark in
        for _ in benchmark.scaledIterations {
            let span = sampled.startSpan("GET /checkout", context: .topLevel, ofKind: .server)
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
    }

    Benchmark("Spindle: withSpan, sampled (context set as current)") { benchmark in
        for _ in benchmark.scaledIterations {
            sampled.withSpan("GET /checkout", context: .topLevel, ofKind: .server) { _ in
                blackHole(ServiceContext.current)
            }
        }
    }

    Benchmark("Spindle: unsampled span, start + end") { benchmark in
        for _ in benchmark.scaledIterations {
            let span = unsampled.startSpan("GET /checkout", context: .topLevel, ofKind: .server)
            span.end()
        }
    }

    var parent = ServiceContext.topLevel
    parent.spanContext = SpanContext(traceID: TraceID(high: 0x4BF9_2F35_77B3_4DA6, low: 0xA3CE_929D_0E0E_4736), spanID: SpanID(0x00F0_67AA_0BA9_02B7))
    let context = parent
    Benchmark("Spindle: W3C inject (traceparent + baggage)") { benchmark in
        for _ in benchmark.scaledIterations {
            var headers: [String: String] = [:]
            sampled.inject(context, into: &headers, using: HeaderDictionaryInjector())
            blackHole(headers)
        }
    }

    let headers = ["traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"]
    Benchmark("Spindle: W3C extract (traceparent)") { benchmark in
        for _ in benchmark.scaledIterations {
            var extracted = ServiceContext.topLevel
            sampled.extract(headers, into: &extracted, using: HeaderDictionaryExtractor())
            blackHole(extracted)
        }
    }

    let attributes: [Attribute] = [
        Attribute("http.request.method", .string("GET")), Attribute("http.route", .string("/checkout")),
        Attribute("http.response.status_code", .int(200)), Attribute("url.scheme", .string("https")),
        Attribute("server.address", .string("shop.example.com")), Attribute("server.port", .int(443)),
        Attribute("user_agent.original", .string("Mozilla/5.0")), Attribute("enduser.id", .string("user-42")),
    ]
    var spans: [FinishedSpan] = []
    for index in 0..<512 {
        let number = UInt64(index)
        let traceID = TraceID(high: 1, low: number / 8 + 1)
        let parent: SpanID? = index % 8 == 0 ? nil : SpanID(number / 8 * 8 + 1)
        let start: UInt64 = 1_700_000_000_000_000_000 + number * 1_000
        spans.append(FinishedSpan(
            context: SpanContext(traceID: traceID, spanID: SpanID(number + 1)), parentSpanID: parent,
            name: "GET /checkout", kind: .server, startTimeUnixNano: start, endTimeUnixNano: start + 500_000,
            attributes: attributes, resource: resource, scope: InstrumentationScope(name: "bench")
        ))
    }
    let encodedSpans = spans
    Benchmark("Spindle: OTLP encode, 512 spans of 8 attributes", configuration: .init(scalingFactor: .one)) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(OTLPSpanEncoder.encode(encodedSpans))
        }
    }

    // The same benchmarks with swift-otel, in the same run (SwiftOTelBenchmarks.swift).
    swiftOTelBenchmarks()
}
