extension SpanTables {
    /// A broken invariant of ``SpanTables``.
    public struct InvariantViolation: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// Checks every invariant listed on ``SpanTables`` except UTF-8 validity; throws the
    /// first violation. Decoders keep these by construction; tests and fuzzers call this
    /// to prove it.
    public func validate() throws(InvariantViolation) {
        func check(_ condition: Bool, _ message: @autoclosure () -> String) throws(InvariantViolation) {
            if !condition { throw InvariantViolation(description: message()) }
        }
        func checkRef(_ ref: ByteRef, _ what: String) throws(InvariantViolation) {
            try check(Int(ref.offset) + Int(ref.count) <= arena.count || ref.count == 0, "\(what) \(ref) lies outside the arena (\(arena.count) bytes)")
        }
        func checkRange(_ range: TableRange, _ count: Int, _ what: String) throws(InvariantViolation) {
            try check(range.indices.upperBound <= count, "\(what) \(range) lies outside its table (\(count) rows)")
        }
        func checkValue(_ slot: ValueSlot, _ what: String) throws(InvariantViolation) {
            switch slot.kind {
            case .string, .bytes: try checkRef(slot.byteRef, what)
            case .array: try checkRange(slot.tableRange, nestedValues.count, what)
            case .keyValueList: try checkRange(slot.tableRange, nestedAttributes.count, what)
            default: break
            }
        }
        func checkAttributes(_ range: TableRange, _ table: [AttributeSlot], _ what: String) throws(InvariantViolation) {
            try checkRange(range, table.count, what)
        }
        for (name, table) in [
            ("resource attribute", resourceAttributes), ("scope attribute", scopeAttributes),
            ("span attribute", spanAttributes), ("event attribute", eventAttributes),
            ("link attribute", linkAttributes), ("nested attribute", nestedAttributes),
        ] {
            for slot in table {
                try checkRef(slot.key, "\(name) key")
                try checkValue(slot.value, "\(name) value")
            }
        }
        for slot in nestedValues { try checkValue(slot, "array element") }
        var nextScope = 0
        for (index, resource) in resources.enumerated() {
            try check(Int(resource.scopes.start) == nextScope, "resource \(index) scopes start at \(resource.scopes.start), expected \(nextScope)")
            nextScope += Int(resource.scopes.count)
            try checkAttributes(resource.attributes, resourceAttributes, "resource \(index) attributes")
            try checkRef(resource.schemaURL, "resource \(index) schema URL")
        }
        try check(nextScope == scopes.count, "resources cover \(nextScope) scopes of \(scopes.count)")
        var nextSpan = 0
        for (index, scope) in scopes.enumerated() {
            try check(Int(scope.spans.start) == nextSpan, "scope \(index) spans start at \(scope.spans.start), expected \(nextSpan)")
            nextSpan += Int(scope.spans.count)
            try check(Int(scope.resourceIndex) < resources.count && resources[Int(scope.resourceIndex)].scopes.indices.contains(index), "scope \(index) names resource \(scope.resourceIndex), which does not hold it")
            try checkAttributes(scope.attributes, scopeAttributes, "scope \(index) attributes")
            for ref in [scope.name, scope.version, scope.schemaURL] { try checkRef(ref, "scope \(index) string") }
        }
        try check(nextSpan == spans.count, "scopes cover \(nextSpan) spans of \(spans.count)")
        for (index, span) in spans.enumerated() {
            try check(Int(span.scopeIndex) < scopes.count && scopes[Int(span.scopeIndex)].spans.indices.contains(index), "span \(index) names scope \(span.scopeIndex), which does not hold it")
            for ref in [span.traceState, span.name, span.statusMessage] { try checkRef(ref, "span \(index) string") }
            try checkAttributes(span.attributes, spanAttributes, "span \(index) attributes")
            try checkRange(span.events, events.count, "span \(index) events")
            try checkRange(span.links, links.count, "span \(index) links")
        }
        for (index, event) in events.enumerated() {
            try checkRef(event.name, "event \(index) name")
            try checkAttributes(event.attributes, eventAttributes, "event \(index) attributes")
        }
        for (index, link) in links.enumerated() {
            try checkRef(link.traceState, "link \(index) trace state")
            try checkAttributes(link.attributes, linkAttributes, "link \(index) attributes")
        }
    }
}
