/// A ClickHouse server version, as `SELECT version()` reports it (`18.16.1`,
/// `23.8.2.7`): compared by its numbers, missing trailing numbers reading as 0.
public struct ClickHouseVersion: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var components: [Int]

    public init(_ components: Int...) { self.components = components }

    /// Parses dotted decimal numbers (at most 8); nil for anything else.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard !parts.isEmpty, parts.count <= 8 else { return nil }
        var components: [Int] = []
        for part in parts {
            guard part.count <= 9, !part.isEmpty, part.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(part) else { return nil }
            components.append(value)
        }
        self.components = components
    }

    public var description: String { components.map(String.init).joined(separator: ".") }

    public static func < (lhs: ClickHouseVersion, rhs: ClickHouseVersion) -> Bool {
        for index in 0..<max(lhs.components.count, rhs.components.count) {
            let left = index < lhs.components.count ? lhs.components[index] : 0
            let right = index < rhs.components.count ? rhs.components[index] : 0
            if left != right { return left < right }
        }
        return false
    }

    public static func == (lhs: ClickHouseVersion, rhs: ClickHouseVersion) -> Bool {
        !(lhs < rhs) && !(rhs < lhs)
    }

    public func hash(into hasher: inout Hasher) {
        var trimmed = components
        while trimmed.last == 0 { trimmed.removeLast() }
        hasher.combine(trimmed)
    }
}

/// What a ClickHouse server can do, decided from its version (the release in which each
/// feature became usable without an experimental setting), never assumed.
///
/// Debian's `clickhouse-server` 18.16 has none of these; Spindle's schema works without
/// them and uses them where the server has them.
public struct ClickHouseFeatures: Hashable, Sendable {
    public var version: ClickHouseVersion

    public init(version: ClickHouseVersion) { self.version = version }

    /// `{name:Type}` placeholders with `param_name` values over HTTP (19.11).
    public var queryParameters: Bool { version >= ClickHouseVersion(19, 11) }
    /// Table and column `TTL` clauses (19.6).
    public var ttl: Bool { version >= ClickHouseVersion(19, 6) }
    /// Per-column compression `CODEC(...)` (19.1).
    public var columnCodecs: Bool { version >= ClickHouseVersion(19, 1) }
    /// `LowCardinality(String)` without `allow_experimental_low_cardinality_type` (19.3).
    public var lowCardinality: Bool { version >= ClickHouseVersion(19, 3) }
    /// `DateTime64` (20.1).
    public var dateTime64: Bool { version >= ClickHouseVersion(20, 1) }
    /// Data-skipping indexes (`INDEX ... TYPE bloom_filter`) without an experimental
    /// setting (20.1).
    public var skippingIndexes: Bool { version >= ClickHouseVersion(20, 1) }
    /// The `Map` type without an experimental setting (21.8).
    public var mapType: Bool { version >= ClickHouseVersion(21, 8) }
}
