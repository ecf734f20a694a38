import AsyncHTTPClient
import Foundation
import SpindleModel
import SpindleStorage
import SpindleWire
import Testing
@testable import SpindleServer

/// `/api/spindle/span-metrics/…` and `/metrics` over a real server: spans in over
/// OTLP/HTTP, series out, before and whatever tail sampling keeps.
@Suite struct SpanMetricsAPITests {
    private func post(_ server: RunningServer, _ spans: [SpanRecord], service: String) async throws {
        let batch = SpanBatch([ResourceSpans(
            resource: Resource(attributes: [Attribute("service.name", .string(service))]),
            scopeSpans: [ScopeSpans(scope: InstrumentationScope(name: "tests"), spans: spans)]
        )])
        let result = try await send(.POST, server.otlpHTTP + "/v1/traces", headers: [("Content-Type", "application/x-protobuf")], body: OTLPProtobuf.encodeExportRequest(batch))
        #expect(result.status == 200)
    }

    private func json(_ result: HTTPResult) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(result.body)) as? [String: Any])
    }

    /// A client span of `frontend` and the server span of `checkout` under it, one failed.
    private func call(_ index: UInt64, failed: Bool) -> (client: SpanRecord, server: SpanRecord) {
        let now = UInt64(Date().timeIntervalSince1970 * 1e9)
        let trace = TraceID(high: 0xABC, low: index)
        let client = SpanRecord(traceID: trace, spanID: SpanID(index * 2 + 1), name: "POST /checkout", kind: .client, startTimeUnixNano: now, endTimeUnixNano: now + 30_000_000)
        let server = SpanRecord(
            traceID: trace, spanID: SpanID(index * 2 + 2), parentSpanID: client.spanID, name: "POST /checkout", kind: .server,
            startTimeUnixNano: now + 1_000_000, endTimeUnixNano: now + 25_000_000,
            status: failed ? SpanStatus(code: .error, message: "boom") : .unset
        )
        return (client, server)
    }

    @Test func seriesWindowsAndTheServiceGraph_countEverySpan_evenThoseTailSamplingDrops() async throws {
        try await withServer({ configuration in
            // Tail sampling that keeps nothing: span metrics must still count every span.
            configuration.tailSampling = .init(decisionWait: .seconds(3600), policies: [.init(name: "never", rule: .not(.always))])
        }) { server in
            let calls = (0..<4).map { call(UInt64($0), failed: $0 == 0) }
            try await post(server, calls.map(\.client), service: "frontend")
            try await post(server, calls.map(\.server), service: "checkout")

            let operations = try json(try await get(server.http + "/api/spindle/span-metrics/operations"))
            let rows = try #require(operations["operations"] as? [[String: String]])
            #expect(rows.contains(["service": "checkout", "operation": "POST /checkout", "kind": "server"]))
            #expect(rows.contains(["service": "frontend", "operation": "POST /checkout", "kind": "client"]))

            let window = try json(try await get(server.http + "/api/spindle/span-metrics/window?service=checkout&kind=server&last=5m"))
            #expect(window["requests"] as? Int == 4)
            #expect(window["errors"] as? Int == 1)
            #expect(window["errorRate"] as? Double == 0.25)
            #expect(window["lastNanos"] as? Int == 300_000_000_000)
            // 24 ms lies in Tempo's (16 ms, 32 ms] bucket.
            #expect(window["p50Nanos"] as? Int ?? 0 > 16_000_000)

            let graph = try json(try await get(server.http + "/api/spindle/span-metrics/service-graph?last=5m"))
            let edges = try #require(graph["edges"] as? [[String: Any]])
            let edge = try #require(edges.first { $0["client"] as? String == "frontend" && $0["server"] as? String == "checkout" })
            #expect(edge["calls"] as? Int == 4)
            #expect(edge["errors"] as? Int == 1)

            let series = try json(try await get(server.http + "/api/spindle/span-metrics/series?service=checkout&kind=server&step=1m"))
            let points = try #require(series["points"] as? [[String: Any]])
            #expect(points.reduce(0) { $0 + ($1["requests"] as? Int ?? 0) } == 4)

            let metrics = try await get(server.http + "/metrics")
            #expect(metrics.text.contains("traces_spanmetrics_calls_total{service=\"checkout\",span_name=\"POST /checkout\",span_kind=\"SPAN_KIND_SERVER\",status_code=\"STATUS_CODE_ERROR\"} 1"))
            #expect(metrics.text.contains("traces_service_graph_request_total{client=\"frontend\",server=\"checkout\",connection_type=\"\"} 4"))
            // Nothing was stored: the sampler holds everything for an hour.
            let stored = try await server.reader.services(timeRange: nil)
            #expect(stored.isEmpty)
        }
    }

    @Test func badParameters_areRefusedWithTheirName_andAHugeStepIsCheap() async throws {
        try await withServer { server in
            let kind = try await get(server.http + "/api/spindle/span-metrics/window?kind=sideways")
            #expect(kind.status == 400)
            #expect(kind.text.contains("parameter kind: expected server, client, producer, consumer, internal or unspecified, got \\\"sideways\\\""))
            let step = try await get(server.http + "/api/spindle/span-metrics/series?step=1ms&start=0&end=1800000000")
            #expect(step.status == 400)
            #expect(step.text.contains("parameter step: "))
            let order = try await get(server.http + "/api/spindle/span-metrics/series?start=1800000000&end=1700000000")
            #expect(order.status == 400)
            // One point over the retention's slots at most, however long the step.
            let huge = try await get(server.http + "/api/spindle/span-metrics/series?step=876000h")
            #expect(huge.status == 200)
            #expect(try #require(try json(huge)["points"] as? [Any]).count == 1)
            let alerts = try json(try await get(server.http + "/api/spindle/alerts"))
            #expect((alerts["alerts"] as? [Any])?.isEmpty == true)
        }
    }

    @Test func withSpanMetricsOff_theEndpointsSaySo() async throws {
        try await withServer({ $0.spanMetrics = nil }) { server in
            let result = try await get(server.http + "/api/spindle/span-metrics/operations")
            #expect(result.status == 404)
            #expect(result.text.contains("span metrics are off"))
            let metrics = try await get(server.http + "/metrics")
            #expect(!metrics.text.contains("traces_spanmetrics_calls_total"))
        }
    }
}
