import Foundation
import SpindleModel
import SpindleWire
import Testing

// MARK: - Helpers

private enum Sample {
    static let traceA = TraceID(high: 0x5B8E_FFF7_9803_8103, low: 0xD269_B633_813F_C60C)
    static let traceB = TraceID(high: 0x0AF7_6519_16CD_43DD, low: 0x8448_EB21_1C80_319C)
    static let spanA = SpanID(0xEEE1_9B7E_C3C1_B174)
    static let spanB = SpanID(0xEEE1_9B7E_C3C1_B173)
    static let spanC = SpanID(0x00F0_E1D2_C3B4_A596)

    /// Every `AttributeValue` case, with the edge values a codec can get wrong.
    static let everyValue: [Attribute] = [
        Attribute("string", "hello"),
        Attribute("string.empty", ""),
        Attribute("string.unicode", "Grüße, 世界 🚀 \"q\" \\ / \n\t\u{0}\u{1F}\u{2028}"),
        Attribute("bool.true", true),
        Attribute("bool.false", false),
        Attribute("int.zero", .int(0)),
        Attribute("int.negative", .int(-42)),
        Attribute("int.max", .int(.max)),
        Attribute("int.min", .int(.min)),
        Attribute("int.above2^53", .int(9_007_199_254_740_993)),
        Attribute("double", 3.14159),
        Attribute("double.negativeZero", .double(-0.0)),
        Attribute("double.huge", 1e300),
        Attribute("double.tiny", .double(.leastNonzeroMagnitude)),
        Attribute("double.negative", -2.25),
        Attribute("bytes", .bytes([0x00, 0x01, 0xAB, 0xFF])),
        Attribute("bytes.empty", .bytes([])),
        Attribute("bytes.everyValue", .bytes((0...255).map { UInt8($0) })),
        Attribute("empty", .empty),
        Attribute("array", .array([
            "a", 1, true, 2.5, .empty, .bytes([7]), .array([.array([]), .array(["deep", .int(-1)])]),
            .keyValueList([Attribute("k", "v")]),
        ])),
        Attribute("array.empty", .array([])),
        Attribute("kvlist", .keyValueList([
            Attribute("region", "eu-west-1"),
            Attribute("nested", .keyValueList([Attribute("ok", true), Attribute("list", .array([1, 2]))])),
            Attribute("none", .empty),
            Attribute("dup", 1),
            Attribute("dup", 2),
        ])),
        Attribute("kvlist.empty", .keyValueList([])),
        Attribute("", "empty key"),
    ]

    /// A batch in which every field of every message is set, next to groups and spans at
    /// their defaults.
    static let everyField: SpanBatch = {
        let fullSpan = SpanRecord(
            traceID: traceA,
            spanID: spanA,
            parentSpanID: spanB,
            traceState: "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7",
            flags: 0x301,
            name: "GET /grüße",
            kind: .server,
            startTimeUnixNano: 1_700_000_000_123_456_789,
            endTimeUnixNano: .max,
            attributes: everyValue,
            droppedAttributesCount: 5,
            events: [
                SpanEvent(timeUnixNano: 1_700_000_000_200_000_000, name: "retry", attributes: everyValue, droppedAttributesCount: 2),
                SpanEvent(timeUnixNano: 0, name: ""),
            ],
            droppedEventsCount: 6,
            links: [
                SpanLink(traceID: traceB, spanID: spanC, traceState: "k=v", attributes: everyValue, droppedAttributesCount: 4, flags: 0x100),
                SpanLink(traceID: .zero, spanID: .zero),
            ],
            droppedLinksCount: 7,
            status: SpanStatus(code: .error, message: "card declined")
        )
        let bareSpan = SpanRecord(traceID: traceB, spanID: spanC, name: "", kind: SpanKind(rawValue: 9), startTimeUnixNano: 0, endTimeUnixNano: 0)
        let okSpan = SpanRecord(
            traceID: traceA, spanID: spanB, name: "ok", kind: .client, startTimeUnixNano: 1, endTimeUnixNano: 2,
            status: SpanStatus(code: .ok)
        )
        let messageOnly = SpanRecord(
            traceID: traceA, spanID: spanC, name: "m", startTimeUnixNano: 3, endTimeUnixNano: 4,
            status: SpanStatus(code: .unset, message: "note")
        )
        return SpanBatch([
            ResourceSpans(
                resource: Resource(attributes: everyValue, droppedAttributesCount: 3, schemaURL: "https://opentelemetry.io/schemas/1.21.0"),
                scopeSpans: [
                    ScopeSpans(
                        scope: InstrumentationScope(name: "checkout.http", version: "0.9.1", attributes: everyValue, droppedAttributesCount: 1, schemaURL: "https://opentelemetry.io/schemas/1.20.0"),
                        spans: [fullSpan, bareSpan]
                    ),
                    ScopeSpans(spans: [okSpan, messageOnly]),
                    ScopeSpans(scope: InstrumentationScope(name: "no.spans")),
                ]
            ),
            ResourceSpans(),
            ResourceSpans(resource: Resource(attributes: [Attribute("service.name", "second")]), scopeSpans: [ScopeSpans(spans: [bareSpan])]),
        ])
    }()
}

private func decode(_ json: String) throws -> SpanBatch {
    try OTLPJSON.decodeExportRequest(Array(json.utf8))
}

private func decodeError(_ json: String) -> WireError? {
    do {
        let batch = try OTLPJSON.decodeExportRequest(Array(json.utf8))
        Issue.record("expected an error, decoded \(batch)")
        return nil
    } catch {
        return error
    }
}

/// The byte offset of the first occurrence of `needle` in `haystack`.
private func byteOffset(of needle: String, in haystack: String) -> Int? {
    let hay = Array(haystack.utf8)
    let pin = Array(needle.utf8)
    guard pin.count <= hay.count else { return nil }
    for start in 0...(hay.count - pin.count) where hay[start..<(start + pin.count)].elementsEqual(pin) {
        return start
    }
    return nil
}

/// A deterministic generator, so a failure reproduces.
private struct SplitMix64 {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The only span of a decoded batch.
private func onlySpan(_ batch: SpanBatch) throws -> SpanRecord {
    try #require(batch.spanCount == 1)
    return batch.span(at: 0)
}

// MARK: - Round trips and output

@Suite struct OTLPJSONTests {
    @Test func everyFieldOfEveryMessage_survivesEncodeThenDecode() throws {
        let batch = Sample.everyField
        let decoded = try OTLPJSON.decodeExportRequest(OTLPJSON.encodeExportRequest(batch))
        #expect(decoded == batch)
        #expect(decoded.resourceSpans.count == 3)
        #expect(decoded.spanCount == 5)
        // Equality of doubles cannot see the sign of zero: check its bits.
        let attributes = decoded.span(at: 0).attributes
        #expect(attributes["double.negativeZero"] == .double(-0.0))
        if case .double(let zero) = attributes["double.negativeZero"] {
            #expect(zero.bitPattern == (-0.0 as Double).bitPattern)
        } else {
            Issue.record("double.negativeZero is not a double")
        }
    }

    @Test func encodingIsStable_decodeThenEncodeGivesTheSameBytes() throws {
        let encoded = OTLPJSON.encodeExportRequest(Sample.everyField)
        #expect(OTLPJSON.encodeExportRequest(try OTLPJSON.decodeExportRequest(encoded)) == encoded)
    }

    @Test func nonFiniteDoubles_roundTripAsProtoJSONStrings() throws {
        let values: [AttributeValue] = [.double(.nan), .double(.infinity), .double(-.infinity)]
        let batch = SpanBatch([ResourceSpans(resource: Resource(attributes: [Attribute("values", .array(values))]))])
        let json = String(decoding: OTLPJSON.encodeExportRequest(batch), as: UTF8.self)
        #expect(json == #"{"resourceSpans":[{"resource":{"attributes":[{"key":"values","value":{"arrayValue":{"values":[{"doubleValue":"NaN"},{"doubleValue":"Infinity"},{"doubleValue":"-Infinity"}]}}}]}}]}"#)
        let decoded = try decode(json)
        let value = try #require(decoded.resourceSpans.first?.resource.attributes["values"])
        #expect(value.isIdentical(to: .array(values)))
    }

    @Test func encoding_writesSpecShapedJSON_withDefaultsLeftOut() throws {
        let batch = SpanBatch([
            ResourceSpans(
                resource: Resource(attributes: [Attribute("service.name", "api")]),
                scopeSpans: [ScopeSpans(scope: InstrumentationScope(name: "lib"), spans: [
                    SpanRecord(
                        traceID: Sample.traceA, spanID: Sample.spanA, parentSpanID: Sample.spanB, flags: 1, name: "op",
                        kind: .client, startTimeUnixNano: 1_544_712_660_000_000_000, endTimeUnixNano: 1_544_712_661_000_000_000,
                        attributes: [Attribute("n", .int(-3)), Attribute("e", .empty), Attribute("b", .bytes([0, 1, 0xAB, 0xFF]))],
                        events: [SpanEvent(timeUnixNano: 5, name: "ev")],
                        links: [SpanLink(traceID: Sample.traceB, spanID: Sample.spanC)],
                        status: SpanStatus(code: .ok)
                    ),
                    SpanRecord(traceID: .zero, spanID: .zero, name: "", kind: .unspecified, startTimeUnixNano: 0, endTimeUnixNano: 0),
                ])]
            ),
        ])
        let json = String(decoding: OTLPJSON.encodeExportRequest(batch), as: UTF8.self)
        let expected = #"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"api"}}]},"#
            + #""scopeSpans":[{"scope":{"name":"lib"},"spans":["#
            + #"{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","parentSpanId":"eee19b7ec3c1b173","#
            + #""name":"op","kind":3,"startTimeUnixNano":"1544712660000000000","endTimeUnixNano":"1544712661000000000","#
            + #""attributes":[{"key":"n","value":{"intValue":"-3"}},{"key":"e","value":{}},{"key":"b","value":{"bytesValue":"AAGr/w=="}}],"#
            + #""events":[{"timeUnixNano":"5","name":"ev"}],"#
            + #""links":[{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"00f0e1d2c3b4a596"}],"#
            + #""status":{"code":1},"flags":1},"#
            + #"{"traceId":"00000000000000000000000000000000","spanId":"0000000000000000","name":"","kind":0,"startTimeUnixNano":"0","endTimeUnixNano":"0"}"#
            + "]}]}]}"
        #expect(json == expected)
    }

    @Test func emptyBatch_isAnEmptyObject_andAnEmptyObjectIsAnEmptyBatch() throws {
        #expect(OTLPJSON.encodeExportRequest(SpanBatch()) == Array("{}".utf8))
        #expect(try decode("{}").resourceSpans.isEmpty)
        #expect(try decode(#" {"resourceSpans": []} "#).resourceSpans.isEmpty)
        #expect(try decode(#"{"resourceSpans": null}"#).resourceSpans.isEmpty)
    }

    // MARK: Decoding what clients send

    /// opentelemetry-proto's `examples/trace.json`, which writes its IDs in upper case.
    @Test func theSpecExample_decodesToExactValues() throws {
        let json = """
            {
              "resourceSpans": [
                {
                  "resource": {
                    "attributes": [
                      { "key": "service.name", "value": { "stringValue": "my.service" } }
                    ]
                  },
                  "scopeSpans": [
                    {
                      "scope": {
                        "name": "my.library",
                        "version": "1.0.0",
                        "attributes": [
                          { "key": "my.scope.attribute", "value": { "stringValue": "some scope attribute" } }
                        ]
                      },
                      "spans": [
                        {
                          "traceId": "5B8EFFF798038103D269B633813FC60C",
                          "spanId": "EEE19B7EC3C1B174",
                          "parentSpanId": "EEE19B7EC3C1B173",
                          "name": "I'm a server span",
                          "startTimeUnixNano": "1544712660000000000",
                          "endTimeUnixNano": "1544712661000000000",
                          "kind": 2,
                          "attributes": [
                            { "key": "my.span.attr", "value": { "stringValue": "some value" } }
                          ]
                        }
                      ]
                    }
                  ]
                }
              ]
            }
            """
        let expected = SpanBatch([
            ResourceSpans(
                resource: Resource(attributes: [Attribute("service.name", "my.service")]),
                scopeSpans: [ScopeSpans(
                    scope: InstrumentationScope(name: "my.library", version: "1.0.0", attributes: [Attribute("my.scope.attribute", "some scope attribute")]),
                    spans: [SpanRecord(
                        traceID: Sample.traceA, spanID: Sample.spanA, parentSpanID: Sample.spanB, name: "I'm a server span",
                        kind: .server, startTimeUnixNano: 1_544_712_660_000_000_000, endTimeUnixNano: 1_544_712_661_000_000_000,
                        attributes: [Attribute("my.span.attr", "some value")]
                    )]
                )]
            ),
        ])
        #expect(try decode(json) == expected)
    }

    @Test func sixtyFourBitIntegers_areAcceptedAsNumbersOrStrings_andThirtyTwoBitOnesToo() throws {
        let span = try onlySpan(try decode("""
            {"resourceSpans":[{"scopeSpans":[{"spans":[{
              "traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174",
              "startTimeUnixNano":1544712660000000000,"endTimeUnixNano":"18446744073709551615",
              "droppedAttributesCount":"3","droppedEventsCount":4,"droppedLinksCount":"4294967295","flags":"257",
              "events":[{"timeUnixNano":7},{"timeUnixNano":"8"}],
              "attributes":[
                {"key":"n","value":{"intValue":42}},{"key":"s","value":{"intValue":"42"}},
                {"key":"min","value":{"intValue":"-9223372036854775808"}},{"key":"max","value":{"intValue":9223372036854775807}},
                {"key":"negzero","value":{"intValue":-0}},
                {"key":"d1","value":{"doubleValue":7}},{"key":"d2","value":{"doubleValue":"2.5"}},{"key":"d3","value":{"doubleValue":1e300}}
              ]
            }]}]}]}
            """))
        #expect(span.startTimeUnixNano == 1_544_712_660_000_000_000)
        #expect(span.endTimeUnixNano == .max)
        #expect(span.droppedAttributesCount == 3)
        #expect(span.droppedEventsCount == 4)
        #expect(span.droppedLinksCount == .max)
        #expect(span.flags == 257)
        #expect(span.events.map(\.timeUnixNano) == [7, 8])
        #expect(span.attributes == [
            Attribute("n", .int(42)), Attribute("s", .int(42)), Attribute("min", .int(.min)), Attribute("max", .int(.max)),
            Attribute("negzero", .int(0)), Attribute("d1", .double(7)), Attribute("d2", .double(2.5)), Attribute("d3", .double(1e300)),
        ])
    }

    @Test func enums_acceptNamesAndIntegers_andKeepUnknownIntegers() throws {
        func kindAndCode(_ kind: String, _ code: String) throws -> (SpanKind, StatusCode) {
            let span = try onlySpan(try decode(#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"kind":"# + kind + #","status":{"code":"# + code + "}}]}]}]}"))
            return (span.kind, span.status.code)
        }
        #expect(try kindAndCode(#""SPAN_KIND_SERVER""#, #""STATUS_CODE_ERROR""#) == (.server, .error))
        #expect(try kindAndCode(#""SPAN_KIND_CLIENT""#, #""STATUS_CODE_OK""#) == (.client, .ok))
        #expect(try kindAndCode(#""SPAN_KIND_PRODUCER""#, #""STATUS_CODE_UNSET""#) == (.producer, .unset))
        #expect(try kindAndCode(#""SPAN_KIND_CONSUMER""#, "2") == (.consumer, .error))
        #expect(try kindAndCode(#""SPAN_KIND_INTERNAL""#, "1") == (.internal, .ok))
        #expect(try kindAndCode(#""SPAN_KIND_UNSPECIFIED""#, "0") == (.unspecified, .unset))
        #expect(try kindAndCode("5", "null") == (.consumer, .unset))
        #expect(try kindAndCode("42", "-7") == (SpanKind(rawValue: 42), StatusCode(rawValue: -7)))
        #expect(try kindAndCode(#""3""#, #""2""#) == (.client, .error))
    }

    @Test func unknownFields_areIgnoredAtEveryLevel() throws {
        let clean = """
            {"resourceSpans":[{"resource":{"attributes":[{"key":"a","value":{"arrayValue":{"values":[{"kvlistValue":{"values":[{"key":"k","value":{"stringValue":"v"}}]}}]}}}]},
            "scopeSpans":[{"scope":{"name":"s"},"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"n",
            "events":[{"name":"e"}],"links":[{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"00f0e1d2c3b4a596"}],"status":{"code":2}}]}]}]}
            """
        let noisy = """
            {"x0":1,"resourceSpans":[{"x1":{"deep":[1,{"a":null}]},"resource":{"x2":"s","attributes":[{"x3":[],"key":"a","value":{"x4":true,"arrayValue":{"x5":0,"values":[{"x6":{},"kvlistValue":{"x7":"","values":[{"key":"k","x8":1e5,"value":{"stringValue":"v","x9":null}}]}}]}}}],"entityRefs":[{"type":"service"}]},
            "scopeSpans":[{"scope":{"name":"s","x10":[[[]]]},"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"n","x11":"\\u0000",
            "events":[{"name":"e","x12":false}],"links":[{"x13":-1,"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"00f0e1d2c3b4a596"}],"status":{"code":2,"x14":{},"deprecatedCode":1}}],"x15":"y"}],"x16":0}],"x17":{}}
            """
        let expected = try decode(clean)
        #expect(expected.spanCount == 1)
        #expect(try decode(noisy) == expected)
    }

    @Test func snakeCaseProtoFieldNames_decodeLikeTheirCamelCaseNames() throws {
        let camel = """
            {"resourceSpans":[{"resource":{"attributes":[{"key":"r","value":{"stringValue":"x"}}],"droppedAttributesCount":1},"schemaUrl":"r-url",
            "scopeSpans":[{"scope":{"name":"s","version":"1","droppedAttributesCount":2},"schemaUrl":"s-url","spans":[{
            "traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","parentSpanId":"eee19b7ec3c1b173","traceState":"a=b",
            "name":"n","kind":2,"startTimeUnixNano":"1","endTimeUnixNano":"2","flags":1,
            "attributes":[{"key":"s","value":{"stringValue":"v"}},{"key":"b","value":{"boolValue":true}},{"key":"i","value":{"intValue":"1"}},
              {"key":"d","value":{"doubleValue":1.5}},{"key":"y","value":{"bytesValue":"AQI="}},
              {"key":"a","value":{"arrayValue":{"values":[{"intValue":"2"}]}}},{"key":"k","value":{"kvlistValue":{"values":[{"key":"z","value":{"stringValue":"w"}}]}}}],
            "droppedAttributesCount":3,"droppedEventsCount":4,"droppedLinksCount":5,
            "events":[{"timeUnixNano":"9","name":"e","droppedAttributesCount":6}],
            "links":[{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"00f0e1d2c3b4a596","traceState":"c=d","droppedAttributesCount":7,"flags":256}],
            "status":{"code":2,"message":"m"}}]}]}]}
            """
        let snake = """
            {"resource_spans":[{"resource":{"attributes":[{"key":"r","value":{"string_value":"x"}}],"dropped_attributes_count":1},"schema_url":"r-url",
            "scope_spans":[{"scope":{"name":"s","version":"1","dropped_attributes_count":2},"schema_url":"s-url","spans":[{
            "trace_id":"5b8efff798038103d269b633813fc60c","span_id":"eee19b7ec3c1b174","parent_span_id":"eee19b7ec3c1b173","trace_state":"a=b",
            "name":"n","kind":2,"start_time_unix_nano":"1","end_time_unix_nano":"2","flags":1,
            "attributes":[{"key":"s","value":{"string_value":"v"}},{"key":"b","value":{"bool_value":true}},{"key":"i","value":{"int_value":"1"}},
              {"key":"d","value":{"double_value":1.5}},{"key":"y","value":{"bytes_value":"AQI="}},
              {"key":"a","value":{"array_value":{"values":[{"int_value":"2"}]}}},{"key":"k","value":{"kvlist_value":{"values":[{"key":"z","value":{"string_value":"w"}}]}}}],
            "dropped_attributes_count":3,"dropped_events_count":4,"dropped_links_count":5,
            "events":[{"time_unix_nano":"9","name":"e","dropped_attributes_count":6}],
            "links":[{"trace_id":"0af7651916cd43dd8448eb211c80319c","span_id":"00f0e1d2c3b4a596","trace_state":"c=d","dropped_attributes_count":7,"flags":256}],
            "status":{"code":2,"message":"m"}}]}]}]}
            """
        let expected = try decode(camel)
        let group = try #require(expected.resourceSpans.first)
        #expect(group.resource == Resource(attributes: [Attribute("r", "x")], droppedAttributesCount: 1, schemaURL: "r-url"))
        #expect(group.scopeSpans.first?.scope == InstrumentationScope(name: "s", version: "1", droppedAttributesCount: 2, schemaURL: "s-url"))
        let span = try onlySpan(expected)
        #expect(span == SpanRecord(
            traceID: Sample.traceA, spanID: Sample.spanA, parentSpanID: Sample.spanB, traceState: "a=b", flags: 1, name: "n",
            kind: .server, startTimeUnixNano: 1, endTimeUnixNano: 2,
            attributes: [
                Attribute("s", "v"), Attribute("b", true), Attribute("i", 1), Attribute("d", 1.5), Attribute("y", .bytes([1, 2])),
                Attribute("a", .array([2])), Attribute("k", .keyValueList([Attribute("z", "w")])),
            ],
            droppedAttributesCount: 3,
            events: [SpanEvent(timeUnixNano: 9, name: "e", droppedAttributesCount: 6)],
            droppedEventsCount: 4,
            links: [SpanLink(traceID: Sample.traceB, spanID: Sample.spanC, traceState: "c=d", droppedAttributesCount: 7, flags: 256)],
            droppedLinksCount: 5,
            status: SpanStatus(code: .error, message: "m")
        ))
        #expect(try decode(snake) == expected)
    }

    @Test func nullsAndEmptyIDs_meanDefaults() throws {
        let json = """
            {"resourceSpans":[{"resource":null,"schemaUrl":null,"scopeSpans":[{"scope":null,"schemaUrl":null,"spans":[{
            "traceId":null,"spanId":"","parentSpanId":"","traceState":null,"flags":null,"name":null,"kind":null,
            "startTimeUnixNano":null,"endTimeUnixNano":null,"attributes":[{"key":null,"value":null},{"key":"k","value":{"stringValue":null,"intValue":null}},{"key":"v"}],
            "droppedAttributesCount":null,"events":[{"timeUnixNano":null,"name":null,"attributes":null}],"droppedEventsCount":null,
            "links":[{"traceId":"","spanId":null,"flags":null}],"droppedLinksCount":null,"status":{"code":null,"message":null}}]}]}]}
            """
        let span = try onlySpan(try decode(json))
        #expect(span == SpanRecord(
            traceID: .zero, spanID: .zero, name: "", kind: .unspecified, startTimeUnixNano: 0, endTimeUnixNano: 0,
            attributes: [Attribute("", .empty), Attribute("k", .empty), Attribute("v", .empty)],
            events: [SpanEvent(timeUnixNano: 0, name: "")],
            links: [SpanLink(traceID: .zero, spanID: .zero)]
        ))
        #expect(span.isRoot)
    }

    @Test func anyValue_withNoFieldIsEmpty_andArraysAndListsWithoutValuesAreEmpty() throws {
        let json = #"{"resourceSpans":[{"resource":{"attributes":["#
            + #"{"key":"a","value":{}},{"key":"b","value":{"arrayValue":{}}},{"key":"c","value":{"kvlistValue":{}}},"#
            + #"{"key":"d","value":{"arrayValue":{"values":[{},null]}}},{"key":"e","value":{"arrayValue":null}}]}}]}"#
        let attributes = try #require(try decode(json).resourceSpans.first?.resource.attributes)
        #expect(attributes == [
            Attribute("a", .empty), Attribute("b", .array([])), Attribute("c", .keyValueList([])),
            Attribute("d", .array([.empty, .empty])), Attribute("e", .empty),
        ])
    }

    @Test func bytesValue_acceptsStandardAndURLSafeBase64_withOrWithoutPadding() throws {
        func bytes(_ base64: String) throws -> AttributeValue? {
            let json = #"{"resourceSpans":[{"resource":{"attributes":[{"key":"b","value":{"bytesValue":""# + base64 + #""}}]}}]}"#
            return try decode(json).resourceSpans.first?.resource.attributes["b"]
        }
        #expect(try bytes("AAGr/w==") == .bytes([0x00, 0x01, 0xAB, 0xFF]))
        #expect(try bytes("AAGr/w") == .bytes([0x00, 0x01, 0xAB, 0xFF]))
        #expect(try bytes("AAGr_w==") == .bytes([0x00, 0x01, 0xAB, 0xFF]))
        #expect(try bytes("-_8=") == .bytes([0xFB, 0xFF]))
        #expect(try bytes("+/8=") == .bytes([0xFB, 0xFF]))
        #expect(try bytes("") == .bytes([]))
        #expect(try bytes("YQ==") == .bytes([0x61]))
        #expect(try bytes("YWI=") == .bytes([0x61, 0x62]))
        #expect(try bytes("YWJj") == .bytes([0x61, 0x62, 0x63]))
    }

    @Test func bytesValue_ofEveryLength_roundTrips() throws {
        for length in 0..<10 {
            let value = AttributeValue.bytes((0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 250) })
            let batch = SpanBatch([ResourceSpans(resource: Resource(attributes: [Attribute("b", value)]))])
            #expect(try OTLPJSON.decodeExportRequest(OTLPJSON.encodeExportRequest(batch)) == batch)
        }
    }

    @Test func deeplyNestedValues_underAnEventAttribute_roundTripUpToThirtyTwoLevels() throws {
        var value: AttributeValue = "leaf"
        for level in 0..<32 {
            value = level.isMultiple(of: 2) ? .keyValueList([Attribute("k", value)]) : .array([value])
        }
        let batch = SpanBatch([ResourceSpans(scopeSpans: [ScopeSpans(spans: [SpanRecord(
            traceID: Sample.traceA, spanID: Sample.spanA, name: "deep", startTimeUnixNano: 1, endTimeUnixNano: 2,
            events: [SpanEvent(timeUnixNano: 1, name: "e", attributes: [Attribute("deep", value)])]
        )])])])
        #expect(try OTLPJSON.decodeExportRequest(OTLPJSON.encodeExportRequest(batch)) == batch)
    }

    @Test func nestingPastTheLimit_isNestingTooDeep() {
        var value: AttributeValue = "leaf"
        for _ in 0..<60 { value = .keyValueList([Attribute("k", value)]) }
        let batch = SpanBatch([ResourceSpans(resource: Resource(attributes: [Attribute("deep", value)]))])
        let error = decodeError(String(decoding: OTLPJSON.encodeExportRequest(batch), as: UTF8.self))
        #expect(error?.code == .nestingTooDeep)
    }
}

// MARK: - Errors

@Suite struct OTLPJSONErrorTests {
    private static let goodSpan = #"{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"ok"}"#
    private static let prefix = #"{"resourceSpans":[{"scopeSpans":[{"spans":[]},{"spans":["# + goodSpan + "," + goodSpan + ","

    struct Case: Sendable, CustomTestStringConvertible {
        /// The third span of the second scope.
        var span: String
        /// The expected path below `resourceSpans[0].scopeSpans[1].spans[2]`.
        var field: String
        var code: WireError.Code
        /// The text just before the offending value inside `span` ("" for the span itself).
        var before: String
        var testDescription: String { span }
    }

    @Test(arguments: [
        Case(span: #"{"traceId":"5b8e"}"#, field: "traceId", code: .invalidID, before: #""traceId":"#),
        Case(span: #"{"traceId":"5B8EFFF798038103D269B633813FC60G"}"#, field: "traceId", code: .invalidID, before: #""traceId":"#),
        Case(span: #"{"traceId":"5b8efff798038103d269b633813fc60c00"}"#, field: "traceId", code: .invalidID, before: #""traceId":"#),
        Case(span: #"{"trace_id":7}"#, field: "traceId", code: .invalidID, before: #""trace_id":"#),
        Case(span: #"{"spanId":"eee19b7ec3c1b17"}"#, field: "spanId", code: .invalidID, before: #""spanId":"#),
        Case(span: #"{"spanId":" eee19b7ec3c1b17"}"#, field: "spanId", code: .invalidID, before: #""spanId":"#),
        Case(span: #"{"parentSpanId":"0xee19b7ec3c1b17"}"#, field: "parentSpanId", code: .invalidID, before: #""parentSpanId":"#),
        Case(span: #"{"parentSpanId":{}}"#, field: "parentSpanId", code: .invalidID, before: #""parentSpanId":"#),
        Case(span: #"{"name":5}"#, field: "name", code: .invalidValue, before: #""name":"#),
        Case(span: #"{"traceState":["a"]}"#, field: "traceState", code: .invalidValue, before: #""traceState":"#),
        Case(span: #"{"startTimeUnixNano":-1}"#, field: "startTimeUnixNano", code: .invalidValue, before: #""startTimeUnixNano":"#),
        Case(span: #"{"endTimeUnixNano":"1.5"}"#, field: "endTimeUnixNano", code: .invalidValue, before: #""endTimeUnixNano":"#),
        Case(span: #"{"endTimeUnixNano":"18446744073709551616"}"#, field: "endTimeUnixNano", code: .invalidValue, before: #""endTimeUnixNano":"#),
        Case(span: #"{"start_time_unix_nano":true}"#, field: "startTimeUnixNano", code: .invalidValue, before: #""start_time_unix_nano":"#),
        Case(span: #"{"droppedAttributesCount":4294967296}"#, field: "droppedAttributesCount", code: .invalidValue, before: #""droppedAttributesCount":"#),
        Case(span: #"{"flags":-1}"#, field: "flags", code: .invalidValue, before: #""flags":"#),
        Case(span: #"{"kind":"SPAN_KIND_BOGUS"}"#, field: "kind", code: .invalidValue, before: #""kind":"#),
        Case(span: #"{"kind":2147483648}"#, field: "kind", code: .invalidValue, before: #""kind":"#),
        Case(span: #"{"kind":1.5}"#, field: "kind", code: .invalidValue, before: #""kind":"#),
        Case(span: #"{"kind":false}"#, field: "kind", code: .invalidValue, before: #""kind":"#),
        Case(span: #"{"status":{"code":"STATUS_CODE_NOPE"}}"#, field: "status.code", code: .invalidValue, before: #""code":"#),
        Case(span: #"{"status":{"message":1}}"#, field: "status.message", code: .invalidValue, before: #""message":"#),
        Case(span: #"{"status":[]}"#, field: "status", code: .invalidValue, before: #""status":"#),
        Case(span: #"{"attributes":{}}"#, field: "attributes", code: .invalidValue, before: #""attributes":"#),
        Case(span: #"{"attributes":["k"]}"#, field: "attributes[0]", code: .invalidValue, before: #""attributes":["#),
        Case(span: #"{"attributes":[{"key":1}]}"#, field: "attributes[0].key", code: .invalidValue, before: #""key":"#),
        Case(span: #"{"attributes":[{"key":"k","value":"v"}]}"#, field: "attributes[0].value", code: .invalidValue, before: #""value":"#),
        Case(span: #"{"attributes":[{"key":"k","value":{"intValue":"9223372036854775808"}}]}"#, field: "attributes[0].value.intValue", code: .invalidValue, before: #""intValue":"#),
        Case(span: #"{"attributes":[{"key":"k","value":{"intValue":1.5}}]}"#, field: "attributes[0].value.intValue", code: .invalidValue, before: #""intValue":"#),
        Case(span: #"{"attributes":[{"key":"k","value":{"stringValue":1}}]}"#, field: "attributes[0].value.stringValue", code: .invalidValue, before: #""stringValue":"#),
        Case(span: #"{"attributes":[{"key":"k","value":{"bytesValue":"!!!!"}}]}"#, field: "attributes[0].value.bytesValue", code: .invalidValue, before: #""bytesValue":"#),
        Case(span: #"{"attributes":[{"key":"k","value":{"bytesValue":"AAGr/w="}}]}"#, field: "attributes[0].value.bytesValue", code: .invalidValue, before: #""bytesValue":"#),
        Case(span: #"{"attributes":[{"key":"k","value":{"bytesValue":"A"}}]}"#, field: "attributes[0].value.bytesValue", code: .invalidValue, before: #""bytesValue":"#),
        Case(span: #"{"attributes":[{"key":"k","value":{"bytesValue":"AAGr w=="}}]}"#, field: "attributes[0].value.bytesValue", code: .invalidValue, before: #""bytesValue":"#),
        Case(span: #"{"attributes":[{"key":"k","value":{"doubleValue":"fast"}}]}"#, field: "attributes[0].value.doubleValue", code: .invalidValue, before: #""doubleValue":"#),
        Case(span: #"{"attributes":[{"key":"k","value":{"stringValue":"a","intValue":"1"}}]}"#, field: "attributes[0].value.intValue", code: .invalidValue, before: #""intValue":"#),
        Case(span: #"{"attributes":[{"key":"k","value":{"arrayValue":{"values":[{"boolValue":true},{"boolValue":"yes"}]}}}]}"#, field: "attributes[0].value.arrayValue.values[1].boolValue", code: .invalidValue, before: #"},{"boolValue":"#),
        Case(span: #"{"attributes":[{"key":"k","value":{"arrayValue":{"values":{}}}}]}"#, field: "attributes[0].value.arrayValue.values", code: .invalidValue, before: #""values":"#),
        Case(span: #"{"attributes":[{"key":"k","value":{"kvlistValue":{"values":[{"key":"a","value":{"doubleValue":true}}]}}}]}"#, field: "attributes[0].value.kvlistValue.values[0].value.doubleValue", code: .invalidValue, before: #""doubleValue":"#),
        Case(span: #"{"attributes":[{"key":"k","value":{"kvlistValue":[]}}]}"#, field: "attributes[0].value.kvlistValue", code: .invalidValue, before: #""kvlistValue":"#),
        Case(span: #"{"events":[{},{"timeUnixNano":"x"}]}"#, field: "events[1].timeUnixNano", code: .invalidValue, before: #""timeUnixNano":"#),
        Case(span: #"{"events":[{"attributes":[{"key":"a","value":{"boolValue":0}}]}]}"#, field: "events[0].attributes[0].value.boolValue", code: .invalidValue, before: #""boolValue":"#),
        Case(span: #"{"links":[{"traceId":"00"}]}"#, field: "links[0].traceId", code: .invalidID, before: #""traceId":"#),
        Case(span: #"{"links":[{},{"span_id":"zzzzzzzzzzzzzzzz"}]}"#, field: "links[1].spanId", code: .invalidID, before: #""span_id":"#),
        Case(span: #"{"links":[{"flags":"4294967296"}]}"#, field: "links[0].flags", code: .invalidValue, before: #""flags":"#),
        Case(span: #"{"links":[null]}"#, field: "links[0]", code: .invalidValue, before: #""links":["#),
        Case(span: "5", field: "", code: .invalidValue, before: ""),
    ])
    func badSpanFields_nameTheFieldPathAndTheOffsetOfTheValue(_ testCase: Case) throws {
        let json = Self.prefix + testCase.span + "]}]}]}"
        let error = try #require(decodeError(json))
        let expectedField = "resourceSpans[0].scopeSpans[1].spans[2]" + (testCase.field.isEmpty ? "" : "." + testCase.field)
        let within = try #require(byteOffset(of: testCase.before, in: testCase.span))
        #expect(error.code == testCase.code)
        #expect(error.field == expectedField)
        #expect(error.offset == Self.prefix.utf8.count + within + testCase.before.utf8.count)
    }

    @Test func badIDs_sayWhatIsWrong() {
        let short = decodeError(Self.prefix + #"{"traceId":"5b8e"}]}]}]}"#)
        #expect(short?.message == "a trace ID is 32 hexadecimal digits, found 4 characters")
        let nonHex = decodeError(Self.prefix + #"{"spanId":"eee19b7ec3c1b17x"}]}]}]}"#)
        #expect(nonHex?.message == "a span ID must be hexadecimal digits only")
        // swift-otel and protobuf's generic JSON mapping write IDs in base64.
        let base64 = decodeError(Self.prefix + #"{"traceId":"W47/95gDgQPSabYzgT/GDA=="}]}]}]}"#)
        #expect(base64?.code == .invalidID)
        #expect(base64?.message == "a trace ID is 32 hexadecimal digits, found 24 characters (this looks like base64: OTLP JSON writes IDs in hexadecimal)")
        #expect(base64?.description == "resourceSpans[0].scopeSpans[1].spans[2].traceId: " + (base64?.message ?? "") + " (at byte \(Self.prefix.utf8.count + 11))")
    }

    @Test func malformedIDs_decodeAsZero_keepsTheRequestAndZeroesOnlyTheBadIDs() throws {
        let json = #"{"resourceSpans":[{"scopeSpans":[{"spans":["#
            + #"{"traceId":"5b8e","spanId":"eee19b7ec3c1b174","name":"short trace"},"#
            + #"{"traceId":"5b8effff798038103d269b633813fc60","spanId":"eee19b7ec3c1b17x","parentSpanId":17,"name":"bad span"},"#
            + #"{"traceId":"5b8effff798038103d269b633813fc60","spanId":"eee19b7ec3c1b175","parentSpanId":"eee19b","name":"orphan"},"#
            + #"{"traceId":"5b8effff798038103d269b633813fc60","spanId":"eee19b7ec3c1b174","name":"good","#
            + #""links":[{"traceId":"W47/95gDgQPSabYzgT/GDA==","spanId":"eee19b7ec3c1b173"}]}"#
            + "]}]}]}"
        // The default still fails the request at the first bad ID.
        #expect(decodeError(json)?.field == "resourceSpans[0].scopeSpans[0].spans[0].traceId")
        let batch = try OTLPJSON.decodeExportRequest(Array(json.utf8), malformedIDs: .decodeAsZero)
        let trace = try #require(TraceID(hex: "5b8effff798038103d269b633813fc60"))
        let span = try #require(SpanID(hex: "eee19b7ec3c1b174"))
        #expect(batch.spans.map(\.name) == ["short trace", "bad span", "orphan", "good"])
        #expect(batch.spans.map(\.traceID) == [.zero, trace, trace, trace])
        // A malformed parent makes its span invalid (zero span ID), not a root.
        #expect(batch.spans.map(\.spanID) == [span, .zero, .zero, span])
        #expect(batch.spans.map(\.parentSpanID) == [.zero, .zero, .zero, .zero])
        #expect(batch.span(at: 3).links == [SpanLink(traceID: .zero, spanID: try #require(SpanID(hex: "eee19b7ec3c1b173")))])
        // Only IDs are forgiven: any other error still fails the request.
        let badName = json.replacingOccurrences(of: #""name":"good""#, with: #""name":7"#)
        #expect(throws: WireError.self) { try OTLPJSON.decodeExportRequest(Array(badName.utf8), malformedIDs: .decodeAsZero) }
    }

    @Test(arguments: [
        ("[]", "", WireError.Code.invalidValue, 0),
        ("null", "", .invalidValue, 0),
        (#"{"resourceSpans":{}}"#, "resourceSpans", .invalidValue, 17),
        (#"{"resourceSpans":[1]}"#, "resourceSpans[0]", .invalidValue, 18),
        (#"{"resourceSpans":[{"schemaUrl":1}]}"#, "resourceSpans[0].schemaUrl", .invalidValue, 31),
        (#"{"resourceSpans":[{"resource":"r"}]}"#, "resourceSpans[0].resource", .invalidValue, 30),
        (#"{"resourceSpans":[{"resource":{"droppedAttributesCount":-1}}]}"#, "resourceSpans[0].resource.droppedAttributesCount", .invalidValue, 56),
        (#"{"resourceSpans":[{"resource":{"attributes":[{"key":"a","value":{"boolValue":1}}]}}]}"#, "resourceSpans[0].resource.attributes[0].value.boolValue", .invalidValue, 77),
        (#"{"resourceSpans":[{"scopeSpans":[{"scope":{"name":false}}]}]}"#, "resourceSpans[0].scopeSpans[0].scope.name", .invalidValue, 50),
        (#"{"resourceSpans":[{"scopeSpans":[{"scope":{"attributes":[{"key":"a","value":{"intValue":"x"}}]}}]}]}"#, "resourceSpans[0].scopeSpans[0].scope.attributes[0].value.intValue", .invalidValue, 88),
        (#"{"resourceSpans":[{"scopeSpans":[{"schema_url":[]}]}]}"#, "resourceSpans[0].scopeSpans[0].schemaUrl", .invalidValue, 47),
        (#"{"resource_spans":[{"scope_spans":[{"spans":[{"trace_id":"x"}]}]}]}"#, "resourceSpans[0].scopeSpans[0].spans[0].traceId", .invalidID, 57),
        (#"{"resourceSpans":[}"#, "", .invalidJSON, 18),
        (#"{"resourceSpans":[]} x"#, "", .invalidJSON, 21),
    ] as [(String, String, WireError.Code, Int)])
    func badDocuments_nameTheFieldPathAndOffset(_ json: String, _ field: String, _ code: WireError.Code, _ offset: Int) {
        let error = decodeError(json)
        #expect(error?.code == code)
        #expect(error?.field == field)
        #expect(error?.offset == offset)
    }

    @Test func mutatedRequests_decodeOrThrow_withoutTrapping() throws {
        let span = SpanRecord(
            traceID: Sample.traceA, spanID: Sample.spanA, parentSpanID: Sample.spanB, traceState: "a=b", flags: 1, name: "op",
            kind: .client, startTimeUnixNano: 1, endTimeUnixNano: 2,
            attributes: [Attribute("n", .int(-3)), Attribute("d", 2.5), Attribute("b", .bytes([1, 2, 3])), Attribute("a", .array([true, .keyValueList([Attribute("k", "v")])]))],
            events: [SpanEvent(timeUnixNano: 5, name: "ev", droppedAttributesCount: 1)],
            links: [SpanLink(traceID: Sample.traceB, spanID: Sample.spanC, flags: 256)],
            status: SpanStatus(code: .error, message: "m")
        )
        let document = OTLPJSON.encodeExportRequest(SpanBatch([ResourceSpans(scopeSpans: [ScopeSpans(spans: [span])])]))
        let alphabet = Array(#"{}[],:"\0123456789abcdefABCDEF-.e nul_"#.utf8) + [0x00, 0xC3, 0xFF]
        var random = SplitMix64(state: 4318)
        var codes: Set<WireError.Code> = []
        for _ in 0..<3_000 {
            var bytes = document
            for _ in 0..<(1 + Int(random.next() % 3)) {
                let position = Int(random.next() % UInt64(bytes.count))
                let byte = alphabet[Int(random.next() % UInt64(alphabet.count))]
                switch random.next() % 3 {
                case 0: bytes[position] = byte
                case 1: bytes.insert(byte, at: position)
                default: if bytes.count > 1 { bytes.remove(at: position) }
                }
            }
            do {
                _ = try OTLPJSON.decodeExportRequest(bytes)
            } catch {
                codes.insert(error.code)
                #expect(error.offset >= 0 && error.offset <= bytes.count)
            }
        }
        #expect(codes.isSuperset(of: [.invalidJSON, .invalidID, .invalidValue, .invalidUTF8]))
    }

    @Test func invalidUTF8InAString_isInvalidUTF8() {
        var bytes = Array(#"{"resourceSpans":[{"resource":{"attributes":[{"key":"a","value":{"stringValue":"x"#.utf8)
        let badOffset = bytes.count
        bytes += [0xC3, 0x28]
        bytes += Array(#""}}]}}]}"#.utf8)
        #expect(throws: WireError(.invalidUTF8, field: "", offset: badOffset, "the text is not valid UTF-8")) {
            try OTLPJSON.decodeExportRequest(bytes)
        }
    }
}

// MARK: - Responses

@Suite struct OTLPJSONResponseTests {
    @Test func fullSuccess_isAnEmptyObject() throws {
        #expect(OTLPJSON.encodeExportResponse(ExportTraceResponse()) == Array("{}".utf8))
        #expect(try OTLPJSON.decodeExportResponse(Array("{}".utf8)) == ExportTraceResponse())
        #expect(try OTLPJSON.decodeExportResponse(Array(#"{"partialSuccess":null}"#.utf8)) == ExportTraceResponse())
        #expect(try OTLPJSON.decodeExportResponse(Array(#"{"partialSuccess":{}}"#.utf8)) == ExportTraceResponse())
    }

    @Test func partialSuccess_writesRejectedSpansAsAString() throws {
        let response = ExportTraceResponse(rejectedSpans: 3, errorMessage: "3 spans had no \"name\"")
        let json = String(decoding: OTLPJSON.encodeExportResponse(response), as: UTF8.self)
        #expect(json == #"{"partialSuccess":{"rejectedSpans":"3","errorMessage":"3 spans had no \"name\""}}"#)
        #expect(try OTLPJSON.decodeExportResponse(Array(json.utf8)) == response)
        #expect(OTLPJSON.encodeExportResponse(ExportTraceResponse(errorMessage: "slow down")) == Array(#"{"partialSuccess":{"errorMessage":"slow down"}}"#.utf8))
        #expect(OTLPJSON.encodeExportResponse(ExportTraceResponse(rejectedSpans: .max)) == Array(#"{"partialSuccess":{"rejectedSpans":"9223372036854775807"}}"#.utf8))
    }

    @Test func partialSuccess_acceptsNumbersSnakeCaseAndUnknownFields() throws {
        let decoded = try OTLPJSON.decodeExportResponse(Array(#"{"x":1,"partial_success":{"rejected_spans":7,"error_message":"e","y":[]}}"#.utf8))
        #expect(decoded == ExportTraceResponse(rejectedSpans: 7, errorMessage: "e"))
        let negative = try OTLPJSON.decodeExportResponse(Array(#"{"partialSuccess":{"rejectedSpans":"-1"}}"#.utf8))
        #expect(negative == ExportTraceResponse(rejectedSpans: -1))
    }

    @Test func badResponses_nameTheFieldPath() {
        #expect(throws: WireError(.invalidValue, field: "partialSuccess.rejectedSpans", offset: 35, #"expected a signed 64-bit integer (a number or a decimal string), found a string "lots""#)) {
            try OTLPJSON.decodeExportResponse(Array(#"{"partialSuccess":{"rejectedSpans":"lots"}}"#.utf8))
        }
        #expect(throws: WireError(.invalidValue, field: "partialSuccess.errorMessage", offset: 34, "expected a string, found a boolean")) {
            try OTLPJSON.decodeExportResponse(Array(#"{"partialSuccess":{"errorMessage":true}}"#.utf8))
        }
        #expect(throws: WireError(.invalidValue, field: "", offset: 0, "expected an object, found an array")) {
            try OTLPJSON.decodeExportResponse(Array("[]".utf8))
        }
        #expect(throws: WireError(.invalidJSON, field: "", offset: 0, "expected a value, found the end of the input")) {
            try OTLPJSON.decodeExportResponse([])
        }
    }
}

// MARK: - The OpenTelemetry Python SDK's request

@Suite struct OTLPJSONPythonFixtureTests {
    private static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    private static func fixture(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: fixtures.appendingPathComponent(name)))
    }

    @Test func pythonRequestAsJSON_decodesToTheSameBatchAsTheProtobufBody() throws {
        let fromJSON = try OTLPJSON.decodeExportRequest(try Self.fixture("python-otlp.json"))
        let fromProtobuf = try OTLPProtobuf.decodeExportRequest(try Self.fixture("python-otlp.binpb"))
        #expect(fromJSON.spanCount == 6)
        #expect(fromJSON == fromProtobuf)
    }

    @Test func pythonRequestAsJSON_decodesExactValues() throws {
        let batch = try OTLPJSON.decodeExportRequest(try Self.fixture("python-otlp.json"))
        let groups = batch.resourceSpans
        #expect(groups.count == 1)
        #expect(groups.first?.resource.serviceName == "checkout")
        #expect(groups.first?.scopeSpans.map(\.scope.name) == ["checkout.jobs", "checkout.http"])
        #expect(groups.first?.scopeSpans.last?.scope.schemaURL == "https://opentelemetry.io/schemas/1.21.0")
        #expect(batch.spans.map(\.name) == ["nightly-reconcile", "process order.created", "authorize", "charge-card", "publish order.created", "POST /checkout"])

        let reconcile = batch.span(at: 0)
        #expect(reconcile.traceID.hexString == "0af7651916cd43dd8448eb211c80319c")
        #expect(reconcile.isRoot)
        #expect(reconcile.flags == 0x100)
        #expect(reconcile.endTimeUnixNano == 1_699_999_995_500_000_250)
        #expect(reconcile.attributes["ext.bytes"] == .bytes([0x00, 0x01, 0xAB, 0xFF]))
        #expect(reconcile.attributes["ext.map"] == .keyValueList([
            Attribute("region", "eu-west-1"), Attribute("shards", 3), Attribute("nested", .keyValueList([Attribute("ok", true)])),
        ]))
        #expect(reconcile.attributes["ext.mixed_array"] == .array(["x", 1, true, 2.5]))
        #expect(reconcile.attributes["ext.empty_array"] == .array([]))
        #expect(reconcile.attributes["ext.none"] == .empty)

        let charge = batch.span(at: 3)
        #expect(charge.kind == .client)
        #expect(charge.status == SpanStatus(code: .error, message: "card declined"))
        #expect(charge.attributes["payment.amount"] == .double(19.99))
        #expect(charge.links.first?.attributes == [Attribute("link.reason", "retry-of"), Attribute("link.attempt", 2)])

        let server = batch.span(at: 5)
        #expect(server.kind == .server)
        #expect(server.flags == 0x300)
        #expect(server.parentSpanID.hexString == "eee19b7ec3c1b174")
        #expect(server.startTimeUnixNano == 1_700_000_000_123_456_789)
        #expect(server.attributes["attr.string_unicode"] == "Grüße, 世界 🚀")
        #expect(server.attributes["attr.int_max"] == .int(.max))
        #expect(server.attributes["attr.int_min"] == .int(.min))
        #expect(server.attributes["attr.int_above_2_53"] == .int(9_007_199_254_740_993))
        #expect(server.attributes["attr.int_array"] == .array([1, -2, .int(9_007_199_254_740_993)]))
        #expect(server.events.map(\.name) == ["request.received", "cache.miss"])
    }

    @Test func pythonRequest_survivesEncodeThenDecode() throws {
        let batch = try OTLPJSON.decodeExportRequest(try Self.fixture("python-otlp.json"))
        #expect(try OTLPJSON.decodeExportRequest(OTLPJSON.encodeExportRequest(batch)) == batch)
    }
}

// MARK: - Decoding in one pass

/// What the decoder must do however it reads a request: a repeated field's last value at
/// every level, escapes anywhere, malformed text reported before any error of meaning.
@Suite struct OTLPJSONDecodingOrderTests {
    @Test func repeatedFields_takeTheirLastValue_atEveryLevel() throws {
        let json = #"{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"dropped"}]}]}],"resourceSpans":[{"#
            + #""resource":{"attributes":[{"key":"a","value":{"stringValue":"1"}}]},"resource":{"droppedAttributesCount":2},"#
            + #""scopeSpans":[{"spans":[{"name":"x"}]}],"#
            + #""scopeSpans":[{"scope":{"name":"s"},"scope":null,"spans":[{"name":"first"}],"spans":[{"name":"a","name":"b","#
            + #""attributes":[{"key":"k","value":{"intValue":"1"}}],"attributes":[],"#
            + #""status":{"code":2,"message":"m"},"status":{"message":"n"},"events":[{"name":"e"}],"events":null,"#
            + #""links":[{"spanId":"eee19b7ec3c1b174"}],"links":[{"traceState":"t"}]}]}]}]}"#
        let batch = try decode(json)
        #expect(batch == SpanBatch([ResourceSpans(
            resource: Resource(droppedAttributesCount: 2),
            scopeSpans: [ScopeSpans(spans: [SpanRecord(
                traceID: .zero, spanID: .zero, name: "b", kind: .unspecified, startTimeUnixNano: 0, endTimeUnixNano: 0,
                links: [SpanLink(traceID: .zero, spanID: .zero, traceState: "t")],
                status: SpanStatus(message: "n")
            )])]
        )]))
        try batch.tables.validate()
    }

    @Test func escapes_inKeysAndValues_readAsTheirText() throws {
        let json = #"{"resourceSpans":[{"scopeSpans":[{"spans":[{"n\u0061me":"caf\u00e9 \"q\"\n","trace\u0049d":"5B8EFFF798038103D269B633813FC60C","#
            + #""attributes":[{"key":"\ud83d\ude80","value":{"string\u0056alue":"\u2028","bytesValue":null}},{"key":"b","value":{"bytesValue":"AAGr\/w=="}}]}]}]}]}"#
        let span = try onlySpan(try decode(json))
        #expect(span.name == "café \"q\"\n")
        #expect(span.traceID == Sample.traceA)
        #expect(span.attributes == [Attribute("🚀", "\u{2028}"), Attribute("b", .bytes([0x00, 0x01, 0xAB, 0xFF]))])
        let encoded = String(decoding: OTLPJSON.encodeExportRequest(try decode(json)), as: UTF8.self)
        #expect(encoded.contains(#""name":"café \"q\"\n""#))
        #expect(encoded.contains(#"{"key":"🚀","value":{"stringValue":"\u2028"}}"#))
    }

    @Test func malformedJSONAnywhere_winsOverAnEarlierBadField() {
        let syntax = decodeError(#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":5}]}]}],"x":[1,}"#)
        #expect(syntax?.code == .invalidJSON)
        #expect(syntax?.field == "")
        #expect(syntax?.offset == 66)
        let deep = #"{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":5}]}]}],"x":"# + String(repeating: "[", count: 200) + String(repeating: "]", count: 200) + "}"
        #expect(decodeError(deep)?.code == .nestingTooDeep)
        var utf8 = Array(#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":5}]}]}],"x":""#.utf8)
        let bad = utf8.count
        utf8 += [0xE2, 0x28] + Array(#""}"#.utf8)
        #expect(throws: WireError(.invalidUTF8, field: "", offset: bad, "the text is not valid UTF-8")) {
            try OTLPJSON.decodeExportRequest(utf8)
        }
    }

    @Test func decodedBatches_keepTheTablesInvariants() throws {
        try OTLPJSON.decodeExportRequest(OTLPJSON.encodeExportRequest(Sample.everyField)).tables.validate()
        let mutated = Array(OTLPJSON.encodeExportRequest(Sample.everyField))
        var random = SplitMix64(state: 77)
        for _ in 0..<500 {
            var bytes = mutated
            let position = Int(random.next() % UInt64(bytes.count))
            bytes[position] = Array(#"{}[],:"\0123456789aefnul"#.utf8)[Int(random.next() % 23)]
            if let batch = try? OTLPJSON.decodeExportRequest(bytes) { try batch.tables.validate() }
        }
    }

    @Test func encoding_escapesWhatJSONRequires_andNothingElse() {
        let batch = SpanBatch([ResourceSpans(scopeSpans: [ScopeSpans(spans: [SpanRecord(
            traceID: Sample.traceA, spanID: Sample.spanA, name: "\u{0}\u{1F}\"\\/\u{7F}\u{2028}\u{2029}é\t", kind: .server,
            startTimeUnixNano: 1, endTimeUnixNano: .max
        )])])])
        let json = String(decoding: OTLPJSON.encodeExportRequest(batch), as: UTF8.self)
        #expect(json.contains(#""name":"\u0000\u001f\"\\/"# + "\u{7F}" + #"\u2028\u2029"# + "é" + #"\t","kind":2,"startTimeUnixNano":"1","endTimeUnixNano":"18446744073709551615"}"#))
    }
}
