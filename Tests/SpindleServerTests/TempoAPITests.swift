import Foundation
import SpindleModel
import SpindleStorage
import SpindleTesting
import SpindleWire
import Testing

@testable import SpindleServer

/// The Tempo API on its own port, against the conformance fixtures, over real HTTP.
@Suite struct TempoAPITests {
    typealias F = ConformanceFixtures

    /// A server whose store holds every fixture.
    static func withFixtures<T: Sendable>(_ body: (RunningServer) async throws -> T) async throws -> T {
        let store = InMemoryTraceStore(maxSpans: 1 << 20)
        try await store.write(F.batch(F.all))
        return try await withServer(writer: store, reader: store, body)
    }

    static func object(_ result: HTTPResult) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(result.body)) as? [String: Any], "not a JSON object: \(result.text)")
    }

    static func encoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text
    }

    // MARK: Trace by ID

    @Test func echo_answersEcho() async throws {
        try await Self.withFixtures { server in
            let result = try await get("\(server.tempo)/api/echo")
            #expect(result.status == 200)
            #expect(result.text == "echo")
        }
    }

    @Test func traceByID_v1JSON_holdsTheWholeTraceAsBatches() async throws {
        try await Self.withFixtures { server in
            let result = try await get("\(server.tempo)/api/traces/\(F.traceA.hexString)")
            #expect(result.status == 200)
            let prefix = Array(#"{"batches":"#.utf8)
            #expect(Array(result.body.prefix(prefix.count)) == prefix)
            let otlp = Array(#"{"resourceSpans":"#.utf8) + result.body.dropFirst(prefix.count)
            let batch = try OTLPJSON.decodeExportRequest(otlp)
            #expect(F.storedSpans(in: batch) == F.sorted(F.spans(of: F.traceA)))
        }
    }

    @Test func traceByID_v2JSON_nestsTheTraceUnderTrace() async throws {
        try await Self.withFixtures { server in
            let result = try await get("\(server.tempo)/api/v2/traces/\(F.traceC.hexString)")
            #expect(result.status == 200)
            let prefix = Array(#"{"trace":"#.utf8)
            #expect(Array(result.body.prefix(prefix.count)) == prefix)
            #expect(result.body.last == UInt8(ascii: "}"))
            let batch = try OTLPJSON.decodeExportRequest(Array(result.body.dropFirst(prefix.count).dropLast()))
            #expect(F.storedSpans(in: batch) == F.sorted(F.spans(of: F.traceC)))
        }
    }

    @Test func traceByID_protobuf_isTempoPBTrace() async throws {
        try await Self.withFixtures { server in
            let v1 = try await send(.GET, "\(server.tempo)/api/traces/\(F.traceB.hexString)", headers: [("Accept", "application/protobuf")])
            #expect(v1.status == 200)
            #expect(v1.headers.first(name: "Content-Type") == "application/protobuf")
            #expect(F.storedSpans(in: try OTLPProtobuf.decodeExportRequest(v1.body)) == F.sorted(F.spans(of: F.traceB)))

            // v2: TraceByIDResponse, whose field 1 is the Trace.
            let v2 = try await send(.GET, "\(server.tempo)/api/v2/traces/\(F.traceB.hexString)", headers: [("Accept", "application/protobuf")])
            #expect(v2.status == 200)
            #expect(v2.body.first == 0x0A)
            var index = 1
            var length = 0
            var shift = 0
            while index < v2.body.count {
                let byte = v2.body[index]
                length |= Int(byte & 0x7F) << shift
                index += 1
                if byte < 0x80 { break }
                shift += 7
            }
            #expect(length == v2.body.count - index)
            #expect(Array(v2.body[index...]) == v1.body)
        }
    }

    @Test func traceByID_shortIDsAreLeftPadded() async throws {
        let store = InMemoryTraceStore(maxSpans: 1000)
        let short = TraceID(high: 0, low: 0xABC)
        try await store.write(F.batch([F.StoredSpan(resource: F.frontend, scope: F.httpScope, span: SpanRecord(
            traceID: short, spanID: SpanID(1), name: "short", kind: .server, startTimeUnixNano: F.time(1), endTimeUnixNano: F.time(2)
        ))]))
        try await withServer(writer: store, reader: store) { server in
            let result = try await get("\(server.tempo)/api/v2/traces/abc")
            #expect(result.status == 200)
        }
    }

    @Test func traceByID_unknownIs404_malformedIs400() async throws {
        try await Self.withFixtures { server in
            let unknown = try await get("\(server.tempo)/api/traces/\(F.unknownTrace.hexString)")
            #expect(unknown.status == 404)
            #expect(unknown.text == "trace not found: \(F.unknownTrace.hexString)\n")
            for bad in ["xyz", String(repeating: "a", count: 33), "0", "%20"] {
                let result = try await get("\(server.tempo)/api/traces/\(bad)")
                #expect(result.status == 400, "\(bad)")
            }
            let badID = try await get("\(server.tempo)/api/v2/traces/nothex")
            #expect(badID.text == "parameter trace ID: expected 1 to 32 hexadecimal digits, got \"nothex\"\n")
            let badStart = try await get("\(server.tempo)/api/traces/\(F.traceA.hexString)?start=yesterday")
            #expect(badStart.status == 400)
            #expect(badStart.text == "parameter start: expected Unix seconds, got \"yesterday\"\n")
        }
    }

    @Test func traceByID_timeRangeExcludesTracesOutsideIt() async throws {
        try await Self.withFixtures { server in
            let base = F.baseTime / 1_000_000_000
            // Trace A starts at base + 1 s; its last second is included whole.
            let inside = try await get("\(server.tempo)/api/traces/\(F.traceA.hexString)?start=\(base + 1)&end=\(base + 1)")
            #expect(inside.status == 200)
            let outside = try await get("\(server.tempo)/api/traces/\(F.traceA.hexString)?start=\(base + 2)&end=\(base + 9)")
            #expect(outside.status == 404)
        }
    }

    // MARK: Tags

    /// Attribute keys of every fixture span or resource, sorted: what the tag APIs list.
    static func keys(_ scope: SpindleStorage.AttributeScope) -> [String] {
        var keys = Set<String>()
        for stored in F.all {
            let attributes = scope == .span ? stored.span.attributes : stored.resource.attributes
            keys.formUnion(attributes.map(\.key))
        }
        return keys.sorted()
    }

    @Test func searchTags_listsSpanAndResourceKeys() async throws {
        try await Self.withFixtures { server in
            let all = try Self.object(try await get("\(server.tempo)/api/search/tags"))
            #expect(all["tagNames"] as? [String] == Set(Self.keys(.span) + Self.keys(.resource)).sorted())
            let resource = try Self.object(try await get("\(server.tempo)/api/search/tags?scope=resource"))
            #expect(resource["tagNames"] as? [String] == ["deployment.weight", "feature.enabled", "host.cpu.count", "host.name", "region", "service.name", "service.version", "team"])
            let bad = try await get("\(server.tempo)/api/search/tags?scope=everything")
            #expect(bad.status == 400)
        }
    }

    @Test func searchTagsV2_groupsByScope() async throws {
        try await Self.withFixtures { server in
            let result = try Self.object(try await get("\(server.tempo)/api/v2/search/tags"))
            let scopes = try #require(result["scopes"] as? [[String: Any]])
            #expect(scopes.map { $0["name"] as? String } == ["resource", "span", "intrinsic"])
            #expect(scopes[0]["tags"] as? [String] == Self.keys(.resource))
            #expect(scopes[1]["tags"] as? [String] == Self.keys(.span))
            #expect(scopes[2]["tags"] as? [String] == TempoTags.intrinsics)
            let span = try Self.object(try await get("\(server.tempo)/api/v2/search/tags?scope=span"))
            #expect((span["scopes"] as? [[String: Any]])?.map { $0["name"] as? String } == ["span"])
        }
    }

    @Test func tagValues_mergeBothScopes() async throws {
        try await Self.withFixtures { server in
            let services = try Self.object(try await get("\(server.tempo)/api/search/tag/service.name/values"))
            #expect(services["tagValues"] as? [String] == ["checkout", "frontend", "inventory", "payments"])
            let methods = try Self.object(try await get("\(server.tempo)/api/search/tag/http.request.method/values"))
            #expect(methods["tagValues"] as? [String] == ["GET", "POST"])
            let none = try Self.object(try await get("\(server.tempo)/api/search/tag/no.such.key/values"))
            #expect(none["tagValues"] as? [String] == [])
        }
    }

    @Test func tagValuesV2_areTyped() async throws {
        try await Self.withFixtures { server in
            func values(_ identifier: String) async throws -> [[String: String]] {
                let result = try Self.object(try await get("\(server.tempo)/api/v2/search/tag/\(identifier)/values"))
                return try #require(result["tagValues"] as? [[String: String]])
            }
            #expect(try await values("resource.service.name") == ["checkout", "frontend", "inventory", "payments"].map { ["type": "string", "value": $0] })
            #expect(try await values("span.http.response.status_code") == [
                ["type": "int", "value": "200"], ["type": "float", "value": "200.0"], ["type": "int", "value": "502"],
            ])
            #expect(try await values(".feature.enabled") == [["type": "bool", "value": "false"], ["type": "bool", "value": "true"]])
            #expect(try await values("status") == ["error", "ok", "unset"].map { ["type": "keyword", "value": $0] })
            #expect(try await values("name").map { $0["value"] } == [
                "GET /checkout", "GET /products", "POST /cart/checkout", "SELECT products", "SELECT stock", "cache.lookup",
                "charge", "consume refund", "heartbeat", "publish refund", "refund",
            ])
            #expect(try await values("duration") == [])
            let bad = try await get("\(server.tempo)/api/v2/search/tag/nonsense/values")
            #expect(bad.status == 400)
        }
    }

    // MARK: Search

    /// Trace IDs of a Tempo search, in the order returned.
    static func searchIDs(_ server: RunningServer, _ query: String) async throws -> [TraceID] {
        let result = try await get("\(server.tempo)/api/search?\(query)")
        #expect(result.status == 200, "\(query): \(result.text)")
        return try #require(object(result)["traces"] as? [[String: Any]]).compactMap { ($0["traceID"] as? String).flatMap { TraceID(hex: $0) } }
    }

    @Test func search_traceQL_returnsTempoShapes() async throws {
        try await Self.withFixtures { server in
            let q = Self.encoded(#"{ resource.service.name = "payments" }"#)
            let result = try Self.object(try await get("\(server.tempo)/api/search?q=\(q)"))
            let traces = try #require(result["traces"] as? [[String: Any]])
            #expect(traces.compactMap { $0["traceID"] as? String } == [F.traceC.hexString, F.traceA.hexString])
            let c = traces[0]
            #expect(c["rootServiceName"] as? String == "payments")
            #expect(c["rootTraceName"] as? String == "refund")
            #expect(c["startTimeUnixNano"] as? String == String(F.time(3000)))
            #expect(c["durationMs"] as? Int == 500)
            let spanSet = try #require(c["spanSet"] as? [String: Any])
            #expect(spanSet["matched"] as? Int == 2)
            let spans = try #require(spanSet["spans"] as? [[String: Any]])
            #expect(Set(spans.compactMap { $0["spanID"] as? String }) == ["00000000000000c1", "00000000000000c2"])
            let refund = try #require(spans.first { $0["spanID"] as? String == "00000000000000c1" })
            #expect(refund["durationNanos"] as? String == "500000000")
            #expect(refund["startTimeUnixNano"] as? String == String(F.time(3000)))
            #expect((c["spanSets"] as? [Any])?.count == 1)
            let a = traces[1]
            #expect(a["rootServiceName"] as? String == "frontend")
            #expect(a["rootTraceName"] as? String == "GET /checkout")
            #expect((a["spanSet"] as? [String: Any])?["matched"] as? Int == 1)
        }
    }

    @Test func search_byTagsDurationsAndLimit() async throws {
        try await Self.withFixtures { server in
            let everything = try await Self.searchIDs(server, "")
            #expect(everything == F.summaries.map { $0.traceID })
            #expect(try await Self.searchIDs(server, "tags=\(Self.encoded("service.name=payments"))") == [F.traceC, F.traceA])
            #expect(try await Self.searchIDs(server, "tags=\(Self.encoded("http.response.status_code=502"))") == [F.traceA])
            #expect(try await Self.searchIDs(server, "tags=\(Self.encoded("db.system=postgresql name=\"SELECT stock\""))") == [F.traceA])
            #expect(try await Self.searchIDs(server, "tags=\(Self.encoded("region=eu-west-1"))") == [F.traceC, F.traceA])
            #expect(try await Self.searchIDs(server, "minDuration=300ms") == [F.traceC])
            #expect(try await Self.searchIDs(server, "maxDuration=5ms") == [F.traceD])
            #expect(try await Self.searchIDs(server, "limit=2") == [F.traceE, F.traceD])
            let base = F.baseTime / 1_000_000_000
            #expect(try await Self.searchIDs(server, "start=\(base + 2)&end=\(base + 3)") == [F.traceC, F.traceB])
        }
    }

    @Test func search_structuralQuery() async throws {
        try await Self.withFixtures { server in
            let q = Self.encoded(#"{ resource.service.name = "checkout" } >> { status = error }"#)
            let result = try Self.object(try await get("\(server.tempo)/api/search?q=\(q)"))
            let traces = try #require(result["traces"] as? [[String: Any]])
            #expect(traces.compactMap { $0["traceID"] as? String } == [F.traceA.hexString])
            let spans = try #require((traces.first?["spanSet"] as? [String: Any])?["spans"] as? [[String: Any]])
            let spanIDs: Set<String> = Set(spans.compactMap { $0["spanID"] as? String })
            #expect(spanIDs == ["00000000000000a3", "00000000000000a4"])
        }
    }

    @Test func search_badQueriesAre400WithAMessage() async throws {
        try await Self.withFixtures { server in
            let cases = [
                "q=\(Self.encoded("{ name = }"))", "q=\(Self.encoded("{ name = \"open }"))", "q=\(Self.encoded("{ name =~ \"(\" }"))",
                "q=\(Self.encoded("{ duration > 10xs }"))", "q=\(Self.encoded("{} | rate()"))",
                "tags=\(Self.encoded("a=\"open"))", "limit=abc", "limit=1000000", "spss=-2", "minDuration=10", "start=soon",
            ]
            for query in cases {
                let result = try await get("\(server.tempo)/api/search?\(query)")
                #expect(result.status == 400, "\(query): \(result.text)")
                #expect(result.text.hasPrefix("parameter "), "\(query): \(result.text)")
            }
            let broken = try await get("\(server.tempo)/api/search?q=\(Self.encoded("{ name = }"))")
            #expect(broken.text.hasPrefix("parameter q: invalid TraceQL query: line 1, column 10: "), "\(broken.text)")
            // A hostile pattern is answered, not run away with.
            let hostile = Self.encoded(#"{ name =~ "(a+)+b" || name =~ "(x+x+)+y" }"#)
            #expect(try await Self.searchIDs(server, "q=\(hostile)") == [])
        }
    }

    // MARK: Metrics

    @Test func metricsQueryRange_countsPerStep() async throws {
        try await Self.withFixtures { server in
            let base = F.baseTime / 1_000_000_000
            let q = Self.encoded(#"{ resource.service.name = "checkout" } | count_over_time()"#)
            let result = try await get("\(server.tempo)/api/metrics/query_range?q=\(q)&start=\(base)&end=\(base + 6)&step=1s")
            #expect(result.status == 200, "\(result.text)")
            let series = try #require(Self.object(result)["series"] as? [[String: Any]])
            #expect(series.count == 1)
            let samples = try #require(series.first?["samples"] as? [[String: Any]])
            let values = samples.map { "\($0["timestampMs"] as? String ?? ""):\($0["value"] as? Double ?? -1)" }
            let ms = base * 1000
            // A2 and A3 in the second after base + 1 s; C3 in the one after base + 3 s.
            #expect(values.filter { !$0.hasSuffix(":0.0") } == ["\(ms + 1000):2.0", "\(ms + 3000):1.0"])

            let byService = Self.encoded("{ } | count_over_time() by (resource.service.name)")
            let grouped = try Self.object(try await get("\(server.tempo)/api/metrics/query_range?q=\(byService)&start=\(base)&end=\(base + 6)&step=1s"))
            let labels = try #require(grouped["series"] as? [[String: Any]]).compactMap { $0["promLabels"] as? String }
            #expect(Set(labels).isSuperset(of: [
                #"{resource.service.name="checkout"}"#, #"{resource.service.name="frontend"}"#,
                #"{resource.service.name="inventory"}"#, #"{resource.service.name="payments"}"#,
            ]))

            let instant = try Self.object(try await get("\(server.tempo)/api/metrics/query?q=\(q)&start=\(base)&end=\(base + 6)"))
            #expect((instant["series"] as? [[String: Any]])?.first?["value"] as? Double == 3)

            // Times at the edge of what nanoseconds hold are refused or saturate, never trap.
            let farEnd = try await get("\(server.tempo)/api/metrics/query_range?q=\(q)&end=18446744073709551615")
            #expect(farEnd.status == 200, "\(farEnd.text)")
            let farSeconds = try await get("\(server.tempo)/api/metrics/query_range?q=\(q)&end=99999999999")
            #expect(farSeconds.status == 400)
            #expect(farSeconds.text == "parameter end: 99999999999 is past the year 2554, the last a Unix nanosecond count holds\n")
            let farDate = try await get("\(server.tempo)/api/metrics/query_range?q=\(q)&end=2600-01-01T00:00:00Z")
            #expect(farDate.status == 400)

            let notMetrics = try await get("\(server.tempo)/api/metrics/query_range?q=\(Self.encoded("{ }"))")
            #expect(notMetrics.status == 400)
            let tinyStep = try await get("\(server.tempo)/api/metrics/query_range?q=\(q)&start=\(base)&end=\(base + 86_400)&step=1s")
            #expect(tinyStep.status == 400)
            #expect(tinyStep.text == "parameter step: too small for the range: 86400 points, at most 11000\n")
        }
    }

    @Test func queryPaths_refuseOtherMethodsWith405() async throws {
        try await Self.withFixtures { server in
            for url in ["\(server.tempo)/api/search", "\(server.http)/api/services", "\(server.http)/api/spindle/search", "\(server.http)/api/v3/traces"] {
                let result = try await send(.POST, url, body: [])
                #expect(result.status == 405, "\(url)")
                #expect(result.headers.first(name: "Allow") == "GET", "\(url)")
            }
        }
    }

    // MARK: Logfmt tags → TraceQL

    @Test func logfmtTags_translateToTraceQL() throws {
        #expect(try TempoTags.traceQL(fromLogfmt: "") == "{}")
        #expect(try TempoTags.traceQL(fromLogfmt: "service.name=frontend") == #"{ resource.service.name = "frontend" }"#)
        #expect(try TempoTags.traceQL(fromLogfmt: "name=\"GET /a b\" status=error") == #"{ name = "GET /a b" && status = error }"#)
        #expect(try TempoTags.traceQL(fromLogfmt: "http.status_code=500") == #"{ (.http.status_code = "500" || .http.status_code = 500) }"#)
        #expect(try TempoTags.traceQL(fromLogfmt: "flag=true  ratio=0.5") == #"{ (.flag = "true" || .flag = true) && (.ratio = "0.5" || .ratio = 0.5) }"#)
        #expect(try TempoTags.traceQL(fromLogfmt: #"q="say \"hi\"\\" k"#) == #"{ .q = "say \"hi\"\\" && .k != nil }"#)
        #expect(try TempoTags.traceQL(fromLogfmt: "odd~key=1e3") == #"{ ."odd~key" = "1e3" }"#)
        #expect(throws: APIError.badParameter("tags", "unterminated quoted value starting at character 3")) {
            try TempoTags.traceQL(fromLogfmt: #"a="open"#)
        }
        #expect(throws: APIError.badParameter("tags", "expected a key before \"=\" (at character 1)")) {
            try TempoTags.traceQL(fromLogfmt: "=x")
        }
    }

    @Test func durations_parseAsGoDoes() {
        #expect(GoDuration.parse("100ms") == 100_000_000)
        #expect(GoDuration.parse("1.5s") == 1_500_000_000)
        #expect(GoDuration.parse("1h30m") == 5_400_000_000_000)
        #expect(GoDuration.parse("250us") == 250_000)
        #expect(GoDuration.parse("250µs") == 250_000)
        #expect(GoDuration.parse("7ns") == 7)
        #expect(GoDuration.parse("0") == 0)
        for bad in ["", "10", "10xs", "ms", "1.s.", "-1s", "1e3s", String(repeating: "9", count: 70) + "s", "99999999999h"] {
            #expect(GoDuration.parse(bad) == nil, "\(bad)")
        }
    }

    @Test func rfc3339_parsesToUnixNanoseconds() {
        #expect(RFC3339.parse("1970-01-01T00:00:00Z") == 0)
        #expect(RFC3339.parse("2023-11-14T22:13:20Z") == 1_700_000_000_000_000_000)
        #expect(RFC3339.parse("2023-11-14T23:13:20.5+01:00") == 1_700_000_000_500_000_000)
        #expect(RFC3339.parse("2024-02-29T00:00:00.000000001Z") == 1_709_164_800_000_000_001)
        for bad in ["2023-11-14", "2023-13-01T00:00:00Z", "2023-11-14T22:13:20", "2023-11-14T22:13:20.Z", "1969-12-31T23:59:59Z", "2600-01-01T00:00:00Z", "9999-12-31T23:59:59Z"] {
            #expect(RFC3339.parse(bad) == nil, "\(bad)")
        }
    }
}
