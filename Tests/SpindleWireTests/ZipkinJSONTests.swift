import Foundation
import SpindleModel
import SpindleWire
import Testing

@Suite struct ZipkinJSONTests {
    // MARK: Helpers

    private func decode(_ json: String) throws(WireError) -> SpanBatch {
        try ZipkinJSON.decode(Array(json.utf8))
    }

    /// The byte offset of the first occurrence of `needle` in `json`.
    private func offset(of needle: String, in json: String) -> Int {
        let haystack = Array(json.utf8)
        let pattern = Array(needle.utf8)
        for start in 0...(haystack.count - pattern.count) where Array(haystack[start..<(start + pattern.count)]) == pattern {
            return start
        }
        Issue.record("\(needle) does not occur in the payload")
        return -1
    }

    /// Decoding `json` throws exactly `code` at `field`, at the byte where `needle` starts.
    private func expectError(
        _ json: String, _ code: WireError.Code, field: String, at needle: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        do {
            _ = try decode(json)
            Issue.record("decoding succeeded", sourceLocation: sourceLocation)
        } catch {
            #expect(error.code == code, sourceLocation: sourceLocation)
            #expect(error.field == field, sourceLocation: sourceLocation)
            #expect(error.offset == offset(of: needle, in: json), sourceLocation: sourceLocation)
        }
    }

    private func trace(_ hex: String) -> TraceID { TraceID(hex: hex)! }
    private func span(_ hex: String) -> SpanID { SpanID(hex: hex)! }

    // MARK: Decoding

    /// The example of Zipkin's API documentation (POST /api/v2/spans), with an annotation,
    /// a 128-bit trace ID and OpenTelemetry's status and scope tags added.
    static let apiExample = """
        [
          {
            "id": "352bff9a74ca9ad2",
            "traceId": "5af7183fb1d4cf5f6b221d5bc9e6496c",
            "parentId": "6b221d5bc9e6496c",
            "name": "get /api",
            "timestamp": 1556604172355737,
            "duration": 1431,
            "kind": "SERVER",
            "localEndpoint": {"serviceName": "backend", "ipv4": "192.168.99.1", "port": 3306},
            "remoteEndpoint": {"ipv4": "172.19.0.2", "port": 58648},
            "annotations": [{"timestamp": 1556604172355800, "value": "wr"}],
            "tags": {
              "http.method": "GET",
              "http.path": "/api",
              "otel.status_code": "ERROR",
              "error": "upstream timed out",
              "otel.scope.name": "io.opentelemetry.http",
              "otel.scope.version": "1.2.0",
              "service.version": "3.1.4"
            },
            "someFutureField": {"ignored": [1, 2, 3]}
          }
        ]
        """

    @Test func decode_mapsZipkinAPIExampleToExactModelValues() throws {
        let batch = try decode(Self.apiExample)
        let expected = SpanRecord(
            traceID: trace("5af7183fb1d4cf5f6b221d5bc9e6496c"),
            spanID: span("352bff9a74ca9ad2"),
            parentSpanID: span("6b221d5bc9e6496c"),
            name: "get /api",
            kind: .server,
            startTimeUnixNano: 1_556_604_172_355_737_000,
            endTimeUnixNano: 1_556_604_172_357_168_000,
            attributes: [
                Attribute("http.method", "GET"),
                Attribute("http.path", "/api"),
                Attribute("network.local.address", "192.168.99.1"),
                Attribute("net.host.port", .int(3306)),
                Attribute("network.peer.address", "172.19.0.2"),
                Attribute("net.peer.port", .int(58648)),
            ],
            events: [SpanEvent(timeUnixNano: 1_556_604_172_355_800_000, name: "wr")],
            status: SpanStatus(code: .error, message: "upstream timed out")
        )
        #expect(batch.resourceSpans == [
            ResourceSpans(
                resource: Resource(attributes: [Attribute("service.name", "backend"), Attribute("service.version", "3.1.4")]),
                scopeSpans: [ScopeSpans(scope: InstrumentationScope(name: "io.opentelemetry.http", version: "1.2.0"), spans: [expected])]
            ),
        ])
    }

    @Test func decode_padsSixtyFourBitTraceIDsWithZeros() throws {
        let batch = try decode(#"[{"traceId":"5af7183fb1d4cf5f","id":"352bff9a74ca9ad2","timestamp":1,"duration":2}]"#)
        let record = try #require(batch.spans.first)
        #expect(record.traceID == TraceID(high: 0, low: 0x5af7_183f_b1d4_cf5f))
        #expect(record.traceID.hexString == "00000000000000005af7183fb1d4cf5f")
        #expect(record.startTimeUnixNano == 1000)
        #expect(record.endTimeUnixNano == 3000)
    }

    @Test func decode_keepsSharedAndDebugAsAttributes() throws {
        let json = #"[{"traceId":"5af7183fb1d4cf5f","id":"352bff9a74ca9ad2","timestamp":10,"shared":true,"debug":true,"tags":{"a":"b"}},"#
            + #"{"traceId":"5af7183fb1d4cf5f","id":"352bff9a74ca9ad3","timestamp":10,"shared":false,"debug":null}]"#
        let spans = try decode(json).spans
        #expect(spans.map(\.attributes) == [
            [Attribute("a", "b"), Attribute("zipkin.shared", true), Attribute("zipkin.debug", true)],
            [],
        ])
    }

    @Test func encode_writesSharedAndDebugBackAsFlags() throws {
        let json = #"[{"traceId":"5af7183fb1d4cf5f","id":"352bff9a74ca9ad2","timestamp":10,"shared":true,"debug":true}]"#
        let encoded = String(decoding: ZipkinJSON.encode(try decode(json)), as: UTF8.self)
        #expect(encoded == #"[{"traceId":"5af7183fb1d4cf5f","id":"352bff9a74ca9ad2","timestamp":10,"debug":true,"shared":true}]"#)
    }

    @Test func decode_mapsKindsAndTheInternalTagLikeTheCollector() throws {
        let json = """
            [{"traceId":"5af7183fb1d4cf5f","id":"0000000000000001","timestamp":1,"kind":"CLIENT"},
             {"traceId":"5af7183fb1d4cf5f","id":"0000000000000002","timestamp":1,"kind":"PRODUCER"},
             {"traceId":"5af7183fb1d4cf5f","id":"0000000000000003","timestamp":1,"kind":"CONSUMER"},
             {"traceId":"5af7183fb1d4cf5f","id":"0000000000000004","timestamp":1,"kind":null},
             {"traceId":"5af7183fb1d4cf5f","id":"0000000000000005","timestamp":1,"tags":{"span.kind":"internal"}},
             {"traceId":"5af7183fb1d4cf5f","id":"0000000000000006","timestamp":1,"kind":"LOCAL","tags":{"span.kind":"client"}}]
            """
        let spans = try decode(json).spans
        #expect(spans.map(\.kind) == [.client, .producer, .consumer, .unspecified, .internal, .unspecified])
        #expect(spans[4].attributes.isEmpty)
        #expect(spans[5].attributes == [Attribute("span.kind", "client")])
    }

    @Test func decode_readsStatusFromEveryKnownSpelling() throws {
        func status(_ tags: String) throws -> (SpanStatus, [Attribute]) {
            let record = try #require(try decode(#"[{"traceId":"5af7183fb1d4cf5f","id":"352bff9a74ca9ad2","timestamp":1,"tags":"# + tags + "}]").spans.first)
            return (record.status, record.attributes)
        }
        #expect(try status(#"{"otel.status_code":"OK"}"#) == (SpanStatus(code: .ok), []))
        #expect(try status(#"{"otel.status_code":"Ok"}"#) == (SpanStatus(code: .ok), []))
        #expect(try status(#"{"otel.status_code":"STATUS_CODE_ERROR","otel.status_description":"boom"}"#) == (SpanStatus(code: .error, message: "boom"), []))
        #expect(try status(#"{"otel.status_code":"ERROR","error":""}"#) == (SpanStatus(code: .error), []))
        #expect(try status(#"{"error":"true"}"#) == (SpanStatus(code: .error), []))
        #expect(try status(#"{"error":"disk full"}"#) == (SpanStatus(code: .error), [Attribute("error", "disk full")]))
        #expect(try status(#"{"otel.status_code":"maybe"}"#) == (SpanStatus.unset, [Attribute("otel.status_code", "maybe")]))
    }

    @Test func decode_readsEventAttributesFromEachAnnotationForm() throws {
        let json = #"""
            [{"traceId":"5af7183fb1d4cf5f","id":"352bff9a74ca9ad2","timestamp":1,"annotations":[
              {"timestamp":2,"value":"{\"retry\": {\"attempt\": 1, \"reason\": \"timeout\", \"ratio\": 0.5}}"},
              {"timestamp":3,"value":"\"cache.miss\": {\"key\": \"u:1\", \"hot\": false, \"otel.dropped_attributes_count\": 2}"},
              {"timestamp":4,"value":"flush|{\"bytes\":512,\"tags\":[\"a\",null]}|3"},
              {"timestamp":5,"value":"GET /a|b"},
              {"timestamp":6,"value":"{not json"}
            ]}]
            """#
        let events = try #require(try decode(json).spans.first).events
        #expect(events == [
            SpanEvent(timeUnixNano: 2000, name: "retry", attributes: [Attribute("attempt", .int(1)), Attribute("reason", "timeout"), Attribute("ratio", .double(0.5))]),
            SpanEvent(timeUnixNano: 3000, name: "cache.miss", attributes: [Attribute("key", "u:1"), Attribute("hot", false)], droppedAttributesCount: 2),
            SpanEvent(timeUnixNano: 4000, name: "flush", attributes: [Attribute("bytes", .int(512)), Attribute("tags", .array(["a", .empty]))], droppedAttributesCount: 3),
            SpanEvent(timeUnixNano: 5000, name: "GET /a|b"),
            SpanEvent(timeUnixNano: 6000, name: "{not json"),
        ])
    }

    @Test func decode_readsLinksTraceStateAndDroppedCountsFromCollectorTags() throws {
        let json = #"""
            [{"traceId":"5af7183fb1d4cf5f","id":"352bff9a74ca9ad2","timestamp":1,"tags":{
              "otlp.link.0":"0af7651916cd43dd8448eb211c80319c|b7ad6b7169203331|k=v|{\"n\":2}|1",
              "otlp.link.1":"not|a|link",
              "otlp.link.2":"|||{}|0",
              "w3c.tracestate":"congo=t61rcWkgMzE",
              "otel.dropped_attributes_count":"4",
              "otel.dropped_events_count":"5",
              "otel.dropped_links_count":"lots"
            }}]
            """#
        let record = try #require(try decode(json).spans.first)
        #expect(record.links == [
            SpanLink(traceID: trace("0af7651916cd43dd8448eb211c80319c"), spanID: span("b7ad6b7169203331"), traceState: "k=v", attributes: [Attribute("n", .int(2))], droppedAttributesCount: 1),
            SpanLink(traceID: .zero, spanID: .zero),
        ])
        #expect(record.traceState == "congo=t61rcWkgMzE")
        #expect(record.droppedAttributesCount == 4)
        #expect(record.droppedEventsCount == 5)
        #expect(record.droppedLinksCount == 0)
        #expect(record.attributes == [Attribute("otlp.link.1", "not|a|link"), Attribute("otel.dropped_links_count", "lots")])
    }

    @Test func decode_marksAnAbsentTimestampLikeTheCollector() throws {
        let record = try #require(try decode(#"[{"traceId":"5af7183fb1d4cf5f","id":"352bff9a74ca9ad2","duration":7}]"#).spans.first)
        #expect(record.startTimeUnixNano == 0)
        #expect(record.endTimeUnixNano == 7000)
        #expect(record.attributes == [Attribute("otel.zipkin.absentField.startTime", true)])
    }

    @Test func decode_groupsSpansByServiceAndScopeInOrderOfFirstAppearance() throws {
        let json = """
            [{"traceId":"5af7183fb1d4cf5f","id":"0000000000000001","timestamp":1,"localEndpoint":{"serviceName":"a"},"tags":{"otel.library.name":"x"}},
             {"traceId":"5af7183fb1d4cf5f","id":"0000000000000002","timestamp":1,"localEndpoint":{"serviceName":"b"}},
             {"traceId":"5af7183fb1d4cf5f","id":"0000000000000003","timestamp":1,"localEndpoint":{"serviceName":"a"},"tags":{"otel.scope.name":"y"}},
             {"traceId":"5af7183fb1d4cf5f","id":"0000000000000004","timestamp":1,"localEndpoint":{"serviceName":"a"},"tags":{"otel.scope.name":"x","otel.library.name":"x"}},
             {"traceId":"5af7183fb1d4cf5f","id":"0000000000000005","timestamp":1}]
            """
        let groups = try decode(json).resourceSpans
        #expect(groups.map(\.resource.serviceName) == ["a", "b", nil])
        #expect(groups.map { $0.scopeSpans.map(\.scope.name) } == [["x", "y"], [""], [""]])
        #expect(groups.map { $0.scopeSpans.map { $0.spans.map(\.spanID.value) } } == [[[1, 4], [3]], [[2]], [[5]]])
    }

    @Test func decode_ignoresParentIDsThatAreEmptyOrTheSpanItself() throws {
        let json = """
            [{"traceId":"5af7183fb1d4cf5f","id":"352bff9a74ca9ad2","parentId":"","timestamp":1},
             {"traceId":"5af7183fb1d4cf5f","id":"352bff9a74ca9ad2","parentId":"352bff9a74ca9ad2","timestamp":1},
             {"traceId":"5af7183fb1d4cf5f","id":"352bff9a74ca9ad2","parentId":null,"timestamp":1}]
            """
        #expect(try decode(json).spans.map(\.isRoot) == [true, true, true])
    }

    @Test func decode_acceptsAnEmptyArray() throws {
        #expect(try decode("[]").isEmpty)
    }

    // MARK: Encoding

    @Test func encode_writesTheSpecificationsTagsAndAnnotations() throws {
        let record = SpanRecord(
            traceID: trace("5af7183fb1d4cf5f6b221d5bc9e6496c"),
            spanID: span("352bff9a74ca9ad2"),
            parentSpanID: span("6b221d5bc9e6496c"),
            name: "GET /",
            kind: .client,
            startTimeUnixNano: 1_700_000_000_123_456_789,
            endTimeUnixNano: 1_700_000_000_124_957_189,
            attributes: [
                Attribute("http.method", "GET"),
                Attribute("http.status_code", .int(503)),
                Attribute("retry.delays", .array([.double(0.5), .int(2)])),
                Attribute("error", false),
                Attribute("service.peer.name", "backend"),
                Attribute("network.peer.address", "192.0.2.7"),
                Attribute("net.peer.port", .int(8080)),
            ],
            droppedAttributesCount: 3,
            events: [SpanEvent(timeUnixNano: 1_700_000_000_124_000_499, name: "retry", attributes: [Attribute("attempt", .int(2))]), SpanEvent(timeUnixNano: 1_700_000_000_124_500_500, name: "done")],
            status: SpanStatus(code: .error, message: "timeout")
        )
        let batch = SpanBatch([
            ResourceSpans(
                resource: Resource(attributes: [Attribute("service.name", "frontend"), Attribute("service.version", "2.0")]),
                scopeSpans: [ScopeSpans(scope: InstrumentationScope(name: "http", version: "1.0"), spans: [record])]
            ),
        ])
        let expected = #"[{"traceId":"5af7183fb1d4cf5f6b221d5bc9e6496c","parentId":"6b221d5bc9e6496c","id":"352bff9a74ca9ad2","kind":"CLIENT","#
            + #""name":"GET /","timestamp":1700000000123457,"duration":1500,"localEndpoint":{"serviceName":"frontend"},"#
            + #""remoteEndpoint":{"serviceName":"backend","ipv4":"192.0.2.7","port":8080},"#
            + #""annotations":[{"timestamp":1700000000124000,"value":"\"retry\": {\"attempt\":2}"},{"timestamp":1700000000124501,"value":"done"}],"#
            + #""tags":{"service.version":"2.0","otel.scope.name":"http","otel.library.name":"http","otel.scope.version":"1.0","otel.library.version":"1.0","#
            + #""http.method":"GET","http.status_code":"503","retry.delays":"[0.5,2]","error":"timeout","#
            + #""otel.dropped_attributes_count":"3","otel.status_code":"ERROR"}}]"#
        #expect(String(decoding: ZipkinJSON.encode(batch), as: UTF8.self) == expected)
    }

    @Test func encode_writesInternalKindAsTagAndDropsErrorTagUnlessFailed() throws {
        let record = SpanRecord(
            traceID: trace("5af7183fb1d4cf5f6b221d5bc9e6496c"), spanID: span("352bff9a74ca9ad2"), name: "work", kind: .internal,
            startTimeUnixNano: 5_000, endTimeUnixNano: 5_400, attributes: [Attribute("error", "false")], status: SpanStatus(code: .ok)
        )
        let encoded = String(decoding: ZipkinJSON.encode(SpanBatch([ResourceSpans(scopeSpans: [ScopeSpans(spans: [record])])])), as: UTF8.self)
        #expect(encoded == #"[{"traceId":"5af7183fb1d4cf5f6b221d5bc9e6496c","id":"352bff9a74ca9ad2","name":"work","timestamp":5,"duration":1,"tags":{"span.kind":"internal","otel.status_code":"OK"}}]"#)
    }

    @Test func encode_stringifiesEveryAttributeType() throws {
        let record = SpanRecord(
            traceID: trace("5af7183fb1d4cf5f6b221d5bc9e6496c"), spanID: span("352bff9a74ca9ad2"), name: "n", kind: .unspecified,
            startTimeUnixNano: 1_000, endTimeUnixNano: 1_000,
            attributes: [
                Attribute("b", true), Attribute("i", .int(-42)), Attribute("d", .double(19.99)), Attribute("d0", .double(0)),
                Attribute("bytes", .bytes([0, 1, 0xAB, 0xFF])), Attribute("kv", .keyValueList([Attribute("k", "v")])),
                Attribute("arr", .array(["alpha", "", "Grüße"])), Attribute("none", .empty),
            ]
        )
        let encoded = String(decoding: ZipkinJSON.encode(SpanBatch([ResourceSpans(scopeSpans: [ScopeSpans(spans: [record])])])), as: UTF8.self)
        #expect(encoded == #"[{"traceId":"5af7183fb1d4cf5f6b221d5bc9e6496c","id":"352bff9a74ca9ad2","name":"n","timestamp":1,"#
            + #""tags":{"b":"true","i":"-42","d":"19.99","d0":"0.0","bytes":"AAGr/w==","kv":"{\"k\":\"v\"}","arr":"[\"alpha\",\"\",\"Grüße\"]","none":""}}]"#)
    }

    @Test func encode_writesLinksAsTheCollectorsTags() throws {
        let record = SpanRecord(
            traceID: trace("5af7183fb1d4cf5f6b221d5bc9e6496c"), spanID: span("352bff9a74ca9ad2"), name: "n", kind: .unspecified,
            startTimeUnixNano: 1_000, endTimeUnixNano: 1_000,
            links: [SpanLink(traceID: trace("0af7651916cd43dd8448eb211c80319c"), spanID: span("b7ad6b7169203331"), traceState: "k=v", attributes: [Attribute("n", .int(2)), Attribute("f", .double(2))], droppedAttributesCount: 1)],
            droppedLinksCount: 7
        )
        let encoded = String(decoding: ZipkinJSON.encode(SpanBatch([ResourceSpans(scopeSpans: [ScopeSpans(spans: [record])])])), as: UTF8.self)
        #expect(encoded == #"[{"traceId":"5af7183fb1d4cf5f6b221d5bc9e6496c","id":"352bff9a74ca9ad2","name":"n","timestamp":1,"#
            + #""tags":{"otel.dropped_links_count":"7","otlp.link.0":"0af7651916cd43dd8448eb211c80319c|b7ad6b7169203331|k=v|{\"n\":2,\"f\":2.0}|1"}}]"#)
    }

    @Test func encodeThenDecode_keepsAServiceNamedByAFallbackKey() throws {
        let batch = SpanBatch([ResourceSpans(
            resource: Resource(attributes: [Attribute("faas.name", "resize"), Attribute("cloud.region", "eu-west-1")]),
            scopeSpans: [ScopeSpans(spans: [SpanRecord(traceID: trace("5af7183fb1d4cf5f6b221d5bc9e6496c"), spanID: span("352bff9a74ca9ad2"), name: "n", kind: .unspecified, startTimeUnixNano: 1_000, endTimeUnixNano: 2_000)])]
        )])
        let encoded = ZipkinJSON.encode(batch)
        #expect(String(decoding: encoded, as: UTF8.self) == #"[{"traceId":"5af7183fb1d4cf5f6b221d5bc9e6496c","id":"352bff9a74ca9ad2","name":"n","timestamp":1,"duration":1,"#
            + #""localEndpoint":{"serviceName":"resize"},"tags":{"cloud.region":"eu-west-1","otlp.service.name.source":"faas.name"}}]"#)
        #expect(try ZipkinJSON.decode(encoded) == batch)
    }

    /// A batch Zipkin can carry: resource attributes under resource keys, string span
    /// attributes, whole-microsecond times with a non-zero start, no flags or schema URLs.
    static let representableBatch: SpanBatch = {
        let traceID = TraceID(hex: "0af7651916cd43dd8448eb211c80319c")!
        let shortTraceID = TraceID(high: 0, low: 0x5af7_183f_b1d4_cf5f)
        let checkout = ResourceSpans(
            resource: Resource(attributes: [Attribute("service.name", "checkout"), Attribute("service.version", "1.4.2"), Attribute("host.name", "node-7")]),
            scopeSpans: [
                ScopeSpans(scope: InstrumentationScope(name: "checkout.http", version: "0.9.1"), spans: [
                    SpanRecord(
                        traceID: traceID, spanID: SpanID(0x53995c3f42cd8ad8), parentSpanID: SpanID(0xeee19b7ec3c1b174),
                        traceState: "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7", name: "POST /checkout", kind: .server,
                        startTimeUnixNano: 1_700_000_000_123_457_000, endTimeUnixNano: 1_700_000_000_987_655_000,
                        attributes: [
                            Attribute("http.route", "/checkout"), Attribute("attr.unicode", "Grüße, 世界 🚀"), Attribute("attr.empty", ""),
                            Attribute("network.local.address", "2001:db8::1"), Attribute("net.host.port", .int(8443)),
                            Attribute("service.peer.name", "edge"), Attribute("network.peer.address", "203.0.113.7"), Attribute("net.peer.port", .int(51234)),
                            Attribute("zipkin.shared", true), Attribute("zipkin.debug", true),
                        ],
                        droppedAttributesCount: 2,
                        events: [
                            SpanEvent(timeUnixNano: 1_700_000_000_123_500_000, name: "request.received", attributes: [
                                Attribute("size", .int(512)), Attribute("min", .int(.min)), Attribute("ratio", .double(1.0)), Attribute("ok", true),
                                Attribute("who", "203.0.113.7"), Attribute("list", .array(["a", .int(1), .empty])),
                                Attribute("map", .keyValueList([Attribute("nested", .keyValueList([Attribute("deep", false)]))])),
                            ], droppedAttributesCount: 1),
                            SpanEvent(timeUnixNano: 1_700_000_000_150_000_000, name: "cache.miss"),
                            SpanEvent(timeUnixNano: 1_700_000_000_150_000_000, name: "a|{}|1"),
                            SpanEvent(timeUnixNano: 1_700_000_000_150_000_000, name: #"{"x":{}}"#),
                            SpanEvent(timeUnixNano: 1_700_000_000_150_000_000, name: "dropped only", droppedAttributesCount: 4),
                        ],
                        droppedEventsCount: 3,
                        links: [
                            SpanLink(traceID: traceID, spanID: SpanID(0xb7ad6b7169203331), traceState: "k=v", attributes: [Attribute("link.reason", "retry-of"), Attribute("link.attempt", .int(2))], droppedAttributesCount: 1),
                            SpanLink(traceID: shortTraceID, spanID: SpanID(1)),
                        ],
                        droppedLinksCount: 5,
                        status: SpanStatus(code: .ok)
                    ),
                    SpanRecord(
                        traceID: traceID, spanID: SpanID(0xa2fb4a1d1a96d312), parentSpanID: SpanID(0x53995c3f42cd8ad8), name: "charge-card", kind: .client,
                        startTimeUnixNano: 1_700_000_000_200_000_000, endTimeUnixNano: 1_700_000_000_650_001_000,
                        attributes: [Attribute("payment.currency", "EUR")], status: SpanStatus(code: .error, message: "card declined")
                    ),
                ]),
                ScopeSpans(scope: InstrumentationScope(name: "checkout.jobs"), spans: [
                    SpanRecord(traceID: shortTraceID, spanID: SpanID(0xb7ad6b7169203331), name: "nightly", kind: .internal, startTimeUnixNano: 1_699_999_990_000_000_000, endTimeUnixNano: 1_699_999_995_500_000_000, status: SpanStatus(code: .error)),
                    SpanRecord(traceID: shortTraceID, spanID: SpanID(0x1dfab5c2e8a94b7f), name: "", kind: .producer, startTimeUnixNano: 1_000, endTimeUnixNano: 1_000),
                ]),
            ]
        )
        let worker = ResourceSpans(
            resource: Resource(attributes: [Attribute("host.name", "batch-1")]),
            scopeSpans: [ScopeSpans(spans: [
                SpanRecord(traceID: traceID, spanID: SpanID(0xc0ffee00deadbeef), name: "consume", kind: .consumer, startTimeUnixNano: 1_700_000_000_700_000_000, endTimeUnixNano: 1_700_000_000_710_000_000),
                SpanRecord(traceID: traceID, spanID: SpanID(0xc0ffee00deadbeee), name: "plain", kind: .unspecified, startTimeUnixNano: 1_700_000_000_700_000_000, endTimeUnixNano: 1_700_000_000_710_000_000),
            ])]
        )
        return SpanBatch([checkout, worker])
    }()

    @Test func encodeThenDecode_returnsTheZipkinRepresentableBatchUnchanged() throws {
        let decoded = try ZipkinJSON.decode(ZipkinJSON.encode(Self.representableBatch))
        #expect(decoded.resourceSpans == Self.representableBatch.resourceSpans)
    }

    // MARK: Bad input

    @Test func decode_rejectsATopLevelThatIsNotAnArray() {
        expectError(#"{"traceId":"5af7183fb1d4cf5f"}"#, .invalidValue, field: "", at: "{")
    }

    @Test func decode_rejectsMalformedJSON() {
        expectError(#"[{"traceId": }]"#, .invalidJSON, field: "", at: "}")
    }

    @Test func decode_rejectsAnElementThatIsNotASpanObject() {
        expectError(#"[{"traceId":"5af7183fb1d4cf5f","id":"352bff9a74ca9ad2"}, true]"#, .invalidValue, field: "[1]", at: "true")
    }

    @Test func decode_rejectsBadTraceIDsNamingTheSpan() {
        let good = #"{"traceId":"5af7183fb1d4cf5f","id":"352bff9a74ca9ad2"}"#
        expectError("[\(good),\(good),\(good),{\"traceId\":\"5af7183fb1d4cf5\",\"id\":\"352bff9a74ca9ad2\"}]", .invalidID, field: "[3].traceId", at: "\"5af7183fb1d4cf5\"")
        expectError(#"[{"traceId":"5af7183fb1d4cf5f6b221d5bc9e6496g","id":"352bff9a74ca9ad2"}]"#, .invalidID, field: "[0].traceId", at: "\"5af7")
        expectError(#"[{"traceId":"00000000000000000000000000000000","id":"352bff9a74ca9ad2"}]"#, .invalidID, field: "[0].traceId", at: "\"0000")
        expectError(#"[{"id":"352bff9a74ca9ad2"}]"#, .invalidID, field: "[0].traceId", at: "{")
        expectError(#"[{"traceId":12345,"id":"352bff9a74ca9ad2"}]"#, .invalidValue, field: "[0].traceId", at: "12345")
    }

    @Test func decode_rejectsBadSpanAndParentIDs() {
        expectError(#"[{"traceId":"5af7183fb1d4cf5f","id":"352bff9a74ca9ad"}]"#, .invalidID, field: "[0].id", at: "\"352b")
        expectError(#"[{"traceId":"5af7183fb1d4cf5f","id":"0000000000000000"}]"#, .invalidID, field: "[0].id", at: "\"0000")
        expectError(#"[{"traceId":"5af7183fb1d4cf5f"}]"#, .invalidID, field: "[0].id", at: "{")
        expectError(#"[{"traceId":"5af7183fb1d4cf5f","id":"352bff9a74ca9ad2","parentId":"6b221d5bc9e6496x"}]"#, .invalidID, field: "[0].parentId", at: "\"6b22")
        expectError(#"[{"traceId":"5af7183fb1d4cf5f","id":"352bff9a74ca9ad2","parentId":true}]"#, .invalidValue, field: "[0].parentId", at: "true")
    }

    @Test func decode_rejectsNegativeFractionalAndOverflowingTimes() {
        let head = #"[{"traceId":"5af7183fb1d4cf5f","id":"352bff9a74ca9ad2","#
        expectError(head + #""timestamp":-1}]"#, .invalidValue, field: "[0].timestamp", at: "-1")
        expectError(head + #""timestamp":1.5}]"#, .invalidValue, field: "[0].timestamp", at: "1.5")
        expectError(head + #""timestamp":"1556604172355737"}]"#, .invalidValue, field: "[0].timestamp", at: "\"1556")
        expectError(head + #""timestamp":18446744073709552}]"#, .invalidValue, field: "[0].timestamp", at: "18446744073709552")
        expectError(head + #""timestamp":99999999999999999999}]"#, .invalidValue, field: "[0].timestamp", at: "9999")
        expectError(head + #""timestamp":18446744073709551,"duration":1}]"#, .invalidValue, field: "[0].duration", at: "1}")
        expectError(head + #""annotations":[{"timestamp":1,"value":"a"},{"timestamp":-5,"value":"b"}]}]"#, .invalidValue, field: "[0].annotations[1].timestamp", at: "-5")
    }

    @Test func decode_rejectsFieldsOfTheWrongType() {
        let head = #"[{"traceId":"5af7183fb1d4cf5f","id":"352bff9a74ca9ad2","#
        expectError(head + #""tags":{"http.status_code":200}}]"#, .invalidValue, field: #"[0].tags["http.status_code"]"#, at: "200")
        expectError(head + #""tags":["a"]}]"#, .invalidValue, field: "[0].tags", at: "[\"a\"]")
        expectError(head + #""kind":5}]"#, .invalidValue, field: "[0].kind", at: "5}")
        expectError(head + #""name":["x"]}]"#, .invalidValue, field: "[0].name", at: "[\"x\"]")
        expectError(head + #""debug":"yes"}]"#, .invalidValue, field: "[0].debug", at: "\"yes\"")
        expectError(head + #""annotations":{"value":"a"}}]"#, .invalidValue, field: "[0].annotations", at: "{\"value\"")
        expectError(head + #""annotations":[{"timestamp":1,"value":3}]}]"#, .invalidValue, field: "[0].annotations[0].value", at: "3}")
        expectError(head + #""localEndpoint":"backend"}]"#, .invalidValue, field: "[0].localEndpoint", at: "\"backend\"")
    }

    @Test func decode_rejectsBadEndpointAddressesAndPorts() {
        let head = #"[{"traceId":"5af7183fb1d4cf5f","id":"352bff9a74ca9ad2","#
        expectError(head + #""localEndpoint":{"ipv4":"256.1.1.1"}}]"#, .invalidValue, field: "[0].localEndpoint.ipv4", at: "\"256")
        expectError(head + #""remoteEndpoint":{"ipv6":"2001:db8::1::2"}}]"#, .invalidValue, field: "[0].remoteEndpoint.ipv6", at: "\"2001")
        expectError(head + #""remoteEndpoint":{"port":70000}}]"#, .invalidValue, field: "[0].remoteEndpoint.port", at: "70000")
        expectError(head + #""remoteEndpoint":{"port":-1}}]"#, .invalidValue, field: "[0].remoteEndpoint.port", at: "-1")
    }

    @Test func decode_rejectsPayloadsOverTheLimit() {
        let bytes = [UInt8](repeating: UInt8(ascii: " "), count: ZipkinJSON.maxPayloadBytes + 1)
        #expect(throws: WireError(.tooLarge, field: "", offset: 0, "the payload is 67108865 bytes; Zipkin JSON payloads are limited to 67108864 bytes, so split the batch")) {
            try ZipkinJSON.decode(bytes)
        }
    }

    /// Every truncation of the Python fixture is rejected, and each of 2000 byte
    /// substitutions either decodes to tables that keep their invariants or throws; none traps.
    @Test func decode_isTotalOnTruncatedAndMutatedInput() throws {
        let original = Array(try Data(contentsOf: Self.fixtures.appendingPathComponent("python-zipkin.json")))
        var truncationsDecoded = 0
        for length in 0..<original.count where (try? ZipkinJSON.decode(Array(original[..<length]))) != nil {
            truncationsDecoded += 1
        }
        #expect(truncationsDecoded == 0)

        let replacements: [UInt8] = Array(#"0-9.e"{}[]:,|\ x"#.utf8) + [0x00, 0xC3, 0xFF]
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        var invalidTables = 0
        for _ in 0..<2000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            var mutated = original
            mutated[Int(state >> 33) % mutated.count] = replacements[Int(state >> 20) % replacements.count]
            guard let batch = try? ZipkinJSON.decode(mutated) else { continue }
            do { try batch.tables.validate() } catch { invalidTables += 1 }
        }
        #expect(invalidTables == 0)
    }

    @Test func decode_explainsWhatWasWrong() {
        let json = #"[{"traceId":"5af7183fb1d4cf5f","id":"352bff9a74ca9ad2","timestamp":-1}]"#
        #expect(throws: WireError(.invalidValue, field: "[0].timestamp", offset: 67, "\"-1\" is negative; Zipkin times are microseconds since the epoch")) {
            try ZipkinJSON.decode(Array(json.utf8))
        }
    }

    // MARK: OpenTelemetry Python SDK fixture

    private static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    private func pythonBatch() throws -> SpanBatch {
        let data = try Data(contentsOf: Self.fixtures.appendingPathComponent("python-zipkin.json"))
        return try ZipkinJSON.decode(Array(data))
    }

    @Test func pythonFixture_decodesToOneResourceWithScopesInOTLPOrder() throws {
        let groups = try pythonBatch().resourceSpans
        try #require(groups.count == 1)
        // python-fixtures.md, "Resource": the SDK copies it into every span's tags.
        #expect(groups[0].resource == Resource(attributes: [
            Attribute("service.name", "checkout"),
            Attribute("service.version", "1.4.2"),
            Attribute("deployment.environment", "test"),
            Attribute("telemetry.sdk.language", "python"),
            Attribute("telemetry.sdk.name", "opentelemetry"),
            Attribute("telemetry.sdk.version", "1.45.1"),
        ]))
        // "Instrumentation scopes": attributes and schema URL are not exported.
        #expect(groups[0].scopeSpans.map(\.scope) == [
            InstrumentationScope(name: "checkout.jobs", version: ""),
            InstrumentationScope(name: "checkout.http", version: "0.9.1"),
        ])
        #expect(groups[0].scopeSpans.map { $0.spans.map(\.name) } == [
            ["nightly-reconcile", "process order.created"],
            ["authorize", "charge-card", "publish order.created", "POST /checkout"],
        ])
    }

    private func pythonSpan(_ name: String) throws -> SpanRecord {
        try #require(try pythonBatch().spans.first { $0.name == name })
    }

    @Test func pythonFixture_serverSpanHasExactValues() throws {
        let record = try pythonSpan("POST /checkout")
        // Times are the OTLP nanoseconds rounded to the microseconds Zipkin carries:
        // (1700000000123456789 + 500) / 1000 µs, and a duration of 864198 µs.
        #expect(record == SpanRecord(
            traceID: trace("5b8efff798038103d269b633813fc60c"),
            spanID: span("53995c3f42cd8ad8"),
            parentSpanID: span("eee19b7ec3c1b174"),
            name: "POST /checkout",
            kind: .server,
            startTimeUnixNano: 1_700_000_000_123_457_000,
            endTimeUnixNano: 1_700_000_000_987_655_000,
            attributes: [
                Attribute("http.request.method", "POST"),
                Attribute("http.route", "/checkout"),
                Attribute("http.response.status_code", "200"),
                Attribute("attr.string_empty", ""),
                Attribute("attr.string_unicode", "Grüße, 世界 🚀"),
                Attribute("attr.bool_true", "true"),
                Attribute("attr.bool_false", "false"),
                Attribute("attr.int", "42"),
                Attribute("attr.int_zero", "0"),
                Attribute("attr.int_negative", "-42"),
                Attribute("attr.int_above_2_53", "9007199254740993"),
                Attribute("attr.int_max", "9223372036854775807"),
                Attribute("attr.int_min", "-9223372036854775808"),
                Attribute("attr.double", "3.14159"),
                Attribute("attr.double_negative", "-0.5"),
                Attribute("attr.double_zero", "0.0"),
                Attribute("attr.string_array", #"["alpha","","Gr\u00fc\u00dfe"]"#),
                Attribute("attr.bool_array", #"["true","false","true"]"#),
                Attribute("attr.int_array", #"["1","-2","9007199254740993"]"#),
                Attribute("attr.double_array", #"["1.5","-2.25","0.0"]"#),
                Attribute("zipkin.debug", true),
            ],
            events: [
                SpanEvent(timeUnixNano: 1_700_000_000_123_500_000, name: "request.received", attributes: [
                    Attribute("client.address", "203.0.113.7"),
                    Attribute("http.request.body.size", .int(512)),
                ]),
                SpanEvent(timeUnixNano: 1_700_000_000_150_000_000, name: "cache.miss"),
            ],
            status: SpanStatus(code: .ok)
        ))
    }

    @Test func pythonFixture_failedClientSpanCarriesItsStatusMessageAndTypedEventAttributes() throws {
        let record = try pythonSpan("charge-card")
        #expect(record.kind == .client)
        #expect(record.traceID == trace("5b8efff798038103d269b633813fc60c"))
        #expect(record.spanID == span("a2fb4a1d1a96d312"))
        #expect(record.parentSpanID == span("53995c3f42cd8ad8"))
        #expect(record.startTimeUnixNano == 1_700_000_000_200_000_000)
        #expect(record.endTimeUnixNano == 1_700_000_000_650_001_000)
        #expect(record.status == SpanStatus(code: .error, message: "card declined"))
        #expect(record.attributes == [
            Attribute("peer.service", "payments"),
            Attribute("payment.amount", "19.99"),
            Attribute("payment.currency", "EUR"),
            Attribute("zipkin.debug", true),
        ])
        #expect(record.events == [
            SpanEvent(timeUnixNano: 1_700_000_000_300_000_000, name: "retry", attributes: [Attribute("retry.attempt", .int(1)), Attribute("retry.reason", "timeout")]),
            SpanEvent(timeUnixNano: 1_700_000_000_640_000_000, name: "card.declined", attributes: [Attribute("decline.code", "insufficient_funds"), Attribute("decline.soft", false)]),
        ])
        // Links, trace state and flags are not exported by the Python Zipkin exporter.
        #expect(record.links.isEmpty)
        #expect(record.traceState == "")
        #expect(record.flags == 0)
    }

    @Test func pythonFixture_internalSpanDecodesAsUnspecifiedLikeTheCollector() throws {
        let record = try pythonSpan("nightly-reconcile")
        // OTLP says INTERNAL; Zipkin has no such kind and the SDK writes `"kind": null`
        // without the collector's `span.kind` tag, so the collector's mapping gives UNSPECIFIED.
        #expect(record.kind == .unspecified)
        #expect(record.traceID == trace("0af7651916cd43dd8448eb211c80319c"))
        #expect(record.spanID == span("b7ad6b7169203331"))
        #expect(record.isRoot)
        #expect(record.startTimeUnixNano == 1_699_999_990_000_000_000)
        #expect(record.endTimeUnixNano == 1_699_999_995_500_000_000)
        #expect(record.status == .unset)
        #expect(record.events.isEmpty)
        #expect(record.attributes == [
            Attribute("job.name", "reconcile"),
            Attribute("ext.bytes", #"["0","1","171","255"]"#),
            Attribute("ext.mixed_array", #"["x","1","true","2.5"]"#),
            Attribute("ext.empty_array", "[]"),
            Attribute("zipkin.debug", true),
        ])
    }

    @Test func pythonFixture_messagingSpansHaveTheirKindsParentsAndEvents() throws {
        let consumer = try pythonSpan("process order.created")
        #expect(consumer.kind == .consumer)
        #expect(consumer.spanID == span("1dfab5c2e8a94b7f"))
        #expect(consumer.parentSpanID == span("c0ffee00deadbeef"))
        #expect(consumer.startTimeUnixNano == 1_700_000_000_800_000_000)
        #expect(consumer.endTimeUnixNano == 1_700_000_000_950_000_000)
        #expect(consumer.events == [SpanEvent(timeUnixNano: 1_700_000_000_940_000_000, name: "message.acked")])
        #expect(consumer.attributes == [Attribute("messaging.system", "kafka"), Attribute("messaging.operation.type", "process"), Attribute("zipkin.debug", true)])

        let producer = try pythonSpan("publish order.created")
        #expect(producer.kind == .producer)
        #expect(producer.spanID == span("c0ffee00deadbeef"))
        #expect(producer.parentSpanID == span("53995c3f42cd8ad8"))
        #expect(producer.startTimeUnixNano == 1_700_000_000_700_000_000)
        #expect(producer.endTimeUnixNano == 1_700_000_000_710_000_000)

        let authorize = try pythonSpan("authorize")
        #expect(authorize.kind == .unspecified)
        #expect(authorize.startTimeUnixNano == 1_700_000_000_250_000_000)
        #expect(authorize.endTimeUnixNano == 1_700_000_000_400_001_000)
        #expect(authorize.attributes == [Attribute("auth.provider", "acme-pay"), Attribute("auth.amount_cents", "1999"), Attribute("zipkin.debug", true)])
    }

    @Test func pythonFixture_reencodesToTheSameBatchButForPeerService() throws {
        let batch = try pythonBatch()
        var expected = batch.resourceSpans
        // `peer.service` becomes `remoteEndpoint.serviceName` (rank 1 of the specification's
        // remote endpoint rule, as in the collector), which reads back as `service.peer.name`
        // among the endpoint attributes.
        #expect(expected[0].scopeSpans[1].spans[1].name == "charge-card")
        expected[0].scopeSpans[1].spans[1].attributes = [
            Attribute("payment.amount", "19.99"),
            Attribute("payment.currency", "EUR"),
            Attribute("service.peer.name", "payments"),
            Attribute("zipkin.debug", true),
        ]
        #expect(try ZipkinJSON.decode(ZipkinJSON.encode(batch)).resourceSpans == expected)
    }
}

/// What the decoder must do whichever way it reads a span: the mapping's field order for
/// errors, the last value of a repeated field, keys and values compared as Swift Strings.
@Suite struct ZipkinJSONDecodingOrderTests {
    private func decode(_ json: String) throws(WireError) -> SpanBatch {
        try ZipkinJSON.decode(Array(json.utf8))
    }

    private func decodeError(_ json: String) -> WireError? {
        do {
            _ = try decode(json)
            return nil
        } catch {
            return error
        }
    }

    @Test func repeatedField_takesItsLastValue_evenAfterAnInvalidOne() throws {
        let json = #"[{"traceId":"zz","traceId":"5af7183fb1d4cf5f","id":"352bff9a74ca9ad2","name":"a","name":"b","timestamp":-1,"timestamp":7}]"#
        let span = try #require(try decode(json).spans.first)
        #expect(span.traceID == TraceID(high: 0, low: 0x5af7_183f_b1d4_cf5f))
        #expect(span.name == "b")
        #expect(span.startTimeUnixNano == 7000)
    }

    @Test func errors_comeInTheMappingsFieldOrder_notTheDocuments() {
        // `name` is wrong first in the text, but the trace ID is read first.
        let json = #"[{"name":5,"timestamp":"x","traceId":"5af7","id":"352bff9a74ca9ad2"}]"#
        let error = decodeError(json)
        #expect(error?.field == "[0].traceId")
        #expect(error?.code == .invalidID)
        #expect(error?.offset == 37)
        // Within a field, the text's order: the first bad annotation.
        let annotations = #"[{"traceId":"5af7183fb1d4cf5f","id":"352bff9a74ca9ad2","annotations":[{"value":1,"timestamp":-1},{"timestamp":-2}]}]"#
        #expect(decodeError(annotations)?.field == "[0].annotations[0].value")
    }

    @Test func malformedJSONAnywhere_winsOverAnEarlierBadField() {
        let json = #"[{"traceId":"5af7183fb1d4cf5f","id":"352bff9a74ca9ad2","timestamp":-1},{"traceId": }]"#
        let error = decodeError(json)
        #expect(error?.code == .invalidJSON)
        #expect(error?.field == "")
        #expect(error?.offset == 83)
        var invalidUTF8 = Array(#"[{"traceId":"5af7","id":"352bff9a74ca9ad2","name":"x"#.utf8)
        invalidUTF8 += [0xFF] + Array(#""}]"#.utf8)
        #expect(throws: WireError(.invalidUTF8, field: "", offset: invalidUTF8.count - 4, "the text is not valid UTF-8")) {
            try ZipkinJSON.decode(invalidUTF8)
        }
    }

    @Test func escapes_inKeysAndValues_readAsTheirText() throws {
        let json = #"""
            [{"trace\u0049d":"5af7183fb1d4cf5f","\u0069d":"352bff9a74ca9ad2","name":"caf\u00e9 \"x\"","timestamp":1,
              "tags":{"http.\u006dethod":"G\u0045T","otel.status_code":"\u0045RROR"},
              "annotations":[{"timestamp":2,"value":"\"r\\u00e9try\": {\"why\": \"t\\u00e9\", \"n\": -0, \"big\": 9223372036854775808}"}]}]
            """#
        let span = try #require(try decode(json).spans.first)
        #expect(span.spanID == SpanID(0x352b_ff9a_74ca_9ad2))
        #expect(span.name == "café \"x\"")
        #expect(span.attributes == [Attribute("http.method", "GET")])
        #expect(span.status == SpanStatus(code: .error))
        #expect(span.events == [SpanEvent(timeUnixNano: 2000, name: "rétry", attributes: [
            Attribute("why", "té"), Attribute("n", .int(0)), Attribute("big", .double(9_223_372_036_854_775_808)),
        ])])
    }

    @Test func tagKeysAndValues_compareAsStrings() throws {
        // "é" and "e" + U+0301 are one key to a Swift dictionary, as to the tree decoder;
        // "O" + KELVIN SIGN equals "OK".
        let json = #"[{"traceId":"5af7183fb1d4cf5f","id":"352bff9a74ca9ad2","timestamp":1,"tags":{"caf\u00e9":"1","cafe\u0301":"2","otel.status_code":"O\u212a"}}]"#
        let span = try #require(try decode(json).spans.first)
        #expect(span.attributes.count == 1)
        #expect(span.attributes.first?.value == "2")
        #expect(span.status == SpanStatus(code: .ok))
    }

    @Test func spansOfOneServiceWithResourceTagsInAnotherOrder_shareTheirResource() throws {
        let json = """
            [{"traceId":"5af7183fb1d4cf5f","id":"0000000000000001","timestamp":1,"localEndpoint":{"serviceName":"a"},"tags":{"host.name":"h","service.version":"1"}},
             {"traceId":"5af7183fb1d4cf5f","id":"0000000000000002","timestamp":1,"localEndpoint":{"serviceName":"a"},"tags":{"service.version":"1","host.name":"h"}},
             {"traceId":"5af7183fb1d4cf5f","id":"0000000000000003","timestamp":1,"localEndpoint":{"serviceName":"a"},"tags":{"host.name":"h2","service.version":"1"}}]
            """
        let batch = try decode(json)
        #expect(batch.resourceSpans.map { $0.scopeSpans.flatMap(\.spans).map(\.spanID.value) } == [[1, 2], [3]])
        #expect(batch.resourceSpans.first?.resource.attributes == [Attribute("service.name", "a"), Attribute("host.name", "h"), Attribute("service.version", "1")])
        try batch.tables.validate()
    }

    @Test func encodeThenDecode_keepsEveryTagTextAndEventForm() throws {
        let record = SpanRecord(
            traceID: TraceID(high: 1, low: 2), spanID: SpanID(3), name: "n\u{2028}\u{1}\"", kind: .server,
            startTimeUnixNano: 1_000_000, endTimeUnixNano: 3_000_000,
            attributes: [Attribute("ctl", "a\u{0}b\u{1F}\\\u{2029}"), Attribute("unicode", "Grüße 🚀")],
            events: [
                SpanEvent(timeUnixNano: 2_000_000, name: "q\"uote", attributes: [Attribute("k", "v\"w"), Attribute("list", .array([1, "x", .empty]))], droppedAttributesCount: 2),
                SpanEvent(timeUnixNano: 2_000_000, name: "{\"looks\":{}}"),
            ]
        )
        let batch = SpanBatch([ResourceSpans(resource: Resource(attributes: [Attribute("service.name", "s")]), scopeSpans: [ScopeSpans(spans: [record])])])
        let decoded = try ZipkinJSON.decode(ZipkinJSON.encode(batch))
        #expect(decoded.resourceSpans == batch.resourceSpans)
    }
}
