public import SpindleStorage

extension ClickHouseTraceStore {
    /// Drops every whole UTC-day partition, of every partitioned table, whose day ends at
    /// or before `cutoffUnixNano` (`ALTER TABLE … DROP PARTITION ID 'YYYYMMDD'`), and
    /// returns the partition IDs dropped, sorted (each once). Idempotent: a second call
    /// drops nothing and returns [].
    ///
    /// Partitions are days of `DateTime` (32-bit seconds): spans starting after
    /// 2106-02-07 sit in the partition of their wrapped-around day and are dropped with it.
    ///
    /// Over a cluster (``ClickHouseTables/isDistributed``), partitions live on the shards:
    /// each shard's local tables are dropped through that shard's URL. Every shard is
    /// visited; when one fails, the others are still done and the first failure is thrown
    /// at the end (the next call finishes the work).
    public func dropPartitions(olderThan cutoffUnixNano: UInt64) async throws(StorageError) -> [String] {
        guard tables.isDistributed else {
            return try await dropPartitions(olderThan: cutoffUnixNano, tables: tables) { sql throws(StorageError) in
                try await withClient { client throws(StorageError) in try await client.query(sql) }
            }
        }
        var dropped: Set<String> = []
        var firstFailure: StorageError?
        for client in clients {
            do {
                let local = try await dropPartitions(olderThan: cutoffUnixNano, tables: tables.local) { sql throws(StorageError) in
                    try await client.query(sql)
                }
                dropped.formUnion(local)
            } catch {
                if firstFailure == nil { firstFailure = error }
            }
        }
        if let firstFailure { throw firstFailure }
        return dropped.sorted()
    }

    /// Drops the old partitions of `tables` through `run`.
    private func dropPartitions(
        olderThan cutoffUnixNano: UInt64, tables: ClickHouseTables, run: (String) async throws(StorageError) -> [UInt8]
    ) async throws(StorageError) -> [String] {
        let names = tables.partitioned.map { ClickHouseSQL.literal($0) }.joined(separator: ", ")
        let answer = try await run("""
            SELECT DISTINCT table, partition_id FROM system.parts
            WHERE database = \(ClickHouseSQL.literal(tables.database)) AND table IN (\(names)) AND active
            FORMAT RowBinary
            """)
        var reader = RowBinaryReader(answer, what: "the partitions of the Spindle tables")
        var dropping: [(table: String, partition: String)] = []
        while !reader.isAtEnd {
            let table = try reader.string("table")
            let partition = try reader.string("partition_id")
            guard let day = Self.dayNumber(partitionID: partition) else { continue }
            // The day's last nanosecond is (day + 1) * 86400 s - 1 ns.
            let (dayEnd, overflow) = UInt64(day + 1).multipliedReportingOverflow(by: 86_400_000_000_000)
            if !overflow, dayEnd <= cutoffUnixNano { dropping.append((table, partition)) }
        }
        for entry in dropping.sorted(by: { ($0.table, $0.partition) < ($1.table, $1.partition) }) {
            _ = try await run("ALTER TABLE \(tables.qualified(entry.table)) DROP PARTITION ID \(ClickHouseSQL.literal(entry.partition))")
        }
        return Set(dropping.map(\.partition)).sorted()
    }

    /// Days since 1970-01-01 of a `YYYYMMDD` partition ID; nil for anything else.
    static func dayNumber(partitionID: String) -> Int? {
        let digits = Array(partitionID.utf8)
        guard digits.count == 8, digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
        func number(_ range: Range<Int>) -> Int { digits[range].reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) } }
        let year = number(0..<4), month = number(4..<6), day = number(6..<8)
        guard (1...12).contains(month), (1...31).contains(day) else { return nil }
        // Days from civil (Howard Hinnant's algorithm), proleptic Gregorian.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
