import SpindleModel

/// The read-only pass of a batch's redaction: does anything in it need redacting?
///
/// Hot path: most batches hold nothing to redact, and this pass is all they cost. It
/// reads the tables and the arena in place (unsafe buffers, so no array is retained per
/// row), allocates nothing, and stops at the first thing to redact. It runs through
/// each flat table once rather than from owner to owner: every row of a table is checked,
/// which is every row the rewrite reaches (decoders leave no row without an owner).
/// Its decisions are ``BatchRewrite``'s, made by the same ``RedactionRules`` calls, so a
/// batch it passes is a batch the rewrite would leave unchanged.
struct BatchScan {
    private let rules: RedactionRules
    private let tables: SpanTables
    private let arena: UnsafeRawBufferPointer

    /// True when some string in a place redaction covers would change.
    static func needsRedaction(_ tables: SpanTables, rules: RedactionRules) -> Bool {
        tables.arena.withUnsafeBytes { arena in
            BatchScan(rules: rules, tables: tables, arena: arena).needsRedaction()
        }
    }

    private init(rules: RedactionRules, tables: SpanTables, arena: UnsafeRawBufferPointer) {
        self.rules = rules
        self.tables = tables
        self.arena = arena
    }

    private func needsRedaction() -> Bool {
        if needs(tables.spanAttributes) || needs(tables.eventAttributes) || needs(tables.linkAttributes)
            || needs(tables.resourceAttributes) || needs(tables.scopeAttributes)
        {
            return true
        }
        let spansNeed = tables.spans.withUnsafeBufferPointer { spans in
            spans.contains { rules.hasMatch(in: bytes($0.name)) || rules.hasMatch(in: bytes($0.statusMessage)) }
        }
        if spansNeed { return true }
        return tables.events.withUnsafeBufferPointer { events in
            events.contains { rules.hasMatch(in: bytes($0.name)) }
        }
    }

    private func bytes(_ ref: ByteRef) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: arena[ref.range])
    }

    /// Every row of a top-level attribute table.
    private func needs(_ table: [AttributeSlot]) -> Bool {
        table.withUnsafeBufferPointer { slots in
            slots.contains { needs($0, underSecretKey: false, depth: 0) }
        }
    }

    private func needs(_ slot: AttributeSlot, underSecretKey: Bool, depth: Int) -> Bool {
        let key = bytes(slot.key)
        if rules.isAllowed(key) { return false }
        return needs(slot.value, underSecretKey: underSecretKey || rules.keyNamesSecret(key), depth: depth)
    }

    private func needs(_ value: ValueSlot, underSecretKey: Bool, depth: Int) -> Bool {
        switch value.kind {
        case .string:
            let text = bytes(value.byteRef)
            return underSecretKey ? !text.isAlreadyRedacted(0..<text.count) : rules.hasMatch(in: text)
        case .bytes:
            return underSecretKey
        case .array:
            guard depth < SpanTables.maxStoredNesting else { return false }
            return value.tableRange.indices.contains { needs(tables.nestedValues[$0], underSecretKey: underSecretKey, depth: depth + 1) }
        case .keyValueList:
            guard depth < SpanTables.maxStoredNesting else { return false }
            return value.tableRange.indices.contains { needs(tables.nestedAttributes[$0], underSecretKey: underSecretKey, depth: depth + 1) }
        case .empty, .bool, .int, .double:
            return false
        }
    }
}
