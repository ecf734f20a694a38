import Foundation
import SpindleModel
import SpindleStorage
import SpindleTesting
import SpindleWire
import Testing

@testable import SpindleServer

/// Spindle's own API (docs/api.md) against the conformance fixtures, over real HTTP.
@Suite struct SpindleAPITests {
    typealias F = ConformanceFixtures

    static var api: (RunningServer) -> String { { "\($0.http)/api/spindle" } }
    /// A range covering every fixture, as the API's nanosecond parameters.
    static let range = "start=\(F.baseTime)&end=\(F.baseTime + 10_000_000_000)"

    static func object(_ result: HTTPResult) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(result.body)) as? [String: Any], "not a JSON object: \(result.text)")
    }

    static func errorMessage(_ result: HTTPResult) throws -> String? {
        let error = try object(result)["error"] as? [String: Any]
        return error?["message"] as? String
    }

    static func encoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text
    }

    @Test func services_andOperations() async throws {
        try await TempoAPITests.withFixtures { server in
            let services = try Self.object(try await get("\(Self.api(server))/services"))
            #expect(services["services"] as? [String] == ["checkout", "frontend", "inventory", "payments"])
            let operations = try Self.object(try await get("\(Self.api(server))/services/frontend/operations"))
            let list = try #require(operations["operations"] as? [[String: String]])
            // Sorted by name, then by kind's wire number (unspecified 0 before client 3).
            #expect(list == [
                ["name": "GET /checkout", "kind": "server"], ["name": "GET /products", "kind": "server"],
                ["name": "heartbeat", "kind": "unspecified"], ["name": "heartbeat", "kind": "client"],
            ])
            let none = try Self.object(try await get("\(Self.api(server))/services/nobody/operations"))
            #expect((none["operations"] as? [Any])?.isEmpty == true)
        }
    }

    @Test func attributes_namesAndValues() async throws {
        try await TempoAPITests.withFixtures { server in
            let names = try Self.object(try await get("\(Self.api(server))/attributes?scope=resource"))
            #expect(names["names"] as? [String] == TempoAPITests.keys(.resource))
            let values = try Self.object(try await get("\(Self.api(server))/attributes/db.system/values"))
            #expect(values["values"] as? [String] == ["postgresql"])
            let bad = try await get("\(Self.api(server))/attributes?scope=event")
            #expect(bad.status == 400)
            #expect(try Self.errorMessage(bad) == "parameter scope: expected span or resource, got \"event\"")
        }
    }

    @Test func search_returnsSummariesMostRecentFirst() async throws {
        try await TempoAPITests.withFixtures { server in
            func traceIDs(_ query: String) async throws -> [String] {
                let result = try await get("\(Self.api(server))/search?\(query)")
                #expect(result.status == 200, "\(query): \(result.text)")
                return try #require(Self.object(result)["traces"] as? [[String: Any]]).compactMap { $0["traceID"] as? String }
            }
            #expect(try await traceIDs("") == F.summaries.map(\.traceID.hexString))
            #expect(try await traceIDs("service=payments") == [F.traceC, F.traceA].map(\.hexString))
            #expect(try await traceIDs("service=checkout&operation=charge&status=error") == [F.traceA.hexString])
            #expect(try await traceIDs("attr=span.db.rows>=1000") == [F.traceB.hexString])
            #expect(try await traceIDs("attr=resource.region=eu-west-1") == [F.traceC, F.traceA].map(\.hexString))
            #expect(try await traceIDs("attr=span.http.response.status_code=502&kind=client") == [F.traceA.hexString])
            #expect(try await traceIDs("minDuration=400ms") == [F.traceC.hexString])
            #expect(try await traceIDs("limit=2") == [F.traceE, F.traceD].map(\.hexString))

            let first = try Self.object(try await get("\(Self.api(server))/search?service=payments&limit=1"))
            let summary = try #require((first["traces"] as? [[String: Any]])?.first)
            #expect(summary["traceID"] as? String == F.summaryC.traceID.hexString)
            #expect(summary["rootService"] as? String == "payments")
            #expect(summary["rootOperation"] as? String == "refund")
            #expect(summary["startTimeUnixNano"] as? String == String(F.summaryC.startTimeUnixNano))
            #expect(summary["durationNanos"] as? Int == 500_000_000)
            #expect(summary["spanCount"] as? Int == 3)
            #expect(summary["errorCount"] as? Int == 1)
            #expect(summary["services"] as? [String] == ["checkout", "payments"])
        }
    }

    @Test func search_badParametersAre400WithTheirName() async throws {
        try await TempoAPITests.withFixtures { server in
            let cases: [(String, String)] = [
                ("limit=-1", "parameter limit: expected a non-negative integer, got \"-1\""),
                ("limit=100000", "parameter limit: 100000 is more than the maximum of 10000"),
                ("minDuration=fast", "parameter minDuration: expected a duration such as 100ms, 1.5s or 1h30m, got \"fast\""),
                ("minDuration=2s&maxDuration=1s", "parameter minDuration: is more than maxDuration"),
                ("kind=sideways", "parameter kind: expected server, client, producer, consumer, internal or unspecified, got \"sideways\""),
                ("status=maybe", "parameter status: expected error, ok or unset, got \"maybe\""),
                ("start=tomorrow", "parameter start: expected Unix seconds or nanoseconds or an RFC 3339 time, got \"tomorrow\""),
                ("attr=span.x>=abc", "parameter attr: >= needs a number, got \"abc\""),
                ("attr=%3D1", "parameter attr: expected a key before = in \"=1\""),
            ]
            for (query, message) in cases {
                let result = try await get("\(Self.api(server))/search?\(query)")
                #expect(result.status == 400, "\(query)")
                #expect(try Self.errorMessage(result) == message, "\(query)")
            }
        }
    }

    @Test func trace_isOTLPJSON_unknownIs404() async throws {
        try await TempoAPITests.withFixtures { server in
            let result = try await get("\(Self.api(server))/traces/\(F.traceA.hexString)")
            #expect(result.status == 200)
            #expect(F.storedSpans(in: try OTLPJSON.decodeExportRequest(result.body)) == F.sorted(F.spans(of: F.traceA)))
            let unknown = try await get("\(Self.api(server))/traces/\(F.unknownTrace.hexString)")
            #expect(unknown.status == 404)
            #expect(try Self.errorMessage(unknown) == "trace \(F.unknownTrace.hexString) not found")
            let bad = try await get("\(Self.api(server))/traces/zz")
            #expect(bad.status == 400)
            #expect(try Self.errorMessage(bad) == "parameter id: expected 1 to 32 hexadecimal digits, got \"zz\"")
        }
    }

    @Test func dependencies_areCrossServiceParentChildPairs() async throws {
        try await TempoAPITests.withFixtures { server in
            let graph = try Self.object(try await get("\(Self.api(server))/dependencies?\(Self.range)"))
            let edges = try #require(graph["edges"] as? [[String: Any]])
            let pairs = edges.map { "\($0["parent"] as? String ?? "")→\($0["child"] as? String ?? ""):\($0["callCount"] as? Int ?? -1):\($0["errorCount"] as? Int ?? -1)" }
            #expect(pairs == [
                "checkout→inventory:1:0", "checkout→payments:1:1", "frontend→checkout:1:0",
                "frontend→inventory:2:0", "payments→checkout:1:0",
            ])
        }
    }

    @Test func traceAnalyses_criticalPathStatisticsAndComparison() async throws {
        try await TempoAPITests.withFixtures { server in
            let path = try Self.object(try await get("\(Self.api(server))/traces/\(F.traceB.hexString)/critical-path"))
            let segments = try #require(path["segments"] as? [[String: String]])
            // B1 [2000, 2080] with children B2 [2005, 2065] and B3 [2070, 2071].
            #expect(segments.map { $0["spanID"] } == ["00000000000000b1", "00000000000000b2", "00000000000000b1", "00000000000000b3", "00000000000000b1"])
            #expect(segments.first?["startTimeUnixNano"] == String(F.time(2000)))
            #expect(segments.last?["endTimeUnixNano"] == String(F.time(2080)))

            let statistics = try Self.object(try await get("\(Self.api(server))/traces/\(F.traceB.hexString)/statistics"))
            let rows = try #require(statistics["rows"] as? [[String: Any]])
            #expect(rows.count == 3)
            #expect(rows.first?["operation"] as? String == "SELECT products")
            #expect(rows.first?["selfNanos"] as? Int == 60_000_000)

            let same = try Self.object(try await get("\(Self.api(server))/compare?a=\(F.traceB.hexString)&b=\(F.traceB.hexString)"))
            let entries = try #require(same["entries"] as? [[String: Any]])
            #expect(entries.count == 3)
            #expect(entries.allSatisfy { $0["change"] as? String == "unchanged" })

            let missing = try await get("\(Self.api(server))/compare?a=\(F.traceB.hexString)")
            #expect(missing.status == 400)
            #expect(try Self.errorMessage(missing) == "parameter b: the second trace ID is required")
        }
    }

    @Test func red_andHistogram_forAService() async throws {
        try await TempoAPITests.withFixtures { server in
            let red = try Self.object(try await get("\(Self.api(server))/red?service=frontend&\(Self.range)&step=10s"))
            let points = try #require(red["points"] as? [[String: Any]])
            #expect(points.count == 1)
            // frontend's server spans: A1 and B1 (D's spans are not server spans).
            #expect(points.first?["requests"] as? Int == 2)
            #expect(points.first?["errors"] as? Int == 0)

            let histogram = try Self.object(try await get("\(Self.api(server))/histogram?service=frontend&\(Self.range)"))
            let buckets = try #require(histogram["buckets"] as? [[String: Any]])
            #expect(buckets.reduce(0) { $0 + ($1["count"] as? Int ?? 0) } == histogram["total"] as? Int)

            let noService = try await get("\(Self.api(server))/red?\(Self.range)")
            #expect(noService.status == 400)
            #expect(try Self.errorMessage(noService) == "parameter service: a service is required")
        }
    }

    @Test func traceQL_searchAndSyntaxErrors() async throws {
        try await TempoAPITests.withFixtures { server in
            let q = Self.encoded(#"{ resource.service.name = "payments" }"#)
            let result = try Self.object(try await get("\(Self.api(server))/traceql?q=\(q)"))
            let traces = try #require(result["traces"] as? [[String: Any]])
            #expect(traces.compactMap { $0["traceID"] as? String } == [F.traceC, F.traceA].map(\.hexString))

            let broken = try await get("\(Self.api(server))/traceql?q=\(Self.encoded("{ name = }"))")
            #expect(broken.status == 400)
            let error = try #require(try Self.object(broken)["error"] as? [String: Any])
            #expect(error["line"] as? Int == 1)
            #expect(error["column"] as? Int == 10)
        }
    }
}
