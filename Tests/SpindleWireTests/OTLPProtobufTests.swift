import Foundation
import SpindleModel
import SpindleTesting
import SpindleWire
import Testing

@Suite struct OTLPProtobufRoundTripTests {
    @Test func everyField_survivesEncodeThenDecode() throws {
        let batch = SpanBatch(Samples.richResourceSpans())
        let bytes = OTLPProtobuf.encodeExportRequest(batch)
        let decoded = try OTLPProtobuf.decodeExportRequest(bytes)
        try decoded.tables.validate()
        #expect(decoded.resourceSpans == Samples.richResourceSpans())
        // Encoding what was decoded gives the same bytes: the encoding is canonical.
        #expect(OTLPProtobuf.encodeExportRequest(decoded) == bytes)
    }

    @Test func realisticBatch_survivesEncodeThenDecode() throws {
        let batch = Samples.realisticBatch(spans: 250, attributes: 12, events: 3, seed: 7)
        let decoded = try OTLPProtobuf.decodeExportRequest(OTLPProtobuf.encodeExportRequest(batch))
        #expect(decoded == batch)
        #expect(decoded.spanCount == 250)
    }

    @Test func emptyRequest_isEmptyBytes() throws {
        #expect(OTLPProtobuf.encodeExportRequest(SpanBatch()) == [])
        #expect(try OTLPProtobuf.decodeExportRequest([]).isEmpty)
    }

    @Test func unknownEnumValues_arePreserved() throws {
        var span = SpanRecord(traceID: TraceID(high: 1, low: 1), spanID: SpanID(1), name: "x", startTimeUnixNano: 1, endTimeUnixNano: 2)
        span.kind = SpanKind(rawValue: 42)
        span.status = SpanStatus(code: StatusCode(rawValue: -1), message: "")
        let groups = [ResourceSpans(scopeSpans: [ScopeSpans(spans: [span])])]
        let decoded = try OTLPProtobuf.decodeExportRequest(OTLPProtobuf.encodeExportRequest(SpanBatch(groups)))
        #expect(decoded.span(at: 0).kind.rawValue == 42)
        #expect(decoded.span(at: 0).status.code.rawValue == -1)
    }

    @Test func response_withPartialSuccess_roundTrips() throws {
        let response = ExportTraceResponse(rejectedSpans: 3, errorMessage: "3 spans had an all-zero trace_id")
        let bytes = OTLPProtobuf.encodeExportResponse(response)
        #expect(try OTLPProtobuf.decodeExportResponse(bytes) == response)
        #expect(OTLPProtobuf.encodeExportResponse(ExportTraceResponse()) == [])
        #expect(try OTLPProtobuf.decodeExportResponse([]) == ExportTraceResponse())
    }
}

/// The official OpenTelemetry Python SDK's own export, captured by
/// scripts/fixtures/capture.py (see Fixtures/python-fixtures.md).
@Suite struct OTLPProtobufPythonFixtureTests {
    let batch: SpanBatch

    init() throws {
        batch = try OTLPProtobuf.decodeExportRequest(try RepoPaths.fixture("python-otlp.binpb"))
    }

    func span(named name: String) throws -> SpanRecord {
        try #require(batch.spans.first { $0.name == name })
    }

    @Test func resourceAndScopes_decodeExactly() throws {
        let groups = batch.resourceSpans
        #expect(groups.count == 1)
        #expect(groups[0].resource.attributes == [
            Attribute("service.name", "checkout"), Attribute("service.version", "1.4.2"),
            Attribute("deployment.environment", "test"), Attribute("telemetry.sdk.language", "python"),
            Attribute("telemetry.sdk.name", "opentelemetry"), Attribute("telemetry.sdk.version", "1.45.1"),
        ])
        #expect(groups[0].scopeSpans.map(\.scope.name) == ["checkout.jobs", "checkout.http"])
        let http = groups[0].scopeSpans[1].scope
        #expect(http.version == "0.9.1")
        #expect(http.schemaURL == "https://opentelemetry.io/schemas/1.21.0")
        #expect(http.attributes == [Attribute("scope.owner", "payments"), Attribute("scope.priority", 2)])
        #expect(groups[0].scopeSpans[0].spans.map(\.name) == ["nightly-reconcile", "process order.created"])
        #expect(groups[0].scopeSpans[1].spans.map(\.name) == ["authorize", "charge-card", "publish order.created", "POST /checkout"])
    }

    @Test func serverSpan_decodesEveryField() throws {
        let span = try span(named: "POST /checkout")
        #expect(span.traceID.hexString == "5b8efff798038103d269b633813fc60c")
        #expect(span.spanID.hexString == "53995c3f42cd8ad8")
        #expect(span.parentSpanID.hexString == "eee19b7ec3c1b174")
        #expect(span.kind == .server)
        #expect(span.flags == 0x300)
        #expect(span.traceState == "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7")
        #expect(span.startTimeUnixNano == 1_700_000_000_123_456_789)
        #expect(span.endTimeUnixNano == 1_700_000_000_987_654_321)
        #expect(span.status == SpanStatus(code: .ok, message: ""))
        #expect(span.attributes == [
            Attribute("http.request.method", "POST"), Attribute("http.route", "/checkout"),
            Attribute("http.response.status_code", 200), Attribute("attr.string_empty", ""),
            Attribute("attr.string_unicode", "Grüße, 世界 🚀"), Attribute("attr.bool_true", true),
            Attribute("attr.bool_false", false), Attribute("attr.int", 42), Attribute("attr.int_zero", 0),
            Attribute("attr.int_negative", -42), Attribute("attr.int_above_2_53", 9_007_199_254_740_993),
            Attribute("attr.int_max", .int(.max)), Attribute("attr.int_min", .int(.min)),
            Attribute("attr.double", 3.14159), Attribute("attr.double_negative", -0.5), Attribute("attr.double_zero", 0.0),
            Attribute("attr.string_array", .array(["alpha", "", "Grüße"])),
            Attribute("attr.bool_array", .array([true, false, true])),
            Attribute("attr.int_array", .array([1, -2, 9_007_199_254_740_993])),
            Attribute("attr.double_array", .array([1.5, -2.25, 0.0])),
        ])
        #expect(span.events == [
            SpanEvent(timeUnixNano: 1_700_000_000_123_500_000, name: "request.received", attributes: [
                Attribute("http.request.body.size", 512), Attribute("client.address", "203.0.113.7"),
            ]),
            SpanEvent(timeUnixNano: 1_700_000_000_150_000_000, name: "cache.miss"),
        ])
        #expect(span.links.isEmpty)
        #expect(span.droppedAttributesCount == 0 && span.droppedEventsCount == 0 && span.droppedLinksCount == 0)
    }

    @Test func errorSpan_carriesStatusEventsAndLink() throws {
        let span = try span(named: "charge-card")
        #expect(span.kind == .client)
        #expect(span.parentSpanID.hexString == "53995c3f42cd8ad8")
        #expect(span.status == SpanStatus(code: .error, message: "card declined"))
        #expect(span.attributes == [Attribute("peer.service", "payments"), Attribute("payment.amount", 19.99), Attribute("payment.currency", "EUR")])
        #expect(span.events.map(\.name) == ["retry", "card.declined"])
        #expect(span.events[1].attributes == [Attribute("decline.code", "insufficient_funds"), Attribute("decline.soft", false)])
        #expect(span.links == [SpanLink(
            traceID: try #require(TraceID(hex: "0af7651916cd43dd8448eb211c80319c")),
            spanID: try #require(SpanID(hex: "b7ad6b7169203331")),
            attributes: [Attribute("link.reason", "retry-of"), Attribute("link.attempt", 2)],
            flags: 0x100
        )])
    }

    @Test func valuesThePythonSDKExtends_decodeToTheirOwnTypes() throws {
        let span = try span(named: "nightly-reconcile")
        #expect(span.isRoot)
        #expect(span.attributes == [
            Attribute("job.name", "reconcile"),
            Attribute("ext.bytes", .bytes([0x00, 0x01, 0xAB, 0xFF])),
            Attribute("ext.map", .keyValueList([
                Attribute("region", "eu-west-1"), Attribute("shards", 3),
                Attribute("nested", .keyValueList([Attribute("ok", true)])),
            ])),
            Attribute("ext.mixed_array", .array(["x", 1, true, 2.5])),
            Attribute("ext.empty_array", .array([])),
            Attribute("ext.none", .empty),
        ])
    }

    @Test func consumerAndProducer_decodeKindsAndIDsWithLeadingZeros() throws {
        #expect(try span(named: "process order.created").kind == .consumer)
        #expect(try span(named: "publish order.created").kind == .producer)
        #expect(try span(named: "authorize").spanID.hexString == "00f0e1d2c3b4a596")
        #expect(try span(named: "authorize").startTimeUnixNano == 1_700_000_000_250_000_001)
    }

    @Test func fixture_survivesReencoding() throws {
        let again = try OTLPProtobuf.decodeExportRequest(OTLPProtobuf.encodeExportRequest(batch))
        #expect(again == batch)
    }
}

/// The other direction: Spindle encodes, the official `opentelemetry-proto` Python
/// classes parse, and every field is compared.
@Suite struct OTLPProtobufPythonParsesSpindleTests {
    @Test func officialPythonClasses_readEveryFieldSpindleWrote() throws {
        let groups = Samples.richResourceSpans()
        let bytes = OTLPProtobuf.encodeExportRequest(SpanBatch(groups))
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("spindle-\(UUID().uuidString).binpb")
        try Data(bytes).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }

        let python = try PythonEnvironment.python()
        let result = try PythonEnvironment.run(python, ["scripts/fixtures/otlp_dump.py", file.path])
        try #require(result.status == 0, "otlp_dump.py failed: \(result.stderr)")
        let parsed = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? NSDictionary
        let expected = CanonicalProtoJSON.request(groups) as NSDictionary
        #expect(parsed == expected, "Python read:\n\(result.stdout)")
    }

    @Test func officialPythonClasses_readAPartialSuccessResponse() throws {
        let bytes = OTLPProtobuf.encodeExportResponse(ExportTraceResponse(rejectedSpans: 7, errorMessage: "7 spans ended before they started"))
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("spindle-\(UUID().uuidString).binpb")
        try Data(bytes).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try PythonEnvironment.run(try PythonEnvironment.python(), ["scripts/fixtures/otlp_dump.py", "--response", file.path])
        try #require(result.status == 0, "otlp_dump.py failed: \(result.stderr)")
        let parsed = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? NSDictionary
        #expect(parsed == ["partial_success": ["rejected_spans": "7", "error_message": "7 spans ended before they started"]] as NSDictionary)
    }
}

/// What `MessageToDict(preserving_proto_field_name=True, use_integers_for_enums=True)`
/// prints for a request, with IDs and bytes values as hex (scripts/fixtures/otlp_dump.py):
/// an independent statement of the mapping, field by field, to compare against.
enum CanonicalProtoJSON {
    static func request(_ groups: [ResourceSpans]) -> [String: Any] {
        ["resource_spans": groups.map(resourceSpans)]
    }

    static func resourceSpans(_ group: ResourceSpans) -> [String: Any] {
        var out: [String: Any] = [:]
        var resource: [String: Any] = [:]
        if !group.resource.attributes.isEmpty { resource["attributes"] = group.resource.attributes.map(keyValue) }
        if group.resource.droppedAttributesCount != 0 { resource["dropped_attributes_count"] = group.resource.droppedAttributesCount }
        if !resource.isEmpty { out["resource"] = resource }
        if !group.scopeSpans.isEmpty { out["scope_spans"] = group.scopeSpans.map(scopeSpans) }
        if !group.resource.schemaURL.isEmpty { out["schema_url"] = group.resource.schemaURL }
        return out
    }

    static func scopeSpans(_ group: ScopeSpans) -> [String: Any] {
        var out: [String: Any] = [:]
        var scope: [String: Any] = [:]
        if !group.scope.name.isEmpty { scope["name"] = group.scope.name }
        if !group.scope.version.isEmpty { scope["version"] = group.scope.version }
        if !group.scope.attributes.isEmpty { scope["attributes"] = group.scope.attributes.map(keyValue) }
        if group.scope.droppedAttributesCount != 0 { scope["dropped_attributes_count"] = group.scope.droppedAttributesCount }
        if !scope.isEmpty { out["scope"] = scope }
        if !group.spans.isEmpty { out["spans"] = group.spans.map(span) }
        if !group.scope.schemaURL.isEmpty { out["schema_url"] = group.scope.schemaURL }
        return out
    }

    static func span(_ span: SpanRecord) -> [String: Any] {
        var out: [String: Any] = [
            "trace_id": span.traceID.hexString, "span_id": span.spanID.hexString, "name": span.name,
            "start_time_unix_nano": String(span.startTimeUnixNano), "end_time_unix_nano": String(span.endTimeUnixNano),
        ]
        if span.parentSpanID.isValid { out["parent_span_id"] = span.parentSpanID.hexString }
        if !span.traceState.isEmpty { out["trace_state"] = span.traceState }
        if span.flags != 0 { out["flags"] = span.flags }
        if span.kind != .unspecified { out["kind"] = span.kind.rawValue }
        if !span.attributes.isEmpty { out["attributes"] = span.attributes.map(keyValue) }
        if span.droppedAttributesCount != 0 { out["dropped_attributes_count"] = span.droppedAttributesCount }
        if !span.events.isEmpty {
            out["events"] = span.events.map { event -> [String: Any] in
                var e: [String: Any] = ["time_unix_nano": String(event.timeUnixNano), "name": event.name]
                if !event.attributes.isEmpty { e["attributes"] = event.attributes.map(keyValue) }
                if event.droppedAttributesCount != 0 { e["dropped_attributes_count"] = event.droppedAttributesCount }
                return e
            }
        }
        if span.droppedEventsCount != 0 { out["dropped_events_count"] = span.droppedEventsCount }
        if !span.links.isEmpty {
            out["links"] = span.links.map { link -> [String: Any] in
                var l: [String: Any] = ["trace_id": link.traceID.hexString, "span_id": link.spanID.hexString]
                if !link.traceState.isEmpty { l["trace_state"] = link.traceState }
                if !link.attributes.isEmpty { l["attributes"] = link.attributes.map(keyValue) }
                if link.droppedAttributesCount != 0 { l["dropped_attributes_count"] = link.droppedAttributesCount }
                if link.flags != 0 { l["flags"] = link.flags }
                return l
            }
        }
        if span.droppedLinksCount != 0 { out["dropped_links_count"] = span.droppedLinksCount }
        if span.status != .unset {
            var status: [String: Any] = [:]
            if !span.status.message.isEmpty { status["message"] = span.status.message }
            if span.status.code != .unset { status["code"] = span.status.code.rawValue }
            out["status"] = status
        }
        return out
    }

    static func keyValue(_ attribute: Attribute) -> [String: Any] {
        var out: [String: Any] = ["value": anyValue(attribute.value)]
        if !attribute.key.isEmpty { out["key"] = attribute.key }
        return out
    }

    static func anyValue(_ value: AttributeValue) -> [String: Any] {
        switch value {
        case .empty: return [:]
        case .string(let s): return ["string_value": s]
        case .bool(let b): return ["bool_value": b]
        case .int(let i): return ["int_value": String(i)]
        case .double(let d): return ["double_value": d]
        case .bytes(let b): return ["bytes_value": Hex.string(b)]
        case .array(let values): return ["array_value": values.isEmpty ? [:] : ["values": values.map(anyValue)]]
        case .keyValueList(let entries): return ["kvlist_value": entries.isEmpty ? [:] : ["values": entries.map(keyValue)]]
        }
    }
}
