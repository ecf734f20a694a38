import Foundation
import Spindle
import SpindleModel
import SpindleTesting
import SpindleWire
import Testing

/// Spans with every field the encoder writes.
enum EncoderFixture {
    static let checkout = Spindle.Resource(attributes: [
        Attribute("service.name", "checkout"), Attribute("telemetry.sdk.language", "swift"),
    ])
    /// A different instance with equal attributes: grouped with `checkout`.
    static let checkoutAgain = Spindle.Resource(attributes: checkout.attributes)
    static let payments = Spindle.Resource(attributes: [Attribute("service.name", "payments")])
    static let libA = Spindle.InstrumentationScope(name: "lib-a", version: "1.2.3")
    static let libB = Spindle.InstrumentationScope(name: "lib-b")

    static let traceID = TraceID(high: 0x0102_0304_0506_0708, low: 0x090A_0B0C_0D0E_0F10)

    static var spans: [FinishedSpan] {
        let full = FinishedSpan(
            context: SpanContext(
                traceID: traceID, spanID: SpanID(0xA1A2_A3A4_A5A6_A7A8), traceFlags: .sampled,
                traceState: TraceState([("vendor", "abc"), ("other", "x=1")])
            ),
            parentSpanID: SpanID(0xB1B2_B3B4_B5B6_B7B8), name: "GET /cart", kind: .server,
            startTimeUnixNano: 1_700_000_000_123_456_789, endTimeUnixNano: 1_700_000_000_223_456_789,
            attributes: [
                Attribute("s", "text"), Attribute("empty.string", ""), Attribute("b", false), Attribute("i", -5),
                Attribute("big", .int(Int64.max)), Attribute("d", 1.5), Attribute("bytes", .bytes([0, 1, 255])),
                Attribute("array", .array(["x", 7, .array([true]), .empty])),
                Attribute("map", .keyValueList([Attribute("inner", "v"), Attribute("n", .keyValueList([Attribute("deep", 2.25)]))])),
                Attribute("nothing", .empty),
            ],
            events: [
                FinishedSpan.Event(name: "cache.miss", timeUnixNano: 1_700_000_000_150_000_000),
                FinishedSpan.Event(
                    name: "exception", timeUnixNano: 1_700_000_000_160_000_000,
                    attributes: [Attribute("exception.type", "Oops")], droppedAttributesCount: 2
                ),
            ],
            links: [
                FinishedSpan.Link(
                    context: SpanContext(
                        traceID: TraceID(high: 0xC1, low: 0xC2), spanID: SpanID(0xC3), traceFlags: .sampled,
                        traceState: TraceState([("k", "v")]), isRemote: true
                    ),
                    attributes: [Attribute("link.kind", "follows")], droppedAttributesCount: 1
                ),
                FinishedSpan.Link(context: SpanContext(traceID: TraceID(high: 0xD1, low: 0xD2), spanID: SpanID(0xD3), traceFlags: [])),
            ],
            status: SpanStatus(code: .error, message: "card declined"),
            droppedAttributesCount: 3, droppedEventsCount: 4, droppedLinksCount: 5,
            resource: checkout, scope: libA
        )
        let minimal = FinishedSpan(
            context: SpanContext(traceID: TraceID(high: 0xE1, low: 0xE2), spanID: SpanID(0xE3), traceFlags: []),
            parentSpanID: nil, name: "tick", kind: .internal, startTimeUnixNano: 10, endTimeUnixNano: 20,
            resource: checkoutAgain, scope: libB
        )
        let other = FinishedSpan(
            context: SpanContext(traceID: traceID, spanID: SpanID(0xF3)),
            parentSpanID: SpanID(0xA1A2_A3A4_A5A6_A7A8), name: "charge", kind: .client,
            startTimeUnixNano: 30, endTimeUnixNano: 40, status: SpanStatus(code: .ok),
            resource: payments, scope: libA
        )
        let secondInLibA = FinishedSpan(
            context: SpanContext(traceID: traceID, spanID: SpanID(0xF4)),
            parentSpanID: nil, name: "after", kind: .consumer, startTimeUnixNano: 50, endTimeUnixNano: 60,
            resource: checkout, scope: libA
        )
        return [full, minimal, other, secondInLibA]
    }
}

@Suite struct OTLPEncoderTests {
    /// Parses with the official `opentelemetry-proto` classes and lists every field set,
    /// one `path = JSON value` line each (IDs as hex), then whether re-serializing gives
    /// back the same bytes.
    static let dumpScript = """
        import base64, json, sys
        from google.protobuf.json_format import MessageToDict
        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
        data = open(sys.argv[1], "rb").read()
        request = ExportTraceServiceRequest()
        request.ParseFromString(data)
        def walk(path, value):
            if isinstance(value, dict):
                if not value:
                    print(f"{path} = {{}}")
                for key, item in value.items():
                    walk(f"{path}.{key}" if path else key, item)
            elif isinstance(value, list):
                for index, item in enumerate(value):
                    walk(f"{path}[{index}]", item)
            else:
                if path.rsplit(".", 1)[-1] in ("trace_id", "span_id", "parent_span_id"):
                    value = base64.b64decode(value).hex()
                print(f"{path} = {json.dumps(value)}")
        walk("", MessageToDict(request, preserving_proto_field_name=True))
        print(f"reserialized identical = {request.SerializeToString() == data}")
        """

    static func pythonDump(_ bytes: [UInt8]) throws -> [String] {
        let directory = FileManager.default.temporaryDirectory
        let file = directory.appendingPathComponent("spindle-encoder-\(UUID().uuidString).binpb")
        let script = directory.appendingPathComponent("spindle-encoder-\(UUID().uuidString).py")
        defer {
            try? FileManager.default.removeItem(at: file)
            try? FileManager.default.removeItem(at: script)
        }
        try Data(bytes).write(to: file)
        try Data(dumpScript.utf8).write(to: script)
        let output = try PythonTools.run(try PythonTools.python(), [script.path, file.path])
        guard output.status == 0 else { throw PythonTools.Failure(description: output.stderr) }
        return output.stdout.split(separator: "\n").map(String.init)
    }

    @Test func everyField_parsesWithTheOfficialPythonClasses() throws {
        let lines = try Self.pythonDump(OTLPSpanEncoder.encode(EncoderFixture.spans))
        let expected = Self.expectedLines
        for (index, pair) in zip(lines, expected).enumerated() where pair.0 != pair.1 {
            Issue.record("line \(index): got \(pair.0), expected \(pair.1)")
        }
        #expect(lines.count == expected.count)
    }

    @Test func roundTrip_throughSpindleWiresDecoder() throws {
        let batch = try OTLPProtobuf.decodeExportRequest(OTLPSpanEncoder.encode(EncoderFixture.spans))
        let records = batch.resourceSpans.flatMap { $0.scopeSpans.flatMap(\.spans) }
        let full = EncoderFixture.spans[0]
        #expect(records.map(\.name) == ["GET /cart", "after", "tick", "charge"])
        let first = try #require(records.first)
        #expect(first.traceID == full.context.traceID && first.spanID == full.context.spanID)
        #expect(first.parentSpanID == full.parentSpanID && first.traceState == "vendor=abc,other=x=1" && first.flags == 1)
        #expect(first.attributes == full.attributes)
        #expect(first.events.map(\.name) == ["cache.miss", "exception"] && first.events[1].attributes == full.events[1].attributes)
        #expect(first.links.map(\.flags) == [0x301, 0x100] && first.links[0].traceState == "k=v")
        #expect(first.status == full.status && first.kind == .server)
        #expect(batch.resourceSpans.map { $0.resource.attributes } == [EncoderFixture.checkout.attributes, EncoderFixture.payments.attributes])
    }

    @Test func noSpans_encodeAsAnEmptyRequest() {
        #expect(OTLPSpanEncoder.encode([]) == [])
    }

    /// Every field of `EncoderFixture.spans`, checked by reading against the fixture.
    static let expectedLines: [String] = [
        "resource_spans[0].resource.attributes[0].key = \"service.name\"",
        "resource_spans[0].resource.attributes[0].value.string_value = \"checkout\"",
        "resource_spans[0].resource.attributes[1].key = \"telemetry.sdk.language\"",
        "resource_spans[0].resource.attributes[1].value.string_value = \"swift\"",
        "resource_spans[0].scope_spans[0].scope.name = \"lib-a\"",
        "resource_spans[0].scope_spans[0].scope.version = \"1.2.3\"",
        "resource_spans[0].scope_spans[0].spans[0].trace_id = \"0102030405060708090a0b0c0d0e0f10\"",
        "resource_spans[0].scope_spans[0].spans[0].span_id = \"a1a2a3a4a5a6a7a8\"",
        "resource_spans[0].scope_spans[0].spans[0].trace_state = \"vendor=abc,other=x=1\"",
        "resource_spans[0].scope_spans[0].spans[0].parent_span_id = \"b1b2b3b4b5b6b7b8\"",
        "resource_spans[0].scope_spans[0].spans[0].name = \"GET /cart\"",
        "resource_spans[0].scope_spans[0].spans[0].kind = \"SPAN_KIND_SERVER\"",
        "resource_spans[0].scope_spans[0].spans[0].start_time_unix_nano = \"1700000000123456789\"",
        "resource_spans[0].scope_spans[0].spans[0].end_time_unix_nano = \"1700000000223456789\"",
        "resource_spans[0].scope_spans[0].spans[0].attributes[0].key = \"s\"",
        "resource_spans[0].scope_spans[0].spans[0].attributes[0].value.string_value = \"text\"",
        "resource_spans[0].scope_spans[0].spans[0].attributes[1].key = \"empty.string\"",
        "resource_spans[0].scope_spans[0].spans[0].attributes[1].value.string_value = \"\"",
        "resource_spans[0].scope_spans[0].spans[0].attributes[2].key = \"b\"",
        "resource_spans[0].scope_spans[0].spans[0].attributes[2].value.bool_value = false",
        "resource_spans[0].scope_spans[0].spans[0].attributes[3].key = \"i\"",
        "resource_spans[0].scope_spans[0].spans[0].attributes[3].value.int_value = \"-5\"",
        "resource_spans[0].scope_spans[0].spans[0].attributes[4].key = \"big\"",
        "resource_spans[0].scope_spans[0].spans[0].attributes[4].value.int_value = \"9223372036854775807\"",
        "resource_spans[0].scope_spans[0].spans[0].attributes[5].key = \"d\"",
        "resource_spans[0].scope_spans[0].spans[0].attributes[5].value.double_value = 1.5",
        "resource_spans[0].scope_spans[0].spans[0].attributes[6].key = \"bytes\"",
        "resource_spans[0].scope_spans[0].spans[0].attributes[6].value.bytes_value = \"AAH/\"",
        "resource_spans[0].scope_spans[0].spans[0].attributes[7].key = \"array\"",
        "resource_spans[0].scope_spans[0].spans[0].attributes[7].value.array_value.values[0].string_value = \"x\"",
        "resource_spans[0].scope_spans[0].spans[0].attributes[7].value.array_value.values[1].int_value = \"7\"",
        "resource_spans[0].scope_spans[0].spans[0].attributes[7].value.array_value.values[2].array_value.values[0].bool_value = true",
        "resource_spans[0].scope_spans[0].spans[0].attributes[7].value.array_value.values[3] = {}",
        "resource_spans[0].scope_spans[0].spans[0].attributes[8].key = \"map\"",
        "resource_spans[0].scope_spans[0].spans[0].attributes[8].value.kvlist_value.values[0].key = \"inner\"",
        "resource_spans[0].scope_spans[0].spans[0].attributes[8].value.kvlist_value.values[0].value.string_value = \"v\"",
        "resource_spans[0].scope_spans[0].spans[0].attributes[8].value.kvlist_value.values[1].key = \"n\"",
        "resource_spans[0].scope_spans[0].spans[0].attributes[8].value.kvlist_value.values[1].value.kvlist_value.values[0].key = \"deep\"",
        "resource_spans[0].scope_spans[0].spans[0].attributes[8].value.kvlist_value.values[1].value.kvlist_value.values[0].value.double_value = 2.25",
        "resource_spans[0].scope_spans[0].spans[0].attributes[9].key = \"nothing\"",
        "resource_spans[0].scope_spans[0].spans[0].attributes[9].value = {}",
        "resource_spans[0].scope_spans[0].spans[0].dropped_attributes_count = 3",
        "resource_spans[0].scope_spans[0].spans[0].events[0].time_unix_nano = \"1700000000150000000\"",
        "resource_spans[0].scope_spans[0].spans[0].events[0].name = \"cache.miss\"",
        "resource_spans[0].scope_spans[0].spans[0].events[1].time_unix_nano = \"1700000000160000000\"",
        "resource_spans[0].scope_spans[0].spans[0].events[1].name = \"exception\"",
        "resource_spans[0].scope_spans[0].spans[0].events[1].attributes[0].key = \"exception.type\"",
        "resource_spans[0].scope_spans[0].spans[0].events[1].attributes[0].value.string_value = \"Oops\"",
        "resource_spans[0].scope_spans[0].spans[0].events[1].dropped_attributes_count = 2",
        "resource_spans[0].scope_spans[0].spans[0].dropped_events_count = 4",
        "resource_spans[0].scope_spans[0].spans[0].links[0].trace_id = \"00000000000000c100000000000000c2\"",
        "resource_spans[0].scope_spans[0].spans[0].links[0].span_id = \"00000000000000c3\"",
        "resource_spans[0].scope_spans[0].spans[0].links[0].trace_state = \"k=v\"",
        "resource_spans[0].scope_spans[0].spans[0].links[0].attributes[0].key = \"link.kind\"",
        "resource_spans[0].scope_spans[0].spans[0].links[0].attributes[0].value.string_value = \"follows\"",
        "resource_spans[0].scope_spans[0].spans[0].links[0].dropped_attributes_count = 1",
        "resource_spans[0].scope_spans[0].spans[0].links[0].flags = 769",
        "resource_spans[0].scope_spans[0].spans[0].links[1].trace_id = \"00000000000000d100000000000000d2\"",
        "resource_spans[0].scope_spans[0].spans[0].links[1].span_id = \"00000000000000d3\"",
        "resource_spans[0].scope_spans[0].spans[0].links[1].flags = 256",
        "resource_spans[0].scope_spans[0].spans[0].dropped_links_count = 5",
        "resource_spans[0].scope_spans[0].spans[0].status.message = \"card declined\"",
        "resource_spans[0].scope_spans[0].spans[0].status.code = \"STATUS_CODE_ERROR\"",
        "resource_spans[0].scope_spans[0].spans[0].flags = 1",
        "resource_spans[0].scope_spans[0].spans[1].trace_id = \"0102030405060708090a0b0c0d0e0f10\"",
        "resource_spans[0].scope_spans[0].spans[1].span_id = \"00000000000000f4\"",
        "resource_spans[0].scope_spans[0].spans[1].name = \"after\"",
        "resource_spans[0].scope_spans[0].spans[1].kind = \"SPAN_KIND_CONSUMER\"",
        "resource_spans[0].scope_spans[0].spans[1].start_time_unix_nano = \"50\"",
        "resource_spans[0].scope_spans[0].spans[1].end_time_unix_nano = \"60\"",
        "resource_spans[0].scope_spans[0].spans[1].flags = 1",
        "resource_spans[0].scope_spans[1].scope.name = \"lib-b\"",
        "resource_spans[0].scope_spans[1].spans[0].trace_id = \"00000000000000e100000000000000e2\"",
        "resource_spans[0].scope_spans[1].spans[0].span_id = \"00000000000000e3\"",
        "resource_spans[0].scope_spans[1].spans[0].name = \"tick\"",
        "resource_spans[0].scope_spans[1].spans[0].kind = \"SPAN_KIND_INTERNAL\"",
        "resource_spans[0].scope_spans[1].spans[0].start_time_unix_nano = \"10\"",
        "resource_spans[0].scope_spans[1].spans[0].end_time_unix_nano = \"20\"",
        "resource_spans[1].resource.attributes[0].key = \"service.name\"",
        "resource_spans[1].resource.attributes[0].value.string_value = \"payments\"",
        "resource_spans[1].scope_spans[0].scope.name = \"lib-a\"",
        "resource_spans[1].scope_spans[0].scope.version = \"1.2.3\"",
        "resource_spans[1].scope_spans[0].spans[0].trace_id = \"0102030405060708090a0b0c0d0e0f10\"",
        "resource_spans[1].scope_spans[0].spans[0].span_id = \"00000000000000f3\"",
        "resource_spans[1].scope_spans[0].spans[0].parent_span_id = \"a1a2a3a4a5a6a7a8\"",
        "resource_spans[1].scope_spans[0].spans[0].name = \"charge\"",
        "resource_spans[1].scope_spans[0].spans[0].kind = \"SPAN_KIND_CLIENT\"",
        "resource_spans[1].scope_spans[0].spans[0].start_time_unix_nano = \"30\"",
        "resource_spans[1].scope_spans[0].spans[0].end_time_unix_nano = \"40\"",
        "resource_spans[1].scope_spans[0].spans[0].status.code = \"STATUS_CODE_OK\"",
        "resource_spans[1].scope_spans[0].spans[0].flags = 1",
        "reserialized identical = True",
    ]
}
