import Spindle
import SpindleModel

/// Spans with every field the encoder writes, and the fields the official Python classes
/// decode from them.
enum GRPCExportFixture {
    static let checkout = Resource(attributes: [Attribute("service.name", "checkout"), Attribute("deployment.environment", "test")])
    static let payments = Resource(attributes: [Attribute("service.name", "payments")])

    static var spans: [FinishedSpan] {
        let full = FinishedSpan(
            context: SpanContext(
                traceID: TraceID(high: 0x0102_0304_0506_0708, low: 0x090A_0B0C_0D0E_0F10), spanID: SpanID(0xA1A2_A3A4_A5A6_A7A8),
                traceFlags: .sampled, traceState: TraceState([("vendor", "abc")])
            ),
            parentSpanID: SpanID(0xB1B2_B3B4_B5B6_B7B8), name: "GET /cart", kind: .server,
            startTimeUnixNano: 1_700_000_000_123_456_789, endTimeUnixNano: 1_700_000_000_223_456_789,
            attributes: [
                Attribute("s", "text"), Attribute("b", true), Attribute("i", -5), Attribute("d", 1.5),
                Attribute("bytes", .bytes([0, 1, 255])), Attribute("array", .array(["x", 7])),
                Attribute("map", .keyValueList([Attribute("inner", "v")])), Attribute("nothing", .empty),
            ],
            events: [
                FinishedSpan.Event(
                    name: "cache.miss", timeUnixNano: 1_700_000_000_150_000_000, attributes: [Attribute("hit", false)], droppedAttributesCount: 1
                ),
            ],
            links: [
                FinishedSpan.Link(
                    context: SpanContext(
                        traceID: TraceID(high: 0xC1, low: 0xC2), spanID: SpanID(0xC3), traceFlags: .sampled,
                        traceState: TraceState([("k", "v")]), isRemote: true
                    ),
                    attributes: [Attribute("link.kind", "follows")]
                ),
            ],
            status: SpanStatus(code: .error, message: "card declined"),
            droppedAttributesCount: 3, droppedEventsCount: 4, droppedLinksCount: 5,
            resource: checkout, scope: InstrumentationScope(name: "lib-a", version: "1.2.3")
        )
        let minimal = FinishedSpan(
            context: SpanContext(traceID: TraceID(high: 0xE1, low: 0xE2), spanID: SpanID(0xE3), traceFlags: []),
            parentSpanID: nil, name: "tick", kind: .client, startTimeUnixNano: 10, endTimeUnixNano: 20,
            status: SpanStatus(code: .ok), resource: payments, scope: InstrumentationScope(name: "lib-b")
        )
        return [full, minimal]
    }

    /// Every field of `spans`, checked by reading against the fixture.
    static let expectedFields: [String] = [
        "resource_spans[0].resource.attributes[0].key = \"service.name\"",
        "resource_spans[0].resource.attributes[0].value.string_value = \"checkout\"",
        "resource_spans[0].resource.attributes[1].key = \"deployment.environment\"",
        "resource_spans[0].resource.attributes[1].value.string_value = \"test\"",
        "resource_spans[0].scope_spans[0].scope.name = \"lib-a\"",
        "resource_spans[0].scope_spans[0].scope.version = \"1.2.3\"",
        "resource_spans[0].scope_spans[0].spans[0].trace_id = \"0102030405060708090a0b0c0d0e0f10\"",
        "resource_spans[0].scope_spans[0].spans[0].span_id = \"a1a2a3a4a5a6a7a8\"",
        "resource_spans[0].scope_spans[0].spans[0].trace_state = \"vendor=abc\"",
        "resource_spans[0].scope_spans[0].spans[0].parent_span_id = \"b1b2b3b4b5b6b7b8\"",
        "resource_spans[0].scope_spans[0].spans[0].name = \"GET /cart\"",
        "resource_spans[0].scope_spans[0].spans[0].kind = \"SPAN_KIND_SERVER\"",
        "resource_spans[0].scope_spans[0].spans[0].start_time_unix_nano = \"1700000000123456789\"",
        "resource_spans[0].scope_spans[0].spans[0].end_time_unix_nano = \"1700000000223456789\"",
        "resource_spans[0].scope_spans[0].spans[0].attributes[0].key = \"s\"",
        "resource_spans[0].scope_spans[0].spans[0].attributes[0].value.string_value = \"text\"",
        "resource_spans[0].scope_spans[0].spans[0].attributes[1].key = \"b\"",
        "resource_spans[0].scope_spans[0].spans[0].attributes[1].value.bool_value = true",
        "resource_spans[0].scope_spans[0].spans[0].attributes[2].key = \"i\"",
        "resource_spans[0].scope_spans[0].spans[0].attributes[2].value.int_value = \"-5\"",
        "resource_spans[0].scope_spans[0].spans[0].attributes[3].key = \"d\"",
        "resource_spans[0].scope_spans[0].spans[0].attributes[3].value.double_value = 1.5",
        "resource_spans[0].scope_spans[0].spans[0].attributes[4].key = \"bytes\"",
        "resource_spans[0].scope_spans[0].spans[0].attributes[4].value.bytes_value = \"AAH/\"",
        "resource_spans[0].scope_spans[0].spans[0].attributes[5].key = \"array\"",
        "resource_spans[0].scope_spans[0].spans[0].attributes[5].value.array_value.values[0].string_value = \"x\"",
        "resource_spans[0].scope_spans[0].spans[0].attributes[5].value.array_value.values[1].int_value = \"7\"",
        "resource_spans[0].scope_spans[0].spans[0].attributes[6].key = \"map\"",
        "resource_spans[0].scope_spans[0].spans[0].attributes[6].value.kvlist_value.values[0].key = \"inner\"",
        "resource_spans[0].scope_spans[0].spans[0].attributes[6].value.kvlist_value.values[0].value.string_value = \"v\"",
        "resource_spans[0].scope_spans[0].spans[0].attributes[7].key = \"nothing\"",
        "resource_spans[0].scope_spans[0].spans[0].attributes[7].value = {}",
        "resource_spans[0].scope_spans[0].spans[0].dropped_attributes_count = 3",
        "resource_spans[0].scope_spans[0].spans[0].events[0].time_unix_nano = \"1700000000150000000\"",
        "resource_spans[0].scope_spans[0].spans[0].events[0].name = \"cache.miss\"",
        "resource_spans[0].scope_spans[0].spans[0].events[0].attributes[0].key = \"hit\"",
        "resource_spans[0].scope_spans[0].spans[0].events[0].attributes[0].value.bool_value = false",
        "resource_spans[0].scope_spans[0].spans[0].events[0].dropped_attributes_count = 1",
        "resource_spans[0].scope_spans[0].spans[0].dropped_events_count = 4",
        "resource_spans[0].scope_spans[0].spans[0].links[0].trace_id = \"00000000000000c100000000000000c2\"",
        "resource_spans[0].scope_spans[0].spans[0].links[0].span_id = \"00000000000000c3\"",
        "resource_spans[0].scope_spans[0].spans[0].links[0].trace_state = \"k=v\"",
        "resource_spans[0].scope_spans[0].spans[0].links[0].attributes[0].key = \"link.kind\"",
        "resource_spans[0].scope_spans[0].spans[0].links[0].attributes[0].value.string_value = \"follows\"",
        // Sampled (0x1), HAS_IS_REMOTE (0x100), IS_REMOTE (0x200).
        "resource_spans[0].scope_spans[0].spans[0].links[0].flags = 769",
        "resource_spans[0].scope_spans[0].spans[0].dropped_links_count = 5",
        "resource_spans[0].scope_spans[0].spans[0].status.message = \"card declined\"",
        "resource_spans[0].scope_spans[0].spans[0].status.code = \"STATUS_CODE_ERROR\"",
        "resource_spans[0].scope_spans[0].spans[0].flags = 1",
        "resource_spans[1].resource.attributes[0].key = \"service.name\"",
        "resource_spans[1].resource.attributes[0].value.string_value = \"payments\"",
        "resource_spans[1].scope_spans[0].scope.name = \"lib-b\"",
        "resource_spans[1].scope_spans[0].spans[0].trace_id = \"00000000000000e100000000000000e2\"",
        "resource_spans[1].scope_spans[0].spans[0].span_id = \"00000000000000e3\"",
        "resource_spans[1].scope_spans[0].spans[0].name = \"tick\"",
        "resource_spans[1].scope_spans[0].spans[0].kind = \"SPAN_KIND_CLIENT\"",
        "resource_spans[1].scope_spans[0].spans[0].start_time_unix_nano = \"10\"",
        "resource_spans[1].scope_spans[0].spans[0].end_time_unix_nano = \"20\"",
        "resource_spans[1].scope_spans[0].spans[0].status.code = \"STATUS_CODE_OK\"",
    ]
}
