import Foundation
import SpindleModel
import SpindleTesting
import SpindleWire
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Spindle as a fleet over a real ClickHouse cluster: two shards on loopback (configured by
/// `scripts/clickhouse-cluster.sh`), two `spindle serve --role collector` processes
/// ingesting into it, each through a different shard, and a `--role query` process
/// answering, and a `--role router` in front of the collectors.
@Suite(.serialized) struct ClickHouseClusterTests {
    typealias F = ConformanceFixtures
    static let cluster = "spindle_test"

    @Test func aTraceWhoseSpansWentThroughTwoCollectors_isServedWholeByTheQueryNode() async throws {
        let shards = try ClickHouseServer.startCluster(name: Self.cluster, shards: 2)
        defer { for shard in shards { shard.stop() } }
        let ports = try ClickHouseServer.freePorts(20)
        let collectorA = try SpindleProcess.start(role: "collector", shard: shards[0], ports: Array(ports[0..<5]))
        defer { collectorA.stop() }
        let collectorB = try SpindleProcess.start(role: "collector", shard: shards[1], ports: Array(ports[5..<10]))
        defer { collectorB.stop() }
        let query = try SpindleProcess.start(role: "query", shard: shards[0], ports: Array(ports[10..<15]))
        defer { query.stop() }
        let router = try SpindleProcess.start(
            role: "router", shard: nil, ports: Array(ports[15..<20]),
            extra: ["--forward-to", "http://127.0.0.1:\(collectorA.ports[1]),http://127.0.0.1:\(collectorB.ports[1])"]
        )
        defer { router.stop() }
        for process in [collectorA, collectorB, query, router] { try await process.waitUntilReady() }

        // One trace, half its spans through each collector; 40 more traces, alternating.
        let now = UInt64(Date().timeIntervalSince1970 * 1_000_000_000)
        let whole = TraceID(high: 0x5EED_0000_0000_0001, low: 0xC1A5_7E40_0000_0001)
        let wholeSpans = (0..<20).map { Self.span(trace: whole, index: $0, service: $0 < 10 ? "frontend" : "backend", start: now) }
        let others = (1...40).map { traceIndex in
            (0..<5).map { Self.span(trace: TraceID(high: 0x0707, low: UInt64(traceIndex)), index: $0, service: "worker", start: now) }
        }
        #expect(try await collectorA.export(Array(wholeSpans[0..<10])) == 200)
        #expect(try await collectorB.export(Array(wholeSpans[10..<20])) == 200)
        for (index, spans) in others.enumerated() {
            #expect(try await (index % 2 == 0 ? collectorA : collectorB).export(spans) == 200)
        }

        // Through the router: each trace's spans in two requests, 10 traces.
        let routed = (1...10).map { traceIndex in
            (0..<6).map { Self.span(trace: TraceID(high: 0x0A0A, low: UInt64(traceIndex)), index: $0, service: "routed", start: now) }
        }
        #expect(try await router.export(routed.flatMap { $0[0..<3] }) == 200)
        #expect(try await router.export(routed.flatMap { $0[3..<6] }) == 200)

        // The query node serves the trace whole, exactly as sent, on the Tempo API…
        let tempo = try await get("http://127.0.0.1:\(query.ports[4])/api/traces/\(whole.hexString)")
        #expect(tempo.status == 200)
        let prefix = Array(#"{"batches":"#.utf8)
        #expect(Array(tempo.body.prefix(prefix.count)) == prefix)
        let batch = try OTLPJSON.decodeExportRequest(Array(#"{"resourceSpans":"#.utf8) + tempo.body.dropFirst(prefix.count))
        #expect(F.storedSpans(in: batch) == F.sorted(wholeSpans))
        // …on the Jaeger API, and in a search.
        let jaeger = try await getJSON("http://127.0.0.1:\(query.ports[3])/api/traces/\(whole.hexString)")
        let jaegerTrace = (jaeger["data"] as? [[String: Any]])?.first
        #expect((jaegerTrace?["spans"] as? [Any])?.count == 20)
        let found = try await getJSON("http://127.0.0.1:\(query.ports[3])/api/spindle/search?service=backend&limit=20")
        let traceIDs = (found["traces"] as? [[String: Any]])?.compactMap { $0["traceID"] as? String }
        #expect(traceIDs == [whole.hexString])

        // TraceQL on the Tempo API, structural: a backend span under the frontend root.
        let query1 = #"{ resource.service.name = "frontend" } >> { resource.service.name = "backend" && span.index >= 15 }"#
        let traceQL = try await getJSON("http://127.0.0.1:\(query.ports[4])/api/search?q=\(query1.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")&limit=20")
        let traceQLIDs = (traceQL["traces"] as? [[String: Any]])?.compactMap { $0["traceID"] as? String }
        #expect(traceQLIDs == [whole.hexString])

        // Both shards hold spans, 220 in all, and the trace lives on one of them.
        var perShard: [Int] = []
        var wholeOnShard: [Int] = []
        for shard in shards {
            perShard.append(try await count("SELECT count() FROM spindle.spans", on: shard))
            wholeOnShard.append(try await count("SELECT count() FROM spindle.spans WHERE trace_id = unhex('\(whole.hexString)')", on: shard))
        }
        #expect(perShard.reduce(0, +) == 280)
        #expect(perShard.allSatisfy { $0 > 0 })
        #expect(wholeOnShard.sorted() == [0, 20])

        // Every routed trace is whole.
        for spans in routed {
            let answer = try await get("http://127.0.0.1:\(query.ports[4])/api/traces/\(spans[0].span.traceID.hexString)")
            let routedBatch = try OTLPJSON.decodeExportRequest(Array(#"{"resourceSpans":"#.utf8) + answer.body.dropFirst(prefix.count))
            #expect(F.storedSpans(in: routedBatch) == F.sorted(spans))
        }

        // Roles: the query node has no ingest listener; a collector serves /metrics, not the APIs.
        let refused = try? await post("http://127.0.0.1:\(query.ports[1])/v1/traces", body: [])
        #expect(refused == nil)
        #expect(try await get("http://127.0.0.1:\(collectorA.ports[3])/metrics").status == 200)
        #expect(try await get("http://127.0.0.1:\(collectorA.ports[3])/api/services").status == 404)

        for process in [router, collectorA, collectorB, query] {
            #expect(process.terminate() == 0)
            // Debug logs, and still no password.
            #expect(!process.logText(lines: .max).contains(shards[0].password))
        }
    }

    static func span(trace: TraceID, index: Int, service: String, start: UInt64) -> F.StoredSpan {
        let startTime = start + UInt64(index) * 1_000_000
        return F.StoredSpan(
            resource: Resource(attributes: [Attribute("service.name", .string(service))]),
            scope: InstrumentationScope(name: "cluster-test"),
            span: SpanRecord(
                traceID: trace, spanID: SpanID(UInt64(index + 1)), parentSpanID: index == 0 ? .zero : SpanID(1),
                name: "op-\(index % 3)", kind: index == 0 ? .server : .internal,
                startTimeUnixNano: startTime, endTimeUnixNano: startTime + 500_000,
                attributes: [Attribute("index", .int(Int64(index)))]
            )
        )
    }

    /// A one-number answer of a shard.
    private func count(_ sql: String, on shard: ClickHouseServer) async throws -> Int {
        let answer = try await post(shard.httpURL + "/", body: Array(sql.utf8))
        guard answer.status == 200, let value = Int(String(decoding: answer.body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw ClickHouseServer.Failure(description: "\(sql) answered \(answer.status): \(String(decoding: answer.body.prefix(300), as: UTF8.self))")
        }
        return value
    }
}

/// A `spindle serve` child process over a ClickHouse cluster shard.
private final class SpindleProcess: Sendable {
    let process: Process
    /// OTLP/gRPC, OTLP/HTTP, Zipkin, HTTP, Tempo (0 when the role does not listen there).
    let ports: [Int]
    let log: URL

    private init(process: Process, ports: [Int], log: URL) {
        self.process = process
        self.ports = ports
        self.log = log
    }

    static func start(role: String, shard: ClickHouseServer?, ports: [Int], extra: [String] = []) throws -> SpindleProcess {
        let process = Process()
        process.executableURL = try spindleExecutable()
        let storage = shard.map {
            [
                "--storage", "clickhouse", "--clickhouse-url", $0.httpURL,
                "--clickhouse-cluster", ClickHouseClusterTests.cluster, "--clickhouse-user", ClickHouseServer.user,
            ]
        } ?? []
        process.arguments = ["serve", "--role", role] + storage + extra + [
            "--otlp-grpc-port", String(ports[0]), "--otlp-http-port", String(ports[1]), "--zipkin-port", String(ports[2]),
            "--http-port", String(ports[3]), "--tempo-port", String(ports[4]), "--log-level", "debug",
        ]
        // The password travels in the environment, as an operator would pass it.
        var environment = ProcessInfo.processInfo.environment
        environment["SPINDLE_CLICKHOUSE_PASSWORD"] = shard?.password
        process.environment = environment
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("spindle-\(role)-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return SpindleProcess(process: process, ports: ports, log: log)
    }

    /// Waits for `GET /ready` on the HTTP port (a deadline for a broken start, not a
    /// measurement); fails with the process' log if it exits first.
    func waitUntilReady() async throws {
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            guard process.isRunning else {
                throw ClickHouseServer.Failure(description: "spindle serve exited with \(process.terminationStatus):\n\(logText())")
            }
            if let answer = try? await get("http://127.0.0.1:\(ports[3])/ready"), answer.status == 200 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ClickHouseServer.Failure(description: "spindle serve was not ready within 120 s:\n\(logText())")
    }

    /// Exports spans over OTLP/HTTP protobuf; the HTTP status.
    func export(_ spans: [ConformanceFixtures.StoredSpan]) async throws -> Int {
        let body = OTLPProtobuf.encodeExportRequest(ConformanceFixtures.batch(spans))
        let answer = try await post("http://127.0.0.1:\(ports[1])/v1/traces", body: body, contentType: "application/x-protobuf")
        if answer.status != 200 { Issue.record("export answered \(answer.status): \(String(decoding: answer.body.prefix(300), as: UTF8.self))\n\(logText())") }
        return answer.status
    }

    /// SIGTERM, then the exit status (the graceful shutdown's).
    func terminate() -> Int32 {
        process.terminate()
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Stops it if still running (after a failed test) and removes the log.
    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: log)
    }

    func logText(lines: Int = 40) -> String {
        String(decoding: (try? Data(contentsOf: log)) ?? Data(), as: UTF8.self).split(separator: "\n").suffix(lines).joined(separator: "\n")
    }
}

private func get(_ url: String) async throws -> (status: Int, body: [UInt8]) {
    guard let address = URL(string: url) else { throw ClickHouseServer.Failure(description: "bad URL \(url)") }
    let (data, response) = try await URLSession.shared.data(from: address)
    return ((response as? HTTPURLResponse)?.statusCode ?? 0, [UInt8](data))
}

private func post(_ url: String, body: [UInt8], contentType: String = "text/plain") async throws -> (status: Int, body: [UInt8]) {
    guard let address = URL(string: url) else { throw ClickHouseServer.Failure(description: "bad URL \(url)") }
    var request = URLRequest(url: address)
    request.httpMethod = "POST"
    request.setValue(contentType, forHTTPHeaderField: "Content-Type")
    request.httpBody = Data(body)
    let (data, response) = try await URLSession.shared.data(for: request)
    return ((response as? HTTPURLResponse)?.statusCode ?? 0, [UInt8](data))
}

private func getJSON(_ url: String) async throws -> [String: Any] {
    let answer = try await get(url)
    guard answer.status == 200, let object = try JSONSerialization.jsonObject(with: Data(answer.body)) as? [String: Any] else {
        throw ClickHouseServer.Failure(description: "GET \(url) answered \(answer.status): \(String(decoding: answer.body.prefix(300), as: UTF8.self))")
    }
    return object
}
