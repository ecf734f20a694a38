public import SpindleModel
public import SpindleStorage

extension ClickHouseTraceStore {
    /// The most `spans` sort-key ranges one trace query names; a trace with more
    /// (service, hour, name) groups is read in several queries.
    static let maxKeyRangesPerQuery = 200

    /// Every stored span of trace `id` (each once), or nil.
    ///
    /// Two round trips: `span_index` (sorted by trace ID) gives each span's `spans`
    /// sort-key prefix — service, hour, name, start — and the spans query then names those
    /// key ranges, so ClickHouse reads the few granules that hold them instead of whole
    /// partitions. With `timeRange`, the trace is returned only when one of its spans
    /// starts in the range.
    public func trace(id: TraceID, timeRange: TimeRange?) async throws(StorageError) -> SpanBatch? {
        let keys = try await spanKeys(of: id)
        guard !keys.isEmpty else { return nil }
        if let timeRange, !keys.contains(where: { timeRange.contains($0.start) }) { return nil }

        let conditions = Self.keyRanges(keys)

        var rows: [ClickHouseSpanRowReader.Row] = []
        var seen = Set<SpanID>()
        for first in stride(from: 0, to: conditions.count, by: Self.maxKeyRangesPerQuery) {
            let chunk = conditions[first..<min(first + Self.maxKeyRangesPerQuery, conditions.count)]
            let answer = try await query(Self.traceQuery(spans: spansTable, id: id, keyRanges: Array(chunk)))
            for row in try ClickHouseSpanRowReader.rows(answer, what: "spans of trace \(id)") where seen.insert(row.span.spanID).inserted {
                rows.append(row)
            }
        }
        guard !rows.isEmpty else { return nil }
        return ClickHouseSpanRowReader.batch(rows)
    }

    /// One `spans` sort-key range per (service, hour, name) of `keys`, from the least to
    /// the greatest start among them, as SQL conditions.
    static func keyRanges(_ keys: [SpanKey]) -> [String] {
        struct Group: Hashable { var service: [UInt8]; var hour: UInt32; var name: [UInt8] }
        var ranges: [Group: (low: UInt64, high: UInt64)] = [:]
        for key in keys {
            let group = Group(service: key.service, hour: key.hour, name: key.name)
            let range = ranges[group] ?? (key.start, key.start)
            ranges[group] = (min(range.low, key.start), max(range.high, key.start))
        }
        return ranges.map { group, range in
            "(service_name = \(ClickHouseSQL.literal(bytes: group.service)) AND toStartOfHour(start_time) = toDateTime(\(group.hour), 'UTC')"
                + " AND name = \(ClickHouseSQL.literal(bytes: group.name)) AND start_unix_nano >= \(range.low) AND start_unix_nano <= \(range.high))"
        }.sorted()
    }

    /// The spans query of ``trace(id:timeRange:)``.
    static func traceQuery(spans: String, id: TraceID, keyRanges: [String], format: String = "RowBinary") -> String {
        """
        SELECT \(spanColumns) FROM \(spans)
        WHERE trace_id = \(literal(id)) AND (\(keyRanges.joined(separator: " OR ")))
        LIMIT 1 BY trace_id, span_id FORMAT \(format)
        """
    }

    /// One span's `spans` sort-key prefix, from `span_index`.
    struct SpanKey {
        var service: [UInt8]
        var hour: UInt32
        var name: [UInt8]
        var start: UInt64
    }

    /// The sort-key prefix of every span of trace `id` (copies included).
    func spanKeys(of id: TraceID) async throws(StorageError) -> [SpanKey] {
        let answer = try await query(Self.spanKeysQuery(spanIndex: spanIndexTable, id: id))
        var reader = RowBinaryReader(answer, what: "the span_index rows of trace \(id)")
        var keys: [SpanKey] = []
        while !reader.isAtEnd {
            keys.append(SpanKey(
                service: Array(try reader.stringBytes("service_name")),
                hour: try reader.uint32("hour"),
                name: Array(try reader.stringBytes("name")),
                start: try reader.uint64("start_unix_nano")
            ))
        }
        return keys
    }

    static func spanKeysQuery(spanIndex: String, id: TraceID, format: String = "RowBinary") -> String {
        """
        SELECT service_name, toUInt32(toStartOfHour(toDateTime(intDiv(start_unix_nano, 1000000000), 'UTC'))) AS hour, name, start_unix_nano
        FROM \(spanIndex) WHERE trace_id = \(literal(id)) FORMAT \(format)
        """
    }
}
