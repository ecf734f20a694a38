import SpindleModel

// Reading attributes straight from a batch's tables, without building plain values.

extension InMemoryTraceStore {
    /// The value of the first attribute named `key` among rows `range` of `table`; a
    /// list with the key twice (which OTLP forbids) answers with the first, like
    /// `[Attribute]`'s subscript.
    static func firstValue(named key: String, in range: TableRange, of table: [AttributeSlot], tables: SpanTables) -> ValueSlot? {
        for index in range.indices where tables.equals(table[index].key, key) {
            return table[index].value
        }
        return nil
    }

    /// The index of the resource that produced span row `span`.
    @inline(__always)
    static func resourceIndex(of span: SpanRow, in tables: SpanTables) -> Int {
        Int(tables.scopes[Int(span.scopeIndex)].resourceIndex)
    }

    /// The resource's `service.name` when it is a string; nil otherwise.
    static func serviceName(ofResource index: Int, in tables: SpanTables) -> String? {
        guard let slot = firstValue(named: "service.name", in: tables.resources[index].attributes, of: tables.resourceAttributes, tables: tables),
              slot.kind == .string
        else { return nil }
        return tables.string(slot.byteRef)
    }

    /// True when the resource's `service.name` is the string `name`.
    static func resource(_ index: Int, hasService name: String, in tables: SpanTables) -> Bool {
        guard let slot = firstValue(named: "service.name", in: tables.resources[index].attributes, of: tables.resourceAttributes, tables: tables),
              slot.kind == .string
        else { return false }
        return tables.equals(slot.byteRef, name)
    }

    /// A scalar value as autocomplete shows it: strings as they are, integers in
    /// decimal, doubles as Swift prints them (shortest text that reads back the same
    /// value: `0.5`, `200.0`, `1e-05`), bools as `true`/`false`. Nil for bytes, arrays,
    /// key-value lists and empty values, which autocomplete does not offer.
    static func text(of slot: ValueSlot, in tables: SpanTables) -> String? {
        switch slot.kind {
        case .string: tables.string(slot.byteRef)
        case .int: String(slot.intValue)
        case .double: slot.doubleValue.description
        case .bool: slot.boolValue ? "true" : "false"
        case .bytes, .array, .keyValueList, .empty: nil
        }
    }

    /// Rejects queries whose meaning is undefined.
    package static func validate(_ query: TraceQuery) throws(StorageError) {
        guard query.limit >= 1 else {
            throw StorageError(.invalidArgument, "search limit must be at least 1, got \(query.limit)")
        }
        for filter in query.attributes {
            if case .range(let min, let max) = filter.condition, min?.isNaN == true || max?.isNaN == true {
                throw StorageError(.invalidArgument, "range filter on \(filter.scope.rawValue) attribute '\(filter.key)' has a NaN bound; use nil for an open end")
            }
        }
    }
}

extension AttributeFilter {
    /// True when the attribute list at `range` of `table` satisfies this filter.
    func matches(_ range: TableRange, of table: [AttributeSlot], in tables: SpanTables) -> Bool {
        guard let slot = InMemoryTraceStore.firstValue(named: key, in: range, of: table, tables: tables) else { return false }
        switch condition {
        case .exists:
            return true
        case .equals(let value):
            return Self.slot(slot, equals: value, in: tables)
        case .range(let min, let max):
            switch slot.kind {
            case .int:
                let value = slot.intValue
                return (min.map { NumericComparison.int(value, isAtLeast: $0) } ?? true)
                    && (max.map { NumericComparison.int(value, isAtMost: $0) } ?? true)
            case .double:
                let value = slot.doubleValue
                return !value.isNaN && (min.map { value >= $0 } ?? true) && (max.map { value <= $0 } ?? true)
            default:
                return false
            }
        }
    }

    /// `equals` as ``AttributeFilter/Condition/equals(_:)`` documents it: strings exactly,
    /// ints and doubles numerically with each other (exactly, without rounding), bools,
    /// and other kinds by value.
    static func slot(_ slot: ValueSlot, equals value: AttributeValue, in tables: SpanTables) -> Bool {
        switch (value, slot.kind) {
        case (.string(let string), .string): tables.equals(slot.byteRef, string)
        case (.bool(let bool), .bool): slot.boolValue == bool
        case (.int(let int), .int): slot.intValue == int
        case (.int(let int), .double): Int64(exactly: slot.doubleValue) == int
        case (.double(let double), .double): slot.doubleValue == double
        case (.double(let double), .int): Int64(exactly: double) == slot.intValue
        case (.bytes(let bytes), .bytes): tables.withBytes(slot.byteRef) { $0.elementsEqual(bytes) }
        case (.empty, .empty): true
        case (.array, .array), (.keyValueList, .keyValueList): tables.value(slot) == value
        default: false
        }
    }
}

/// Exact comparisons of an integer with a double bound: converting the integer to a
/// double would round above 2^53 and let, say, 2^53 + 1 pass `<= 2^53`. Shared by every
/// backend that finishes numeric filters in Swift.
package enum NumericComparison {
    /// `value >= bound`, for a bound that is not NaN.
    package static func int(_ value: Int64, isAtLeast bound: Double) -> Bool {
        if bound <= -0x1p63 { return true }
        if bound >= 0x1p63 { return false }
        // In (-2^63, 2^63) the ceiling is an integer that fits: doubles this close to
        // 2^63 are already integers.
        return value >= Int64(bound.rounded(.up))
    }

    /// `value <= bound`, for a bound that is not NaN.
    package static func int(_ value: Int64, isAtMost bound: Double) -> Bool {
        if bound >= 0x1p63 { return true }
        if bound < -0x1p63 { return false }
        return value <= Int64(bound.rounded(.down))
    }
}
