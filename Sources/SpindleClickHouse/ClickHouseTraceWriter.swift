public import SpindleModel
public import SpindleStorage

/// Writes span batches into the `spans` table of a Spindle schema
/// (``ClickHouseSchema``), one `INSERT ... FORMAT RowBinary` request per batch.
///
/// - **Durable before return:** `write` returns when ClickHouse answered the insert with
///   HTTP 200, which it does after the rows are written to new parts on its disk. It is
///   not all or nothing: a batch becomes one part per UTC day it touches, written one
///   after the other, and the `trace_index` view inserts separately; a failed write may
///   have stored part of the batch, and retrying it whole converges (idempotent).
/// - **Idempotent:** the table is a `ReplacingMergeTree` whose sorting key ends with the
///   trace and span IDs, so a span written again collapses with the first copy when
///   ClickHouse merges parts; until then readers deduplicate with
///   `LIMIT 1 BY trace_id, span_id` (or `FINAL`).
/// - **Errors:** an unreachable or overloaded server throws `.unavailable`; a refused
///   insert keeps ClickHouse's message.
public struct ClickHouseTraceWriter: TraceWriter {
    public let client: ClickHouseClient
    public let database: String
    private let statement: String

    /// A writer into `database`, whose schema ``ClickHouseSchema/migrate()`` created.
    public init(client: ClickHouseClient, database: String) {
        self.client = client.using(database: nil)
        self.database = database
        statement = "INSERT INTO \(ClickHouseSchema.Names(database: database).spans) ("
            + ClickHouseSpanRows.columns.joined(separator: ", ") + ") FORMAT RowBinary"
    }

    public func write(_ batch: SpanBatch) async throws(StorageError) {
        guard !batch.isEmpty else { return }
        try await client.insert(statement, data: ClickHouseSpanRows.rowBinary(batch.tables))
    }
}
