import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import SpindleModel
import SpindleSamples
import SpindleWire

/// `spindle bench ingest`: OTLP/HTTP protobuf load against a running server.
///
/// Request bodies come from ``Workload`` and are encoded before the timed run, so the
/// generator costs almost nothing while it runs: each send copies a pooled body and
/// rewrites its trace IDs (see ``EncodedRequest``), so no trace is sent twice.
struct IngestBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Send realistic OTLP/HTTP protobuf batches to a running server; report throughput, latency, refusals and server memory.",
        discussion: """
            Requests go to <endpoint>/v1/traces with Content-Type application/x-protobuf. \
            429 and 503 answers are counted and the request is retried after Retry-After \
            (or a short back-off), as OTLP clients do; other non-2xx answers are counted and \
            not retried. Latency is per accepted HTTP exchange, body read included. \
            The client and the server share this machine's cores unless they run apart.
            """
    )

    @Option(help: "The server's OTLP/HTTP address; requests go to <endpoint>/v1/traces.")
    var endpoint = "http://127.0.0.1:4318"

    @Option(help: "Services in the workload, each its own resource.")
    var services = 20

    @Option(help: "Distinct operations, spread over the services.")
    var operations = 200

    @Option(name: .customLong("spans-per-request"), help: "Spans per request: whole traces are added until at least this many.")
    var spansPerRequest = 500

    @Option(help: "Attributes per span.")
    var attributes = 10

    @Option(help: "Requests in flight at once (one connection each).")
    var concurrency = 8

    @Option(help: "Seconds to send for (ignored when --requests is given).")
    var duration: Double = 20

    @Option(help: "Send this many requests, however long it takes, instead of running for --duration.")
    var requests: Int?

    @Option(name: .customLong("server-pid"), help: "The server's process ID, to sample its resident memory from /proc/<pid>/status.")
    var serverPID: Int32?

    @Option(help: "Distinct request bodies encoded before the run and sent in turn, with fresh trace IDs each time round.")
    var pool = 64

    @Option(help: "The workload's seed.")
    var seed: UInt64 = 1

    @Flag(help: "Print the report as JSON instead of text.")
    var json = false

    func validate() throws {
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1") }
        guard spansPerRequest >= 1 else { throw ValidationError("--spans-per-request must be at least 1") }
        guard services >= 1, operations >= 1 else { throw ValidationError("--services and --operations must be at least 1") }
        guard attributes >= 0 else { throw ValidationError("--attributes must be 0 or more") }
        guard pool >= 1 else { throw ValidationError("--pool must be at least 1") }
        guard duration > 0, duration.isFinite else { throw ValidationError("--duration must be a positive number of seconds") }
        if let requests, requests < 1 { throw ValidationError("--requests must be at least 1") }
        guard tracesURL.hasPrefix("http://") || tracesURL.hasPrefix("https://") else {
            throw ValidationError("--endpoint \"\(endpoint)\" is not an http:// or https:// URL")
        }
    }

    /// `<endpoint>/v1/traces`, unless the endpoint already names the path.
    var tracesURL: String {
        var base = endpoint
        while base.hasSuffix("/") { base.removeLast() }
        return base.hasSuffix("/v1/traces") ? base : base + "/v1/traces"
    }

    func run() async throws {
        let clock = ContinuousClock()
        let encodeStart = clock.now
        let requestPool = Self.encodePool(
            Workload.Configuration(services: services, operations: operations, attributesPerSpan: attributes, seed: seed),
            requests: pool, spansPerRequest: spansPerRequest
        )
        let encodeSeconds = (clock.now - encodeStart).seconds
        if !json {
            let spans = requestPool.reduce(0) { $0 + $1.spanCount }
            let bytes = requestPool.reduce(0) { $0 + $1.body.count }
            print("spindle bench ingest → POST \(tracesURL)")
            print("workload: \(services) services, \(operations) operations, \(attributes) attributes/span, seed \(seed); \(pool) bodies pre-encoded in \(fixed(encodeSeconds, 2)) s: mean \(spans / pool) spans, \(bytes / pool / 1024) KiB each")
            if requestPool.contains(where: { $0.traceIDOffsets.count != $0.spanCount }) {
                print("warning: trace IDs could not be located in every body; repeated bodies resend the same traces")
            }
        }

        var httpConfiguration = HTTPClient.Configuration()
        httpConfiguration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: concurrency)
        httpConfiguration.timeout = .init(connect: .seconds(5), read: .seconds(120))
        httpConfiguration.decompression = .disabled
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: httpConfiguration)
        let result: Result<IngestReport, any Error>
        do {
            result = .success(try await measure(client: client, pool: requestPool, encodeSeconds: encodeSeconds))
        } catch {
            result = .failure(error)
        }
        try await client.shutdown()
        let report = try result.get()
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(report.text)
        }
    }

    private func measure(client: HTTPClient, pool: [EncodedRequest], encodeSeconds: Double) async throws -> IngestReport {
        let url = tracesURL
        // An empty export (zero spans) checks that the server is there and speaks OTLP/HTTP.
        do {
            let probe = try await Self.send(ByteBuffer(), to: url, client: client)
            guard (200..<300).contains(probe.status) else {
                throw IngestBenchError("POST \(url) with an empty export answered \(probe.status): \(String(decoding: probe.body.prefix(300), as: UTF8.self))")
            }
        } catch let error as IngestBenchError {
            throw error
        } catch {
            throw IngestBenchError("cannot reach \(url): \(error); is `spindle serve` running there?")
        }

        let pid = serverPID
        let before = pid.flatMap(ProcessMemory.read)
        let sampler = Task<Int?, Never> {
            guard let pid else { return nil }
            var peak: Int?
            while !Task.isCancelled {
                if let rss = ProcessMemory.read(pid: pid)?.rssKiB { peak = max(peak ?? 0, rss) }
                try? await Task.sleep(for: .milliseconds(200))
            }
            return peak
        }

        let clock = ContinuousClock()
        let start = clock.now
        let deadline: ContinuousClock.Instant? = requests == nil ? start + .milliseconds(Int64(duration * 1000)) : nil
        let workers = concurrency
        let limit = requests
        let stats = await withTaskGroup(of: WorkerStats.self) { group in
            for worker in 0..<workers {
                group.addTask {
                    await Self.work(
                        worker: worker, of: workers, limit: limit, deadline: deadline,
                        pool: pool, url: url, client: client
                    )
                }
            }
            var total = WorkerStats()
            for await part in group { total.merge(part) }
            return total
        }
        let elapsed = (clock.now - start).seconds
        sampler.cancel()
        let sampledPeak = await sampler.value
        let after = pid.flatMap(ProcessMemory.read)

        var latencies = stats.latencyNanos
        latencies.sort()
        func percentile(_ q: Double) -> Double? {
            guard !latencies.isEmpty else { return nil }
            let rank = Int((q * Double(latencies.count)).rounded(.up))
            return Double(latencies[min(max(rank, 1), latencies.count) - 1]) / 1e6
        }
        return IngestReport(
            endpoint: url,
            services: services, operations: operations, attributesPerSpan: attributes, seed: seed,
            concurrency: concurrency,
            durationSeconds: requests == nil ? duration : nil,
            requestLimit: requests,
            pooledBodies: pool.count,
            meanSpansPerRequest: Double(pool.reduce(0) { $0 + $1.spanCount }) / Double(pool.count),
            meanBytesPerRequest: Double(pool.reduce(0) { $0 + $1.body.count }) / Double(pool.count),
            encodeSeconds: encodeSeconds,
            elapsedSeconds: elapsed,
            requestsSent: stats.requests,
            attempts: stats.attempts,
            requestsAccepted: stats.accepted,
            spansSent: stats.spansSent,
            spansAccepted: stats.spansAccepted,
            spansAcceptedPerSecond: Double(stats.spansAccepted) / elapsed,
            megabytesAcceptedPerSecond: Double(stats.bytesAccepted) / elapsed / 1e6,
            latencyMillis: latencies.isEmpty ? nil : LatencySummary(
                p50: percentile(0.50)!, p90: percentile(0.90)!, p99: percentile(0.99)!,
                max: Double(latencies[latencies.count - 1]) / 1e6
            ),
            refused429: stats.refused429,
            refused503: stats.refused503,
            refusedThenAccepted: stats.refusedThenAccepted,
            refusedUntilRunEnded: stats.abandoned,
            otherErrors: stats.otherErrors.isEmpty ? nil : Dictionary(uniqueKeysWithValues: stats.otherErrors.map { ("\($0.key)", $0.value) }),
            transportErrors: stats.transportErrors.isEmpty ? nil : stats.transportErrors,
            partialSuccessResponses: stats.partialResponses,
            rejectedSpans: stats.rejectedSpans,
            firstRejectionMessage: stats.firstRejectionMessage,
            serverPID: pid,
            serverRSSBeforeMiB: before.map { Double($0.rssKiB) / 1024 },
            serverRSSMaxMiB: sampledPeak.map { Double($0) / 1024 },
            serverRSSAfterMiB: after.map { Double($0.rssKiB) / 1024 },
            serverVmHWMMiB: after?.hwmKiB.map { Double($0) / 1024 }
        )
    }

    // MARK: The request loop

    /// One worker: sends requests `worker`, `worker + workers`, … until the deadline or
    /// the request limit, one at a time, retrying a refused request until it is accepted
    /// or its retry would fall after the deadline.
    private static func work(
        worker: Int, of workers: Int, limit: Int?, deadline: ContinuousClock.Instant?,
        pool: [EncodedRequest], url: String, client: HTTPClient
    ) async -> WorkerStats {
        let clock = ContinuousClock()
        var stats = WorkerStats()
        var sequence = worker
        var runEnded = false
        while !runEnded {
            if let limit, sequence >= limit { break }
            if let deadline, clock.now >= deadline { break }
            let pooled = pool[sequence % pool.count]
            let body = pooled.bytes(round: sequence / pool.count)
            stats.requests += 1
            stats.spansSent += pooled.spanCount
            var refusals = 0
            exchanges: while true {
                stats.attempts += 1
                let started = clock.now
                let response: Exchange
                do {
                    response = try await send(body, to: url, client: client)
                } catch {
                    stats.transportErrors["\(error)", default: 0] += 1
                    // Do not spin when the server has gone away.
                    try? await Task.sleep(for: .milliseconds(50))
                    break exchanges
                }
                let latency = clock.now - started
                switch response.status {
                case 200..<300:
                    stats.accepted += 1
                    stats.latencyNanos.append(latency.nanoseconds)
                    if refusals > 0 { stats.refusedThenAccepted += 1 }
                    var rejected = 0
                    if !response.body.isEmpty, let answer = try? OTLPProtobuf.decodeExportResponse(response.body), answer.isPartialSuccess {
                        stats.partialResponses += 1
                        rejected = Int(answer.rejectedSpans)
                        if stats.firstRejectionMessage == nil { stats.firstRejectionMessage = answer.errorMessage }
                    }
                    stats.rejectedSpans += rejected
                    stats.spansAccepted += pooled.spanCount - rejected
                    stats.bytesAccepted += body.readableBytes
                    break exchanges
                case 429, 503:
                    if response.status == 429 { stats.refused429 += 1 } else { stats.refused503 += 1 }
                    refusals += 1
                    // Retry-After in seconds when given; otherwise 50 ms doubling to 1 s.
                    let wait: Duration = response.retryAfterSeconds.map { .seconds($0) }
                        ?? .milliseconds(min(50 << min(refusals - 1, 5), 1_000))
                    if let deadline, clock.now + wait >= deadline {
                        // The retry would fall after the run: this worker is done.
                        stats.abandoned += 1
                        runEnded = true
                        break exchanges
                    }
                    try? await Task.sleep(for: wait)
                default:
                    stats.otherErrors[response.status, default: 0] += 1
                    break exchanges
                }
            }
            sequence += workers
        }
        return stats
    }

    private struct Exchange {
        var status: Int
        var retryAfterSeconds: Int?
        var body: [UInt8]
    }

    private static func send(_ body: ByteBuffer, to url: String, client: HTTPClient) async throws -> Exchange {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-protobuf")
        request.body = .bytes(body)
        let response = try await client.execute(request, timeout: .seconds(120))
        let answer = try await response.body.collect(upTo: 16 << 20)
        let retryAfter = response.headers.first(name: "Retry-After").flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        return Exchange(status: Int(response.status.code), retryAfterSeconds: retryAfter, body: Array(answer.readableBytesView))
    }

    // MARK: The pool

    /// Generates and encodes `requests` bodies of at least `spansPerRequest` spans each.
    static func encodePool(_ configuration: Workload.Configuration, requests: Int, spansPerRequest: Int) -> [EncodedRequest] {
        var workload = Workload(configuration)
        return (0..<requests).map { _ in
            let batch = workload.nextBatch(targetSpans: spansPerRequest)
            return EncodedRequest(batch: batch)
        }
    }
}

/// One encoded `ExportTraceServiceRequest` and where its spans' trace IDs are, so that a
/// resend can carry new traces: round *r* XORs the first 8 bytes of every trace ID with
/// a value derived from *r*. All spans of a trace get the same new ID, so traces stay
/// whole; round 0 sends the body as encoded.
struct EncodedRequest: Sendable {
    let body: [UInt8]
    let spanCount: Int
    /// Byte offsets of each span's 16-byte `trace_id`.
    let traceIDOffsets: [Int]

    init(batch: SpanBatch) {
        body = OTLPProtobuf.encodeExportRequest(batch)
        spanCount = batch.spanCount
        var traceIDs = Set<TraceID>()
        for row in batch.tables.spans { traceIDs.insert(row.traceID) }
        traceIDOffsets = Self.locateTraceIDs(traceIDs, in: body)
    }

    /// Offsets of `Span.trace_id` fields (tag 0x0A, length 16) holding one of `traceIDs`:
    /// a random 16-byte ID does not occur by chance, so the matches are the fields.
    private static func locateTraceIDs(_ traceIDs: Set<TraceID>, in body: [UInt8]) -> [Int] {
        var offsets: [Int] = []
        body.withUnsafeBytes { bytes in
            var index = 0
            while index + 18 <= bytes.count {
                if bytes[index] == 0x0A, bytes[index + 1] == 0x10,
                   let id = TraceID(bytes: UnsafeRawBufferPointer(rebasing: bytes[(index + 2)..<(index + 18)])),
                   traceIDs.contains(id)
                {
                    offsets.append(index + 2)
                    index += 18
                } else {
                    index += 1
                }
            }
        }
        return offsets
    }

    /// The body for round `round`, in a buffer of its own.
    func bytes(round: Int) -> ByteBuffer {
        var buffer = ByteBuffer(bytes: body)
        guard round > 0 else { return buffer }
        let mask = UInt64(round) &* 0x9E37_79B9_7F4A_7C15
        for offset in traceIDOffsets {
            let original = body.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: UInt64.self) }
            buffer.setInteger(original ^ mask, at: offset, endianness: .little)
        }
        return buffer
    }
}

/// Why a run could not start; ArgumentParser prints it without the usage text that a
/// ValidationError would add.
struct IngestBenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// What one worker saw; merged at the end so workers share nothing while they run.
struct WorkerStats: Sendable {
    var requests = 0
    var attempts = 0
    var accepted = 0
    var spansSent = 0
    var spansAccepted = 0
    var bytesAccepted = 0
    var latencyNanos: [Int64] = []
    var refused429 = 0
    var refused503 = 0
    var refusedThenAccepted = 0
    var abandoned = 0
    var otherErrors: [Int: Int] = [:]
    var transportErrors: [String: Int] = [:]
    var partialResponses = 0
    var rejectedSpans = 0
    var firstRejectionMessage: String?

    mutating func merge(_ other: WorkerStats) {
        requests += other.requests
        attempts += other.attempts
        accepted += other.accepted
        spansSent += other.spansSent
        spansAccepted += other.spansAccepted
        bytesAccepted += other.bytesAccepted
        latencyNanos.append(contentsOf: other.latencyNanos)
        refused429 += other.refused429
        refused503 += other.refused503
        refusedThenAccepted += other.refusedThenAccepted
        abandoned += other.abandoned
        otherErrors.merge(other.otherErrors, uniquingKeysWith: +)
        transportErrors.merge(other.transportErrors, uniquingKeysWith: +)
        partialResponses += other.partialResponses
        rejectedSpans += other.rejectedSpans
        firstRejectionMessage = firstRejectionMessage ?? other.firstRejectionMessage
    }
}

struct LatencySummary: Codable, Sendable {
    var p50: Double
    var p90: Double
    var p99: Double
    var max: Double
}

/// The outcome of a run; `--json` prints it as is.
struct IngestReport: Codable, Sendable {
    var endpoint: String
    var services: Int
    var operations: Int
    var attributesPerSpan: Int
    var seed: UInt64
    var concurrency: Int
    var durationSeconds: Double?
    var requestLimit: Int?
    var pooledBodies: Int
    var meanSpansPerRequest: Double
    var meanBytesPerRequest: Double
    var encodeSeconds: Double
    var elapsedSeconds: Double
    /// Requests started (each counted once, however often it was retried).
    var requestsSent: Int
    /// HTTP exchanges, retries included.
    var attempts: Int
    var requestsAccepted: Int
    var spansSent: Int
    var spansAccepted: Int
    var spansAcceptedPerSecond: Double
    var megabytesAcceptedPerSecond: Double
    /// Per accepted exchange, milliseconds.
    var latencyMillis: LatencySummary?
    var refused429: Int
    var refused503: Int
    var refusedThenAccepted: Int
    /// Refused requests whose retry would have fallen after the end of the run.
    var refusedUntilRunEnded: Int
    /// Other non-2xx answers by status.
    var otherErrors: [String: Int]?
    var transportErrors: [String: Int]?
    var partialSuccessResponses: Int
    var rejectedSpans: Int
    var firstRejectionMessage: String?
    var serverPID: Int32?
    var serverRSSBeforeMiB: Double?
    /// The largest VmRSS sampled every 200 ms during the run.
    var serverRSSMaxMiB: Double?
    var serverRSSAfterMiB: Double?
    /// The kernel's peak RSS of the server since it started.
    var serverVmHWMMiB: Double?

    var text: String {
        var lines: [String] = []
        let run = durationSeconds.map { "\(fixed($0, 1)) s" } ?? "\(requestLimit ?? 0) requests"
        lines.append("run: concurrency \(concurrency), \(run), \(fixed(elapsedSeconds, 2)) s elapsed")
        lines.append("requests sent:      \(requestsSent) (\(fixed(Double(requestsSent) / elapsedSeconds, 1))/s), \(requestsAccepted) accepted, \(attempts) HTTP exchanges with retries")
        lines.append("spans accepted:     \(spansAccepted) of \(spansSent) sent — \(fixed(spansAcceptedPerSecond, 0)) spans/s, \(fixed(megabytesAcceptedPerSecond, 1)) MB/s of protobuf")
        if let latency = latencyMillis {
            lines.append("latency (accepted): p50 \(fixed(latency.p50, 2)) ms, p90 \(fixed(latency.p90, 2)) ms, p99 \(fixed(latency.p99, 2)) ms, max \(fixed(latency.max, 2)) ms")
        } else {
            lines.append("latency (accepted): no request was accepted")
        }
        lines.append("refused:            429 × \(refused429), 503 × \(refused503); refused then accepted: \(refusedThenAccepted); still refused when the run ended: \(refusedUntilRunEnded)")
        let others = (otherErrors ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key) × \($0.value)" }
        let transport = (transportErrors ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key) × \($0.value)" }
        lines.append("other errors:       \(others.isEmpty && transport.isEmpty ? "none" : (others + transport).joined(separator: ", "))")
        var partial = "partial success:    \(rejectedSpans) spans rejected in \(partialSuccessResponses) responses"
        if let firstRejectionMessage, !firstRejectionMessage.isEmpty { partial += " (first: \(firstRejectionMessage))" }
        lines.append(partial)
        if let serverPID {
            let before = serverRSSBeforeMiB.map { "\(fixed($0, 1)) MiB" } ?? "unreadable"
            let peak = serverRSSMaxMiB.map { "\(fixed($0, 1)) MiB" } ?? "unreadable"
            let after = serverRSSAfterMiB.map { "\(fixed($0, 1)) MiB" } ?? "unreadable"
            let hwm = serverVmHWMMiB.map { "\(fixed($0, 1)) MiB" } ?? "unreadable"
            lines.append("server RSS (pid \(serverPID)): before \(before), max during run \(peak) (sampled every 200 ms), after \(after), VmHWM \(hwm)")
        } else {
            lines.append("RSS: unknown (pass --server-pid)")
        }
        return lines.joined(separator: "\n")
    }
}

/// Resident memory of a process from `/proc/<pid>/status` (Linux).
enum ProcessMemory {
    struct Reading {
        var rssKiB: Int
        var hwmKiB: Int?
    }

    static func read(pid: Int32) -> Reading? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        var rss: Int?
        var hwm: Int?
        for line in status.split(separator: "\n") {
            if line.hasPrefix("VmRSS:") { rss = kibibytes(line) }
            if line.hasPrefix("VmHWM:") { hwm = kibibytes(line) }
        }
        return rss.map { Reading(rssKiB: $0, hwmKiB: hwm) }
    }

    /// "VmRSS:\t  123456 kB" → 123456.
    private static func kibibytes(_ line: Substring) -> Int? {
        line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first.flatMap { Int($0) }
    }
}

extension Duration {
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }

    var nanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }
}

/// `value` with `digits` decimals.
func fixed(_ value: Double, _ digits: Int) -> String {
    String(format: "%.\(digits)f", value)
}
