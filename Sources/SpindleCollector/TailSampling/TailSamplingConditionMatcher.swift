import SpindleModel

/// A ``TailSamplingPolicy/AttributeCondition`` prepared for matching attribute slots in
/// place, comparing arena bytes without creating strings.
///
/// Hot path (every attribute of every span of a trace, per condition): keys and values
/// are kept as UTF-8 bytes, so a comparison is a length check and, only when lengths
/// agree, a byte comparison.
struct TailSamplingConditionMatcher: Sendable {
    private enum Test: Sendable {
        case exists
        case equals([UInt8])
        /// Short lists are compared one by one; long ones through a set.
        case oneOfList([[UInt8]])
        case oneOfSet(Set<String>)
        case hasPrefix([UInt8])
        case numberIn(ClosedRange<Double>)
        case bool(Bool)
    }

    /// Lists longer than this are matched through a `Set` (one string created per value tested).
    private static let longListCount = 8

    private let key: [UInt8]
    private let test: Test
    let searchesSpans: Bool
    let searchesResources: Bool

    init(_ condition: TailSamplingPolicy.AttributeCondition) {
        key = Array(condition.key.utf8)
        switch condition.match {
        case .exists: test = .exists
        case .equals(let value): test = .equals(Array(value.utf8))
        case .oneOf(let values): test = values.count > Self.longListCount ? .oneOfSet(Set(values)) : .oneOfList(values.map { Array($0.utf8) })
        case .hasPrefix(let prefix): test = .hasPrefix(Array(prefix.utf8))
        case .numberIn(let range): test = .numberIn(range)
        case .bool(let value): test = .bool(value)
        }
        searchesSpans = condition.places != .resource
        searchesResources = condition.places != .span
    }

    /// True when an attribute at `range` of `table` is named ``key`` and its value passes.
    func matches(_ range: TableRange, of table: [AttributeSlot], in tables: SpanTables) -> Bool {
        for index in range.indices {
            let slot = table[index]
            if Self.equal(slot.key, key, in: tables), passes(slot.value, in: tables) { return true }
        }
        return false
    }

    private func passes(_ value: ValueSlot, in tables: SpanTables) -> Bool {
        switch test {
        case .exists:
            return true
        case .equals(let expected):
            return value.kind == .string && Self.equal(value.byteRef, expected, in: tables)
        case .oneOfList(let values):
            guard value.kind == .string else { return false }
            return values.contains { Self.equal(value.byteRef, $0, in: tables) }
        case .oneOfSet(let values):
            return value.kind == .string && values.contains(tables.string(value.byteRef))
        case .hasPrefix(let prefix):
            guard value.kind == .string, value.byteRef.count >= prefix.count else { return false }
            return tables.withBytes(value.byteRef) { bytes in bytes.prefix(prefix.count).elementsEqual(prefix) }
        case .numberIn(let range):
            switch value.kind {
            case .int: return range.contains(Double(value.intValue))
            case .double: return range.contains(value.doubleValue)
            default: return false
            }
        case .bool(let expected):
            return value.kind == .bool && value.boolValue == expected
        }
    }

    private static func equal(_ ref: ByteRef, _ bytes: [UInt8], in tables: SpanTables) -> Bool {
        guard Int(ref.count) == bytes.count else { return false }
        return tables.withBytes(ref) { arena in bytes.withUnsafeBytes { arena.elementsEqual($0) } }
    }
}
