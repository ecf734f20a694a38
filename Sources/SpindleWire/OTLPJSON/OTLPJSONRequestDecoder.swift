import SpindleModel

/// Decodes an `ExportTraceServiceRequest` in OTLP JSON straight into ``SpanTables`` whose
/// arena is the request text, the way ``OTLPRequestDecoder`` decodes protobuf.
///
/// Hot path: one pass over the text with a ``JSONScanner``, no tree and no String per key
/// or value. Each object's members are walked once and dispatched on their key's bytes; a
/// string without escapes is a range of the request (the arena), and only strings with
/// escapes and `bytesValue`s are decoded and appended after it. Rows are appended to the
/// flat tables as their messages end; nested `AnyValue` containers gather their children
/// on a stack first, so that each container's children stay contiguous whatever their
/// depth.
///
/// The mapping and every error (code, field path, offset, message) are those ``OTLPJSON``
/// documents: a message's fields are read in document order, a repeated key's last value
/// wins (an earlier one's rows are dropped where tables must stay contiguous), `null` is
/// the default, and with `malformedIDs: .decodeAsZero` an ID that would be `.invalidID`
/// is the all-zero ID. Malformed text is reported as ``JSONReader`` reports it
/// (``JSONDocument``).
struct OTLPJSONRequestDecoder {
    var scanner: JSONScanner
    var tables: SpanTables
    let malformedIDs: OTLPProtobuf.MalformedIDPolicy
    /// Children of the `AnyValue` arrays and key-value lists being read, innermost last.
    private var valueStack: [ValueSlot] = []
    private var attributeStack: [AttributeSlot] = []

    init(scanner: JSONScanner, arena: [UInt8], malformedIDs: OTLPProtobuf.MalformedIDPolicy) {
        self.scanner = scanner
        self.malformedIDs = malformedIDs
        tables = SpanTables(arena: arena)
        // Capacity guesses from the size of the request avoid most regrowth: a span with
        // ten attributes and two events takes about 1,300 bytes of JSON.
        let size = arena.count
        tables.spans.reserveCapacity(size / 1024 + 1)
        tables.spanAttributes.reserveCapacity(size / 96 + 1)
        tables.events.reserveCapacity(size / 512 + 1)
        tables.eventAttributes.reserveCapacity(size / 256 + 1)
    }

    // MARK: Messages

    mutating func decodeRequest() throws(WireError) {
        guard try beginMessage() else { return }
        repeat {
            if scanner.withKey({ $0.equals("resourceSpans") || $0.equals("resource_spans") }) {
                // A repeated field's last value wins.
                tables.resources.removeAll(keepingCapacity: true)
                tables.scopes.removeAll(keepingCapacity: true)
                tables.spans.removeAll(keepingCapacity: true)
                try forEachElement("resourceSpans") { decoder throws(WireError) in try decoder.decodeResourceSpans() }
            } else {
                try scanner.skipValue()
            }
        } while try scanner.nextMember()
    }

    private mutating func decodeResourceSpans() throws(WireError) {
        let resourceIndex = UInt32(tables.resources.count)
        let firstScope = tables.scopes.count
        let firstSpan = tables.spans.count
        var row = ResourceRow(scopes: TableRange(start: UInt32(firstScope), count: 0))
        if try beginMessage() {
            repeat {
                switch scanner.withKey(ResourceSpansField.init) {
                case .resource:
                    row.attributes = .empty
                    row.droppedAttributesCount = 0
                    do throws(WireError) {
                        if try beginNested() { try decodeResource(into: &row) }
                    } catch {
                        throw error.within("resource")
                    }
                case .scopeSpans:
                    tables.scopes.removeSubrange(firstScope...)
                    tables.spans.removeSubrange(firstSpan...)
                    try forEachElement("scopeSpans") { decoder throws(WireError) in try decoder.decodeScopeSpans(resourceIndex: resourceIndex) }
                case .schemaURL:
                    row.schemaURL = try string("schemaUrl")
                case .unknown:
                    try scanner.skipValue()
                }
            } while try scanner.nextMember()
        }
        row.scopes.count = UInt32(tables.scopes.count - firstScope)
        tables.resources.append(row)
    }

    /// The members of a `Resource`, after its opening brace.
    private mutating func decodeResource(into row: inout ResourceRow) throws(WireError) {
        repeat {
            switch scanner.withKey(AttributesOwnerField.init) {
            case .attributes: row.attributes = try attributes("attributes", into: .resource)
            case .droppedAttributesCount: row.droppedAttributesCount = try uint32("droppedAttributesCount")
            default: try scanner.skipValue()
            }
        } while try scanner.nextMember()
    }

    private mutating func decodeScopeSpans(resourceIndex: UInt32) throws(WireError) {
        let scopeIndex = UInt32(tables.scopes.count)
        let firstSpan = tables.spans.count
        var row = ScopeRow(resourceIndex: resourceIndex, spans: TableRange(start: UInt32(firstSpan), count: 0))
        if try beginMessage() {
            repeat {
                switch scanner.withKey(ScopeSpansField.init) {
                case .scope:
                    row.name = .empty
                    row.version = .empty
                    row.attributes = .empty
                    row.droppedAttributesCount = 0
                    do throws(WireError) {
                        if try beginNested() { try decodeScope(into: &row) }
                    } catch {
                        throw error.within("scope")
                    }
                case .spans:
                    tables.spans.removeSubrange(firstSpan...)
                    try forEachElement("spans") { decoder throws(WireError) in try decoder.decodeSpan(scopeIndex: scopeIndex) }
                case .schemaURL:
                    row.schemaURL = try string("schemaUrl")
                case .unknown:
                    try scanner.skipValue()
                }
            } while try scanner.nextMember()
        }
        row.spans.count = UInt32(tables.spans.count - firstSpan)
        tables.scopes.append(row)
    }

    /// The members of an `InstrumentationScope`, after its opening brace.
    private mutating func decodeScope(into row: inout ScopeRow) throws(WireError) {
        repeat {
            switch scanner.withKey(AttributesOwnerField.init) {
            case .name: row.name = try string("name")
            case .version: row.version = try string("version")
            case .attributes: row.attributes = try attributes("attributes", into: .scope)
            case .droppedAttributesCount: row.droppedAttributesCount = try uint32("droppedAttributesCount")
            default: try scanner.skipValue()
            }
        } while try scanner.nextMember()
    }

    private mutating func decodeSpan(scopeIndex: UInt32) throws(WireError) {
        var row = SpanRow(scopeIndex: scopeIndex)
        var parentMalformed = false
        if try beginMessage() {
            repeat {
                switch scanner.withKey(SpanField.init) {
                case .traceID: row.traceID = try traceID("traceId")
                case .spanID: row.spanID = try spanID("spanId")
                case .traceState: row.traceState = try string("traceState")
                case .parentSpanID:
                    if let parent = try spanIDUnlessMalformed("parentSpanId") { row.parentSpanID = parent } else { parentMalformed = true }
                case .flags: row.flags = try uint32("flags")
                case .name: row.name = try string("name")
                case .kind: row.kind = SpanKind(rawValue: try enumeration("kind", names: .spanKind))
                case .startTimeUnixNano: row.startTimeUnixNano = try uint64("startTimeUnixNano")
                case .endTimeUnixNano: row.endTimeUnixNano = try uint64("endTimeUnixNano")
                case .attributes: row.attributes = try attributes("attributes", into: .span)
                case .droppedAttributesCount: row.droppedAttributesCount = try uint32("droppedAttributesCount")
                case .events: row.events = try events()
                case .droppedEventsCount: row.droppedEventsCount = try uint32("droppedEventsCount")
                case .links: row.links = try links()
                case .droppedLinksCount: row.droppedLinksCount = try uint32("droppedLinksCount")
                case .status:
                    row.statusCode = .unset
                    row.statusMessage = .empty
                    do throws(WireError) {
                        if try beginNested() { try decodeStatus(into: &row) }
                    } catch {
                        throw error.within("status")
                    }
                case .unknown:
                    try scanner.skipValue()
                }
            } while try scanner.nextMember()
        }
        // Under `.decodeAsZero`, a span whose parent cannot be known is marked invalid
        // like one without an ID, so the collector rejects it alone (not as a root).
        if parentMalformed { row.spanID = .zero }
        tables.spans.append(row)
    }

    /// The members of a `Status`, after its opening brace.
    private mutating func decodeStatus(into row: inout SpanRow) throws(WireError) {
        repeat {
            switch scanner.withKey(StatusField.init) {
            case .message: row.statusMessage = try string("message")
            case .code: row.statusCode = StatusCode(rawValue: try enumeration("code", names: .statusCode))
            case .unknown: try scanner.skipValue()
            }
        } while try scanner.nextMember()
    }

    private mutating func events() throws(WireError) -> TableRange {
        let first = tables.events.count
        try forEachElement("events") { decoder throws(WireError) in try decoder.decodeEvent() }
        return TableRange(start: UInt32(first), count: UInt32(tables.events.count - first))
    }

    private mutating func decodeEvent() throws(WireError) {
        var row = EventRow()
        if try beginMessage() {
            repeat {
                switch scanner.withKey(AttributesOwnerField.init) {
                case .timeUnixNano: row.timeUnixNano = try uint64("timeUnixNano")
                case .name: row.name = try string("name")
                case .attributes: row.attributes = try attributes("attributes", into: .event)
                case .droppedAttributesCount: row.droppedAttributesCount = try uint32("droppedAttributesCount")
                default: try scanner.skipValue()
                }
            } while try scanner.nextMember()
        }
        tables.events.append(row)
    }

    private mutating func links() throws(WireError) -> TableRange {
        let first = tables.links.count
        try forEachElement("links") { decoder throws(WireError) in try decoder.decodeLink() }
        return TableRange(start: UInt32(first), count: UInt32(tables.links.count - first))
    }

    private mutating func decodeLink() throws(WireError) {
        var row = LinkRow()
        if try beginMessage() {
            repeat {
                switch scanner.withKey(LinkField.init) {
                case .traceID: row.traceID = try traceID("traceId")
                case .spanID: row.spanID = try spanID("spanId")
                case .traceState: row.traceState = try string("traceState")
                case .attributes: row.attributes = try attributes("attributes", into: .link)
                case .droppedAttributesCount: row.droppedAttributesCount = try uint32("droppedAttributesCount")
                case .flags: row.flags = try uint32("flags")
                case .unknown: try scanner.skipValue()
                }
            } while try scanner.nextMember()
        }
        tables.links.append(row)
    }

    // MARK: Attributes

    /// The tables a list of `KeyValue`s can go to.
    private enum AttributeTable {
        case resource, scope, span, event, link, nested
    }

    /// A repeated `KeyValue` field: `null` is empty. The entries wait on
    /// `attributeStack` until the list ends (their values' own lists go first), then move
    /// to `table` together.
    private mutating func attributes(_ field: String, into table: AttributeTable) throws(WireError) -> TableRange {
        let mark = attributeStack.count
        try forEachElement(field) { decoder throws(WireError) in
            let entry = try decoder.keyValue()
            decoder.attributeStack.append(entry)
        }
        let start: Int
        switch table {
        case .resource:
            start = tables.resourceAttributes.count
            tables.resourceAttributes.append(elementsOf: attributeStack, from: mark)
        case .scope:
            start = tables.scopeAttributes.count
            tables.scopeAttributes.append(elementsOf: attributeStack, from: mark)
        case .span:
            start = tables.spanAttributes.count
            tables.spanAttributes.append(elementsOf: attributeStack, from: mark)
        case .event:
            start = tables.eventAttributes.count
            tables.eventAttributes.append(elementsOf: attributeStack, from: mark)
        case .link:
            start = tables.linkAttributes.count
            tables.linkAttributes.append(elementsOf: attributeStack, from: mark)
        case .nested:
            start = tables.nestedAttributes.count
            tables.nestedAttributes.append(elementsOf: attributeStack, from: mark)
        }
        let count = attributeStack.count - mark
        attributeStack.truncate(to: mark)
        return TableRange(start: UInt32(start), count: UInt32(count))
    }

    private mutating func keyValue() throws(WireError) -> AttributeSlot {
        var slot = AttributeSlot(key: .empty, value: .empty)
        guard try beginMessage() else { return slot }
        repeat {
            switch scanner.withKey(KeyValueField.init) {
            case .key:
                slot.key = try string("key")
            case .value:
                do throws(WireError) {
                    slot.value = try anyValue()
                } catch {
                    throw error.within("value")
                }
            case .unknown:
                try scanner.skipValue()
            }
        } while try scanner.nextMember()
        return slot
    }

    /// An `AnyValue`: `null` or `{}` is empty; a member set to `null` counts as unset; two
    /// set members are an error. Recursion is bounded by the scanner's depth limit.
    private mutating func anyValue() throws(WireError) -> ValueSlot {
        let kind = try scanner.peekKind()
        if kind == .null {
            try scanner.readNull()
            return .empty
        }
        guard kind == .object else { throw notAnObject(kind) }
        var result = ValueSlot.empty
        var setBy: AnyValueField?
        guard try scanner.beginObject() else { return result }
        repeat {
            let field = scanner.withKey(AnyValueField.init)
            let kind = try scanner.peekKind()
            let offset = scanner.index
            let decoded: ValueSlot
            switch field {
            case .stringValue:
                guard kind == .string else {
                    if kind == .null { try scanner.readNull(); continue }
                    throw wrongType(kind, "stringValue", offset, expected: "a string")
                }
                decoded = .string(arenaRef(try scanner.readString()))
            case .boolValue:
                guard kind == .bool else {
                    if kind == .null { try scanner.readNull(); continue }
                    throw wrongType(kind, "boolValue", offset, expected: "true or false")
                }
                decoded = .bool(try scanner.readBool())
            case .intValue:
                if kind == .null { try scanner.readNull(); continue }
                decoded = .int(try int64("intValue"))
            case .doubleValue:
                if kind == .null { try scanner.readNull(); continue }
                decoded = .double(try double("doubleValue"))
            case .bytesValue:
                guard kind == .string else {
                    if kind == .null { try scanner.readNull(); continue }
                    throw wrongType(kind, "bytesValue", offset, expected: "a base64 string")
                }
                decoded = .bytes(try base64(try scanner.readString(), offset))
            case .arrayValue:
                if kind == .null { try scanner.readNull(); continue }
                do throws(WireError) {
                    decoded = .array(try valueList())
                } catch {
                    throw error.within("arrayValue")
                }
            case .kvlistValue:
                if kind == .null { try scanner.readNull(); continue }
                do throws(WireError) {
                    decoded = .keyValueList(try keyValueList())
                } catch {
                    throw error.within("kvlistValue")
                }
            case .unknown:
                try scanner.skipValue()
                continue
            }
            if let setBy, setBy != field {
                throw WireError(.invalidValue, field: field.name, offset: offset, "an AnyValue holds one value, but this one sets both \(setBy.name) and \(field.name)")
            }
            setBy = field
            result = decoded
        } while try scanner.nextMember()
        return result
    }

    /// An `ArrayValue`: `{"values": [AnyValue, ...]}`, its elements moved to
    /// `nestedValues` together.
    private mutating func valueList() throws(WireError) -> TableRange {
        var range = TableRange(start: UInt32(tables.nestedValues.count), count: 0)
        guard try beginMessage() else { return range }
        repeat {
            guard scanner.withKey({ $0.equals("values") }) else {
                try scanner.skipValue()
                continue
            }
            let mark = valueStack.count
            try forEachElement("values") { decoder throws(WireError) in
                let value = try decoder.anyValue()
                decoder.valueStack.append(value)
            }
            range = TableRange(start: UInt32(tables.nestedValues.count), count: UInt32(valueStack.count - mark))
            tables.nestedValues.append(elementsOf: valueStack, from: mark)
            valueStack.truncate(to: mark)
        } while try scanner.nextMember()
        return range
    }

    /// A `KeyValueList`: `{"values": [KeyValue, ...]}`.
    private mutating func keyValueList() throws(WireError) -> TableRange {
        var range = TableRange(start: UInt32(tables.nestedAttributes.count), count: 0)
        guard try beginMessage() else { return range }
        repeat {
            if scanner.withKey({ $0.equals("values") }) {
                range = try attributes("values", into: .nested)
            } else {
                try scanner.skipValue()
            }
        } while try scanner.nextMember()
        return range
    }

    // MARK: Structure

    /// Opens a message, which must be an object: true when its first key has been read,
    /// false for `{}`.
    @inline(__always)
    private mutating func beginMessage() throws(WireError) -> Bool {
        let kind = try scanner.peekKind()
        guard kind == .object else { throw notAnObject(kind) }
        return try scanner.beginObject()
    }

    /// Opens a nested message field: false for `null` or `{}`.
    @inline(__always)
    private mutating func beginNested() throws(WireError) -> Bool {
        if try scanner.peekKind() == .null {
            try scanner.readNull()
            return false
        }
        return try beginMessage()
    }

    /// Opens a repeated field: false for `null` or `[]`, otherwise positioned at the first
    /// element.
    @inline(__always)
    /// Reads a repeated field (`null` or `[]` is empty), calling `element` for each
    /// element; an element's error names its index.
    private mutating func forEachElement(_ field: String, _ element: (inout Self) throws(WireError) -> Void) throws(WireError) {
        guard try beginList(field) else { return }
        var index = 0
        repeat {
            do throws(WireError) {
                try element(&self)
            } catch {
                throw error.within(field, index: index)
            }
            index += 1
        } while try scanner.nextElement()
    }

    private mutating func beginList(_ field: String) throws(WireError) -> Bool {
        let kind = try scanner.peekKind()
        if kind == .array { return try scanner.beginArray() }
        if kind == .null {
            try scanner.readNull()
            return false
        }
        throw wrongType(kind, field, scanner.index, expected: "an array")
    }

    // MARK: Scalars

    /// The arena bytes of a string (the request's own unless it has escapes).
    @inline(__always)
    private mutating func arenaRef(_ token: JSONStringToken) -> ByteRef {
        tables.jsonStringRef(token, from: scanner, inputCount: scanner.count)
    }

    private mutating func string(_ field: String) throws(WireError) -> ByteRef {
        switch try scanner.peekKind() {
        case .string: return arenaRef(try scanner.readString())
        case .null:
            try scanner.readNull()
            return .empty
        case let kind: throw wrongType(kind, field, scanner.index, expected: "a string")
        }
    }

    /// The sign and magnitude of an integer given as a number or a decimal string.
    /// Returns nil (having consumed the value) when it is a number or string of another
    /// form, and throws `wrongType` for other kinds.
    @inline(__always)
    private mutating func integer(_ field: String, expected: String) throws(WireError) -> (negative: Bool, magnitude: UInt64) {
        let kind = try scanner.peekKind()
        let offset = scanner.index
        switch kind {
        case .number:
            let range = try scanner.readNumber()
            if let integer = JSONNumberText.integer(UnsafeRawBufferPointer(start: scanner.base + range.lowerBound, count: range.count)) {
                return integer
            }
            throw outOfRange(.number, scanner.text(range), field, offset, expected: expected)
        case .string:
            let token = try scanner.readString()
            if let integer = scanner.withBytes(token, { JSONNumberText.integer($0) }) { return integer }
            throw outOfRange(.string, scanner.string(token), field, offset, expected: expected)
        default:
            throw wrongType(kind, field, offset, expected: expected)
        }
    }

    private mutating func uint64(_ field: String) throws(WireError) -> UInt64 {
        let expected = "an unsigned 64-bit integer (a number or a decimal string)"
        if try scanner.peekKind() == .null {
            try scanner.readNull()
            return 0
        }
        let offset = scanner.index
        let (negative, magnitude) = try integer(field, expected: expected)
        guard !negative || magnitude == 0 else { throw outOfRange(at: offset, field, expected: expected) }
        return magnitude
    }

    private mutating func int64(_ field: String) throws(WireError) -> Int64 {
        let expected = "a signed 64-bit integer (a number or a decimal string)"
        if try scanner.peekKind() == .null {
            try scanner.readNull()
            return 0
        }
        let offset = scanner.index
        let (negative, magnitude) = try integer(field, expected: expected)
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { throw outOfRange(at: offset, field, expected: expected) }
            return Int64(truncatingIfNeeded: 0 &- magnitude)
        }
        guard let value = Int64(exactly: magnitude) else { throw outOfRange(at: offset, field, expected: expected) }
        return value
    }

    private mutating func uint32(_ field: String) throws(WireError) -> UInt32 {
        let expected = "an unsigned 32-bit integer"
        if try scanner.peekKind() == .null {
            try scanner.readNull()
            return 0
        }
        let offset = scanner.index
        let (negative, magnitude) = try integer(field, expected: expected)
        guard !negative || magnitude == 0, let value = UInt32(exactly: magnitude) else {
            throw outOfRange(at: offset, field, expected: expected)
        }
        return value
    }

    /// A number, a string holding one, or `"NaN"`, `"Infinity"`, `"-Infinity"`.
    private mutating func double(_ field: String) throws(WireError) -> Double {
        let kind = try scanner.peekKind()
        let offset = scanner.index
        switch kind {
        case .number:
            let range = try scanner.readNumber()
            if let value = JSONNumberText.double(UnsafeRawBufferPointer(start: scanner.base + range.lowerBound, count: range.count)) {
                return value
            }
        case .string:
            let text = scanner.string(try scanner.readString())
            switch text {
            case "NaN": return .nan
            case "Infinity": return .infinity
            case "-Infinity": return -.infinity
            default: if JSONNumberText.isValid(text), let value = Double(text) { return value }
            }
        default:
            break
        }
        throw wrongType(kind, field, offset, expected: "a number, or \"NaN\", \"Infinity\" or \"-Infinity\"")
    }

    private mutating func base64(_ token: JSONStringToken, _ offset: Int) throws(WireError) -> ByteRef {
        tables.reserveArenaForAppends(inputCount: scanner.count)
        let start = tables.arena.count
        // Decoded straight into the arena, after the input.
        let valid: Bool
        if !token.hasEscapes {
            valid = Base64.decode(UnsafeRawBufferPointer(start: scanner.base + token.start, count: token.count), appendingTo: &tables.arena)
        } else {
            var unescaped: [UInt8] = []
            scanner.appendUnescaped(token, to: &unescaped)
            valid = unescaped.withUnsafeBytes { Base64.decode($0, appendingTo: &tables.arena) }
        }
        guard valid else {
            throw WireError(.invalidValue, field: "bytesValue", offset: offset, "expected base64, found a string that is not")
        }
        let count = tables.arena.count - start
        return count == 0 ? .empty : ByteRef(offset: UInt32(truncatingIfNeeded: start), count: UInt32(truncatingIfNeeded: count))
    }

    /// The names an enum field accepts.
    private enum EnumNames {
        case spanKind, statusCode

        /// Read only for enum names, which clients rarely send.
        var names: [String: Int32] {
            switch self {
            case .spanKind: OTLPJSONDecoding.spanKindNames
            case .statusCode: OTLPJSONDecoding.statusCodeNames
            }
        }
    }

    /// An enum: an integer (any 32-bit value, so unknown values survive), or one of
    /// `names`, or a decimal string.
    private mutating func enumeration(_ field: String, names: EnumNames) throws(WireError) -> Int32 {
        let kind = try scanner.peekKind()
        let offset = scanner.index
        switch kind {
        case .null:
            try scanner.readNull()
            return 0
        case .number:
            let range = try scanner.readNumber()
            let bytes = UnsafeRawBufferPointer(start: scanner.base + range.lowerBound, count: range.count)
            guard let number = Self.int32(JSONNumberText.integer(bytes)) else {
                throw WireError(.invalidValue, field: field, offset: offset, "expected a 32-bit integer enum value")
            }
            return number
        case .string:
            let token = try scanner.readString()
            let name = scanner.string(token)
            if let number = names.names[name] { return number }
            if let number = Self.int32(scanner.withBytes(token, { JSONNumberText.integer($0) })) { return number }
            let known = names.names.sorted { $0.value < $1.value }.map(\.key).joined(separator: ", ")
            throw WireError(.invalidValue, field: field, offset: offset, "unknown enum name; expected an integer or one of \(known)")
        default:
            throw wrongType(kind, field, offset, expected: "an enum name or integer")
        }
    }

    private static func int32(_ integer: (negative: Bool, magnitude: UInt64)?) -> Int32? {
        guard let (negative, magnitude) = integer else { return nil }
        if negative { return magnitude <= 1 << 31 ? Int32(truncatingIfNeeded: 0 &- Int64(magnitude)) : nil }
        return Int32(exactly: magnitude)
    }

    // MARK: IDs

    private mutating func traceID(_ field: String) throws(WireError) -> TraceID {
        let kind = try scanner.peekKind()
        let offset = scanner.index
        switch kind {
        case .null:
            try scanner.readNull()
            return .zero
        case .string:
            let token = try scanner.readString()
            if let id = scanner.withBytes(token, { $0.isEmpty ? TraceID.zero : TraceID(hexBytes: $0) }) { return id }
            if malformedIDs == .decodeAsZero { return .zero }
            throw Self.badID(scanner.string(token), field, offset, what: "a trace ID", digits: 32)
        default:
            if malformedIDs == .decodeAsZero {
                try scanner.skipValue()
                return .zero
            }
            throw WireError(.invalidID, field: field, offset: offset, "expected a trace ID as a string of 32 hexadecimal digits, found \(kind.description)")
        }
    }

    private mutating func spanID(_ field: String) throws(WireError) -> SpanID {
        try spanIDUnlessMalformed(field) ?? .zero
    }

    /// A span ID; nil when it is malformed and the policy is `.decodeAsZero` (the
    /// parent's case, which must tell malformed from absent).
    private mutating func spanIDUnlessMalformed(_ field: String) throws(WireError) -> SpanID? {
        let kind = try scanner.peekKind()
        let offset = scanner.index
        switch kind {
        case .null:
            try scanner.readNull()
            return .zero
        case .string:
            let token = try scanner.readString()
            if let id = scanner.withBytes(token, { $0.isEmpty ? SpanID.zero : SpanID(hexBytes: $0) }) { return id }
            if malformedIDs == .decodeAsZero { return nil }
            throw Self.badID(scanner.string(token), field, offset, what: "a span ID", digits: 16)
        default:
            if malformedIDs == .decodeAsZero {
                try scanner.skipValue()
                return nil
            }
            throw WireError(.invalidID, field: field, offset: offset, "expected a span ID as a string of 16 hexadecimal digits, found \(kind.description)")
        }
    }

    private static func badID(_ text: String, _ field: String, _ offset: Int, what: String, digits: Int) -> WireError {
        let length = text.utf8.count
        var message = length == digits
            ? "\(what) must be hexadecimal digits only"
            : "\(what) is \(digits) hexadecimal digits, found \(length) characters"
        // Base64 IDs come from exporters that use protobuf's generic JSON mapping.
        if Base64.decode(text)?.count == digits / 2 {
            message += " (this looks like base64: OTLP JSON writes IDs in hexadecimal)"
        }
        return WireError(.invalidID, field: field, offset: offset, message)
    }

    // MARK: Errors

    private func notAnObject(_ kind: JSONScanner.Kind) -> WireError {
        WireError(.invalidValue, field: "", offset: scanner.index, "expected an object, found \(kind.description)")
    }

    private func wrongType(_ kind: JSONScanner.Kind, _ field: String, _ offset: Int, expected: String) -> WireError {
        WireError(.invalidValue, field: field, offset: offset, "expected \(expected), found \(kind.description)")
    }

    private func outOfRange(_ kind: JSONScanner.Kind, _ text: String, _ field: String, _ offset: Int, expected: String) -> WireError {
        let shown = text.count > 40 ? String(text.prefix(40)) + "…" : text
        return WireError(.invalidValue, field: field, offset: offset, "expected \(expected), found \(kind.description) \"\(shown)\"")
    }

    /// `outOfRange` for the number or string that was just read, starting at `offset`.
    private func outOfRange(at offset: Int, _ field: String, expected: String) -> WireError {
        if offset < scanner.count && scanner.base[offset] == UInt8(ascii: "\"") {
            let token = JSONStringToken(start: offset + 1, end: scanner.index - 1, hasEscapes: true)
            return outOfRange(.string, scanner.string(token), field, offset, expected: expected)
        }
        return outOfRange(.number, scanner.text(offset..<scanner.index), field, offset, expected: expected)
    }
}

// MARK: - Keys

/// Each message's keys, matched on their bytes: lowerCamelCase and proto names alike.
/// Hot path: a switch on the length first leaves one or two comparisons per key.
extension OTLPJSONRequestDecoder {
    private enum ResourceSpansField {
        case resource, scopeSpans, schemaURL, unknown

        init(_ key: UnsafeRawBufferPointer) {
            switch key.count {
            case 8: self = key.equals("resource") ? .resource : .unknown
            case 9: self = key.equals("schemaUrl") ? .schemaURL : .unknown
            case 10: self = key.equals("scopeSpans") ? .scopeSpans : key.equals("schema_url") ? .schemaURL : .unknown
            case 11: self = key.equals("scope_spans") ? .scopeSpans : .unknown
            default: self = .unknown
            }
        }
    }

    private enum ScopeSpansField {
        case scope, spans, schemaURL, unknown

        init(_ key: UnsafeRawBufferPointer) {
            switch key.count {
            case 5: self = key.equals("spans") ? .spans : key.equals("scope") ? .scope : .unknown
            case 9: self = key.equals("schemaUrl") ? .schemaURL : .unknown
            case 10: self = key.equals("schema_url") ? .schemaURL : .unknown
            default: self = .unknown
            }
        }
    }

    /// The fields of `Resource`, `InstrumentationScope` and `Span.Event`; each message
    /// reads its own.
    private enum AttributesOwnerField {
        case attributes, droppedAttributesCount, name, version, timeUnixNano, unknown

        init(_ key: UnsafeRawBufferPointer) {
            switch key.count {
            case 4: self = key.equals("name") ? .name : .unknown
            case 7: self = key.equals("version") ? .version : .unknown
            case 10: self = key.equals("attributes") ? .attributes : .unknown
            case 12: self = key.equals("timeUnixNano") ? .timeUnixNano : .unknown
            case 14: self = key.equals("time_unix_nano") ? .timeUnixNano : .unknown
            case 22: self = key.equals("droppedAttributesCount") ? .droppedAttributesCount : .unknown
            case 24: self = key.equals("dropped_attributes_count") ? .droppedAttributesCount : .unknown
            default: self = .unknown
            }
        }
    }

    private enum SpanField {
        case traceID, spanID, traceState, parentSpanID, flags, name, kind, startTimeUnixNano, endTimeUnixNano
        case attributes, droppedAttributesCount, events, droppedEventsCount, links, droppedLinksCount, status
        case unknown

        init(_ key: UnsafeRawBufferPointer) {
            switch key.count {
            case 4: self = key.equals("name") ? .name : key.equals("kind") ? .kind : .unknown
            case 5: self = key.equals("flags") ? .flags : key.equals("links") ? .links : .unknown
            case 6: self = key.equals("spanId") ? .spanID : key.equals("events") ? .events : key.equals("status") ? .status : .unknown
            case 7: self = key.equals("traceId") ? .traceID : key.equals("span_id") ? .spanID : .unknown
            case 8: self = key.equals("trace_id") ? .traceID : .unknown
            case 10: self = key.equals("attributes") ? .attributes : key.equals("traceState") ? .traceState : .unknown
            case 11: self = key.equals("trace_state") ? .traceState : .unknown
            case 12: self = key.equals("parentSpanId") ? .parentSpanID : .unknown
            case 14: self = key.equals("parent_span_id") ? .parentSpanID : .unknown
            case 15: self = key.equals("endTimeUnixNano") ? .endTimeUnixNano : .unknown
            case 17: self = key.equals("startTimeUnixNano") ? .startTimeUnixNano : key.equals("droppedLinksCount") ? .droppedLinksCount : .unknown
            case 18: self = key.equals("end_time_unix_nano") ? .endTimeUnixNano : key.equals("droppedEventsCount") ? .droppedEventsCount : .unknown
            case 19: self = key.equals("dropped_links_count") ? .droppedLinksCount : .unknown
            case 20: self = key.equals("start_time_unix_nano") ? .startTimeUnixNano : key.equals("dropped_events_count") ? .droppedEventsCount : .unknown
            case 22: self = key.equals("droppedAttributesCount") ? .droppedAttributesCount : .unknown
            case 24: self = key.equals("dropped_attributes_count") ? .droppedAttributesCount : .unknown
            default: self = .unknown
            }
        }
    }

    private enum LinkField {
        case traceID, spanID, traceState, attributes, droppedAttributesCount, flags, unknown

        init(_ key: UnsafeRawBufferPointer) {
            switch key.count {
            case 5: self = key.equals("flags") ? .flags : .unknown
            case 6: self = key.equals("spanId") ? .spanID : .unknown
            case 7: self = key.equals("traceId") ? .traceID : key.equals("span_id") ? .spanID : .unknown
            case 8: self = key.equals("trace_id") ? .traceID : .unknown
            case 10: self = key.equals("attributes") ? .attributes : key.equals("traceState") ? .traceState : .unknown
            case 11: self = key.equals("trace_state") ? .traceState : .unknown
            case 22: self = key.equals("droppedAttributesCount") ? .droppedAttributesCount : .unknown
            case 24: self = key.equals("dropped_attributes_count") ? .droppedAttributesCount : .unknown
            default: self = .unknown
            }
        }
    }

    private enum StatusField {
        case message, code, unknown

        init(_ key: UnsafeRawBufferPointer) {
            self = key.equals("code") ? .code : key.equals("message") ? .message : .unknown
        }
    }

    private enum KeyValueField {
        case key, value, unknown

        init(_ key: UnsafeRawBufferPointer) {
            self = key.equals("key") ? .key : key.equals("value") ? .value : .unknown
        }
    }

    private enum AnyValueField {
        case stringValue, boolValue, intValue, doubleValue, bytesValue, arrayValue, kvlistValue, unknown

        init(_ key: UnsafeRawBufferPointer) {
            switch key.count {
            case 8: self = key.equals("intValue") ? .intValue : .unknown
            case 9: self = key.equals("boolValue") ? .boolValue : key.equals("int_value") ? .intValue : .unknown
            case 10:
                self = key.equals("bytesValue") ? .bytesValue : key.equals("arrayValue") ? .arrayValue
                    : key.equals("bool_value") ? .boolValue : .unknown
            case 11:
                self = key.equals("stringValue") ? .stringValue : key.equals("doubleValue") ? .doubleValue
                    : key.equals("kvlistValue") ? .kvlistValue : key.equals("bytes_value") ? .bytesValue
                    : key.equals("array_value") ? .arrayValue : .unknown
            case 12:
                self = key.equals("string_value") ? .stringValue : key.equals("double_value") ? .doubleValue
                    : key.equals("kvlist_value") ? .kvlistValue : .unknown
            default: self = .unknown
            }
        }

        /// The lowerCamelCase name, for error paths.
        var name: String {
            switch self {
            case .stringValue: "stringValue"
            case .boolValue: "boolValue"
            case .intValue: "intValue"
            case .doubleValue: "doubleValue"
            case .bytesValue: "bytesValue"
            case .arrayValue: "arrayValue"
            case .kvlistValue: "kvlistValue"
            case .unknown: ""
            }
        }
    }
}
