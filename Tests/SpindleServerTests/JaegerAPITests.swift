import Foundation
import SpindleModel
import SpindleStorage
import SpindleTesting
import SpindleWire
import Testing

@testable import SpindleServer

/// The Jaeger query API on a live server holding the conformance fixtures: real requests,
/// exact JSON compared as parsed trees (key order aside, numbers by their text).
@Suite struct JaegerAPITests {
    typealias F = ConformanceFixtures

    // MARK: - Services and operations

    @Test func services_listsEveryNamedServiceInJaegersEnvelope() async throws {
        try await withFixtures { server in
            let response = try await get(server.http + "/api/services")
            #expect(response.status == 200)
            #expect(response.headers["Content-Type"].first == "application/json")
            #expect(response.text == #"{"data":["checkout","frontend","inventory","payments"],"total":4,"limit":0,"offset":0,"errors":null}"#)
        }
    }

    @Test func operationsOfAService_areItsUniqueNamesSorted() async throws {
        try await withFixtures { server in
            let checkout = try await get(server.http + "/api/services/checkout/operations")
            #expect(checkout.text == #"{"data":["POST /cart/checkout","charge","consume refund"],"total":3,"limit":0,"offset":0,"errors":null}"#)
            let frontend = try await get(server.http + "/api/services/frontend/operations")
            #expect(frontend.text == #"{"data":["GET /checkout","GET /products","heartbeat"],"total":3,"limit":0,"offset":0,"errors":null}"#)
            let unknown = try await get(server.http + "/api/services/no%20such%2Fservice/operations")
            #expect(unknown.status == 200)
            #expect(unknown.text == #"{"data":[],"total":0,"limit":0,"offset":0,"errors":null}"#)
        }
    }

    @Test func operationsWithKinds_canBeFilteredByKind() async throws {
        try await withFixtures { server in
            let all = try await get(server.http + "/api/operations?service=frontend")
            #expect(try tree(all.body) == tree(#"""
                {"data":[{"name":"GET /checkout","spanKind":"server"},{"name":"GET /products","spanKind":"server"},
                {"name":"heartbeat","spanKind":"unspecified"},{"name":"heartbeat","spanKind":"client"}],
                "total":4,"limit":0,"offset":0,"errors":null}
                """#))
            let clients = try await get(server.http + "/api/operations?service=frontend&spanKind=client")
            #expect(clients.text == #"{"data":[{"name":"heartbeat","spanKind":"client"}],"total":1,"limit":0,"offset":0,"errors":null}"#)
            let unspecified = try await get(server.http + "/api/operations?service=frontend&spanKind=unspecified")
            #expect(unspecified.text == #"{"data":[{"name":"heartbeat","spanKind":"unspecified"}],"total":1,"limit":0,"offset":0,"errors":null}"#)
        }
    }

    // MARK: - Trace by ID

    @Test func traceByID_isJaegersTraceWithProcessesTagsReferencesAndLogs() async throws {
        try await withFixtures { server in
            let response = try await get(server.http + "/api/traces/" + F.traceA.hexString)
            #expect(response.status == 200)
            #expect(try tree(response.body) == tree(#"{"data":[\#(Self.traceAJSON)],"total":0,"limit":0,"offset":0,"errors":null}"#))
        }
    }

    @Test func traceByID_mapsUnspecifiedKindsDoublesAndMissingServiceNames() async throws {
        try await withFixtures { server in
            let d = try await get(server.http + "/api/traces/" + F.traceD.hexString.uppercased())
            #expect(try tree(d.body) == tree(#"{"data":[\#(Self.traceDJSON)],"total":0,"limit":0,"offset":0,"errors":null}"#))
            let e = try await get(server.http + "/api/traces/" + F.traceE.hexString)
            #expect(try tree(e.body) == tree(#"{"data":[\#(Self.traceEJSON)],"total":0,"limit":0,"offset":0,"errors":null}"#))
        }
    }

    @Test func traceByID_acceptsShortIDsAndMapsLinksEventsAndLargeIntegersAsJaegerDoes() async throws {
        let store = InMemoryTraceStore(maxSpans: 1_000)
        try await store.write(Self.edgeCaseBatch)
        try await withServer(writer: store, reader: store) { server in
            for id in ["abc", "0000000000000ABC", "00000000000000000000000000000abc"] {
                let response = try await get(server.http + "/api/traces/" + id)
                #expect(response.status == 200, "\(id)")
                #expect(try tree(response.body) == tree(#"{"data":[\#(Self.edgeCaseJSON)],"total":0,"limit":0,"offset":0,"errors":null}"#), "\(id)")
            }
        }
    }

    @Test func anUnknownTrace_is404InJaegersErrorShape() async throws {
        try await withFixtures { server in
            let response = try await get(server.http + "/api/traces/" + F.unknownTrace.hexString)
            #expect(response.status == 404)
            #expect(response.text == #"{"data":null,"total":0,"limit":0,"offset":0,"errors":[{"code":404,"msg":"trace not found"}]}"#)
        }
    }

    @Test(arguments: ["xyz", "0a0000000000000000000000000000a0f", "0", "00000000000000000000000000000000", "%20", "12%2F34"])
    func aMalformedTraceID_is400(id: String) async throws {
        try await withFixtures { server in
            let response = try await get(server.http + "/api/traces/" + id)
            #expect(response.status == 400)
            let shown = JaegerAPI.percentDecoded(id)
            #expect(try tree(response.body) == tree(#"""
                {"data":null,"total":0,"limit":0,"offset":0,"errors":[{"code":400,
                "msg":"unable to parse param 'traceID': expected a trace ID of 1 to 32 hexadecimal digits, not all zero, got \"\#(shown)\""}]}
                """#))
        }
    }

    // MARK: - Search

    @Test func search_byService_returnsWholeTracesMostRecentFirst() async throws {
        try await withFixtures { server in
            let found = try await search(server, ["service": "inventory"])
            #expect(found.ids == [F.traceB, F.traceA])
            #expect(found.spanCounts == [3, 5])
            let response = try await get(server.http + "/api/traces" + query(["service": "frontend", "operation": "heartbeat", "start": "0"]))
            #expect(try tree(response.body) == tree(#"{"data":[\#(Self.traceDJSON)],"total":0,"limit":0,"offset":0,"errors":null}"#))
            // The Jaeger UI's own request: empty durations written without `=`.
            let end = F.time(10_000) / 1_000
            let ui = try await get(server.http + "/api/traces?end=\(end)&limit=20&lookback=1h&maxDuration&minDuration&service=frontend&start=0")
            #expect(ui.status == 200)
            #expect(try traceIDs(in: ui.body) == [F.traceD, F.traceB, F.traceA])
        }
    }

    @Test func search_byOperation_matchesTheSpanName() async throws {
        try await withFixtures { server in
            try await expectSearch(server, ["service": "payments", "operation": "charge"], finds: [F.traceA])
            try await expectSearch(server, ["service": "checkout", "operation": "consume refund"], finds: [F.traceC])
            try await expectSearch(server, ["service": "checkout", "operation": "GET /checkout"], finds: [])
        }
    }

    @Test(arguments: [
        // Span attributes by their text: ints, the double 200.0, bools, strings.
        (["service": "frontend", "tags": #"{"http.response.status_code":"200"}"#], [F.traceD, F.traceB, F.traceA]),
        (["service": "frontend", "tags": #"{"http.response.status_code":"200.0"}"#], [F.traceD, F.traceB, F.traceA]),
        (["service": "checkout", "tags": #"{"http.response.status_code":"502"}"#], [F.traceA]),
        (["service": "frontend", "tags": #"{"user.premium":"true"}"#], [F.traceA]),
        (["service": "frontend", "tags": #"{"user.premium":"1"}"#], []),
        (["service": "payments", "tags": #"{"payment.card.last4":"4242"}"#], [F.traceA]),
        (["service": "payments", "tags": #"{"note":""}"#], [F.traceA]),
        // Resource attributes, in each of the three ways of writing tags.
        (["service": "payments", "tags": #"{"region":"eu-west-1"}"#], [F.traceC, F.traceA]),
        (["service": "payments", "tags": "region=eu-west-1"], [F.traceC, F.traceA]),
        (["service": "payments", "tag": "region:eu-west-1"], [F.traceC, F.traceA]),
        (["service": "inventory", "tags": #"team="équipe données""#], [F.traceB, F.traceA]),
        // Tags derived from OTLP fields.
        (["service": "payments", "tags": #"{"error":"true"}"#], [F.traceC, F.traceA]),
        (["service": "checkout", "tags": #"{"otel.status_code":"OK"}"#], [F.traceA]),
        (["service": "checkout", "tags": #"{"span.kind":"consumer"}"#], [F.traceC]),
        // Every tag on one span: A1 has the route, B1 the false flag, no span both.
        (["service": "frontend", "tags": #"{"http.route":"/checkout","user.premium":"false"}"#], []),
        (["service": "frontend", "tags": #"{"http.route":"/checkout","user.premium":"true","service.version":"1.4.0"}"#], [F.traceA]),
        // Hostile text just does not match.
        (["service": "frontend", "tags": #"{"'; DROP TABLE spans; --":"\u0000%00"}"#], []),
    ] as [([String: String], [TraceID])])
    func search_byTags_matchesSpanAndResourceAttributesOnOneSpan(parameters: [String: String], expected: [TraceID]) async throws {
        try await withFixtures { server in
            try await expectSearch(server, parameters, finds: expected)
        }
    }

    @Test func search_byDuration_usesGoDurationsWithInclusiveBounds() async throws {
        try await withFixtures { server in
            try await expectSearch(server, ["service": "frontend", "minDuration": "100ms"], finds: [F.traceA])
            try await expectSearch(server, ["service": "frontend", "minDuration": "250ms"], finds: [F.traceA])
            try await expectSearch(server, ["service": "frontend", "minDuration": "250001us"], finds: [])
            try await expectSearch(server, ["service": "frontend", "maxDuration": "1ms"], finds: [F.traceD])
            try await expectSearch(server, ["service": "frontend", "minDuration": "70ms", "maxDuration": "0.1s"], finds: [F.traceB])
            try await expectSearch(server, ["service": "payments", "minDuration": "0.4s"], finds: [F.traceC])
            try await expectSearch(server, ["service": "payments", "minDuration": "1m30s"], finds: [])
        }
    }

    @Test func search_byTime_usesInclusiveMicrosecondBoundsAndLookback() async throws {
        try await withFixtures { server in
            let at2000 = String(F.time(2000) / 1_000)
            let at4000 = String(F.time(4000) / 1_000)
            try await expectSearch(server, ["service": "frontend", "start": at2000, "end": at2000], range: false, finds: [F.traceB])
            try await expectSearch(server, ["service": "frontend", "start": String(F.time(1500) / 1_000), "end": at4000], range: false, finds: [F.traceD, F.traceB])
            try await expectSearch(server, ["service": "frontend", "start": String(F.time(2000) / 1_000 + 1), "end": String(F.time(3999) / 1_000)], range: false, finds: [])
            try await expectSearch(server, ["service": "frontend", "end": String(F.time(2500) / 1_000), "lookback": "1s"], range: false, finds: [F.traceB])
            try await expectSearch(server, ["service": "frontend", "end": String(F.time(2500) / 1_000), "lookback": "custom", "start": "0"], range: false, finds: [F.traceB, F.traceA])
            try await expectSearch(server, ["service": "frontend", "start": at4000, "end": at2000], range: false, finds: [])
        }
    }

    @Test func search_limit_defaultsTo20AndCapsSilently() async throws {
        try await withFixtures { server in
            try await expectSearch(server, ["service": "frontend", "limit": "2"], finds: [F.traceD, F.traceB])
            try await expectSearch(server, ["service": "frontend", "limit": "0"], finds: [F.traceD, F.traceB, F.traceA])
            try await expectSearch(server, ["service": "frontend", "limit": "1000000"], finds: [F.traceD, F.traceB, F.traceA])
        }
    }

    @Test func search_byTraceIDs_returnsThoseFoundAndAnErrorPerMissingOne() async throws {
        try await withFixtures { server in
            let response = try await get(server.http + "/api/traces" + query(["traceID": F.traceD.hexString, "x": "1"]) + "&traceID=" + F.unknownTrace.hexString)
            #expect(response.status == 200)
            #expect(try tree(response.body) == tree(#"""
                {"data":[\#(Self.traceDJSON)],"total":0,"limit":0,"offset":0,
                "errors":[{"msg":"trace not found","traceID":"0f0000000000000000000000000000f0"}]}
                """#))
        }
    }

    @Test(arguments: [
        (["service": "frontend", "start": "yesterday"], "unable to parse param 'start': expected Unix microseconds, got \"yesterday\""),
        (["service": "frontend", "end": "1.5"], "unable to parse param 'end': expected Unix microseconds, got \"1.5\""),
        (["service": "frontend", "start": "99999999999999999"], "unable to parse param 'start': 99999999999999999 microseconds is out of range"),
        (["service": "frontend", "minDuration": "fast"], "unable to parse param 'minDuration': expected a duration such as 100ms, 1.2s or 1m30s, got \"fast\""),
        (["service": "frontend", "maxDuration": "-1s"], "unable to parse param 'maxDuration': expected a duration such as 100ms, 1.2s or 1m30s, got \"-1s\""),
        (["service": "frontend", "minDuration": "10ms", "maxDuration": "5ms"], "'maxDuration' should be greater than 'minDuration'"),
        (["service": "frontend", "limit": "-1"], "unable to parse param 'limit': expected a non-negative integer, got \"-1\""),
        (["service": "frontend", "limit": "ten"], "unable to parse param 'limit': expected a non-negative integer, got \"ten\""),
        (["service": "frontend", "lookback": "soon"], "unable to parse param 'lookback': expected a duration such as 1h, 90m or 2d, got \"soon\""),
        (["service": "frontend", "tags": #"{"a":1}"#], "unable to parse param 'tags': the value of \"a\" must be a string, got a number"),
        (["service": "frontend", "tags": #"["a"]"#], "unable to parse param 'tags': expected a JSON object of strings such as {\"error\":\"true\"}, got an array"),
        (["service": "frontend", "tags": "{oops"], "unable to parse param 'tags': expected a JSON object of strings such as {\"error\":\"true\"}: expected a string key, found 'o' (at byte 1)"),
        (["service": "frontend", "tags": "lonely"], "unable to parse param 'tags': tag \"lonely\" has no value; write key=value"),
        (["service": "frontend", "tag": "nocolon"], "unable to parse param 'tag': expected key:value, got \"nocolon\""),
        (["service": "frontend", "tags": #"{"otel.scope.name":"x"}"#], "tag 'otel.scope.name' cannot be searched: Spindle derives it from the span's instrumentation scope, which search does not filter on"),
        (["operation": "charge"], "parameter 'service' is required"),
        (["traceID": "nothex"], "unable to parse param 'traceID': expected a trace ID of 1 to 32 hexadecimal digits, not all zero, got \"nothex\""),
    ] as [([String: String], String)])
    func search_aBadParameter_is400NamingIt(parameters: [String: String], message: String) async throws {
        try await withFixtures { server in
            let response = try await get(server.http + "/api/traces" + query(parameters))
            #expect(response.status == 400)
            #expect(try tree(response.body) == .object([
                "data": .null, "total": .number("0"), "limit": .number("0"), "offset": .number("0"),
                "errors": .array([.object(["code": .number("400"), "msg": .string(message)])]),
            ]))
        }
    }

    @Test func search_withTooManyTagCombinations_isRefused() async throws {
        let store = InMemoryTraceStore(maxSpans: 1_000)
        try await store.write(F.batch(F.all))
        let tags = [
            "http.response.status_code": "200", "cart.items": "3", "cart.total": "149.99", "payment.amount": "20",
            "payment.attempt": "2", "db.rows": "42", "retry.ratio": "0.5",
        ]
        var request = try JaegerSearchRequest.v1(QueryParameters(["service": "checkout", "start": "0"]), now: F.time(10_000))
        request.tags = tags.sorted { $0.key < $1.key }.map { JaegerTag(key: $0.key, value: $0.value) }
        await #expect(throws: APIError(
            status: .badRequest,
            message: "these 7 tags need 128 searches (each tag is looked up in span and resource attributes, as text and as a number or bool); at most 64 are run: search with fewer tags"
        )) {
            _ = try await JaegerTraceFinder(reader: store).queries(for: request)
        }
        // Six of them fit (2^6 = 64 after the resource lookups are pruned).
        request.tags.removeLast()
        #expect(try await JaegerTraceFinder(reader: store).queries(for: request).count == 64)
    }

    @Test func tagAlternatives_coverBothScopesTypedValuesAndDerivedTags() throws {
        func filter(_ scope: SpindleStorage.AttributeScope, _ key: String, _ value: AttributeValue) -> JaegerTagSearch.Alternative {
            .attribute(AttributeFilter(scope: scope, key: key, .equals(value)))
        }
        #expect(try JaegerTagSearch.alternatives(for: JaegerTag(key: "error", value: "true")) == [
            .status(.error),
            filter(.span, "error", "true"), filter(.span, "error", .bool(true)),
            filter(.resource, "error", "true"), filter(.resource, "error", .bool(true)),
        ])
        #expect(try JaegerTagSearch.alternatives(for: JaegerTag(key: "code", value: "-12")) == [
            filter(.span, "code", "-12"), filter(.span, "code", .int(-12)),
            filter(.resource, "code", "-12"), filter(.resource, "code", .int(-12)),
        ])
        #expect(try JaegerTagSearch.alternatives(for: JaegerTag(key: "span.kind", value: "server")).first == .kind(.server))
        for text in ["007", "1e3", "inf", "nan", "0x10", "1.", ".5", "+1", "1.5.2"] {
            #expect(JaegerTagSearch.typedValues(text) == [.string(text)], "\(text)")
        }
        #expect(JaegerTagSearch.typedValues("0.25") == [.string("0.25"), .double(0.25)])
        #expect(JaegerTagSearch.typedValues("99999999999999999999") == [.string("99999999999999999999"), .double(1e20)])
    }

    @Test func searchParameters_defaultToTheLastTwoDaysAndConvertUnits() throws {
        let now: UInt64 = 1_700_000_000_000_000_000
        let defaults = try JaegerSearchRequest.v1(QueryParameters(["service": "a"]), now: now)
        #expect(defaults == JaegerSearchRequest(
            service: "a", operation: nil, tags: [],
            timeRange: TimeRange(start: now - 172_800_000_000_000, end: now + 1_000),
            minDuration: nil, maxDuration: nil, limit: 20
        ))
        let explicit = try JaegerSearchRequest.v1(QueryParameters([
            "service": "a", "operation": "b", "start": "-5", "end": "2000", "minDuration": "1.2s", "maxDuration": "1m30s",
            "limit": "1501", "tags": #"{"k":"1","k2":"v"}"#, "tag": "k:2:3",
        ]), now: now)
        #expect(explicit == JaegerSearchRequest(
            service: "a", operation: "b", tags: [JaegerTag(key: "k", value: "1"), JaegerTag(key: "k2", value: "v")],
            timeRange: TimeRange(start: 0, end: 2_001_000),
            minDuration: 1_200_000_000, maxDuration: 90_000_000_000, limit: 1_500
        ))
        let lookback = try JaegerSearchRequest.v1(QueryParameters(["lookback": "2d", "end": "1000000000"]), now: now)
        #expect(lookback.timeRange == TimeRange(start: 0, end: 1_000_000_001_000))
        let hour = try JaegerSearchRequest.v1(QueryParameters(["lookback": "1h"]), now: now)
        #expect(hour.timeRange == TimeRange(start: now - 3_600_000_000_000, end: now + 1_000))
        let empty = try JaegerSearchRequest.v1(QueryParameters(["minDuration": "", "maxDuration": "", "limit": ""]), now: now)
        #expect(empty.minDuration == nil && empty.maxDuration == nil && empty.limit == 20)
    }

    // MARK: - Dependencies

    @Test func dependencies_areCallsBetweenServices() async throws {
        try await withFixtures { server in
            let end = String(F.time(10_000) / 1_000_000)
            let all = try await get(server.http + "/api/dependencies" + query(["endTs": end, "lookback": "20000"]))
            #expect(all.status == 200)
            #expect(try tree(all.body) == tree(#"""
                {"data":[{"parent":"checkout","child":"inventory","callCount":1},{"parent":"checkout","child":"payments","callCount":1},
                {"parent":"frontend","child":"checkout","callCount":1},{"parent":"frontend","child":"inventory","callCount":2},
                {"parent":"payments","child":"checkout","callCount":1}],"total":0,"limit":0,"offset":0,"errors":null}
                """#))
            let inventory = try await get(server.http + "/api/dependencies" + query(["endTs": end, "lookback": "20000", "service": "inventory"]))
            #expect(try tree(inventory.body) == tree(#"""
                {"data":[{"parent":"checkout","child":"inventory","callCount":1},{"parent":"frontend","child":"inventory","callCount":2}],
                "total":0,"limit":0,"offset":0,"errors":null}
                """#))
            let traceBOnly = try await get(server.http + "/api/dependencies" + query(["endTs": String(F.time(2_100) / 1_000_000), "lookback": "200"]))
            #expect(traceBOnly.text == #"{"data":[{"parent":"frontend","child":"inventory","callCount":2}],"total":0,"limit":0,"offset":0,"errors":null}"#)
            let nothing = try await get(server.http + "/api/dependencies" + query(["endTs": "1000", "lookback": "1000"]))
            #expect(nothing.text == #"{"data":[],"total":0,"limit":0,"offset":0,"errors":null}"#)
        }
    }

    @Test(arguments: [
        (["endTs": "noon"], "unable to parse param 'endTs': expected a whole number of milliseconds, got \"noon\""),
        (["lookback": "-5"], "unable to parse param 'lookback': must not be negative, got -5"),
        (["lookback": "1h"], "unable to parse param 'lookback': expected a whole number of milliseconds, got \"1h\""),
    ] as [([String: String], String)])
    func dependencies_aBadParameter_is400(parameters: [String: String], message: String) async throws {
        try await withFixtures { server in
            let response = try await get(server.http + "/api/dependencies" + query(parameters))
            #expect(response.status == 400)
            #expect(try tree(response.body) == .object([
                "data": .null, "total": .number("0"), "limit": .number("0"), "offset": .number("0"),
                "errors": .array([.object(["code": .number("400"), "msg": .string(message)])]),
            ]))
        }
    }

    @Test func operations_badParametersAre400() async throws {
        try await withFixtures { server in
            let missing = try await get(server.http + "/api/operations")
            #expect(missing.status == 400)
            #expect(missing.text == #"{"data":null,"total":0,"limit":0,"offset":0,"errors":[{"code":400,"msg":"parameter 'service' is required"}]}"#)
            let kind = try await get(server.http + "/api/operations?service=frontend&spanKind=sideways")
            #expect(kind.status == 400)
            #expect(try tree(kind.body) == tree(#"""
                {"data":null,"total":0,"limit":0,"offset":0,"errors":[{"code":400,
                "msg":"unable to parse param 'spanKind': expected one of server, client, producer, consumer, internal, unspecified, got \"sideways\""}]}
                """#))
        }
    }

    // MARK: - API v3

    @Test func v3_servicesAndOperations() async throws {
        try await withFixtures { server in
            let services = try await get(server.http + "/api/v3/services")
            #expect(services.status == 200)
            #expect(services.text == #"{"services":["checkout","frontend","inventory","payments"]}"#)
            let operations = try await get(server.http + "/api/v3/operations?service=inventory&span_kind=client")
            #expect(operations.text == #"{"operations":[{"name":"SELECT products","spanKind":"client"},{"name":"SELECT stock","spanKind":"client"}]}"#)
            let all = try await get(server.http + "/api/v3/operations?service=inventory")
            #expect(all.text == #"{"operations":[{"name":"SELECT products","spanKind":"client"},{"name":"SELECT stock","spanKind":"client"},{"name":"cache.lookup","spanKind":"internal"}]}"#)
            let missing = try await get(server.http + "/api/v3/operations")
            #expect(missing.status == 400)
            #expect(missing.text == #"{"error":{"httpCode":400,"message":"parameter service is required"}}"#)
            let kind = try await get(server.http + "/api/v3/operations?service=inventory&span_kind=SPAN_KIND_CLIENT")
            #expect(kind.status == 400)
            #expect(try tree(kind.body) == tree(#"""
                {"error":{"httpCode":400,"message":"malformed parameter span_kind: expected one of server, client, producer, consumer, internal, unspecified, got \"SPAN_KIND_CLIENT\""}}
                """#))
        }
    }

    @Test func v3_traceByID_isOTLPJSONUnderResult() async throws {
        let store = try await Self.fixtureStore()
        try await withServer(writer: store, reader: store) { server in
            let response = try await get(server.http + "/api/v3/traces/" + F.traceA.hexString)
            #expect(response.status == 200)
            let stored = try #require(try await store.trace(id: F.traceA, timeRange: nil))
            #expect(response.body == Array(#"{"result":"#.utf8) + OTLPJSON.encodeExportRequest(stored) + Array("}".utf8))
            let decoded = try OTLPJSON.decodeExportRequest(Array(response.body.dropFirst(10).dropLast()))
            #expect(F.storedSpans(in: decoded) == F.sorted(F.traceASpans))

            let unknown = try await get(server.http + "/api/v3/traces/" + F.unknownTrace.hexString)
            #expect(unknown.status == 404)
            #expect(unknown.text == #"{"error":{"httpCode":404,"message":"No traces found"}}"#)
            let malformed = try await get(server.http + "/api/v3/traces/not-an-id")
            #expect(malformed.status == 400)
            #expect(try tree(malformed.body) == tree(#"""
                {"error":{"httpCode":400,"message":"malformed parameter trace_id: expected a trace ID of 1 to 32 hexadecimal digits, not all zero, got \"not-an-id\""}}
                """#))
        }
    }

    @Test func v3_search_findsTracesByServiceTimeDurationAndAttributes() async throws {
        try await withFixtures { server in
            let window = ["query.start_time_min": "2023-11-14T22:13:20Z", "query.start_time_max": "2023-11-14T22:13:30.000000001Z"]
            let payments = try await v3Search(server, window.merging(["query.service_name": "payments"]) { $1 })
            #expect(payments.status == 200)
            #expect(payments.ids == [F.traceC, F.traceA])
            #expect(payments.spanCount == 8)
            let slow = try await v3Search(server, window.merging([
                "query.service_name": "payments", "query.duration_min": "400ms", "query.attributes": #"{"region":"eu-west-1"}"#,
            ]) { $1 })
            #expect(slow.ids == [F.traceC])
            let byOperation = try await v3Search(server, window.merging([
                "query.service_name": "inventory", "query.operation_name": "cache.lookup", "query.num_traces": "5",
            ]) { $1 })
            #expect(byOperation.ids == [F.traceB])
            let everything = try await v3Search(server, window.merging(["query.num_traces": "2"]) { $1 })
            #expect(everything.ids == [F.traceE, F.traceD])
            let none = try await get(server.http + "/api/v3/traces" + query(window.merging(["query.service_name": "nobody"]) { $1 }))
            #expect(none.status == 404)
            #expect(none.text == #"{"error":{"httpCode":404,"message":"No traces found"}}"#)
        }
    }

    @Test(arguments: [
        ([:], "query.start_time_min and query.start_time_max are required"),
        (["query.start_time_min": "2023-11-14T22:13:20Z"], "query.start_time_min and query.start_time_max are required"),
        (["query.start_time_min": "2023-11-14 22:13:20", "query.start_time_max": "2023-11-14T22:13:30Z"],
         "malformed parameter query.start_time_min: expected an RFC 3339 time such as 2024-05-01T12:00:00Z, got \"2023-11-14 22:13:20\""),
        (["query.start_time_min": "2023-11-14T22:13:20Z", "query.start_time_max": "1700000000"],
         "malformed parameter query.start_time_max: expected an RFC 3339 time such as 2024-05-01T12:00:00Z, got \"1700000000\""),
        (["query.start_time_min": "2023-11-14T22:13:20Z", "query.start_time_max": "2023-11-14T22:13:30Z", "query.num_traces": "-3"],
         "malformed parameter query.num_traces: expected a non-negative integer, got \"-3\""),
        (["query.start_time_min": "2023-11-14T22:13:20Z", "query.start_time_max": "2023-11-14T22:13:30Z", "query.duration_min": "1d"],
         "malformed parameter query.duration_min: expected a duration such as 100ms, 1.2s or 1m30s, got \"1d\""),
        (["query.start_time_min": "2023-11-14T22:13:20Z", "query.start_time_max": "2023-11-14T22:13:30Z", "query.attributes": "region=eu"],
         "malformed parameter query.attributes: expected a JSON object of strings such as {\"error\":\"true\"}: expected a value, found 'r' (at byte 0)"),
    ] as [([String: String], String)])
    func v3_search_aBadParameter_is400(parameters: [String: String], message: String) async throws {
        try await withFixtures { server in
            let response = try await get(server.http + "/api/v3/traces" + query(parameters))
            #expect(response.status == 400)
            #expect(try tree(response.body) == .object(["error": .object(["httpCode": .number("400"), "message": .string(message)])]))
        }
    }

    // MARK: - Storage failures

    @Test(arguments: [
        (StorageError.Code.unavailable, 503), (.unsupported, 501), (.corrupt, 500), (.invalidArgument, 400),
    ])
    func aStorageFailure_isAnsweredWithItsStatusAndMessageInBothShapes(code: StorageError.Code, status: Int) async throws {
        let reader = FailingReader(error: StorageError(code, "disk on fire"))
        try await withServer(writer: InMemoryTraceStore(maxSpans: 1), reader: reader) { server in
            let message = "storage failed: \(code.rawValue): disk on fire"
            let v1Error = JSONTree.object([
                "data": .null, "total": .number("0"), "limit": .number("0"), "offset": .number("0"),
                "errors": .array([.object(["code": .number(String(status)), "msg": .string(message)])]),
            ])
            for path in [
                "/api/services", "/api/services/a/operations", "/api/operations?service=a", "/api/traces?service=a",
                "/api/traces?service=a&tags=%7B%22k%22%3A%22v%22%7D", "/api/traces/abc", "/api/dependencies",
            ] {
                let response = try await get(server.http + path)
                #expect(response.status == status, "\(path)")
                #expect(try tree(response.body) == v1Error, "\(path)")
            }
            let v3Error = JSONTree.object(["error": .object(["httpCode": .number(String(status)), "message": .string(message)])])
            for path in [
                "/api/v3/services", "/api/v3/operations?service=a", "/api/v3/traces/abc",
                "/api/v3/traces?query.start_time_min=2023-11-14T22:13:20Z&query.start_time_max=2023-11-14T22:13:30Z",
            ] {
                let response = try await get(server.http + path)
                #expect(response.status == status, "\(path)")
                #expect(try tree(response.body) == v3Error, "\(path)")
            }
        }
    }

    // MARK: - Helpers

    static func fixtureStore() async throws -> InMemoryTraceStore {
        let store = InMemoryTraceStore(maxSpans: 1_000)
        try await store.write(F.batch(F.all))
        return store
    }

    private func withFixtures(_ body: (RunningServer) async throws -> Void) async throws {
        let store = try await Self.fixtureStore()
        try await withServer(writer: store, reader: store, body)
    }

    /// `/api/traces` with `parameters`; unless `range` is false, `start=0` so that the
    /// fixtures' 2023 times are in range.
    private func search(_ server: RunningServer, _ parameters: [String: String], range: Bool = true) async throws -> (ids: [TraceID], spanCounts: [Int]) {
        var parameters = parameters
        if range, parameters["start"] == nil { parameters["start"] = "0" }
        let response = try await get(server.http + "/api/traces" + query(parameters))
        #expect(response.status == 200, "\(response.text)")
        return try (traceIDs(in: response.body), spanCounts(in: response.body))
    }

    /// The `traceID` of each trace in a structured response's `data`.
    private func traceIDs(in body: [UInt8]) throws -> [TraceID] {
        try traces(in: body).compactMap { trace in
            if case .string(let id)? = trace["traceID"] { TraceID(hex: id) } else { nil }
        }
    }

    private func spanCounts(in body: [UInt8]) throws -> [Int] {
        try traces(in: body).compactMap { trace in
            if case .array(let spans)? = trace["spans"] { spans.count } else { nil }
        }
    }

    private func traces(in body: [UInt8]) throws -> [[String: JSONTree]] {
        guard case .object(let root) = try tree(body), case .array(let traces)? = root["data"] else {
            Issue.record("not a structured response: \(String(decoding: body, as: UTF8.self))")
            return []
        }
        return traces.compactMap { if case .object(let trace) = $0 { trace } else { nil } }
    }

    /// Expects `/api/traces` with `parameters` to find exactly `expected`, in order.
    private func expectSearch(
        _ server: RunningServer, _ parameters: [String: String], range: Bool = true, finds expected: [TraceID],
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let found = try await search(server, parameters, range: range)
        #expect(found.ids == expected, sourceLocation: sourceLocation)
    }

    /// `/api/v3/traces`: the status, the distinct trace IDs in order of first span, and
    /// the span count.
    private func v3Search(_ server: RunningServer, _ parameters: [String: String]) async throws -> (status: Int, ids: [TraceID], spanCount: Int) {
        let response = try await get(server.http + "/api/v3/traces" + query(parameters))
        guard response.status == 200 else { return (response.status, [], 0) }
        let batch = try OTLPJSON.decodeExportRequest(Array(response.body.dropFirst(10).dropLast()))
        var ids: [TraceID] = []
        for span in batch.spans where !ids.contains(span.traceID) { ids.append(span.traceID) }
        return (response.status, ids, batch.spanCount)
    }

    /// `?k=v&…`, percent-encoded, keys sorted.
    private func query(_ parameters: [String: String]) -> String {
        guard !parameters.isEmpty else { return "" }
        return "?" + parameters.sorted { $0.key < $1.key }.map { "\(encode($0.key))=\(encode($0.value))" }.joined(separator: "&")
    }

    private func encode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }

    // MARK: - Expected JSON

    private static let httpScopeTags = #"""
        {"key":"otel.scope.name","type":"string","value":"spindle.conformance.http"},
        {"key":"otel.scope.version","type":"string","value":"1.0.0"}
        """#

    private static let frontendProcess = #"""
        {"serviceName":"frontend","tags":[{"key":"service.version","type":"string","value":"1.4.0"},
        {"key":"host.cpu.count","type":"int64","value":8},{"key":"deployment.weight","type":"float64","value":0.75},
        {"key":"feature.enabled","type":"bool","value":true}]}
        """#

    static let traceAJSON = #"""
        {"traceID":"0a0000000000000000000000000000a0","spans":[
        {"traceID":"0a0000000000000000000000000000a0","spanID":"00000000000000a1","flags":1,"operationName":"GET /checkout",
         "references":[],"startTime":1700000001000000,"duration":250000,"tags":[\#(httpScopeTags),
         {"key":"http.request.method","type":"string","value":"GET"},{"key":"http.response.status_code","type":"int64","value":200},
         {"key":"http.route","type":"string","value":"/checkout"},{"key":"user.premium","type":"bool","value":true},
         {"key":"retry.ratio","type":"float64","value":0.5},{"key":"span.kind","type":"string","value":"server"},
         {"key":"w3c.tracestate","type":"string","value":"vendor=abc"}],"logs":[],"processID":"p1","warnings":null},
        {"traceID":"0a0000000000000000000000000000a0","spanID":"00000000000000a2","flags":1,"operationName":"POST /cart/checkout",
         "references":[{"refType":"CHILD_OF","traceID":"0a0000000000000000000000000000a0","spanID":"00000000000000a1"}],
         "startTime":1700000001010000,"duration":200000,"tags":[\#(httpScopeTags),
         {"key":"http.request.method","type":"string","value":"POST"},{"key":"http.response.status_code","type":"int64","value":200},
         {"key":"cart.items","type":"int64","value":3},{"key":"cart.total","type":"float64","value":149.99},
         {"key":"message","type":"string","value":"Grüße, 世界 🌍"},{"key":"span.kind","type":"string","value":"server"},
         {"key":"otel.status_code","type":"string","value":"OK"}],
         "logs":[{"timestamp":1700000001015000,"fields":[{"key":"event","type":"string","value":"cart.validated"},
         {"key":"items","type":"int64","value":3}]}],"processID":"p2","warnings":null},
        {"traceID":"0a0000000000000000000000000000a0","spanID":"00000000000000a3","operationName":"charge",
         "references":[{"refType":"CHILD_OF","traceID":"0a0000000000000000000000000000a0","spanID":"00000000000000a2"},
         {"refType":"FOLLOWS_FROM","traceID":"0c0000000000000000000000000000c0","spanID":"00000000000000c1"}],
         "startTime":1700000001020000,"duration":150000,"tags":[\#(httpScopeTags),
         {"key":"peer.service","type":"string","value":"payments"},{"key":"http.response.status_code","type":"int64","value":502},
         {"key":"retry.ratio","type":"float64","value":2.0},{"key":"span.kind","type":"string","value":"client"},
         {"key":"otel.status_code","type":"string","value":"ERROR"},{"key":"error","type":"bool","value":true},
         {"key":"otel.status_description","type":"string","value":"bad gateway"}],"logs":[],"processID":"p2","warnings":null},
        {"traceID":"0a0000000000000000000000000000a0","spanID":"00000000000000a4","operationName":"charge",
         "references":[{"refType":"CHILD_OF","traceID":"0a0000000000000000000000000000a0","spanID":"00000000000000a3"}],
         "startTime":1700000001025000,"duration":140000,"tags":[\#(httpScopeTags),
         {"key":"payment.amount","type":"float64","value":149.99},{"key":"payment.attempt","type":"int64","value":2},
         {"key":"payment.card.last4","type":"string","value":"4242"},{"key":"payload","type":"string","value":"\#(ConformanceFixtures.hugeValue)"},
         {"key":"note","type":"string","value":""},{"key":"span.kind","type":"string","value":"server"},
         {"key":"otel.status_code","type":"string","value":"ERROR"},{"key":"error","type":"bool","value":true},
         {"key":"otel.status_description","type":"string","value":"card declined"}],"logs":[],"processID":"p3","warnings":null},
        {"traceID":"0a0000000000000000000000000000a0","spanID":"00000000000000a5","operationName":"SELECT stock",
         "references":[{"refType":"CHILD_OF","traceID":"0a0000000000000000000000000000a0","spanID":"00000000000000a2"}],
         "startTime":1700000001100000,"duration":30000,"tags":[
         {"key":"otel.scope.name","type":"string","value":"spindle.conformance.db"},{"key":"otel.scope.version","type":"string","value":"0.3.0"},
         {"key":"db.system","type":"string","value":"postgresql"},{"key":"db.rows","type":"int64","value":42},
         {"key":"digest","type":"binary","value":"3q0A/w=="},{"key":"tags","type":"string","value":"[\"a\",1,[true]]"},
         {"key":"meta","type":"string","value":"{\"k\":1,\"nested\":{\"deep\":\"yes\"}}"},{"key":"none","type":"string","value":""},
         {"key":"span.kind","type":"string","value":"client"}],"logs":[],"processID":"p4","warnings":null}],
        "processes":{"p1":\#(frontendProcess),
         "p2":{"serviceName":"checkout","tags":[{"key":"service.version","type":"string","value":"2.0.1"},
          {"key":"host.cpu.count","type":"int64","value":4},{"key":"deployment.weight","type":"float64","value":1.0},
          {"key":"feature.enabled","type":"bool","value":false}]},
         "p3":{"serviceName":"payments","tags":[{"key":"service.version","type":"string","value":"2.0.1"},
          {"key":"host.cpu.count","type":"int64","value":16},{"key":"region","type":"string","value":"eu-west-1"}]},
         "p4":{"serviceName":"inventory","tags":[{"key":"service.version","type":"string","value":"0.9.0"},
          {"key":"team","type":"string","value":"équipe données"}]}},
        "warnings":null}
        """#

    static let traceDJSON = #"""
        {"traceID":"0d0000000000000000000000000000d0","spans":[
        {"traceID":"0d0000000000000000000000000000d0","spanID":"00000000000000d1","operationName":"heartbeat","references":[],
         "startTime":1700000004000000,"duration":0,"tags":[\#(httpScopeTags),
         {"key":"http.response.status_code","type":"float64","value":200.0}],"logs":[],"processID":"p1","warnings":null},
        {"traceID":"0d0000000000000000000000000000d0","spanID":"00000000000000d2","operationName":"heartbeat",
         "references":[{"refType":"CHILD_OF","traceID":"0d0000000000000000000000000000d0","spanID":"00000000000000d1"}],
         "startTime":1700000004001000,"duration":2000,"tags":[\#(httpScopeTags),
         {"key":"span.kind","type":"string","value":"client"}],"logs":[],"processID":"p1","warnings":null}],
        "processes":{"p1":\#(frontendProcess)},"warnings":null}
        """#

    static let traceEJSON = #"""
        {"traceID":"0e0000000000000000000000000000e0","spans":[
        {"traceID":"0e0000000000000000000000000000e0","spanID":"00000000000000e1","operationName":"orphan","references":[],
         "startTime":1700000005000000,"duration":10000,"tags":[{"key":"ключ","type":"string","value":"значение"},
         {"key":"span.kind","type":"string","value":"internal"}],"logs":[],"processID":"p1","warnings":null}],
        "processes":{"p1":{"serviceName":"OTLPResourceNoServiceName","tags":[{"key":"host.name","type":"string","value":"orphan-host"}]}},
        "warnings":null}
        """#

    /// A trace with a 64-bit ID and the mappings the fixtures leave out: links (one to
    /// the parent, one marked `child_of`), an event named by an `event` attribute, an
    /// unnamed event, integers past JavaScript's safe range, a NaN, an OK status with a
    /// message, a non-string `service.name`, and all eight trace flags.
    static var edgeCaseBatch: SpanBatch {
        let trace = TraceID(high: 0, low: 0xABC)
        let other = TraceID(high: 1, low: 2)
        let span = SpanRecord(
            traceID: trace, spanID: SpanID(0x1), parentSpanID: SpanID(0x9), flags: 0x2FF,
            name: "publish", kind: .producer,
            startTimeUnixNano: 1_500, endTimeUnixNano: 1_000,
            attributes: [
                Attribute("big", .int(1 << 60)), Attribute("small", .int(-(1 << 53))), Attribute("safe", .int(1 << 53 - 1)),
                Attribute("ratio", .double(.nan)), Attribute("list", .array([.bytes([1, 2]), .empty, .double(2.5)])),
            ],
            events: [
                SpanEvent(timeUnixNano: 2_999, name: "ignored", attributes: [Attribute("event", "explicit")]),
                SpanEvent(timeUnixNano: 4_000, name: "", attributes: [Attribute("k", "v")]),
            ],
            links: [
                SpanLink(traceID: trace, spanID: SpanID(0x9)),
                SpanLink(traceID: other, spanID: SpanID(0x5), attributes: [Attribute("opentracing.ref_type", "child_of")]),
            ],
            status: SpanStatus(code: .ok, message: "fine")
        )
        let resource = Resource(attributes: [Attribute("service.name", .int(7)), Attribute("zone", "a")])
        return SpanBatch([ResourceSpans(resource: resource, scopeSpans: [ScopeSpans(scope: InstrumentationScope(version: "2"), spans: [span])])])
    }

    static let edgeCaseJSON = #"""
        {"traceID":"0000000000000abc","spans":[
        {"traceID":"0000000000000abc","spanID":"0000000000000001","flags":255,"operationName":"publish",
         "references":[{"refType":"FOLLOWS_FROM","traceID":"0000000000000abc","spanID":"0000000000000009"},
         {"refType":"CHILD_OF","traceID":"00000000000000010000000000000002","spanID":"0000000000000005"}],
         "startTime":1,"duration":0,"tags":[{"key":"otel.scope.version","type":"string","value":"2"},
         {"key":"big","type":"int64","value":"1152921504606846976"},{"key":"small","type":"int64","value":"-9007199254740992"},
         {"key":"safe","type":"int64","value":9007199254740991},{"key":"ratio","type":"float64","value":"NaN"},
         {"key":"list","type":"string","value":"[\"AQI=\",null,2.5]"},
         {"key":"span.kind","type":"string","value":"producer"},{"key":"otel.status_code","type":"string","value":"OK"},
         {"key":"otel.status_description","type":"string","value":"fine"}],
         "logs":[{"timestamp":2,"fields":[{"key":"event","type":"string","value":"explicit"}]},
         {"timestamp":4,"fields":[{"key":"k","type":"string","value":"v"}]}],"processID":"p1","warnings":null}],
        "processes":{"p1":{"serviceName":"OTLPResourceNoServiceName","tags":[{"key":"service.name","type":"int64","value":7},
         {"key":"zone","type":"string","value":"a"}]}},"warnings":null}
        """#
}

// MARK: - JSON trees

/// A parsed JSON document for comparison: object members as a dictionary (their order
/// does not matter), numbers by their exact text (so `1.0` and `1` differ).
private indirect enum JSONTree: Equatable, CustomStringConvertible {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case array([JSONTree])
    case object([String: JSONTree])

    init(_ value: JSONValue) {
        switch value.kind {
        case .null: self = .null
        case .bool(let bool): self = .bool(bool)
        case .number(let text): self = .number(text)
        case .string(let string): self = .string(string)
        case .array(let values): self = .array(values.map(JSONTree.init))
        case .object(let members):
            self = .object(Dictionary(members.map { ($0.key, JSONTree($0.value)) }, uniquingKeysWith: { first, _ in first }))
        }
    }

    var description: String {
        switch self {
        case .null: "null"
        case .bool(let bool): "\(bool)"
        case .number(let text): text
        case .string(let string): "\"\(string.count > 80 ? String(string.prefix(80)) + "…" : string)\""
        case .array(let values): "[" + values.map(\.description).joined(separator: ",") + "]"
        case .object(let members): "{" + members.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\($0.value)" }.joined(separator: ",") + "}"
        }
    }
}

private func tree(_ bytes: [UInt8]) throws -> JSONTree {
    JSONTree(try JSONReader.parse(bytes, maxDepth: 32))
}

private func tree(_ text: String) throws -> JSONTree {
    try tree(Array(text.utf8))
}

/// A reader whose every call fails with one error.
private struct FailingReader: TraceReader {
    let error: StorageError

    func trace(id: TraceID, timeRange: TimeRange?) async throws(StorageError) -> SpanBatch? { throw error }
    func search(_ query: TraceQuery) async throws(StorageError) -> [TraceSummary] { throw error }
    func services(timeRange: TimeRange?) async throws(StorageError) -> [String] { throw error }
    func operations(service: String, timeRange: TimeRange?) async throws(StorageError) -> [SpindleStorage.Operation] { throw error }
    func attributeNames(scope: SpindleStorage.AttributeScope, timeRange: TimeRange?) async throws(StorageError) -> [String] { throw error }
    func attributeValues(scope: SpindleStorage.AttributeScope, key: String, timeRange: TimeRange?, limit: Int) async throws(StorageError) -> [String] {
        throw error
    }
    func scan(timeRange: TimeRange) -> AsyncThrowingStream<SpanBatch, any Error> {
        AsyncThrowingStream { $0.finish(throwing: error) }
    }
}
