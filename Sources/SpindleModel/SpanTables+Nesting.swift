extension SpanTables {
    /// The most levels of arrays and key-value lists a value may nest when stored:
    /// deeper values are refused at ingest (and by storage backends), so everything
    /// stored can be re-encoded and decoded again by every codec.
    public static let maxStoredNesting = 16

    /// How deeply the attribute values around span `index` nest — its own attributes,
    /// its events' and links', its resource's and scope's: 0 when every value is a
    /// scalar, one more per level of array or key-value list.
    public func valueNesting(ofSpanAt index: Int) -> Int {
        // The common case: no nested values anywhere in the batch.
        if nestedValues.isEmpty && nestedAttributes.isEmpty { return 0 }
        let row = spans[index]
        let scope = scopes[Int(row.scopeIndex)]
        var depth = max(nesting(row.attributes, spanAttributes), nesting(scope.attributes, scopeAttributes))
        depth = max(depth, nesting(resources[Int(scope.resourceIndex)].attributes, resourceAttributes))
        for event in row.events.indices { depth = max(depth, nesting(events[event].attributes, eventAttributes)) }
        for link in row.links.indices { depth = max(depth, nesting(links[link].attributes, linkAttributes)) }
        return depth
    }

    /// The deepest nesting in the batch (see ``valueNesting(ofSpanAt:)``).
    public var maxValueNesting: Int {
        if nestedValues.isEmpty && nestedAttributes.isEmpty { return 0 }
        return spans.indices.reduce(0) { max($0, valueNesting(ofSpanAt: $1)) }
    }

    private func nesting(_ range: TableRange, _ table: [AttributeSlot]) -> Int {
        var depth = 0
        for index in range.indices where index < table.count {
            depth = max(depth, nesting(table[index].value, level: 0))
        }
        return depth
    }

    /// Bounded by the tables' own validity: a range points into the nested tables, and a
    /// level deeper than the value count is impossible in valid tables, so recursion stops.
    private func nesting(_ value: ValueSlot, level: Int) -> Int {
        guard level <= nestedValues.count + nestedAttributes.count else { return level }
        switch value.kind {
        case .array:
            var depth = level + 1
            for index in value.tableRange.indices where index < nestedValues.count {
                depth = max(depth, nesting(nestedValues[index], level: level + 1))
            }
            return depth
        case .keyValueList:
            var depth = level + 1
            for index in value.tableRange.indices where index < nestedAttributes.count {
                depth = max(depth, nesting(nestedAttributes[index].value, level: level + 1))
            }
            return depth
        default:
            return level
        }
    }
}
