/// The `SpindleClickHouse` module: the ClickHouse storage backend for running Spindle as a fleet.
///
/// ``ClickHouseClient`` speaks ClickHouse's HTTP interface, ``ClickHouseSQL`` escapes every
/// value that reaches SQL text, ``ClickHouseSchema`` creates and migrates the tables
/// (`docs/format/clickhouse.md`), ``ClickHouseTraceWriter`` inserts span batches in
/// RowBinary, and ``ClickHouseTraceStore`` (opened with a ``ClickHouseStoreConfiguration``)
/// is the whole store: writer, reader and retention.
public enum SpindleClickHouseModule {
    public static let summary = "the ClickHouse storage backend for running Spindle as a fleet"
}
