import ArgumentParser
import Foundation
import SpindleClickHouse
import SpindleModel
import SpindleSamples
import SpindleServer
import SpindleStorage
import SpindleStore
import Synchronization

/// `spindle bench compare`: the same generated workload into the native engine and into
/// ClickHouse — ingest rate, bytes per span on disk, query latencies — printed as one
/// markdown table.
struct CompareBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Write the same workload into the native engine and into ClickHouse and compare ingest, disk use and query latency.",
        discussion: """
            The workload (as `bench store`: 20 services, 200 operations, traces of 1 to 500 \
            spans, 10 attributes per span) is generated once into memory, then written into \
            each store in turn by --concurrency concurrent writers; ingest is the wall clock \
            of those writes alone. Disk use is measured right after ingest and after merging \
            (native: head cut and compaction; ClickHouse: OPTIMIZE TABLE … FINAL on every \
            table). Queries run after merging, once untimed as a warm-up, then --queries times \
            with the same values on both stores.

            ClickHouse runs in a fresh database (spindle_bench_<random>), dropped afterwards \
            unless --keep; the password comes from \(ClickHouseSettings.passwordEnvironmentVariable). \
            Without a server of your own, run scripts/bench-compare.sh [options]: it starts a \
            private clickhouse-server, passes its URL and stops it afterwards.
            """
    )

    @Option(help: "Spans to write into each store.")
    var spans = 1_000_000

    @Option(name: .customLong("batch-spans"), help: "Spans per write (one collector batch).")
    var batchSpans = 5_000

    @Option(help: "Concurrent writers, like a collector's concurrent requests.")
    var concurrency = 4

    @Option(help: "Timed repetitions of each query.")
    var queries = 100

    @Option(name: .customLong("clickhouse-url"), help: ArgumentHelp("ClickHouse's HTTP interface (http://host:8123). Without it, run scripts/bench-compare.sh, which starts a private server.", valueName: "url"))
    var clickHouseURL: String?

    @Option(name: .customLong("clickhouse-user"), help: "ClickHouse user (the password from \(ClickHouseSettings.passwordEnvironmentVariable)).")
    var clickHouseUser = "default"

    @Flag(help: "Keep the native store's directory and the ClickHouse database afterwards.")
    var keep = false

    /// The most memory the generated batches may take: they are all held at once so that
    /// both stores get exactly the same writes.
    static let memoryLimit = 2_000_000_000

    func validate() throws {
        guard clickHouseURL != nil else {
            throw ValidationError("no --clickhouse-url: run scripts/bench-compare.sh [options], which starts a private ClickHouse server and passes its URL, or give the URL of a server of yours")
        }
        guard spans >= 1, batchSpans >= 1 else { throw ValidationError("--spans and --batch-spans must be at least 1") }
        guard (1...256).contains(concurrency) else { throw ValidationError("--concurrency must be 1 to 256") }
        guard queries >= 1 else { throw ValidationError("--queries must be at least 1") }
    }

    func run() async throws {
        guard let clickHouseURL else { return }
        let loadAtStart = Self.loadAverage()
        // Asked first, so that a wrong URL or password fails before the long native part.
        let password = ProcessInfo.processInfo.environment[ClickHouseSettings.passwordEnvironmentVariable] ?? ""
        // Merges and DROP may take longer than a query: an hour is a deadline, not a wait.
        let admin = ClickHouseClient(.init(url: clickHouseURL, user: clickHouseUser, password: password, timeout: .seconds(3_600)))
        let version = String(decoding: try await admin.query("SELECT version() FORMAT TabSeparated"), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        print("generating \(spans) spans in batches of \(batchSpans)")
        let workload = try GeneratedWorkload(spans: spans, batchSpans: batchSpans, memoryLimit: Self.memoryLimit)
        print("  \(workload.spanCount) spans in \(workload.batches.count) batches, about \(workload.bytes / 1_000_000) MB in memory")
        let plan = QueryPlan(workload, repetitions: queries)

        let native = try await benchNative(workload, plan)
        let clickHouse = try await benchClickHouse(workload, plan, admin: admin, version: version)

        let loadAtEnd = Self.loadAverage()
        print("")
        printTable(native: native, clickHouse: clickHouse, clickHouseVersion: version, workload: workload, load: (loadAtStart, loadAtEnd))
    }

    // MARK: The stores

    private func benchNative(_ workload: GeneratedWorkload, _ plan: QueryPlan) async throws -> StoreResult {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("spindle-bench-\(UUID().uuidString)").path
        defer { if !keep { try? FileManager.default.removeItem(atPath: directory) } }
        var configuration = NativeStoreConfiguration(directory: directory)
        configuration.retention = nil
        configuration.logger.logLevel = .warning
        let store = try NativeTraceStore.open(configuration)
        print("")
        print("native engine in \(directory):")
        do {
            let result = try await benchNative(store, workload, plan)
            await store.close()
            return result
        } catch {
            await store.close()
            throw error
        }
    }

    private func benchNative(_ store: NativeTraceStore, _ workload: GeneratedWorkload, _ plan: QueryPlan) async throws -> StoreResult {
        var result = StoreResult()
        (result.ingest, result.refusals) = try await Self.ingest(workload.batches, concurrency: concurrency) { batch in
            try await store.writeRetryingWhileBehind(batch)
        }
        print("  ingest: \(StoreBench.rate(workload.spanCount, result.ingest)) spans/s (\(StoreBench.format(StoreBench.seconds(result.ingest))) s, \(result.refusals) refusals retried)")
        result.diskAfterIngest = store.diskBytes()
        // Everything into blocks, merged as the background would merge it.
        let clock = ContinuousClock()
        result.merge = try clock.measure {
            try store.cutHead()
            while try store.compact() > 0 {}
        }
        result.diskAfterMerge = store.diskBytes()
        result.pieces = String(store.blockCount)
        print("  disk: \(result.diskAfterIngest) bytes after ingest, \(result.diskAfterMerge) after cut and compaction (\(StoreBench.format(StoreBench.seconds(result.merge))) s), \(result.pieces) blocks")
        result.queries = try await measureQueries(store, plan)
        return result
    }

    private func benchClickHouse(_ workload: GeneratedWorkload, _ plan: QueryPlan, admin: ClickHouseClient, version: String) async throws -> StoreResult {
        let database = "spindle_bench_" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
        let url = admin.configuration.url
        print("")
        print("ClickHouse \(version) at \(url), database \(database):")
        let store = try await ClickHouseTraceStore.open(ClickHouseStoreConfiguration(urls: [url], database: database, user: admin.configuration.user, password: admin.configuration.password))
        do {
            let result = try await benchClickHouse(store, admin: admin, database: database, workload, plan)
            if keep {
                print("  kept database \(database)")
            } else {
                try await admin.execute("DROP DATABASE IF EXISTS \(Self.identifier(database))")
            }
            return result
        } catch {
            if !keep { try? await admin.execute("DROP DATABASE IF EXISTS \(Self.identifier(database))") }
            throw error
        }
    }

    private func benchClickHouse(_ store: ClickHouseTraceStore, admin: ClickHouseClient, database: String, _ workload: GeneratedWorkload, _ plan: QueryPlan) async throws -> StoreResult {
        var result = StoreResult()
        (result.ingest, result.refusals) = try await Self.ingest(workload.batches, concurrency: concurrency) { batch in
            try await Self.writeRetryingWhileUnavailable(store, batch)
        }
        print("  ingest: \(StoreBench.rate(workload.spanCount, result.ingest)) spans/s (\(StoreBench.format(StoreBench.seconds(result.ingest))) s, \(result.refusals) refusals retried)")
        let literal = Self.stringLiteral(database)
        let partsQuery = "SELECT sum(bytes_on_disk), count() FROM system.parts WHERE database = \(literal) AND active FORMAT TabSeparated"
        let afterIngest = try await Self.integers(admin.query(partsQuery))
        result.diskAfterIngest = afterIngest.first ?? 0
        let tables = String(decoding: try await admin.query("SELECT name FROM system.tables WHERE database = \(literal) AND engine LIKE '%MergeTree' ORDER BY name FORMAT TabSeparated"), as: UTF8.self)
            .split(separator: "\n").map(String.init)
        let clock = ContinuousClock()
        var rounds = 0
        result.merge = try await clock.measure {
            rounds = try await Self.mergeFully(admin: admin, database: database, tables: tables)
        }
        let afterMerge = try await Self.integers(admin.query(partsQuery))
        result.diskAfterMerge = afterMerge.first ?? 0
        result.pieces = String(afterMerge.last ?? 0)
        result.mergeDetail = "OPTIMIZE TABLE … FINAL on " + tables.joined(separator: ", ")
            + " until each partition is one part (\(rounds) round\(rounds == 1 ? "" : "s"))"
        print("  disk: \(result.diskAfterIngest) bytes in \(afterIngest.last ?? 0) active parts after ingest, \(result.diskAfterMerge) after \(result.mergeDetail) (\(StoreBench.format(StoreBench.seconds(result.merge))) s), \(result.pieces) active parts")
        result.queries = try await measureQueries(store, plan)
        return result
    }

    /// Runs `OPTIMIZE TABLE … FINAL` on `tables` until every partition of each is one
    /// active part (at most 20 rounds), and returns the rounds it took. One round is not
    /// always enough: when a background merge holds some of a partition's parts, the
    /// server skips that partition without an error.
    private static func mergeFully(admin: ClickHouseClient, database: String, tables: [String]) async throws -> Int {
        let pending = """
            SELECT count() FROM (SELECT table, partition_id FROM system.parts WHERE database = \(stringLiteral(database)) \
            AND active GROUP BY table, partition_id HAVING count() > 1) FORMAT TabSeparated
            """
        for round in 1...20 {
            for table in tables {
                try await admin.execute("OPTIMIZE TABLE \(identifier(database)).\(identifier(table)) FINAL")
            }
            if try await integers(admin.query(pending)).first == 0 { return round }
            try await Task.sleep(for: .milliseconds(200))
        }
        return 20
    }

    /// Writes `batch`, retrying while ClickHouse says it is behind (`.unavailable`: too
    /// many parts, too many queries), backing off from 10 ms to 1 s; gives up after a
    /// minute of refusals. Returns how many times it was refused.
    private static func writeRetryingWhileUnavailable(_ store: ClickHouseTraceStore, _ batch: SpanBatch) async throws -> Int {
        var refusals = 0
        var pause = Duration.milliseconds(10)
        var waited = Duration.zero
        while true {
            // A plain catch into a variable: `catch where` on a typed throw crashes the
            // 6.3 compiler's SILGen.
            let refusal: StorageError?
            do {
                try await store.write(batch)
                refusal = nil
            } catch {
                refusal = error
            }
            guard let refusal else { return refusals }
            guard refusal.code == .unavailable, waited < .seconds(60) else { throw refusal }
            refusals += 1
            try await Task.sleep(for: pause)
            waited += pause
            pause = min(pause * 2, .seconds(1))
        }
    }

    /// Writes every batch with `concurrency` writers, each taking the next unwritten batch,
    /// and returns the wall clock of the writes and the refusals `write` reported.
    private static func ingest(
        _ batches: [SpanBatch], concurrency: Int, write: @escaping @Sendable (SpanBatch) async throws -> Int
    ) async throws -> (Duration, refusals: Int) {
        let cursor = BatchCursor()
        let clock = ContinuousClock()
        let started = clock.now
        let refusals = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    var refusals = 0
                    while true {
                        let index = cursor.next.wrappingAdd(1, ordering: .relaxed).oldValue
                        guard index < batches.count else { return refusals }
                        refusals += try await write(batches[index])
                    }
                }
            }
            return try await group.reduce(0, +)
        }
        return (clock.now - started, refusals)
    }

    // MARK: Queries

    /// The query kinds, in table order.
    enum QueryKind: CaseIterable {
        case traceByID, traceByIDWithHint, service, attribute, serviceOperationDuration

        var name: String {
            switch self {
            case .traceByID: "trace by ID, no time hint"
            case .traceByIDWithHint: "trace by ID, 1h time hint"
            case .service: "search service"
            case .attribute: "search enduser.id = …"
            case .serviceOperationDuration: "search service+operation+minDuration"
            }
        }
    }

    private func measureQueries(_ reader: some TraceReader, _ plan: QueryPlan) async throws -> [QueryKind: QueryResult] {
        print("  queries, \(plan.repetitions) each after one untimed warm-up:")
        var results: [QueryKind: QueryResult] = [:]
        let clock = ContinuousClock()
        for kind in QueryKind.allCases {
            _ = try await plan.run(kind, 0, on: reader)
            var result = QueryResult()
            var slowest = (milliseconds: -1.0, spans: 0)
            for index in 0..<plan.repetitions {
                var found = (traces: 0, spans: 0)
                let elapsed = try await clock.measure { found = try await plan.run(kind, index, on: reader) }
                let milliseconds = StoreBench.seconds(elapsed) * 1_000
                result.milliseconds.append(milliseconds)
                result.traces += found.traces
                if milliseconds > slowest.milliseconds { slowest = (milliseconds, found.spans) }
            }
            StoreBench.report(kind.name, result.milliseconds, extra: "\(result.traces) traces found in all; the slowest found \(slowest.spans) spans")
            results[kind] = result
        }
        return results
    }

    // MARK: The table

    private func printTable(native: StoreResult, clickHouse: StoreResult, clickHouseVersion: String, workload: GeneratedWorkload, load: (String, String)) {
        let count = Double(workload.spanCount)
        func row(_ metric: String, _ value: (StoreResult) -> String) {
            print("| \(metric) | \(value(native)) | \(value(clickHouse)) |")
        }
        func perSpan(_ bytes: Int) -> String { StoreBench.format(Double(bytes) / count) }
        func seconds(_ duration: Duration) -> String { StoreBench.format(StoreBench.seconds(duration)) }
        print("| metric | native | ClickHouse |")
        print("|---|---|---|")
        print("| store | NativeTraceStore (fsync every 10 ms) | ClickHouse \(clickHouseVersion), HTTP, gzip RowBinary inserts |")
        row("spans written (\(workload.batches.count) batches of \(batchSpans), \(concurrency) writers)") { _ in String(workload.spanCount) }
        row("ingest spans/s (wall clock of the writes)") { StoreBench.rate(workload.spanCount, $0.ingest) }
        row("write refusals retried") { String($0.refusals) }
        row("bytes/span on disk (right after ingest)") { perSpan($0.diskAfterIngest) }
        row("merge: cut + compaction / OPTIMIZE … FINAL, s") { seconds($0.merge) }
        row("bytes/span on disk (after merge)") { perSpan($0.diskAfterMerge) }
        row("blocks / active parts after merge") { $0.pieces }
        for kind in QueryKind.allCases {
            row("\(kind.name) p50 / p99 ms") { $0.queries[kind].map { "\(Self.percentile($0.milliseconds, 0.5)) / \(Self.percentile($0.milliseconds, 0.99))" } ?? "-" }
        }
        row("traces found by ID (of \(2 * queries) lookups)") { result in
            String((result.queries[.traceByID]?.traces ?? 0) + (result.queries[.traceByIDWithHint]?.traces ?? 0))
        }
        print("| machine | \(ProcessInfo.processInfo.activeProcessorCount) cores, load average \(load.0) at start, \(load.1) at end | same machine |")
        print("| queries | \(queries) timed per kind after one untimed warm-up, after the merge; searches limit 20 | the same query values |")
        print("")
        print("Native right after ingest: WAL segments plus the blocks cut so far in the background; after merge: head cut, blocks compacted.")
        print("ClickHouse merge: \(clickHouse.mergeDetail); bytes are sum(bytes_on_disk) of the database's active parts.")
        print("Peak RSS of this process (the generated batches included): \(StoreBench.memory("VmHWM")).")
    }

    // MARK: Helpers

    private static func percentile(_ samples: [Double], _ p: Double) -> String {
        let sorted = samples.sorted()
        guard !sorted.isEmpty else { return "-" }
        return StoreBench.format(sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))])
    }

    /// The 1-, 5- and 15-minute load averages.
    static func loadAverage() -> String {
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return "unknown" }
        return text.split(separator: " ").prefix(3).joined(separator: " ")
    }

    /// The tab-separated integers of a one-row answer.
    private static func integers(_ body: [UInt8]) -> [Int] {
        String(decoding: body, as: UTF8.self).split(whereSeparator: { $0 == "\t" || $0 == "\n" }).compactMap { Int($0) }
    }

    /// A ClickHouse identifier: back-quoted, with backquotes and backslashes escaped. The
    /// names here are ours (`spindle_bench_<hex>`) or read from `system.tables`.
    private static func identifier(_ name: String) -> String {
        "`" + name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "`", with: "\\`") + "`"
    }

    private static func stringLiteral(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
    }
}

/// A reason the benchmark cannot run, printed as it is.
private struct CompareBenchError: Error, CustomStringConvertible {
    var description: String
}

/// What one store measured.
private struct StoreResult {
    var ingest = Duration.zero
    var refusals = 0
    var diskAfterIngest = 0
    var merge = Duration.zero
    var mergeDetail = "cut head and compaction"
    var diskAfterMerge = 0
    /// Blocks or parts after the merge.
    var pieces = ""
    var queries: [CompareBench.QueryKind: QueryResult] = [:]
}

private struct QueryResult {
    var milliseconds: [Double] = []
    /// Traces returned over every timed repetition.
    var traces = 0
}

/// The next batch a writer takes.
private final class BatchCursor: Sendable {
    let next = Atomic<Int>(0)
}

/// The workload, generated once and held in memory so that both stores get the same
/// batches, with the values the queries look up.
private struct GeneratedWorkload {
    var batches: [SpanBatch] = []
    var spanCount = 0
    /// Approximate memory the batches take.
    var bytes = 0
    /// Every 97th trace: its ID and earliest start (as `bench store` samples them).
    var sampledTraces: [(id: TraceID, start: UInt64)] = []
    /// A sampled trace's root: service, operation and duration.
    var roots: [(service: String, operation: String, duration: UInt64)] = []
    var services: [String] = []

    init(spans: Int, batchSpans: Int, memoryLimit: Int) throws {
        var workload = Workload(Workload.Configuration(seed: 2026))
        services = workload.resources.compactMap(\.serviceName)
        while spanCount < spans {
            var traces: [Workload.Trace] = []
            var count = 0
            while count < batchSpans && spanCount + count < spans {
                let trace = workload.nextTrace()
                count += trace.spans.count
                if workload.tracesGenerated % 97 == 0, let root = trace.spans.first,
                   let service = workload.resources[trace.resourceIndices[0]].serviceName {
                    sampledTraces.append((trace.traceID, trace.spans.map(\.startTimeUnixNano).min() ?? 0))
                    roots.append((service, root.name, root.durationNanos))
                }
                traces.append(trace)
            }
            let batch = SpanBatch(workload.resourceSpans(of: traces))
            batches.append(batch)
            spanCount += batch.spanCount
            bytes += Self.memory(of: batch)
            // Refuse early (from the first batch's size) rather than after filling memory.
            let projected = bytes / max(1, spanCount) * spans
            guard projected <= memoryLimit, bytes <= memoryLimit else {
                throw CompareBenchError(description: "holding \(spans) spans in memory would take about \(projected / 1_000_000) MB, more than the \(memoryLimit / 1_000_000) MB this benchmark allows itself: give fewer --spans")
            }
        }
        if sampledTraces.isEmpty, let batch = batches.first, batch.spanCount > 0 {
            let span = batch.span(at: 0)
            sampledTraces.append((span.traceID, span.startTimeUnixNano))
        }
        if roots.isEmpty, let service = services.first { roots.append((service, "", 0)) }
    }

    /// The bytes `batch`'s tables hold (array capacities; object headers left out).
    static func memory(of batch: SpanBatch) -> Int {
        let tables = batch.tables
        func size<Element>(_ array: [Element]) -> Int { array.capacity * MemoryLayout<Element>.stride }
        return size(tables.arena) + size(tables.resources) + size(tables.scopes) + size(tables.spans)
            + size(tables.events) + size(tables.links) + size(tables.resourceAttributes) + size(tables.scopeAttributes)
            + size(tables.spanAttributes) + size(tables.eventAttributes) + size(tables.linkAttributes)
            + size(tables.nestedValues) + size(tables.nestedAttributes)
    }
}

/// The values each timed query looks up, the same for both stores: repetition `index`
/// of a kind always asks the same thing.
private struct QueryPlan: Sendable {
    let repetitions: Int
    let traces: [(id: TraceID, start: UInt64)]
    let roots: [(service: String, operation: String, duration: UInt64)]
    let services: [String]

    init(_ workload: GeneratedWorkload, repetitions: Int) {
        self.repetitions = repetitions
        var random = SplitMix64(seed: 7)
        traces = (0..<repetitions).map { _ in workload.sampledTraces[Int(random.next() % UInt64(workload.sampledTraces.count))] }
        roots = (0..<repetitions).map { _ in workload.roots[Int(random.next() % UInt64(workload.roots.count))] }
        services = workload.services
    }

    /// Runs repetition `index` of `kind` on `reader`; returns the traces it found and
    /// their spans.
    func run(_ kind: CompareBench.QueryKind, _ index: Int, on reader: some TraceReader) async throws -> (traces: Int, spans: Int) {
        func found(_ summaries: [TraceSummary]) -> (traces: Int, spans: Int) {
            (summaries.count, summaries.reduce(0) { $0 + $1.spanCount })
        }
        switch kind {
        case .traceByID:
            let batch = try await reader.trace(id: traces[index].id, timeRange: nil)
            return (batch == nil ? 0 : 1, batch?.spanCount ?? 0)
        case .traceByIDWithHint:
            let start = traces[index].start
            let batch = try await reader.trace(id: traces[index].id, timeRange: TimeRange(start: start, end: start + 3_600_000_000_000))
            return (batch == nil ? 0 : 1, batch?.spanCount ?? 0)
        case .service:
            return found(try await reader.search(TraceQuery(service: services[index % services.count], limit: 20)))
        case .attribute:
            // As `bench store` asks: users are user-0 … user-9999.
            let filter = AttributeFilter(scope: .span, key: "enduser.id", .equals(.string("user-\(index * 37 % 10_000)")))
            return found(try await reader.search(TraceQuery(attributes: [filter], limit: 20)))
        case .serviceOperationDuration:
            let root = roots[index]
            return found(try await reader.search(TraceQuery(service: root.service, operation: root.operation, minDuration: root.duration / 2, limit: 20)))
        }
    }
}
