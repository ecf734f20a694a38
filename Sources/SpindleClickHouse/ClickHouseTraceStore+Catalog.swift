import SpindleModel
public import SpindleStorage

// Services, operations and attribute autocomplete, from `spans`. Distinct values come
// from ClickHouse; they are deduplicated and sorted in Swift, as Swift compares strings
// (canonically equivalent strings are one value), like every other Spindle store.

extension ClickHouseTraceStore {
    public func services(timeRange: TimeRange?) async throws(StorageError) -> [String] {
        let time = Self.startCondition(timeRange ?? .all)
        let answer = try await query("""
            SELECT DISTINCT service_name FROM \(spansTable)
            WHERE \(Self.whereClause([time, SearchPlan.hasService])) FORMAT RowBinary
            """)
        return Set(try Self.strings(answer, "services")).sorted()
    }

    public func operations(service: String, timeRange: TimeRange?) async throws(StorageError) -> [Operation] {
        let time = Self.startCondition(timeRange ?? .all)
        let answer = try await query("""
            SELECT DISTINCT name, kind FROM \(spansTable)
            WHERE \(Self.whereClause([time, "service_name = \(ClickHouseSQL.literal(service))", SearchPlan.hasService])) FORMAT RowBinary
            """)
        var reader = RowBinaryReader(answer, what: "operations")
        var operations = Set<Operation>()
        while !reader.isAtEnd {
            let name = try reader.string("name")
            operations.insert(Operation(name: name, kind: SpanKind(rawValue: try reader.int32("kind"))))
        }
        return operations.sorted()
    }

    public func attributeNames(scope: AttributeScope, timeRange: TimeRange?) async throws(StorageError) -> [String] {
        let time = Self.startCondition(timeRange ?? .all)
        let answer = try await query("""
            SELECT DISTINCT arrayJoin(\(Self.prefix(scope))_keys) FROM \(spansTable)
            WHERE \(Self.whereClause([time])) FORMAT RowBinary
            """)
        return Set(try Self.strings(answer, "attribute names")).sorted()
    }

    /// Distinct texts of the first attribute named `key` (strings, ints, doubles, bools;
    /// not bytes, arrays, lists or empty values), sorted, the first `limit`.
    ///
    /// Read in pages in ClickHouse's byte order and kept to the `limit` smallest in Swift's
    /// order, so memory stays bounded whatever the number of distinct values.
    public func attributeValues(scope: AttributeScope, key: String, timeRange: TimeRange?, limit: Int) async throws(StorageError) -> [String] {
        if limit <= 0 { return [] }
        let prefix = Self.prefix(scope)
        let position = "indexOf(\(prefix)_keys, \(ClickHouseSQL.literal(key)))"
        let text = "\(prefix)_values[\(position)]"
        let scalar = "\(position) > 0 AND \(prefix)_types[\(position)] IN (1, 2, 3, 4)"
        let time = Self.startCondition(timeRange ?? .all)
        var kept: [String] = []
        var cursor: [UInt8]?
        while true {
            let after = cursor.map { "value > \(ClickHouseSQL.literal(bytes: $0))" }
            let answer = try await query("""
                SELECT DISTINCT \(text) AS value FROM \(spansTable)
                WHERE \(Self.whereClause([time, scalar, after]))
                ORDER BY value LIMIT \(paging.valuesPage) FORMAT RowBinary
                """)
            var reader = RowBinaryReader(answer, what: "attribute values")
            var page: [String] = []
            while !reader.isAtEnd {
                let bytes = try reader.stringBytes("value")
                cursor = Array(bytes)
                page.append(String(decoding: bytes, as: UTF8.self))
            }
            kept = Array(Set(kept + page).sorted().prefix(limit))
            if page.count < paging.valuesPage { break }
        }
        return kept
    }

    static func prefix(_ scope: AttributeScope) -> String {
        scope == .span ? "attribute" : "resource_attribute"
    }

    /// The single `String` column of every row.
    static func strings(_ answer: [UInt8], _ what: String) throws(StorageError) -> [String] {
        var reader = RowBinaryReader(answer, what: what)
        var out: [String] = []
        while !reader.isAtEnd { out.append(try reader.string(what)) }
        return out
    }
}
