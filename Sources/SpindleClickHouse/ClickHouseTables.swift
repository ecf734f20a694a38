/// The tables the store reads and writes, by name: one value so that a cluster setup can
/// point reads and writes at `Distributed` tables with other names while the schema's
/// local tables keep theirs.
///
/// Every name is a plain (unquoted) name; ``qualified(_:)`` quotes it for SQL.
public struct ClickHouseTables: Hashable, Sendable {
    /// The database holding the tables.
    public var database: String
    /// One row per span (`docs/format/clickhouse.md`, `spans`).
    public var spans: String
    /// One row per span, sorted by trace ID (schema version 2, `span_index`).
    public var spanIndex: String
    /// One row per trace, service and hour (schema version 1, `trace_index`).
    public var traceIndex: String

    /// Whether these are `Distributed` tables over a cluster (``distributed(database:)``):
    /// inserts then wait until every shard has written its rows.
    public var isDistributed: Bool

    /// The schema's own tables in `database`.
    public init(database: String, spans: String = "spans", spanIndex: String = "span_index", traceIndex: String = "trace_index", isDistributed: Bool = false) {
        self.database = database
        self.spans = spans
        self.spanIndex = spanIndex
        self.traceIndex = traceIndex
        self.isDistributed = isDistributed
    }

    /// The `Distributed` tables over a cluster's shards that
    /// ``ClickHouseSchema/createDistributedTables(cluster:)`` creates: each schema table's
    /// name with `_dist` appended.
    public static func distributed(database: String) -> ClickHouseTables {
        let local = ClickHouseTables(database: database)
        return ClickHouseTables(
            database: database, spans: local.spans + distributedSuffix, spanIndex: local.spanIndex + distributedSuffix,
            traceIndex: local.traceIndex + distributedSuffix, isDistributed: true
        )
    }

    static let distributedSuffix = "_dist"

    /// The schema's own (shard-local) tables of the same database.
    public var local: ClickHouseTables { ClickHouseTables(database: database) }

    /// `database.table`, both quoted.
    public func qualified(_ table: String) -> String {
        ClickHouseSQL.identifier(database) + "." + ClickHouseSQL.identifier(table)
    }

    /// The tables partitioned by UTC day, which retention drops day by day.
    var partitioned: [String] { [spans, spanIndex, traceIndex] }
}
