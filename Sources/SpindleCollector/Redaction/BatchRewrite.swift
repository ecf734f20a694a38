import SpindleModel

/// The rewriting pass of a batch's redaction, run only when ``BatchScan`` found something:
/// the batch is copied into fresh tables, group by group, with every redaction applied
/// and counted.
///
/// Copying (rather than appending masks to the old arena and repointing) costs one pass
/// over the batch's bytes, about what appending would cost anyway since the arena is
/// shared with the request, and it leaves no byte of a secret behind in the new arena:
/// storage that keeps whole arenas (the memory store) never holds one.
struct BatchRewrite {
    private let rules: RedactionRules
    private let source: SpanTables
    private let arena: UnsafeRawBufferPointer
    private(set) var tables = SpanTables()
    private(set) var counts: RedactionCounts

    /// The tables of `batch` with every redaction applied, and the counts.
    static func rewrite(_ source: SpanTables, rules: RedactionRules) -> (SpanTables, RedactionCounts) {
        source.arena.withUnsafeBytes { arena in
            var rewrite = BatchRewrite(rules: rules, source: source, arena: arena)
            rewrite.copyAll()
            return (rewrite.tables, rewrite.counts)
        }
    }

    private init(rules: RedactionRules, source: SpanTables, arena: UnsafeRawBufferPointer) {
        self.rules = rules
        self.source = source
        self.arena = arena
        counts = RedactionCounts(ruleNames: rules.names)
        // The copy is about as large as the source: growing each table once, up front,
        // saves the reallocations of appending row by row.
        tables.arena.reserveCapacity(source.arena.count)
        tables.resources.reserveCapacity(source.resources.count)
        tables.scopes.reserveCapacity(source.scopes.count)
        tables.spans.reserveCapacity(source.spans.count)
        tables.events.reserveCapacity(source.events.count)
        tables.links.reserveCapacity(source.links.count)
        tables.resourceAttributes.reserveCapacity(source.resourceAttributes.count)
        tables.scopeAttributes.reserveCapacity(source.scopeAttributes.count)
        tables.spanAttributes.reserveCapacity(source.spanAttributes.count)
        tables.eventAttributes.reserveCapacity(source.eventAttributes.count)
        tables.linkAttributes.reserveCapacity(source.linkAttributes.count)
        tables.nestedValues.reserveCapacity(source.nestedValues.count)
        tables.nestedAttributes.reserveCapacity(source.nestedAttributes.count)
    }

    private mutating func copyAll() {
        for sourceResource in source.resources {
            var resource = sourceResource
            resource.attributes = copyAttributes(sourceResource.attributes, of: source.resourceAttributes, into: .resource)
            resource.schemaURL = copy(sourceResource.schemaURL)
            resource.scopes = TableRange(start: UInt32(tables.scopes.count), count: sourceResource.scopes.count)
            let resourceIndex = UInt32(tables.resources.count)
            tables.resources.append(resource)
            for scopeIndex in sourceResource.scopes.indices {
                let sourceScope = source.scopes[scopeIndex]
                var scope = sourceScope
                scope.resourceIndex = resourceIndex
                scope.name = copy(sourceScope.name)
                scope.version = copy(sourceScope.version)
                scope.attributes = copyAttributes(sourceScope.attributes, of: source.scopeAttributes, into: .scope)
                scope.schemaURL = copy(sourceScope.schemaURL)
                scope.spans = TableRange(start: UInt32(tables.spans.count), count: sourceScope.spans.count)
                let newScopeIndex = UInt32(tables.scopes.count)
                tables.scopes.append(scope)
                for spanIndex in sourceScope.spans.indices {
                    copySpan(source.spans[spanIndex], scopeIndex: newScopeIndex)
                }
            }
        }
    }

    private mutating func copySpan(_ sourceSpan: SpanRow, scopeIndex: UInt32) {
        var span = sourceSpan
        span.scopeIndex = scopeIndex
        span.traceState = copy(sourceSpan.traceState)
        span.name = redactText(sourceSpan.name, place: .spanName)
        span.statusMessage = redactText(sourceSpan.statusMessage, place: .statusMessage)
        span.attributes = copyAttributes(sourceSpan.attributes, of: source.spanAttributes, into: .span)
        // Event and link rows stay contiguous: their attributes go to other tables.
        span.events = TableRange(start: UInt32(tables.events.count), count: sourceSpan.events.count)
        for eventIndex in sourceSpan.events.indices {
            var event = source.events[eventIndex]
            event.name = redactText(event.name, place: .eventName)
            event.attributes = copyAttributes(event.attributes, of: source.eventAttributes, into: .event)
            tables.events.append(event)
        }
        span.links = TableRange(start: UInt32(tables.links.count), count: sourceSpan.links.count)
        for linkIndex in sourceSpan.links.indices {
            var link = source.links[linkIndex]
            link.traceState = copy(link.traceState)
            link.attributes = copyAttributes(link.attributes, of: source.linkAttributes, into: .link)
            tables.links.append(link)
        }
        tables.spans.append(span)
    }

    // MARK: Strings

    private func bytes(_ ref: ByteRef) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: arena[ref.range])
    }

    private mutating func copy(_ ref: ByteRef) -> ByteRef {
        if ref.count == 0 { return .empty }
        let offset = UInt32(tables.arena.count)
        tables.arena.append(contentsOf: bytes(ref))
        return ByteRef(offset: offset, count: ref.count)
    }

    /// Appends what `write` writes to the arena; its ref.
    private mutating func appendString(_ write: (inout [UInt8]) -> Void) -> ByteRef {
        let offset = tables.arena.count
        write(&tables.arena)
        return ByteRef(offset: UInt32(offset), count: UInt32(tables.arena.count - offset))
    }

    /// A span name, event name or status message: value rules only, and `drop` masks.
    private mutating func redactText(_ ref: ByteRef, place: RedactionPlace) -> ByteRef {
        let text = bytes(ref)
        let matches = rules.matches(in: text)
        if matches.isEmpty { return copy(ref) }
        for match in matches.matches { counts.add(rule: match.rule, place: place) }
        let rules = self.rules
        return appendString { rules.rewrite(text, matches, into: &$0) }
    }

    // MARK: Attributes

    /// What happened inside one top-level attribute's value.
    private struct AttributeEffect {
        /// Rules that redacted something, one entry per redaction.
        var redactions: [Int] = []
        /// The first rule that drops the attribute.
        var droppedBy: Int?
        /// String leaves masked by a secret key.
        var maskedBySecretKey = 0
    }

    private mutating func copyAttributes(
        _ range: TableRange,
        of sourceTable: [AttributeSlot],
        into table: AttributeTable
    ) -> TableRange {
        if range.count == 0 { return .empty }
        // Rows go straight into `table`: a top-level list's nested values go to the nested
        // tables, never to it, so its rows stay contiguous.
        let place = table.place
        let start = UInt32(rowCount(of: table))
        for index in range.indices {
            let arenaMark = tables.arena.count
            let valuesMark = tables.nestedValues.count
            let attributesMark = tables.nestedAttributes.count
            var effect = AttributeEffect()
            let slot = rewriteEntry(sourceTable[index], underSecretKey: false, depth: 0, effect: &effect)
            if let rule = effect.droppedBy {
                // Whatever the value's copy appended goes again with it.
                tables.arena.removeSubrange(arenaMark...)
                tables.nestedValues.removeSubrange(valuesMark...)
                tables.nestedAttributes.removeSubrange(attributesMark...)
                counts.add(rule: rule, place: place)
                continue
            }
            for rule in effect.redactions { counts.add(rule: rule, place: place) }
            append(slot, to: table)
        }
        return TableRange(start: start, count: UInt32(rowCount(of: table)) - start)
    }

    /// The top-level attribute tables. A switch over them rather than key paths: key path
    /// projection costs more than the append.
    private enum AttributeTable {
        case resource, scope, span, event, link

        var place: RedactionPlace {
            switch self {
            case .resource: .resourceAttribute
            case .scope: .scopeAttribute
            case .span: .spanAttribute
            case .event: .eventAttribute
            case .link: .linkAttribute
            }
        }
    }

    private func rowCount(of table: AttributeTable) -> Int {
        switch table {
        case .resource: tables.resourceAttributes.count
        case .scope: tables.scopeAttributes.count
        case .span: tables.spanAttributes.count
        case .event: tables.eventAttributes.count
        case .link: tables.linkAttributes.count
        }
    }

    private mutating func append(_ slot: AttributeSlot, to table: AttributeTable) {
        switch table {
        case .resource: tables.resourceAttributes.append(slot)
        case .scope: tables.scopeAttributes.append(slot)
        case .span: tables.spanAttributes.append(slot)
        case .event: tables.eventAttributes.append(slot)
        case .link: tables.linkAttributes.append(slot)
        }
    }

    /// One key and value, at any depth.
    private mutating func rewriteEntry(_ slot: AttributeSlot, underSecretKey: Bool, depth: Int, effect: inout AttributeEffect) -> AttributeSlot {
        let key = bytes(slot.key)
        if rules.isAllowed(key) {
            return AttributeSlot(key: copy(slot.key), value: copyValue(slot.value))
        }
        let startsSecret = !underSecretKey && rules.keyNamesSecret(key)
        let maskedBefore = effect.maskedBySecretKey
        let value = rewriteValue(slot.value, underSecretKey: underSecretKey || startsSecret, depth: depth, effect: &effect)
        if startsSecret, effect.maskedBySecretKey > maskedBefore {
            // One redaction per key that names a secret, however many strings it holds.
            if rules.actions[RedactionRule.secretKey.index] == .drop {
                effect.droppedBy = effect.droppedBy ?? RedactionRule.secretKey.index
            }
            effect.redactions.append(RedactionRule.secretKey.index)
        }
        return AttributeSlot(key: copy(slot.key), value: value)
    }

    private mutating func rewriteValue(_ value: ValueSlot, underSecretKey: Bool, depth: Int, effect: inout AttributeEffect) -> ValueSlot {
        switch value.kind {
        case .empty, .bool, .int, .double:
            return value
        case .string, .bytes:
            let text = bytes(value.byteRef)
            let rules = self.rules
            if underSecretKey {
                if value.kind == .string, text.isAlreadyRedacted(0..<text.count) { return .string(copy(value.byteRef)) }
                effect.maskedBySecretKey += 1
                return .string(appendString { rules.appendMarker(rule: RedactionRule.secretKey.index, secret: text, to: &$0) })
            }
            guard value.kind == .string else { return .bytes(copy(value.byteRef)) }
            let matches = rules.matches(in: text)
            if matches.isEmpty { return .string(copy(value.byteRef)) }
            if let rule = rules.drops(matches) { effect.droppedBy = effect.droppedBy ?? rule }
            effect.redactions.append(contentsOf: matches.matches.map(\.rule))
            return .string(appendString { rules.rewrite(text, matches, into: &$0) })
        case .array:
            // Values nested deeper than storage allows are copied as they are: validation
            // rejects their spans right after.
            guard depth < SpanTables.maxStoredNesting else { return copyValue(value) }
            let elements = value.tableRange.indices.map { index in
                rewriteValue(source.nestedValues[index], underSecretKey: underSecretKey, depth: depth + 1, effect: &effect)
            }
            let start = UInt32(tables.nestedValues.count)
            tables.nestedValues.append(contentsOf: elements)
            return .array(TableRange(start: start, count: UInt32(elements.count)))
        case .keyValueList:
            guard depth < SpanTables.maxStoredNesting else { return copyValue(value) }
            let entries = value.tableRange.indices.map { index in
                rewriteEntry(source.nestedAttributes[index], underSecretKey: underSecretKey, depth: depth + 1, effect: &effect)
            }
            let start = UInt32(tables.nestedAttributes.count)
            tables.nestedAttributes.append(contentsOf: entries)
            return .keyValueList(TableRange(start: start, count: UInt32(entries.count)))
        }
    }

    /// A value copied as it is, nested values included.
    private mutating func copyValue(_ value: ValueSlot) -> ValueSlot {
        switch value.kind {
        case .empty, .bool, .int, .double:
            return value
        case .string:
            return .string(copy(value.byteRef))
        case .bytes:
            return .bytes(copy(value.byteRef))
        case .array:
            let elements = value.tableRange.indices.map { copyValue(source.nestedValues[$0]) }
            let start = UInt32(tables.nestedValues.count)
            tables.nestedValues.append(contentsOf: elements)
            return .array(TableRange(start: start, count: UInt32(elements.count)))
        case .keyValueList:
            let entries = value.tableRange.indices.map { index in
                AttributeSlot(key: copy(source.nestedAttributes[index].key), value: copyValue(source.nestedAttributes[index].value))
            }
            let start = UInt32(tables.nestedAttributes.count)
            tables.nestedAttributes.append(contentsOf: entries)
            return .keyValueList(TableRange(start: start, count: UInt32(entries.count)))
        }
    }
}
