import ArgumentParser
import Foundation
import SpindleModel
import SpindleQuery
import SpindleSamples
import SpindleStorage
import SpindleServer
import SpindleStore

/// `spindle bench store`: the native engine alone, on a realistic workload — ingest rate,
/// bytes per span on disk, trace-by-ID and search latencies, memory.
struct StoreBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Load the native storage engine with a realistic workload and measure ingest, disk use and query latency.",
        discussion: """
            The workload: 20 services, 200 operations, traces of 1 to 500 spans (median 16), \
            10 attributes per span, 2% of traces failing. Spans are generated between timed \
            writes, so generation is not counted as ingest. The store lives in --data-dir (a \
            new temporary directory by default, removed afterwards unless --keep).
            """
    )

    @Option(help: "Spans to store.")
    var spans = 10_000_000

    @Option(name: .customLong("batch-spans"), help: "Spans per write (one collector batch).")
    var batchSpans = 1_000

    @Option(help: "Timed repetitions of each query.")
    var queries = 200

    @Option(help: "always, interval, interval:DURATION or never.")
    var fsync = "interval"

    @Option(name: .customLong("data-dir"), help: "Where to build the store (default: a new temporary directory).")
    var dataDir: String?

    @Option(name: .customLong("page-spans"), help: "Spans per block page (the engine's default unless given).")
    var pageSpans: Int?

    @Option(name: .customLong("compression-level"), help: "zlib level for pages, 1 (fastest) to 9 (smallest); the engine's default unless given.")
    var compressionLevel: Int32?

    @Option(name: .customLong("traceql-queries"), help: "Timed repetitions of each TraceQL query (they scan more than the searches above).")
    var traceQLQueries = 20

    @Flag(help: "Keep the store's directory afterwards.")
    var keep = false

    func run() async throws {
        let directory = dataDir ?? FileManager.default.temporaryDirectory.appendingPathComponent("spindle-bench-\(UUID().uuidString)").path
        defer { if !keep && dataDir == nil { try? FileManager.default.removeItem(atPath: directory) } }
        var configuration = NativeStoreConfiguration(directory: directory)
        configuration.fsync = DurationText.parseFsync(fsync) ?? .interval(.milliseconds(10))
        configuration.retention = nil
        if let pageSpans { configuration.pageTargetSpans = pageSpans }
        if let compressionLevel { configuration.compressionLevel = max(1, min(9, compressionLevel)) }
        configuration.logger.logLevel = .warning
        let store = try NativeTraceStore.open(configuration)

        var workload = Workload(Workload.Configuration(seed: 2026))
        var samples: [(id: TraceID, start: UInt64)] = []
        var latestStart: UInt64 = 0
        var earliestStart = UInt64.max
        var operations: [(service: String, name: String, duration: UInt64)] = []
        let services = workload.resources.compactMap(\.serviceName)
        let clock = ContinuousClock()
        var generating = Duration.zero
        var writing = Duration.zero
        var refusals = 0
        let cpuBefore = Self.cpuSeconds()
        let started = clock.now
        print("loading \(spans) spans in writes of \(batchSpans) (fsync \(fsync)) into \(directory)")
        var stored = 0
        var nextReport = 1_000_000
        while stored < spans {
            let generationStart = clock.now
            var traces: [Workload.Trace] = []
            var count = 0
            while count < batchSpans {
                let trace = workload.nextTrace()
                count += trace.spans.count
                if workload.tracesGenerated % 97 == 0 {
                    samples.append((trace.traceID, trace.spans.map(\.startTimeUnixNano).min() ?? 0))
                    if let span = trace.spans.randomElement(), let service = workload.resources[trace.resourceIndices[0]].serviceName {
                        operations.append((service, trace.spans[0].name, span.durationNanos))
                        _ = service
                    }
                }
                latestStart = max(latestStart, trace.spans.map(\.startTimeUnixNano).max() ?? 0)
                earliestStart = min(earliestStart, trace.spans.map(\.startTimeUnixNano).min() ?? .max)
                traces.append(trace)
            }
            let batch = SpanBatch(workload.resourceSpans(of: traces))
            let writeStart = clock.now
            generating += writeStart - generationStart
            refusals += try await store.writeRetryingWhileBehind(batch)
            writing += clock.now - writeStart
            stored += batch.spanCount
            if stored >= nextReport {
                print("  \(stored) spans, \(store.blockCount) blocks, RSS \(Self.memory("VmRSS"))")
                nextReport += 1_000_000
            }
        }
        // Everything into blocks, merged as the background would merge it.
        let flushStart = clock.now
        try store.cutHead()
        while try store.compact() > 0 {}
        let finished = clock.now
        let cpu = Self.cpuSeconds() - cpuBefore
        let wall = finished - started
        let ingestWall = wall - generating
        let generationShare = Self.seconds(generating) / Self.seconds(wall)
        print("")
        print("ingest: \(stored) spans")
        print("  wall, generation excluded:  \(Self.rate(stored, ingestWall)) spans/s (\(Self.format(Self.seconds(ingestWall))) s; final cut and compaction \(Self.format(Self.seconds(finished - flushStart))) s)")
        print("  write calls alone:          \(Self.rate(stored, writing)) spans/s (WAL append + head insert, cuts in the background)")
        print("  CPU, generation excluded:   \(Self.format(Double(stored) / max(0.001, cpu - cpu * generationShare))) spans per CPU-second (approximate: generation's share of CPU taken as its share of wall time)")
        print("  refusals (retry later):     \(refusals)")
        let disk = store.diskBytes()
        print("disk: \(disk) bytes in \(store.blockCount) blocks + WAL = \(Self.format(Double(disk) / Double(stored))) bytes/span")
        print("memory: RSS \(Self.memory("VmRSS")), peak \(Self.memory("VmHWM")) (the generator included)")

        // Queries.
        var random = SplitMix64(seed: 7)
        let picks = (0..<queries).map { _ in samples[Int(random.next() % UInt64(samples.count))] }
        print("")
        print("queries over \(stored) spans, \(queries) each:")
        try await measure("trace by ID, no time hint") { index in
            _ = try await store.trace(id: picks[index].id, timeRange: nil)
        }
        try await measure("trace by ID, with time hint") { index in
            let start = picks[index].start
            _ = try await store.trace(id: picks[index].id, timeRange: TimeRange(start: start, end: start + 3_600_000_000_000))
        }
        try await measure("search service") { index in
            _ = try await store.search(TraceQuery(service: services[index % services.count], limit: 20))
        }
        try await measure("search service+operation+minDuration") { index in
            let operation = operations[index % operations.count]
            _ = try await store.search(TraceQuery(service: operation.service, operation: operation.name, minDuration: operation.duration / 2, limit: 20))
        }
        try await measure("search attribute enduser.id") { index in
            let filter = AttributeFilter(scope: .span, key: "enduser.id", .equals(.string("user-\(index * 37 % 10_000)")))
            _ = try await store.search(TraceQuery(attributes: [filter], limit: 20))
        }

        // TraceQL, through the engine the APIs use: p50/p99 and spans inspected per second.
        let engine = TraceQLEngine(reader: store, limits: QueryLimits(maxTracesInspected: 10_000_000, timeout: .seconds(3_600)))
        let step: UInt64 = 10_000_000_000
        let everything = TimeRange(start: earliestStart - earliestStart % step, end: latestStart + 1)
        print("")
        print("TraceQL over \(stored) spans, \(traceQLQueries) each:")
        try await measureTraceQL("service && duration > 100ms", engine: engine) { index in
            #"{ resource.service.name = "\#(services[index % services.count])" && duration > 100ms }"#
        }
        try await measureTraceQL("attribute equality (enduser.id)", engine: engine) { index in
            #"{ span.enduser.id = "user-\#(index * 37 % 10_000)" }"#
        }
        try await measureTraceQL("structural: service >> error", engine: engine) { index in
            #"{ resource.service.name = "\#(services[index % services.count])" } >> { status = error }"#
        }
        // What every metrics query pays first: reading all spans in the range.
        var scanned = 0
        let scanTime = try await clock.measure {
            for try await batch in store.scan(timeRange: everything) { scanned += batch.spanCount }
        }
        Self.report("scan every span (what metrics read)", [Self.seconds(scanTime) * 1_000], extra: "\(scanned) spans; \(Self.rate(scanned, scanTime)) spans/s")
        var metricSamples: [Double] = []
        var seriesCount = 0
        for _ in 0..<max(1, traceQLQueries / 4) {
            let query = try TraceQLQuery.parse("{ } | rate() by (resource.service.name)")
            let elapsed = try await clock.measure {
                seriesCount = try await engine.metrics(query, timeRange: everything, step: step).count
            }
            metricSamples.append(Self.seconds(elapsed) * 1_000)
        }
        Self.report("rate() by (resource.service.name), 10s step", metricSamples, extra: "\(seriesCount) series; \(Self.format(Double(stored) / (metricSamples.sorted()[metricSamples.count / 2] / 1_000))) spans scanned/s at p50")
        print("memory after queries: RSS \(Self.memory("VmRSS")), peak \(Self.memory("VmHWM"))")
        await store.close()
    }

    private func measure(_ name: String, _ body: (Int) async throws -> Void) async throws {
        let clock = ContinuousClock()
        var samples: [Double] = []
        for index in 0..<queries {
            let elapsed = try await clock.measure { try await body(index) }
            samples.append(Self.seconds(elapsed) * 1_000)
        }
        samples.sort()
        func percentile(_ p: Double) -> String { Self.format(samples[min(samples.count - 1, Int(Double(samples.count) * p))]) }
        print("  \(name.padding(toLength: 40, withPad: " ", startingAt: 0)) p50 \(percentile(0.5)) ms   p99 \(percentile(0.99)) ms   max \(Self.format(samples.last ?? 0)) ms")
    }

    /// Runs a TraceQL search `traceQLQueries` times (limit 20, as Grafana asks) and
    /// prints latency percentiles and spans inspected per second of query time.
    private func measureTraceQL(_ name: String, engine: TraceQLEngine, _ text: (Int) -> String) async throws {
        let clock = ContinuousClock()
        var samples: [Double] = []
        var inspectedSpans = 0
        var matched = 0
        for index in 0..<traceQLQueries {
            let query = try TraceQLQuery.parse(text(index))
            var result: TraceQLSearchResult?
            let elapsed = try await clock.measure {
                result = try await engine.search(query, timeRange: .all, limit: 20)
            }
            inspectedSpans += result?.inspectedSpans ?? 0
            matched += result?.traces.count ?? 0
            samples.append(Self.seconds(elapsed) * 1_000)
        }
        let total = samples.reduce(0, +) / 1_000
        Self.report(name, samples, extra: "\(matched / max(1, traceQLQueries)) traces/query; \(Self.format(Double(inspectedSpans) / max(1e-9, total))) spans inspected/s")
    }

    static func report(_ name: String, _ samples: [Double], extra: String) {
        let sorted = samples.sorted()
        func percentile(_ p: Double) -> String { format(sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]) }
        print("  \(name.padding(toLength: 44, withPad: " ", startingAt: 0)) p50 \(percentile(0.5)) ms   p99 \(percentile(0.99)) ms   max \(format(sorted.last ?? 0)) ms   \(extra)")
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func rate(_ count: Int, _ duration: Duration) -> String { format(Double(count) / max(1e-9, seconds(duration))) }

    static func format(_ value: Double) -> String {
        value >= 100 ? String(Int(value.rounded())) : String(format: "%.2f", value)
    }

    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6 + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    }

    /// A line of /proc/self/status, e.g. VmRSS.
    static func memory(_ field: String) -> String {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return "unknown" }
        for line in status.split(separator: "\n") where line.hasPrefix(field + ":") {
            return line.dropFirst(field.count + 1).trimmingCharacters(in: .whitespaces)
        }
        return "unknown"
    }
}
