import SpindleModel

// Reading fields of one span, and evaluating field expressions on it.

/// Which event and link a field expression is evaluated against (nil: not bound).
struct Binding {
    var event: Int?
    var link: Int?

    static let none = Binding(event: nil, link: nil)
}

extension Evaluator {
    // MARK: Fields

    /// The value of `field` on span `index`. Event and link fields read the bound event
    /// or link; unbound, the first event or link that has the field.
    func value(of field: Field, span index: Int, _ binding: Binding) -> Value? {
        let tables = view.tables
        let row = tables.spans[index]
        switch field {
        case .intrinsic(let intrinsic):
            return intrinsicValue(intrinsic.meaning, span: index, row: row, binding)
        case .attribute(let scope, let key):
            switch scope {
            case .span:
                return slotValue(view.firstSlot(named: key, in: row.attributes, of: tables.spanAttributes))
            case .resource:
                let resource = view.resourceIndex(ofSpan: index)
                return slotValue(view.firstSlot(named: key, in: tables.resources[resource].attributes, of: tables.resourceAttributes))
            case .any:
                return value(of: .attribute(.span, key), span: index, binding) ?? value(of: .attribute(.resource, key), span: index, binding)
            case .instrumentation:
                let scope = tables.scopes[Int(row.scopeIndex)]
                return slotValue(view.firstSlot(named: key, in: scope.attributes, of: tables.scopeAttributes))
            case .event:
                if let event = binding.event {
                    return slotValue(view.firstSlot(named: key, in: tables.events[event].attributes, of: tables.eventAttributes))
                }
                for event in row.events.indices {
                    if let slot = view.firstSlot(named: key, in: tables.events[event].attributes, of: tables.eventAttributes) { return slotValue(slot) }
                }
                return nil
            case .link:
                if let link = binding.link {
                    return slotValue(view.firstSlot(named: key, in: tables.links[link].attributes, of: tables.linkAttributes))
                }
                for link in row.links.indices {
                    if let slot = view.firstSlot(named: key, in: tables.links[link].attributes, of: tables.linkAttributes) { return slotValue(slot) }
                }
                return nil
            case .parent:
                // Refused before evaluation (``QueryRoot/unsupportedPart``).
                return nil
            }
        }
    }

    private func slotValue(_ slot: ValueSlot?) -> Value? {
        guard let slot else { return nil }
        let tables = view.tables
        switch slot.kind {
        case .string: return .string(tables.string(slot.byteRef))
        case .int: return .int(slot.intValue)
        case .double: return .float(slot.doubleValue)
        case .bool: return .bool(slot.boolValue)
        case .bytes, .array, .keyValueList, .empty: return .other(tables.value(slot))
        }
    }

    private func intrinsicValue(_ meaning: Intrinsic.Meaning, span index: Int, row: SpanRow, _ binding: Binding) -> Value? {
        let tables = view.tables
        switch meaning {
        case .spanName: return .string(tables.string(row.name))
        case .spanDuration: return .duration(Int64(clamping: view.durationNanos(ofSpan: index)))
        case .spanStatus: return .status(row.statusCode)
        case .spanStatusMessage: return .string(tables.string(row.statusMessage))
        case .spanKind: return .kind(row.kind)
        case .spanID: return .string(row.spanID.hexString)
        case .spanParentID: return row.parentSpanID.isValid ? .string(row.parentSpanID.hexString) : nil
        case .spanChildCount: return .int(Int64(view.children(of: index).count))
        case .traceDuration: return .duration(view.traceDuration)
        case .traceRootName: return view.root.map { .string(tables.string(tables.spans[$0].name)) }
        case .traceRootService: return view.root.flatMap { view.service(ofSpan: $0) }.map { .string($0) }
        case .traceID: return .string(row.traceID.hexString)
        case .eventName:
            guard let event = binding.event ?? row.events.indices.first else { return nil }
            return .string(tables.string(tables.events[event].name))
        case .eventTimeSinceStart:
            guard let event = binding.event ?? row.events.indices.first else { return nil }
            let time = tables.events[event].timeUnixNano
            let start = row.startTimeUnixNano
            return .duration(time >= start ? Int64(clamping: time - start) : -Int64(clamping: start - time))
        case .linkTraceID:
            guard let link = binding.link ?? row.links.indices.first else { return nil }
            return .string(tables.links[link].traceID.hexString)
        case .linkSpanID:
            guard let link = binding.link ?? row.links.indices.first else { return nil }
            return .string(tables.links[link].spanID.hexString)
        case .instrumentationName: return .string(tables.string(tables.scopes[Int(row.scopeIndex)].name))
        case .instrumentationVersion: return .string(tables.string(tables.scopes[Int(row.scopeIndex)].version))
        }
    }

    // MARK: Expressions

    /// The value of `expression` on span `index`; conditions give booleans.
    func value(_ expression: FieldExpression, span index: Int, _ binding: Binding) -> Value? {
        switch expression {
        case .literal(let literal): Value(literal)
        case .field(let field): value(of: field, span: index, binding)
        case .arithmetic(let op, let lhs, let rhs):
            Value.arithmetic(op, value(lhs, span: index, binding), value(rhs, span: index, binding))
        case .negate(let operand): Value.negate(value(operand, span: index, binding))
        case .comparison, .match, .and, .or, .not: .bool(holds(expression, span: index, binding))
        }
    }

    /// Whether `expression` holds for span `index`.
    ///
    /// A comparison that reads event (or link) fields holds when it holds for at least
    /// one of the span's events (links); each comparison is checked on its own, so
    /// `event.a = 1 && event.b = 2` may be satisfied by two different events. A span
    /// without events is checked once, with event fields absent.
    func holds(_ expression: FieldExpression, span index: Int, _ binding: Binding) -> Bool {
        switch expression {
        case .and(let operands): return operands.allSatisfy { holds($0, span: index, binding) }
        case .or(let operands): return operands.contains { holds($0, span: index, binding) }
        case .not(let operand): return !holds(operand, span: index, binding)
        default: break
        }
        let row = view.tables.spans[index]
        if binding.event == nil, !row.events.indices.isEmpty, expression.reads(where: \.isEventLevel) {
            return row.events.indices.contains { event in
                holds(expression, span: index, Binding(event: event, link: binding.link))
            }
        }
        if binding.link == nil, !row.links.indices.isEmpty, expression.reads(where: \.isLinkLevel) {
            return row.links.indices.contains { link in
                holds(expression, span: index, Binding(event: binding.event, link: link))
            }
        }
        return atomHolds(expression, span: index, binding)
    }

    private func atomHolds(_ expression: FieldExpression, span index: Int, _ binding: Binding) -> Bool {
        switch expression {
        case .comparison(let op, .field(let field), .literal(.string(let text))) where op == .equal || op == .notEqual,
             .comparison(let op, .literal(.string(let text)), .field(let field)) where op == .equal || op == .notEqual:
            // The commonest condition, answered on the arena bytes without building strings.
            switch stringSlot(of: field, span: index) {
            case .absent?, .notString?: return false
            case .string(let bytes)?: return view.tables.equals(bytes, text) == (op == .equal)
            case nil: return Value.compare(op, value(of: field, span: index, binding), .string(text))
            }
        case .comparison(let op, let lhs, let rhs):
            // `x = nil` tests absence, `x != nil` presence; other operators with nil are false.
            if case .literal(.nil) = rhs { return Self.nilTest(op, value(lhs, span: index, binding)) }
            if case .literal(.nil) = lhs { return Self.nilTest(op, value(rhs, span: index, binding)) }
            return Value.compare(op, value(lhs, span: index, binding), value(rhs, span: index, binding))
        case .match(let operand, let regex, let negated):
            guard case .string(let text)? = value(operand, span: index, binding) else { return false }
            return regexes[regex.index].matches(text) != negated
        default:
            if case .bool(true)? = value(expression, span: index, binding) { return true }
            return false
        }
    }

    private enum StringSlot {
        case absent
        case notString
        case string(ByteRef)
    }

    /// Where the string value of `field` lies in the arena, for fields read straight
    /// from span, resource or scope rows; nil for other fields.
    private func stringSlot(of field: Field, span index: Int) -> StringSlot? {
        let tables = view.tables
        let row = tables.spans[index]
        let slot: ValueSlot?
        switch field {
        case .intrinsic(let intrinsic):
            switch intrinsic.meaning {
            case .spanName: return .string(row.name)
            case .spanStatusMessage: return .string(row.statusMessage)
            default: return nil
            }
        case .attribute(.span, let key):
            slot = view.firstSlot(named: key, in: row.attributes, of: tables.spanAttributes)
        case .attribute(.resource, let key):
            slot = view.firstSlot(named: key, in: tables.resources[view.resourceIndex(ofSpan: index)].attributes, of: tables.resourceAttributes)
        case .attribute(.any, let key):
            slot = view.firstSlot(named: key, in: row.attributes, of: tables.spanAttributes)
                ?? view.firstSlot(named: key, in: tables.resources[view.resourceIndex(ofSpan: index)].attributes, of: tables.resourceAttributes)
        case .attribute(.instrumentation, let key):
            slot = view.firstSlot(named: key, in: tables.scopes[Int(row.scopeIndex)].attributes, of: tables.scopeAttributes)
        case .attribute:
            return nil
        }
        guard let slot else { return .absent }
        return slot.kind == .string ? .string(slot.byteRef) : .notString
    }

    private static func nilTest(_ op: ComparisonOperator, _ value: Value?) -> Bool {
        switch op {
        case .equal: value == nil
        case .notEqual: value != nil
        default: false
        }
    }
}
