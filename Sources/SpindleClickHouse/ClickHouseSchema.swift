public import SpindleStorage

/// Spindle's tables in a ClickHouse database, versioned with migrations
/// (`docs/format/clickhouse.md` describes every table and column).
///
/// `spindle_schema` records each applied migration's version. ``migrate()`` creates the
/// database and the version table if needed, then applies every migration newer than the
/// highest recorded version, in order, recording each after its statements succeed. Every
/// statement is `IF NOT EXISTS`, so a migration interrupted half-way, or two processes
/// migrating at once, converge on the same schema.
public struct ClickHouseSchema: Sendable {
    /// One step of the schema: statements that take it from `version - 1` to `version`.
    struct Migration: Sendable {
        var version: Int
        var summary: String
        var statements: @Sendable (_ database: String, _ features: ClickHouseFeatures) -> [String]
        /// Copies of existing rows into what the statements created, each a statement of
        /// its own (one per day partition), run after them.
        var backfill: (@Sendable (_ schema: ClickHouseSchema) async throws(StorageError) -> Void)? = nil
    }

    /// The newest schema version this build of Spindle writes.
    public static let currentVersion = 2

    public let client: ClickHouseClient
    public let database: String

    /// The schema in `database`; `client`'s own database setting is not used (the
    /// database may not exist yet), every name is qualified.
    public init(client: ClickHouseClient, database: String) {
        self.client = client.using(database: nil)
        self.database = database
    }

    /// `database.table`, quoted.
    public func qualified(_ table: String) -> String {
        ClickHouseTables(database: database).qualified(table)
    }

    /// Brings the schema to ``currentVersion`` and returns the version now recorded.
    /// Idempotent. Fails with `.unsupported` when the database holds a newer schema than
    /// this build knows (a newer Spindle migrated it; this one must not write there).
    @discardableResult
    public func migrate() async throws(StorageError) -> Int {
        do {
            return try await migrateOnce()
        } catch where error.code == .invalidArgument {
            // Two servers starting together can race on 18.16's check-then-create
            // (`IF NOT EXISTS`), and one gets "table already exists": the other has just
            // made it. Once more, from the version now recorded.
            try? await Task.sleep(for: .seconds(1))
            return try await migrateOnce()
        }
    }

    private func migrateOnce() async throws(StorageError) -> Int {
        let features = try await client.features()
        try await client.execute("CREATE DATABASE IF NOT EXISTS \(ClickHouseSQL.identifier(database))")
        try await client.execute("""
            CREATE TABLE IF NOT EXISTS \(qualified("spindle_schema")) (
                version UInt32,
                applied_unix_seconds UInt64,
                summary String
            ) ENGINE = ReplacingMergeTree ORDER BY version
            """)
        var applied = try await appliedVersion()
        guard applied <= Self.currentVersion else {
            throw StorageError(.unsupported, "the ClickHouse database \(database) holds Spindle schema version \(applied), newer than this build's \(Self.currentVersion); upgrade Spindle")
        }
        for migration in Self.migrations where migration.version > applied {
            for statement in migration.statements(database, features) {
                try await client.execute(statement)
            }
            try await migration.backfill?(self)
            try await client.execute("""
                INSERT INTO \(qualified("spindle_schema")) (version, applied_unix_seconds, summary) \
                SELECT \(migration.version), toUInt64(now()), \(ClickHouseSQL.literal(migration.summary))
                """)
            applied = migration.version
        }
        return applied
    }

    /// Creates, on this server, a `Distributed` table over `cluster` for each of the
    /// schema's span tables (`spans_dist` over `spans`, and so on: ``ClickHouseTables/distributed(database:)``),
    /// sharded by `cityHash64(trace_id)` so that all of a trace's rows live on one shard.
    /// Run it on every server that takes queries or inserts, after ``migrate()`` there.
    /// Idempotent (`IF NOT EXISTS`).
    ///
    /// A later migration that changes a span table's columns must alter its `_dist` table
    /// the same way: a `Distributed` table has its own copy of the columns.
    public func createDistributedTables(cluster: String) async throws(StorageError) {
        let local = ClickHouseTables(database: database)
        let distributed = ClickHouseTables.distributed(database: database)
        for (table, over) in zip(distributed.partitioned, local.partitioned) {
            try await client.execute("""
                CREATE TABLE IF NOT EXISTS \(qualified(table)) AS \(qualified(over))
                ENGINE = Distributed(\(ClickHouseSQL.identifier(cluster)), \(ClickHouseSQL.identifier(database)), \(ClickHouseSQL.identifier(over)), cityHash64(trace_id))
                """)
        }
        // The Distributed table would compute the MATERIALIZED `start_time` and send it on
        // with every insert, which the shards refuse ("Cannot insert column start_time").
        // As an ALIAS it is computed only when read, and the shards prune partitions by
        // their own materialized column.
        let kind = String(decoding: try await client.query("""
            SELECT default_kind FROM system.columns
            WHERE database = \(ClickHouseSQL.literal(database)) AND table = \(ClickHouseSQL.literal(distributed.spans)) AND name = 'start_time'
            FORMAT TabSeparated
            """), as: UTF8.self)
        if kind.hasPrefix("MATERIALIZED") {
            try await client.execute("""
                ALTER TABLE \(qualified(distributed.spans))
                MODIFY COLUMN start_time DateTime('UTC') ALIAS toDateTime(intDiv(start_unix_nano, 1000000000), 'UTC')
                """)
        }
    }

    /// The highest version recorded in `spindle_schema` (0 when none, or no table).
    public func appliedVersion() async throws(StorageError) -> Int {
        let exists = try await client.query(
            "EXISTS TABLE \(qualified("spindle_schema")) FORMAT TabSeparated"
        )
        guard String(decoding: exists, as: UTF8.self).hasPrefix("1") else { return 0 }
        let text = String(decoding: try await client.query("SELECT max(version) FROM \(qualified("spindle_schema")) FORMAT TabSeparated"), as: UTF8.self)
        guard let version = Int(text.split(separator: "\n").first ?? "") else {
            throw StorageError(.corrupt, "spindle_schema in ClickHouse database \(database) answered an unreadable version: \(text.prefix(100))")
        }
        return version
    }

    // MARK: Migrations

    static let migrations: [Migration] = [
        Migration(version: 1, summary: "spans, trace_index and trace_index_mv") { database, features in
            let schema = Names(database: database)
            // Repeated low-cardinality strings: dictionary-encoded where the server has it
            // without an experimental setting.
            let label = features.lowCardinality ? "LowCardinality(String)" : "String"
            let spans = """
                CREATE TABLE IF NOT EXISTS \(schema.spans) (
                    trace_id FixedString(16),
                    span_id FixedString(8),
                    parent_span_id FixedString(8),
                    trace_state String,
                    flags UInt32,
                    name \(label),
                    kind Int32,
                    service_name \(label),
                    start_unix_nano UInt64,
                    end_unix_nano UInt64,
                    duration_nano UInt64,
                    status_code Int32,
                    status_message String,
                    attribute_keys Array(String),
                    attribute_types Array(UInt8),
                    attribute_values Array(String),
                    dropped_attributes_count UInt32,
                    event_times Array(UInt64),
                    event_names Array(String),
                    event_attribute_keys Array(Array(String)),
                    event_attribute_types Array(Array(UInt8)),
                    event_attribute_values Array(Array(String)),
                    event_dropped_attributes_counts Array(UInt32),
                    dropped_events_count UInt32,
                    link_trace_ids Array(FixedString(16)),
                    link_span_ids Array(FixedString(8)),
                    link_trace_states Array(String),
                    link_flags Array(UInt32),
                    link_attribute_keys Array(Array(String)),
                    link_attribute_types Array(Array(UInt8)),
                    link_attribute_values Array(Array(String)),
                    link_dropped_attributes_counts Array(UInt32),
                    dropped_links_count UInt32,
                    resource_attribute_keys Array(String),
                    resource_attribute_types Array(UInt8),
                    resource_attribute_values Array(String),
                    resource_dropped_attributes_count UInt32,
                    resource_schema_url String,
                    scope_name \(label),
                    scope_version \(label),
                    scope_attribute_keys Array(String),
                    scope_attribute_types Array(UInt8),
                    scope_attribute_values Array(String),
                    scope_dropped_attributes_count UInt32,
                    scope_schema_url String,
                    start_time DateTime('UTC') MATERIALIZED toDateTime(intDiv(start_unix_nano, 1000000000), 'UTC')
                ) ENGINE = ReplacingMergeTree
                PARTITION BY toDate(start_time)
                ORDER BY (service_name, toStartOfHour(start_time), name, start_unix_nano, trace_id, span_id)
                SETTINGS index_granularity = 8192
                """
            let traceIndex = """
                CREATE TABLE IF NOT EXISTS \(schema.traceIndex) (
                    trace_id FixedString(16),
                    service_name \(label),
                    start_hour DateTime('UTC')
                ) ENGINE = ReplacingMergeTree
                PARTITION BY toDate(start_hour)
                ORDER BY (trace_id, service_name, start_hour)
                """
            let traceIndexView = """
                CREATE MATERIALIZED VIEW IF NOT EXISTS \(schema.traceIndexView) TO \(schema.traceIndex) AS
                SELECT trace_id, service_name, toStartOfHour(toDateTime(intDiv(start_unix_nano, 1000000000), 'UTC')) AS start_hour
                FROM \(schema.spans)
                """
            return [spans, traceIndex, traceIndexView]
        },
        Migration(version: 2, summary: "span_index and span_index_mv, backfilled from spans") { database, features in
            let schema = Names(database: database)
            let label = features.lowCardinality ? "LowCardinality(String)" : "String"
            // One narrow row per span sorted by trace ID: trace by ID reads it first to learn
            // the `spans` sort-key prefix (service, hour, name, start) of each of the trace's
            // spans, and search ranks and summarizes traces from it alone. Small granules:
            // every read is a lookup of a few trace IDs.
            let spanIndex = """
                CREATE TABLE IF NOT EXISTS \(schema.spanIndex) (
                    trace_id FixedString(16),
                    span_id FixedString(8),
                    parent_span_id FixedString(8),
                    service_name \(label),
                    has_service UInt8,
                    name \(label),
                    start_unix_nano UInt64,
                    end_unix_nano UInt64,
                    status_code Int32
                ) ENGINE = ReplacingMergeTree
                PARTITION BY toDate(toDateTime(intDiv(start_unix_nano, 1000000000), 'UTC'))
                ORDER BY (trace_id, span_id)
                SETTINGS index_granularity = 1024
                """
            let columns = spanIndexColumns
            let spanIndexView = """
                CREATE MATERIALIZED VIEW IF NOT EXISTS \(schema.spanIndexView) TO \(schema.spanIndex) AS
                SELECT \(columns) FROM \(schema.spans)
                """
            return [spanIndex, spanIndexView]
        } backfill: { schema throws(StorageError) in
            // Spans written before this migration, one UTC day at a time, so that no single
            // statement copies a whole large table under one request's timeout. After the
            // view exists, so that nothing is missed; spans the view also indexed collapse
            // with these copies. Interrupted, the migration is not recorded and runs again.
            let names = Names(database: schema.database)
            let answer = try await schema.client.query("""
                SELECT DISTINCT partition_id FROM system.parts
                WHERE database = \(ClickHouseSQL.literal(schema.database)) AND table = 'spans' AND active
                ORDER BY partition_id FORMAT TabSeparated
                """)
            let days = String(decoding: answer, as: UTF8.self).split(separator: "\n").compactMap { UInt32($0) }
            for day in days {
                try await schema.client.execute("""
                    INSERT INTO \(names.spanIndex) SELECT \(spanIndexColumns) FROM \(names.spans)
                    WHERE toYYYYMMDD(start_time) = \(day)
                    """)
            }
        },
    ]

    /// What `span_index` holds of a `spans` row (migration 2's view and backfill).
    static let spanIndexColumns = """
        trace_id, span_id, parent_span_id, service_name,
        resource_attribute_types[indexOf(resource_attribute_keys, 'service.name')] = 1 AS has_service,
        name, start_unix_nano, end_unix_nano, status_code
        """

    /// The quoted, qualified names of Spindle's tables in one database.
    /// (The views are the schema's own; the tables are named by ``ClickHouseTables``.)
    struct Names {
        let tables: ClickHouseTables

        init(database: String) {
            tables = ClickHouseTables(database: database)
        }

        var spans: String { tables.qualified(tables.spans) }
        var traceIndex: String { tables.qualified(tables.traceIndex) }
        var traceIndexView: String { tables.qualified("trace_index_mv") }
        var spanIndex: String { tables.qualified(tables.spanIndex) }
        var spanIndexView: String { tables.qualified("span_index_mv") }
    }
}
