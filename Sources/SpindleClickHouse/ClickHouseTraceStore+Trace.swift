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

    /// One `spans` sort-key group per (service, hour, name) of `keys`, with the least and
    /// greatest start among its spans; sorted, so the SQL text is stable.
    static func keyRanges(_ keys: [SpanKey]) -> [KeyRange] {
        var ranges: [KeyRange.Group: (low: UInt64, high: UInt64)] = [:]
        for key in keys {
            let group = KeyRange.Group(service: key.service, hour: key.hour, name: key.name)
            let range = ranges[group] ?? (key.start, key.start)
            ranges[group] = (min(range.low, key.start), max(range.high, key.start))
        }
        return ranges.map { KeyRange(group: $0.key, low: $0.value.low, high: $0.value.high) }
            .sorted { lhs, rhs in
                if lhs.group.service != rhs.group.service { return lhs.group.service.lexicographicallyPrecedes(rhs.group.service) }
                if lhs.group.hour != rhs.group.hour { return lhs.group.hour < rhs.group.hour }
                return lhs.group.name.lexicographicallyPrecedes(rhs.group.name)
            }
    }

    /// The spans of a trace that share a `spans` sort-key prefix.
    struct KeyRange {
        struct Group: Hashable {
            var service: [UInt8]
            var hour: UInt32
            var name: [UInt8]
        }

        var group: Group
        var low: UInt64
        var high: UInt64
    }

    /// Up to this many key-prefix groups, the spans query names each group's own start
    /// range (an `OR` of conditions); past it, the groups as one tuple `IN` set.
    static let maxOrGroups = 48

    /// The spans query of ``trace(id:timeRange:)``.
    ///
    /// A few groups are an `OR` of one condition per group, each with the group's own
    /// start range, which bounds the granules read most tightly. Many groups are one tuple
    /// `IN` set over the sorting key with the starts bounded overall: 18.16 evaluates a
    /// long `OR` row by row, so for a 500-span trace over 197 groups (300,000 spans in one
    /// hour) the `OR` took 1.6 s of server time and the set 0.2 s, both reading the same
    /// rows; for a 16-span trace the `OR` took 26 ms and the set 39 ms.
    static func traceQuery(spans: String, id: TraceID, keyRanges: [KeyRange], format: String = "RowBinary") -> String {
        let low = keyRanges.map(\.low).min() ?? 0
        let high = keyRanges.map(\.high).max() ?? 0
        // The same bounds on the partition column skip other days (where DateTime's 32-bit
        // seconds do not wrap).
        let days = high / 1_000_000_000 <= UInt64(UInt32.max)
            ? " AND start_time >= toDateTime(\(low / 1_000_000_000), 'UTC') AND start_time <= toDateTime(\(high / 1_000_000_000), 'UTC')"
            : ""
        let groups: String
        if keyRanges.count <= maxOrGroups {
            groups = "(" + keyRanges.map { range in
                "(service_name = \(ClickHouseSQL.literal(bytes: range.group.service)) AND toStartOfHour(start_time) = toDateTime(\(range.group.hour), 'UTC')"
                    + " AND name = \(ClickHouseSQL.literal(bytes: range.group.name)) AND start_unix_nano >= \(range.low) AND start_unix_nano <= \(range.high))"
            }.joined(separator: " OR ") + ")"
        } else {
            let set = keyRanges.map { range in
                "(\(ClickHouseSQL.literal(bytes: range.group.service)), toDateTime(\(range.group.hour), 'UTC'), \(ClickHouseSQL.literal(bytes: range.group.name)))"
            }.joined(separator: ", ")
            groups = "(service_name, toStartOfHour(start_time), name) IN (\(set))"
        }
        return """
        SELECT \(spanColumns) FROM \(spans)
        WHERE trace_id = \(literal(id)) AND \(groups)
          AND start_unix_nano >= \(low) AND start_unix_nano <= \(high)\(days)
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
