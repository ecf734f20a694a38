import SpindleModel
import SpindleStorage
import SpindleWire
import Testing
@testable import SpindleCollector

@Suite struct OTLPHTTPReceiverTests {
    static let request = SpanBatch([
        resourceSpans([span("GET /", id: 1), span("SELECT", trace: traceB, id: 2)], service: "web"),
        resourceSpans([span("charge", id: 3)], service: "payments"),
    ])

    @Test func aProtobufRequest_isStored_andAnsweredWithAnEmptyProtobufResponse() async throws {
        let writer = RecordingWriter()
        let metrics = RecordingMetrics()
        let body = OTLPProtobuf.encodeExportRequest(Self.request)
        let response = try await withPipeline(writer: writer, metrics: metrics) { pipeline in
            await OTLPHTTPReceiver(pipeline: pipeline).handle(contentType: "application/x-protobuf", body: body)
        }
        #expect(response == ReceiverResponse(status: 200, headers: [HTTPHeaderPair("Content-Type", "application/x-protobuf")], body: []))
        #expect(try OTLPProtobuf.decodeExportResponse(response.body) == ExportTraceResponse())
        #expect(await writer.batches == [Self.request])
        #expect(metrics.counter("spindle_received_bytes_total", [("protocol", "otlp_http")]) == Int64(body.count))
        #expect(metrics.counter("spindle_accepted_spans_total", [("protocol", "otlp_http")]) == 3)
    }

    @Test func aJSONRequest_withParameters_isAnsweredInJSON() async throws {
        let writer = RecordingWriter()
        let response = try await withPipeline(writer: writer) { pipeline in
            await OTLPHTTPReceiver(pipeline: pipeline).handle(contentType: "Application/JSON; charset=utf-8", body: OTLPJSON.encodeExportRequest(Self.request))
        }
        #expect(response == ReceiverResponse(status: 200, headers: [HTTPHeaderPair("Content-Type", "application/json")], body: Array("{}".utf8)))
        #expect(await writer.batches == [Self.request])
    }

    @Test func aSpanWithAMalformedID_isRejectedAlone_inPartialSuccess_forProtobuf() async throws {
        let writer = RecordingWriter()
        let response = try await withPipeline(writer: writer) { pipeline in
            await OTLPHTTPReceiver(pipeline: pipeline).handle(contentType: "application/x-protobuf", body: requestWithAMalformedTraceID)
        }
        #expect(response.status == 200)
        #expect(response.header("Content-Type") == "application/x-protobuf")
        #expect(try OTLPProtobuf.decodeExportResponse(response.body) == ExportTraceResponse(rejectedSpans: 1, errorMessage: "1 span rejected: 1 with an all-zero trace_id"))
        #expect(await writer.spans.map(\.name) == ["good"])
    }

    @Test func aSpanWithAMalformedID_isRejectedAlone_inPartialSuccess_forJSON() async throws {
        let writer = RecordingWriter()
        let response = try await withPipeline(writer: writer) { pipeline in
            await OTLPHTTPReceiver(pipeline: pipeline).handle(contentType: "application/json", body: jsonRequestWithAMalformedTraceID)
        }
        #expect(response.status == 200)
        #expect(response.header("Content-Type") == "application/json")
        #expect(response.text == #"{"partialSuccess":{"rejectedSpans":"1","errorMessage":"1 span rejected: 1 with an all-zero trace_id"}}"#)
        #expect(try OTLPJSON.decodeExportResponse(response.body) == ExportTraceResponse(rejectedSpans: 1, errorMessage: "1 span rejected: 1 with an all-zero trace_id"))
        #expect(await writer.spans.map(\.name) == ["good"])
    }

    @Test(arguments: [
        ("text/plain", #"unsupported media type "text/plain"; OTLP/HTTP accepts application/x-protobuf or application/json"#),
        ("application/protobuf", #"unsupported media type "application/protobuf"; OTLP/HTTP accepts application/x-protobuf or application/json"#),
        (nil, "the request has no Content-Type; OTLP/HTTP accepts application/x-protobuf or application/json"),
    ] as [(String?, String)])
    func otherContentTypes_get415_namingWhatIsSupported(_ contentType: String?, _ message: String) async throws {
        let writer = RecordingWriter()
        let metrics = RecordingMetrics()
        let response = try await withPipeline(writer: writer, metrics: metrics) { pipeline in
            await OTLPHTTPReceiver(pipeline: pipeline).handle(contentType: contentType, body: OTLPProtobuf.encodeExportRequest(Self.request))
        }
        #expect(response == ReceiverResponse(status: 415, headers: [HTTPHeaderPair("Content-Type", "text/plain; charset=utf-8")], body: Array((message + "\n").utf8)))
        #expect(await writer.writeCalls == 0)
        #expect(metrics.counter("spindle_invalid_requests_total", [("protocol", "otlp_http")]) == 1)
    }

    @Test func anUndecodableProtobufBody_gets400_withAStatusNamingTheField() async throws {
        // A span whose name (field 5) has wire type 0.
        let body = protoField(1, protoField(2, protoField(2, [5 << 3 | 0, 1])))
        let expected = try #require(wireError { () throws(WireError) in try OTLPProtobuf.decodeExportRequest(body, malformedIDs: .decodeAsZero) })
        #expect(expected.field.hasSuffix(".name"))
        let writer = RecordingWriter()
        let response = try await withPipeline(writer: writer) { pipeline in
            await OTLPHTTPReceiver(pipeline: pipeline).handle(contentType: "application/x-protobuf", body: body)
        }
        #expect(response.status == 400)
        #expect(response.headers == [HTTPHeaderPair("Content-Type", "application/x-protobuf")])
        #expect(GoogleRPCStatus.decode(protobuf: response.body) == GoogleRPCStatus(code: 3, message: "invalid OTLP protobuf request: \(expected.description)"))
        #expect(await writer.writeCalls == 0)
    }

    @Test func anUndecodableJSONBody_gets400_withAJSONStatusNamingFieldAndOffset() async throws {
        let json = #"{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":7}]}]}]}"#
        let body = Array(json.utf8)
        let expected = try #require(wireError { () throws(WireError) in try OTLPJSON.decodeExportRequest(body) })
        #expect(expected.field == "resourceSpans[0].scopeSpans[0].spans[0].name")
        #expect(expected.offset == 51)
        let response = try await withPipeline(writer: RecordingWriter()) { pipeline in
            await OTLPHTTPReceiver(pipeline: pipeline).handle(contentType: "application/json", body: body)
        }
        #expect(response.status == 400)
        #expect(response.headers == [HTTPHeaderPair("Content-Type", "application/json")])
        let status = try jsonStatus(response.body)
        #expect(status == GoogleRPCStatus(code: 3, message: "invalid OTLP JSON request: resourceSpans[0].scopeSpans[0].spans[0].name: \(expected.message) (at byte 51)"))
    }

    @Test func garbage_gets400_inTheRequestsEncoding() async throws {
        let response = try await withPipeline(writer: RecordingWriter()) { pipeline in
            await OTLPHTTPReceiver(pipeline: pipeline).handle(contentType: "application/json", body: Array("not json".utf8))
        }
        #expect(response.status == 400)
        let status = try jsonStatus(response.body)
        #expect(status.code == 3)
        let expected = try #require(wireError { () throws(WireError) in try OTLPJSON.decodeExportRequest(Array("not json".utf8)) })
        #expect(status.message == "invalid OTLP JSON request: \(expected.description)")
    }

    @Test func aFullPipeline_gets429_withRetryAfter() async throws {
        let metrics = RecordingMetrics()
        try await withFullPipeline(metrics: metrics) { pipeline in
            let receiver = OTLPHTTPReceiver(pipeline: pipeline)
            let json = await receiver.handle(contentType: "application/json", body: OTLPJSON.encodeExportRequest(Self.request))
            #expect(json.status == 429)
            #expect(json.headers == [HTTPHeaderPair("Content-Type", "application/json"), HTTPHeaderPair("Retry-After", "1")])
            #expect(json.text == #"{"code":8,"message":"the collector is at its bound of 10 bytes in flight; retry after 1 s"}"#)

            let protobuf = await receiver.handle(contentType: "application/x-protobuf", body: OTLPProtobuf.encodeExportRequest(Self.request))
            #expect(protobuf.status == 429)
            #expect(protobuf.headers == [HTTPHeaderPair("Content-Type", "application/x-protobuf"), HTTPHeaderPair("Retry-After", "1")])
            #expect(GoogleRPCStatus.decode(protobuf: protobuf.body) == GoogleRPCStatus(code: 8, message: "the collector is at its bound of 10 bytes in flight; retry after 1 s"))
        }
        #expect(metrics.counter("spindle_refused_requests_total", [("protocol", "otlp_http"), ("reason", "overloaded")]) == 2)
    }

    @Test func aPipelineShuttingDown_gets503_withRetryAfter() async throws {
        await withShutDownPipeline { pipeline in
            let response = await OTLPHTTPReceiver(pipeline: pipeline).handle(contentType: "application/x-protobuf", body: OTLPProtobuf.encodeExportRequest(Self.request))
            #expect(response.status == 503)
            #expect(response.headers == [HTTPHeaderPair("Content-Type", "application/x-protobuf"), HTTPHeaderPair("Retry-After", "1")])
            #expect(GoogleRPCStatus.decode(protobuf: response.body) == GoogleRPCStatus(code: 14, message: "shutting down; retry after 1 s"))
        }
    }

    @Test func storageUnavailable_gets503_andStorageFailure_gets500() async throws {
        try await withFailingStorage(StorageError(.unavailable, "the WAL is full")) { pipeline in
            let response = await OTLPHTTPReceiver(pipeline: pipeline).handle(contentType: "application/json", body: OTLPJSON.encodeExportRequest(Self.request))
            #expect(response.status == 503)
            #expect(response.headers == [HTTPHeaderPair("Content-Type", "application/json"), HTTPHeaderPair("Retry-After", "1")])
            let status = try jsonStatus(response.body)
            #expect(status == GoogleRPCStatus(code: 14, message: "storage is unavailable: the WAL is full; retry after 1 s"))
        }
        try await withFailingStorage(StorageError(.corrupt, "segment 3 is torn")) { pipeline in
            let response = await OTLPHTTPReceiver(pipeline: pipeline).handle(contentType: "application/json", body: OTLPJSON.encodeExportRequest(Self.request))
            #expect(response.status == 500)
            #expect(response.headers == [HTTPHeaderPair("Content-Type", "application/json")])
            let status = try jsonStatus(response.body)
            #expect(status == GoogleRPCStatus(code: 13, message: "storage failed: corrupt: segment 3 is torn"))
        }
    }

    @Test func acceptedSpans_canBeReadBackFromTheInMemoryStore() async throws {
        let store = InMemoryTraceStore(maxSpans: 100)
        let response = try await withPipeline(writer: store) { pipeline in
            await OTLPHTTPReceiver(pipeline: pipeline).handle(contentType: "application/x-protobuf", body: OTLPProtobuf.encodeExportRequest(Self.request))
        }
        #expect(response.status == 200)
        let traceAOnly = try await store.trace(id: traceA, timeRange: nil)
        #expect(traceAOnly?.spans.map(\.name) == ["GET /", "charge"])
        #expect(store.spanCount == 3)
    }
}

@Suite struct GoogleRPCStatusTests {
    @Test func protobuf_isCodeThenMessage() {
        #expect(GoogleRPCStatus(.invalidArgument, "hi").protobuf == [0x08, 0x03, 0x12, 0x02, 0x68, 0x69])
        #expect(GoogleRPCStatus(code: 0, message: "").protobuf == [])
        // A negative int32 is its 64-bit sign extension: ten bytes.
        #expect(GoogleRPCStatus(code: -1, message: "").protobuf == [0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01])
        #expect(GoogleRPCStatus.decode(protobuf: GoogleRPCStatus(code: -1, message: "x").protobuf) == GoogleRPCStatus(code: -1, message: "x"))
    }

    @Test func json_escapesTheMessage() throws {
        let status = GoogleRPCStatus(.unavailable, "a \"quoted\"\nline")
        #expect(String(decoding: status.json, as: UTF8.self) == #"{"code":14,"message":"a \"quoted\"\nline"}"#)
        #expect(try jsonStatus(status.json) == status)
    }

    @Test func decoding_isTotal() {
        #expect(GoogleRPCStatus.decode(protobuf: [0x12, 0x05, 0x61]) == nil)
        #expect(GoogleRPCStatus.decode(protobuf: [0x08]) == nil)
        #expect(GoogleRPCStatus.decode(protobuf: [0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]) == nil)
    }
}
