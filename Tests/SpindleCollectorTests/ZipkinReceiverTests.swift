import SpindleModel
import SpindleStorage
import SpindleWire
import Testing
@testable import SpindleCollector

@Suite struct ZipkinReceiverTests {
    /// Zipkin-representable spans: whole microseconds, string attributes.
    static let request = SpanBatch([
        ResourceSpans(
            resource: Resource(attributes: [Attribute("service.name", "frontend")]),
            scopeSpans: [ScopeSpans(spans: [
                SpanRecord(traceID: traceA, spanID: SpanID(1), name: "get /", kind: .server, startTimeUnixNano: 1_700_000_000_000_000, endTimeUnixNano: 1_700_000_000_250_000, attributes: [Attribute("http.method", "GET")]),
                SpanRecord(traceID: traceA, spanID: SpanID(2), parentSpanID: SpanID(1), name: "select", kind: .client, startTimeUnixNano: 1_700_000_000_100_000, endTimeUnixNano: 1_700_000_000_200_000),
            ])]
        ),
    ])

    @Test(arguments: [nil, "application/json", "application/json; charset=UTF-8"] as [String?])
    func zipkinJSON_isStored_andAnswered202WithAnEmptyBody(_ contentType: String?) async throws {
        let writer = RecordingWriter()
        let metrics = RecordingMetrics()
        let body = ZipkinJSON.encode(Self.request)
        let response = try await withPipeline(writer: writer, metrics: metrics) { pipeline in
            await ZipkinReceiver(pipeline: pipeline).handle(contentType: contentType, body: body)
        }
        #expect(response == ReceiverResponse(status: 202, headers: [], body: []))
        #expect(await writer.batches == [try ZipkinJSON.decode(body)])
        #expect(await writer.spans.map(\.name) == ["get /", "select"])
        #expect(metrics.counter("spindle_received_spans_total", [("protocol", "zipkin")]) == 2)
        #expect(metrics.counter("spindle_received_bytes_total", [("protocol", "zipkin")]) == Int64(body.count))
        #expect(metrics.counter("spindle_accepted_spans_total", [("protocol", "zipkin")]) == 2)
    }

    @Test(arguments: [
        ("application/x-protobuf", #"unsupported media type "application/x-protobuf"; only Zipkin v2 JSON (application/json) is supported (Zipkin's proto3 encoding is not)"#),
        ("application/x-thrift", #"unsupported media type "application/x-thrift"; only Zipkin v2 JSON (application/json) is supported"#),
    ])
    func otherContentTypes_get415_sayingOnlyJSONIsSupported(_ contentType: String, _ message: String) async throws {
        let writer = RecordingWriter()
        let response = try await withPipeline(writer: writer) { pipeline in
            await ZipkinReceiver(pipeline: pipeline).handle(contentType: contentType, body: [0x0A, 0x00])
        }
        #expect(response == ReceiverResponse(status: 415, headers: [HTTPHeaderPair("Content-Type", "text/plain; charset=utf-8")], body: Array((message + "\n").utf8)))
        #expect(await writer.writeCalls == 0)
    }

    @Test func anUndecodableBody_gets400_withPlainTextNamingTheProblem() async throws {
        let body = Array(#"[{"traceId":"0102030405060708090a0b0c0d0e0f10","id":7}]"#.utf8)
        let expected = try #require(wireError { () throws(WireError) in try ZipkinJSON.decode(body) })
        #expect(expected.field == "[0].id")
        let metrics = RecordingMetrics()
        let response = try await withPipeline(writer: RecordingWriter(), metrics: metrics) { pipeline in
            await ZipkinReceiver(pipeline: pipeline).handle(contentType: "application/json", body: body)
        }
        #expect(response.status == 400)
        #expect(response.headers == [HTTPHeaderPair("Content-Type", "text/plain; charset=utf-8")])
        #expect(response.text == "invalid Zipkin v2 JSON: [0].id: \(expected.message) (at byte \(expected.offset))\n")
        #expect(metrics.counter("spindle_invalid_requests_total", [("protocol", "zipkin")]) == 1)
    }

    @Test func aFullPipeline_gets429_andShuttingDown_gets503_withRetryAfter() async throws {
        try await withFullPipeline { pipeline in
            let response = await ZipkinReceiver(pipeline: pipeline).handle(contentType: nil, body: ZipkinJSON.encode(Self.request))
            #expect(response == ReceiverResponse(
                status: 429,
                headers: [HTTPHeaderPair("Content-Type", "text/plain; charset=utf-8"), HTTPHeaderPair("Retry-After", "1")],
                body: Array("the collector is at its bound of 10 bytes in flight; retry after 1 s\n".utf8)
            ))
        }
        await withShutDownPipeline { pipeline in
            let response = await ZipkinReceiver(pipeline: pipeline).handle(contentType: nil, body: ZipkinJSON.encode(Self.request))
            #expect(response == ReceiverResponse(
                status: 503,
                headers: [HTTPHeaderPair("Content-Type", "text/plain; charset=utf-8"), HTTPHeaderPair("Retry-After", "1")],
                body: Array("shutting down; retry after 1 s\n".utf8)
            ))
        }
    }

    @Test func storageFailure_gets500() async throws {
        try await withFailingStorage(StorageError(.corrupt, "segment 3 is torn")) { pipeline in
            let response = await ZipkinReceiver(pipeline: pipeline).handle(contentType: nil, body: ZipkinJSON.encode(Self.request))
            #expect(response == ReceiverResponse(status: 500, headers: [HTTPHeaderPair("Content-Type", "text/plain; charset=utf-8")], body: Array("storage failed: corrupt: segment 3 is torn\n".utf8)))
        }
    }
}
