public import AsyncHTTPClient
public import SpindleModel
public import SpindleStorage
import Synchronization

/// Where the ClickHouse store connects and as whom: what `spindle serve` reads from its
/// flags and configuration file (`docs/scale-out.md`). The password is never part of
/// ``description``.
public struct ClickHouseStoreConfiguration: Sendable, Hashable, CustomStringConvertible {
    /// HTTP interface base URLs (`http://host:8123`). Without a cluster: servers holding
    /// the same tables; the store uses the first that answers and moves to the next when
    /// one is unavailable. With a cluster: one per shard.
    public var urls: [String]
    public var database: String
    public var user: String
    /// Sent only in a header; never shown by ``description`` or in errors.
    public var password: String
    /// The longest a single request may take.
    public var timeout: Duration
    /// A cluster named in the servers' `remote_servers`: the URLs are then one per shard,
    /// the schema is created on each, and the store reads and writes through
    /// `Distributed` tables sharded by trace ID (``ClickHouseTables/distributed(database:)``).
    public var cluster: String?

    public init(
        urls: [String] = ["http://127.0.0.1:8123"], database: String = "spindle", user: String = "default", password: String = "",
        timeout: Duration = .seconds(60), cluster: String? = nil
    ) {
        self.urls = urls
        self.database = database
        self.user = user
        self.password = password
        self.timeout = timeout
        self.cluster = cluster
    }

    /// URLs, database, user and cluster; whether there is a password, never the password.
    public var description: String {
        "ClickHouse \(urls.joined(separator: ", ")) database \(database) user \(user)"
            + (cluster.map { " cluster \($0)" } ?? "") + (password.isEmpty ? "" : " (with a password)")
    }
}

/// Spindle's store over ClickHouse: a ``TraceWriter`` and ``TraceReader`` over the schema
/// of ``ClickHouseSchema`` (`docs/format/clickhouse.md` says which query reads which
/// table).
///
/// - Writes go through ``ClickHouseTraceWriter``.
/// - Every read deduplicates spans written more than once (`LIMIT 1 BY trace_id, span_id`,
///   or aggregates that a copy does not change), and is written so that it also holds on
///   `Distributed` tables: no `IN (subquery)`, literal ID lists instead, no `LIMIT BY`
///   together with `LIMIT`.
/// - Filters SQL cannot evaluate exactly (numeric ranges over doubles, `.equals` on arrays
///   and key-value lists) are narrowed in SQL and finished in Swift on the decoded values,
///   so every answer is exact.
/// - Every value in SQL text goes through ``ClickHouseSQL``.
/// - Several URLs: each request goes to the URL that answered last; on `.unavailable` it
///   tries each other URL once before failing, except when ClickHouse stopped the query
///   for its own time or memory, which another server would do too.
public final class ClickHouseTraceStore: TraceWriter, TraceReader {
    public let tables: ClickHouseTables
    let clients: [ClickHouseClient]
    let writer: ClickHouseTraceWriter
    /// The index in ``clients`` of the URL that answered last.
    private let preferred = Mutex(0)

    /// How much one round trip reads (tests make these small to cross page boundaries).
    struct Paging: Sendable {
        /// Matching spans read per search round trip.
        var searchPage = 10_000
        /// The most spans one scan batch holds.
        var scanChunk: UInt64 = 20_000
        /// Distinct values read per autocomplete round trip.
        var valuesPage = 10_000
    }

    let paging: Paging

    /// The store over `tables` through `clients` (at least one; the same database on each),
    /// whose schema is already migrated.
    public convenience init(clients: [ClickHouseClient], tables: ClickHouseTables) {
        self.init(clients: clients, tables: tables, paging: Paging())
    }

    init(clients: [ClickHouseClient], tables: ClickHouseTables, paging: Paging) {
        precondition(!clients.isEmpty, "a ClickHouse store needs at least one client")
        self.clients = clients.map { $0.using(database: nil) }
        self.tables = tables
        self.paging = paging
        writer = ClickHouseTraceWriter(client: self.clients[0], tables: tables)
    }

    /// Connects to the first URL of `configuration` that answers, brings the schema up to
    /// date (``ClickHouseSchema/migrate()``) and returns the store. Throws `.invalidArgument`
    /// without URLs, and the last URL's error when none answers.
    public static func open(
        _ configuration: ClickHouseStoreConfiguration,
        httpClient: HTTPClient = ClickHouseClient.sharedHTTPClient
    ) async throws(StorageError) -> ClickHouseTraceStore {
        guard !configuration.urls.isEmpty else {
            throw StorageError(.invalidArgument, "no ClickHouse URL configured; give at least one (http://host:8123)")
        }
        let clients = configuration.urls.map { url in
            ClickHouseClient(
                .init(url: url, user: configuration.user, password: configuration.password, timeout: configuration.timeout),
                httpClient: httpClient
            )
        }
        guard let cluster = configuration.cluster else {
            let store = ClickHouseTraceStore(clients: clients, tables: ClickHouseTables(database: configuration.database))
            _ = try await store.withClient { client throws(StorageError) in
                try await ClickHouseSchema(client: client, database: configuration.database).migrate()
            }
            return store
        }
        // Every shard gets the schema and the Distributed tables: migrations cannot run
        // `ON CLUSTER` without ZooKeeper, and any shard may take the queries.
        for client in clients {
            let schema = ClickHouseSchema(client: client, database: configuration.database)
            try await schema.migrate()
            try await schema.createDistributedTables(cluster: cluster)
        }
        return ClickHouseTraceStore(clients: clients, tables: .distributed(database: configuration.database))
    }

    /// Runs `body` with the preferred client; on `.unavailable`, with each other client
    /// once, in order. The client that succeeds becomes the preferred one.
    func withClient<T>(_ body: (ClickHouseClient) async throws(StorageError) -> T) async throws(StorageError) -> T {
        let first = preferred.withLock { $0 }
        var lastError: StorageError?
        for step in 0..<clients.count {
            let index = (first + step) % clients.count
            do {
                let result = try await body(clients[index])
                if step > 0 { preferred.withLock { $0 = index } }
                return result
            } catch where error.code == .unavailable {
                lastError = error
                // A query stopped for its own cost (time or memory) would cost the same on
                // the next server (with a cluster, the same shards again): give up now.
                if Task.isCancelled || Self.isQueryCost(error) { break }
            }
        }
        throw lastError ?? StorageError(.unavailable, "no ClickHouse server answered")
    }

    /// Whether ClickHouse stopped the query for its own cost: TIMEOUT_EXCEEDED (159) or
    /// MEMORY_LIMIT_EXCEEDED (241), rather than for the server's state.
    static func isQueryCost(_ error: StorageError) -> Bool {
        guard let exception = error.underlying as? ClickHouseException else { return false }
        return exception.code == 159 || exception.code == 241
    }

    /// `sql`'s answer, from whichever server answers.
    func query(_ sql: String) async throws(StorageError) -> [UInt8] {
        try Self.checkCancellation()
        return try await withClient { client throws(StorageError) in try await client.query(sql) }
    }

    static func checkCancellation() throws(StorageError) {
        if Task.isCancelled { throw StorageError(.unavailable, "the ClickHouse read was cancelled") }
    }

    // MARK: TraceWriter

    public func write(_ batch: SpanBatch) async throws(StorageError) {
        guard !batch.isEmpty else { return }
        try await withClient { client throws(StorageError) in try await writer.write(batch, through: client) }
    }

    // MARK: Shared SQL

    var spansTable: String { tables.qualified(tables.spans) }
    var spanIndexTable: String { tables.qualified(tables.spanIndex) }

    /// The spans columns, in the order ``ClickHouseSpanRowReader`` reads them.
    static let spanColumns = ClickHouseSpanRows.columns.joined(separator: ", ")

    /// A condition on `start_unix_nano` for `range` (`0` when the range is empty),
    /// with a `start_time` condition that lets ClickHouse skip whole day partitions when
    /// the range lies within `DateTime`'s 32-bit seconds (later times wrap around there).
    static func startCondition(_ range: TimeRange, partitionColumn: String? = "start_time") -> String? {
        var parts: [String] = []
        if range.start > 0 { parts.append("start_unix_nano >= \(range.start)") }
        // Even for `.all`: the range is half-open, so a start of UInt64.max is outside it.
        parts.append("start_unix_nano < \(range.end)")
        if range.end <= range.start { return "0" }
        if let partitionColumn, range.end < .max, (range.end - 1) / 1_000_000_000 <= UInt64(UInt32.max) {
            let first = range.start / 1_000_000_000
            let last = (range.end - 1) / 1_000_000_000
            parts.append("\(partitionColumn) >= toDateTime(\(first), 'UTC') AND \(partitionColumn) <= toDateTime(\(last), 'UTC')")
        }
        return parts.isEmpty ? nil : parts.joined(separator: " AND ")
    }

    /// `conditions` joined with AND, or `1`.
    static func whereClause(_ conditions: [String?]) -> String {
        let present = conditions.compactMap { $0 }
        return present.isEmpty ? "1" : present.map { "(\($0))" }.joined(separator: " AND ")
    }

    /// `unhex('…')` of a trace ID: a FixedString(16) literal.
    static func literal(_ id: TraceID) -> String { "unhex('\(id.hexString)')" }
}
