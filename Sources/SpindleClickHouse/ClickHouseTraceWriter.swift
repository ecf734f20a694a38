public import SpindleModel
public import SpindleStorage

/// Writes span batches into the `spans` table of a Spindle schema
/// (``ClickHouseSchema``), one `INSERT ... FORMAT RowBinary` request per batch (per
/// group of at most ``maxDaysPerInsert`` UTC days, see below).
///
/// - **Durable before return:** `write` returns when ClickHouse answered the insert with
///   HTTP 200, which it does after the rows are written to new parts on its disk. It is
///   not all or nothing: a batch becomes one part per UTC day it touches, written one
///   after the other, and the `trace_index` and `span_index` views insert separately; a
///   failed write may have stored part of the batch, and retrying it whole converges
///   (idempotent).
/// - **Idempotent:** the table is a `ReplacingMergeTree` whose sorting key ends with the
///   trace and span IDs, so a span written again collapses with the first copy when
///   ClickHouse merges parts; until then readers deduplicate with
///   `LIMIT 1 BY trace_id, span_id` (or `FINAL`).
/// - **Many days in one batch:** every day a batch touches is one new part in each of
///   three tables, written in one request. A batch whose spans start on more than
///   ``maxDaysPerInsert`` UTC days (clock-skewed or hostile timestamps) is sent as several
///   inserts of at most that many days each, so that no request makes hundreds of parts.
/// - **Errors:** an unreachable or overloaded server throws `.unavailable`; a refused
///   insert keeps ClickHouse's message.
public struct ClickHouseTraceWriter: TraceWriter {
    public let client: ClickHouseClient
    public let tables: ClickHouseTables
    private let statement: String

    /// The most UTC days (partitions) one insert request touches.
    public static let maxDaysPerInsert = 100

    /// A writer into `database`, whose schema ``ClickHouseSchema/migrate()`` created.
    public init(client: ClickHouseClient, database: String) {
        self.init(client: client, tables: ClickHouseTables(database: database))
    }

    /// A writer into `tables.spans`.
    public init(client: ClickHouseClient, tables: ClickHouseTables) {
        self.client = client.using(database: nil)
        self.tables = tables
        statement = "INSERT INTO \(tables.qualified(tables.spans)) ("
            + ClickHouseSpanRows.columns.joined(separator: ", ") + ") FORMAT RowBinary"
    }

    public var database: String { tables.database }

    /// Through `Distributed` tables, the insert returns only once every shard has written
    /// its rows (by default a Distributed table queues them and answers at once, which
    /// would acknowledge spans no reader can see yet, and lose them with the queue).
    private var insertSettings: [(String, String)] {
        tables.isDistributed ? [("insert_distributed_sync", "1")] : []
    }

    public func write(_ batch: SpanBatch) async throws(StorageError) {
        guard !batch.isEmpty else { return }
        try await write(batch, through: client)
    }

    /// Writes `batch` through `client` (the store's failover picks the client).
    func write(_ batch: SpanBatch, through client: ClickHouseClient) async throws(StorageError) {
        let tables = batch.tables
        for group in Self.dayGroups(tables) {
            let rows = group.map { ClickHouseSpanRows.rowBinary(tables, spans: $0) } ?? ClickHouseSpanRows.rowBinary(tables)
            try await client.using(database: nil).insert(statement, data: rows, settings: insertSettings)
        }
    }

    /// The partition day of a start time as ClickHouse computes it: `toDate` of a
    /// `DateTime` (32-bit seconds, so times past 2106 wrap around).
    static func day(ofStart nanoseconds: UInt64) -> UInt32 {
        UInt32(truncatingIfNeeded: nanoseconds / 1_000_000_000) / 86_400
    }

    /// The batch's span indices in groups of at most ``maxDaysPerInsert`` days; a single
    /// nil group (the whole batch, in order) when it touches no more days than that.
    static func dayGroups(_ tables: SpanTables) -> [[Int]?] {
        var days: [UInt32: [Int]] = [:]
        for (index, span) in tables.spans.enumerated() {
            days[day(ofStart: span.startTimeUnixNano), default: []].append(index)
            if days.count > maxDaysPerInsert { break }
        }
        guard days.count > maxDaysPerInsert else { return [nil] }
        days.removeAll()
        for (index, span) in tables.spans.enumerated() {
            days[day(ofStart: span.startTimeUnixNano), default: []].append(index)
        }
        let ordered = days.keys.sorted()
        return stride(from: 0, to: ordered.count, by: maxDaysPerInsert).map { first in
            ordered[first..<min(first + maxDaysPerInsert, ordered.count)].flatMap { days[$0] ?? [] }
        }
    }
}
