import SpindleModel

/// Decodes a Zipkin v2 JSON array into ``SpanTables`` whose arena is the payload, with
/// the mapping ``ZipkinJSON`` documents.
///
/// Hot path: one ``JSONScanner`` pass per span, its members read in document order and
/// dispatched on their keys' bytes. Strings without escapes are ranges of the payload
/// (annotation JSON too, where its text is a run of the payload); tags are kept in a small
/// reused array with their meaning worked out from their key's bytes, not a dictionary;
/// nothing is allocated per span.
///
/// The fast path takes the spans senders write. Anything it does not take as it is — a
/// value of the wrong type or out of range (an error to report, in the mapping's field
/// order), a field given twice (whose last value wins), a tag key that is not ASCII
/// (Strings compare by canonical equivalence), link tags, the collector's annotation
/// form — sends that span to ``ZipkinSpanDecoder``, the tree decoder, so that errors and
/// results stay exactly those of the mapping. The fast path leaves no rows behind when it
/// gives up.
struct ZipkinBatchDecoder {
    var scanner: JSONScanner
    let payload: [UInt8]
    private(set) var tables: SpanTables
    /// For each span row, in payload order: its entry in `scopeKeys`.
    private var spanScopes: [Int] = []
    /// Distinct resources in order of first appearance: their attributes are rows of
    /// `tables.resourceAttributes`.
    private var resourceKeys: [TableRange] = []
    /// Distinct scopes of each resource, in order of first appearance.
    private var scopeKeys: [(resource: Int, name: ByteRef, version: ByteRef)] = []
    /// The resource the last span had, looked up first.
    private var lastResource = -1
    // Reused per span.
    private var tags: [Tag] = []
    private var resourceAttributes: [AttributeSlot] = []
    private var valueStack: [ValueSlot] = []
    private var attributeStack: [AttributeSlot] = []
    private var annotationText: [UInt8] = []
    /// Where the runs of `annotationText` are in the payload.
    private var textRuns: [JSONTextRun] = []
    /// For each key with meaning, the index of its tag in `tags`, or -1.
    private var specialTags = [Int](repeating: -1, count: ZipkinTagKey.allCases.count)
    /// Arena refs of the constant keys the mapping adds, appended once per batch.
    private var constantKeys = [ByteRef](repeating: .empty, count: ZipkinConstantKey.allCases.count)

    init(scanner: JSONScanner, payload: [UInt8]) {
        assert(ZipkinTagKey.agreesWithZipkinKeys, "ZipkinTagKey's switch no longer matches ZipkinKeys")
        self.scanner = scanner
        self.payload = payload
        tables = SpanTables(arena: payload)
        // A span of ten tags and two annotations takes about 1,100 bytes.
        let size = payload.count
        tables.spans.reserveCapacity(size / 1024 + 1)
        tables.spanAttributes.reserveCapacity(size / 64 + 1)
        tables.events.reserveCapacity(size / 512 + 1)
        tables.eventAttributes.reserveCapacity(size / 256 + 1)
        spanScopes.reserveCapacity(size / 1024 + 1)
    }

    // MARK: The array

    /// Reads the top-level array; ``finishTables()`` then groups what it read.
    mutating func decodeArray() throws(WireError) {
        let kind = try scanner.peekKind()
        guard kind == .array else {
            throw WireError(.invalidValue, field: "", offset: scanner.index, "expected a JSON array of Zipkin v2 spans, found \(kind.description)")
        }
        guard try scanner.beginArray() else { return }
        var index = 0
        repeat {
            try decodeSpan(index: index)
            index += 1
        } while try scanner.nextElement()
    }

    private mutating func decodeSpan(index: Int) throws(WireError) {
        let kind = try scanner.peekKind()
        let start = scanner.index
        guard kind == .object else {
            throw WireError(.invalidValue, field: "[\(index)]", offset: start, "expected a span object, found \(kind.description)")
        }
        let depth = scanner.depth
        let marks = Marks(tables, valueStack: valueStack.count, attributeStack: attributeStack.count)
        if try decodeFast() { return }
        // The tree decoder reads this span instead: find where it ends, and drop what the
        // fast path appended.
        marks.restore(&tables, valueStack: &valueStack, attributeStack: &attributeStack)
        scanner.reset(to: start, depth: depth)
        try scanner.skipValue()
        let end = scanner.index
        try decodeWithTree(at: start, index: index)
        scanner.reset(to: end, depth: depth)
    }

    /// The span at `offset` through ``ZipkinSpanDecoder``, which reports its errors.
    private mutating func decodeWithTree(at offset: Int, index: Int) throws(WireError) {
        // The span sits one level inside the array, so it may nest one level less.
        let value = try JSONReader.parseValue(payload, at: offset, maxDepth: scanner.maxDepth - 1)
        let decoded = try ZipkinSpanDecoder.decode(value, index: index)
        tables.spans.append(appendRecord(decoded.span))
        resourceAttributes.removeAll(keepingCapacity: true)
        for attribute in decoded.resource.attributes {
            resourceAttributes.append(AttributeSlot(key: appendString(attribute.key), value: appendValue(attribute.value)))
        }
        register(scopeName: appendString(decoded.scope.name), scopeVersion: appendString(decoded.scope.version))
    }

    // MARK: The fast path

    /// Decodes the span at the current offset as ``ZipkinSpanDecoder`` would, in one pass
    /// over its members; false (anywhere in the span) when it leaves the span to that
    /// decoder. Since it reports no errors, it can read the fields in document order; a
    /// field given twice goes to the tree decoder, whose last value wins.
    private mutating func decodeFast() throws(WireError) -> Bool {
        var seen: UInt16 = 0
        var traceID = TraceID.zero
        var spanID = SpanID.zero
        var parentSpanID = SpanID.zero
        var name = ByteRef.empty
        var kindName: JSONStringToken?
        var timestampMicros: UInt64 = 0
        var durationMicros: UInt64 = 0
        var debug = false
        var shared = false
        var localEndpoint = Endpoint()
        var remoteEndpoint = Endpoint()
        var events = TableRange(start: UInt32(tables.events.count), count: 0)
        tags.removeAll(keepingCapacity: true)
        for index in specialTags.indices { specialTags[index] = -1 }
        guard try scanner.beginObject() else { return false }
        repeat {
            let field = scanner.withKey(SpanField.init)
            if field != .unknown {
                let bit: UInt16 = 1 << UInt16(field.rawValue)
                guard seen & bit == 0 else { return false }
                seen |= bit
            }
            switch field {
            case .traceID:
                // 32 or 16 hex digits without escapes, not all zero.
                guard let token = try plainString() else { return false }
                switch token.count {
                case 32:
                    guard let id = TraceID(hexBytes: inputBytes(token)) else { return false }
                    traceID = id
                case 16:
                    guard let id = SpanID(hexBytes: inputBytes(token)) else { return false }
                    traceID = TraceID(high: 0, low: id.value)
                default:
                    return false
                }
            case .id:
                guard let token = try plainString(), let id = SpanID(hexBytes: inputBytes(token)) else { return false }
                spanID = id
            case .parentID:
                switch try scanner.peekKind() {
                case .null:
                    try scanner.readNull()
                case .string:
                    let token = try scanner.readString()
                    guard !token.hasEscapes else { return false }
                    if token.count != 0 {
                        // All zeros is no parent.
                        guard let id = SpanID(hexBytes: inputBytes(token)) else { return false }
                        parentSpanID = id
                    }
                default:
                    return false
                }
            case .name:
                switch try scanner.peekKind() {
                case .null: try scanner.readNull()
                case .string: name = arenaRef(try scanner.readString())
                default: return false
                }
            case .kind:
                switch try scanner.peekKind() {
                case .null: try scanner.readNull()
                case .string: kindName = try scanner.readString()
                default: return false
                }
            case .timestamp:
                guard let micros = try microsecondsHere() else { return false }
                timestampMicros = micros
            case .duration:
                guard let micros = try microsecondsHere() else { return false }
                durationMicros = micros
            case .debug:
                guard let value = try boolHere() else { return false }
                debug = value
            case .shared:
                guard let value = try boolHere() else { return false }
                shared = value
            case .localEndpoint:
                guard let endpoint = try endpointHere() else { return false }
                localEndpoint = endpoint
            case .remoteEndpoint:
                guard let endpoint = try endpointHere() else { return false }
                remoteEndpoint = endpoint
            case .annotations:
                guard let range = try annotationsHere() else { return false }
                events = range
            case .tags:
                guard try readTags() else { return false }
            case .unknown:
                try scanner.skipValue()
            }
        } while try scanner.nextMember()
        // Both IDs are required and must not be all zeros.
        guard traceID.isValid, spanID.isValid else { return false }
        if parentSpanID == spanID { parentSpanID = .zero }
        // Both fit when multiplied; their sum may not.
        let startTime = timestampMicros * 1000
        let (endTime, overflow) = startTime.addingReportingOverflow(durationMicros * 1000)
        guard !overflow else { return false }

        // Tags with meaning, in the order ZipkinSpanDecoder takes them.
        var row = SpanRow(scopeIndex: 0)
        row.traceID = traceID
        row.spanID = spanID
        row.parentSpanID = parentSpanID
        row.name = name
        row.startTimeUnixNano = startTime
        row.endTimeUnixNano = endTime
        row.events = events
        if let tag = tag(.traceState) { row.traceState = take(tag) }
        row.kind = takeKind(kindName)
        takeStatus(into: &row)
        row.droppedAttributesCount = takeDroppedCount(.droppedAttributesCount)
        row.droppedEventsCount = takeDroppedCount(.droppedEventsCount)
        row.droppedLinksCount = takeDroppedCount(.droppedLinksCount)
        let scopeName = takeScopeField(.scopeName, alias: .libraryName)
        let scopeVersion = takeScopeField(.scopeVersion, alias: .libraryVersion)
        guard takeResource(localServiceName: localEndpoint.present ? localEndpoint.serviceName : .empty) else { return false }

        // Attributes: the tags left in payload order, then what the endpoints and flags
        // say, unless a tag has the same key.
        let firstAttribute = tables.spanAttributes.count
        for tag in tags where !tag.removed {
            tables.spanAttributes.append(AttributeSlot(key: tag.key, value: .string(tag.value)))
        }
        if localEndpoint.present {
            if localEndpoint.address.count != 0 { addAttribute(.localAddress, .string(localEndpoint.address)) }
            if localEndpoint.port > 0 { addAttribute(.localPort, .int(localEndpoint.port)) }
        }
        if remoteEndpoint.present {
            if remoteEndpoint.serviceName.count != 0 { addAttribute(.peerService, .string(remoteEndpoint.serviceName)) }
            if remoteEndpoint.address.count != 0 { addAttribute(.peerAddress, .string(remoteEndpoint.address)) }
            if remoteEndpoint.port > 0 { addAttribute(.peerPort, .int(remoteEndpoint.port)) }
        }
        if shared { addAttribute(.shared, .bool(true)) }
        if debug { addAttribute(.debug, .bool(true)) }
        if timestampMicros == 0 { addAttribute(.startTimeAbsent, .bool(true)) }
        row.attributes = TableRange(start: UInt32(firstAttribute), count: UInt32(tables.spanAttributes.count - firstAttribute))

        tables.spans.append(row)
        register(scopeName: scopeName, scopeVersion: scopeVersion)
        return true
    }

    /// The string here if it is one without escapes; nil for anything else.
    private mutating func plainString() throws(WireError) -> JSONStringToken? {
        guard try scanner.peekKind() == .string else { return nil }
        let token = try scanner.readString()
        return token.hasEscapes ? nil : token
    }

    /// Whole microseconds that fit 64-bit nanoseconds: 0 for `null`, nil for anything else.
    private mutating func microsecondsHere() throws(WireError) -> UInt64? {
        switch try scanner.peekKind() {
        case .null:
            try scanner.readNull()
            return 0
        case .number:
            let range = try scanner.readNumber()
            guard let (negative, magnitude) = JSONNumberText.integer(UnsafeRawBufferPointer(start: scanner.base + range.lowerBound, count: range.count)),
                  !negative || magnitude == 0, magnitude <= UInt64.max / 1000
            else { return nil }
            return magnitude
        default:
            return nil
        }
    }

    /// false for `null`, nil when not a boolean.
    private mutating func boolHere() throws(WireError) -> Bool? {
        switch try scanner.peekKind() {
        case .null:
            try scanner.readNull()
            return false
        case .bool:
            return try scanner.readBool()
        default:
            return nil
        }
    }

    private struct Endpoint {
        var present = false
        var serviceName = ByteRef.empty
        /// `ipv6` if set, else `ipv4`.
        var address = ByteRef.empty
        var port: Int64 = 0
    }

    /// An endpoint (not `present` for `null`), nil when anything in it is not what the
    /// mapping accepts.
    private mutating func endpointHere() throws(WireError) -> Endpoint? {
        var endpoint = Endpoint()
        switch try scanner.peekKind() {
        case .null:
            try scanner.readNull()
            return endpoint
        case .object:
            break
        default:
            return nil
        }
        endpoint.present = true
        var ipv4 = ByteRef.empty
        var ipv6 = ByteRef.empty
        if try scanner.beginObject() {
            repeat {
                let field = scanner.withKey(EndpointField.init)
                switch field {
                case .serviceName, .ipv4, .ipv6:
                    var value = ByteRef.empty
                    switch try scanner.peekKind() {
                    case .null:
                        try scanner.readNull()
                    case .string:
                        let token = try scanner.readString()
                        if token.count != 0 && field != .serviceName {
                            let valid = scanner.withBytes(token) { field == .ipv4 ? ZipkinIPAddress.isIPv4($0) : ZipkinIPAddress.isIPv6($0) }
                            guard valid else { return nil }
                        }
                        value = arenaRef(token)
                    default:
                        return nil
                    }
                    switch field {
                    case .serviceName: endpoint.serviceName = value
                    case .ipv4: ipv4 = value
                    default: ipv6 = value
                    }
                case .port:
                    switch try scanner.peekKind() {
                    case .null:
                        // `null` leaves an earlier port as it was.
                        try scanner.readNull()
                    case .number:
                        let range = try scanner.readNumber()
                        guard let (negative, magnitude) = JSONNumberText.integer(UnsafeRawBufferPointer(start: scanner.base + range.lowerBound, count: range.count)),
                              magnitude <= 65535, !negative || magnitude == 0
                        else { return nil }
                        endpoint.port = Int64(magnitude)
                    default:
                        return nil
                    }
                case .unknown:
                    try scanner.skipValue()
                }
            } while try scanner.nextMember()
        }
        endpoint.address = ipv6.count == 0 ? ipv4 : ipv6
        return endpoint
    }

    // MARK: Tags

    /// A tag, with map semantics: a key given again keeps its place and takes the new value.
    private struct Tag {
        var key: ByteRef
        var value: ByteRef
        var kind: ZipkinTagKey
        var removed = false
    }

    /// Reads the tags into `tags`; false when a value is not a string (an error), a key is
    /// not ASCII (Strings compare keys by canonical equivalence) or names a link.
    private mutating func readTags() throws(WireError) -> Bool {
        switch try scanner.peekKind() {
        case .null:
            try scanner.readNull()
            return true
        case .object:
            break
        default:
            return false
        }
        // Bit n is set when a key of length n (mod 64) was seen: most keys are new, and
        // their length says so without comparing bytes.
        var lengths: UInt64 = 0
        guard try scanner.beginObject() else { return true }
        repeat {
            let keyToken = scanner.key
            let (kind, ascii) = scanner.withKey { (ZipkinTagKey($0), ZipkinBytes.isASCII($0)) }
            guard ascii, kind != .link, try scanner.peekKind() == .string else { return false }
            let value = arenaRef(try scanner.readString())
            let key = arenaRef(keyToken)
            let bit: UInt64 = 1 << UInt64(key.count & 63)
            if lengths & bit != 0, let existing = tagIndex(key: key) {
                tags[existing].value = value
            } else {
                lengths |= bit
                if kind != .plain && kind != .resource { specialTags[Int(kind.rawValue)] = tags.count }
                tags.append(Tag(key: key, value: value, kind: kind))
            }
        } while try scanner.nextMember()
        return true
    }

    /// The tag with this key, if it is there and not taken.
    @inline(__always)
    private func tagIndex(key: ByteRef) -> Int? {
        for index in tags.indices where !tags[index].removed && equalBytes(tags[index].key, key) {
            return index
        }
        return nil
    }

    /// The tag of a key with meaning, if it is there and not taken yet.
    @inline(__always)
    private func tag(_ kind: ZipkinTagKey) -> Int? {
        let index = specialTags[Int(kind.rawValue)]
        return index >= 0 && !tags[index].removed ? index : nil
    }

    /// Removes a tag and returns its value.
    private mutating func take(_ index: Int) -> ByteRef {
        tags[index].removed = true
        return tags[index].value
    }

    private mutating func takeKind(_ name: JSONStringToken?) -> SpanKind {
        if let name {
            // Exact bytes: no other text equals these names as a String.
            let kind: SpanKind? = scanner.withBytes(name) { bytes in
                if bytes.equals("CLIENT") { return .client }
                if bytes.equals("SERVER") { return .server }
                if bytes.equals("PRODUCER") { return .producer }
                if bytes.equals("CONSUMER") { return .consumer }
                return nil
            }
            if let kind { return kind }
        }
        // Zipkin has no internal kind; the collector writes this tag for it.
        if let tag = tag(.spanKind), equals(tags[tag].value, "internal") {
            tags[tag].removed = true
            return .internal
        }
        return .unspecified
    }

    private mutating func takeStatus(into row: inout SpanRow) {
        if let tag = tag(.statusCode), let code = statusCode(tags[tag].value) {
            tags[tag].removed = true
            row.statusCode = code
            if let description = self.tag(.statusDescription) { row.statusMessage = take(description) }
            if code == .error, let error = self.tag(.error) {
                // The specification writes the description to `error`.
                let value = tags[error].value
                let isTrue = equals(value, "true")
                if row.statusMessage.count == 0 && !isTrue {
                    row.statusMessage = take(error)
                } else if isTrue || equalStrings(value, row.statusMessage) {
                    tags[error].removed = true
                }
            }
        }
        // Zipkin treats any span with an `error` tag as failed; so does the collector.
        if let error = tag(.error) {
            row.statusCode = .error
            if equals(tags[error].value, "true") { tags[error].removed = true }
        }
    }

    private func statusCode(_ value: ByteRef) -> StatusCode? {
        withBytes(value, Self.statusCode)
    }

    private static func statusCode(_ bytes: UnsafeRawBufferPointer) -> StatusCode? {
        // "OK" also equals "O\u{212A}" (KELVIN SIGN) as a String: text that is not ASCII
        // is compared as a String.
        guard ZipkinBytes.isASCII(bytes) else { return ZipkinSpanDecoder.statusCode(String(decoding: bytes, as: UTF8.self)) }
        if bytes.equals("OK") || bytes.equals("Ok") || bytes.equals("STATUS_CODE_OK") { return .ok }
        if bytes.equals("ERROR") || bytes.equals("Error") || bytes.equals("STATUS_CODE_ERROR") { return .error }
        if bytes.equals("UNSET") || bytes.equals("Unset") || bytes.equals("STATUS_CODE_UNSET") { return .unset }
        return nil
    }

    /// The count of a dropped-count tag, which is then taken; 0 when it is absent or not a
    /// decimal `UInt32` (it stays a tag). Parsed from a String, as Swift parses it.
    private mutating func takeDroppedCount(_ kind: ZipkinTagKey) -> UInt32 {
        guard let tag = tag(kind) else { return 0 }
        guard let count = UInt32(string(tags[tag].value)) else { return 0 }
        tags[tag].removed = true
        return count
    }

    private mutating func takeScopeField(_ preferred: ZipkinTagKey, alias: ZipkinTagKey) -> ByteRef {
        var value = ByteRef.empty
        if let tag = tag(preferred) {
            value = take(tag)
        } else if let tag = tag(alias) {
            value = tags[tag].value
        }
        // The alias is redundant when it repeats the value; otherwise it stays an attribute.
        if let tag = tag(alias), equalStrings(tags[tag].value, value) { tags[tag].removed = true }
        return value
    }

    /// Fills `resourceAttributes`: the local service name, then the tags named by resource
    /// conventions, which are taken. False when the key that names the service is not ASCII.
    private mutating func takeResource(localServiceName: ByteRef) -> Bool {
        resourceAttributes.removeAll(keepingCapacity: true)
        if localServiceName.count != 0 {
            var key = constantKey(.serviceName)
            if let source = tag(.serviceNameSource), tags[source].value.count != 0 {
                guard withBytes(tags[source].value, ZipkinBytes.isASCII) else { return false }
                key = take(source)
            }
            resourceAttributes.append(AttributeSlot(key: key, value: .string(localServiceName)))
            // A tag repeating the endpoint's service name is redundant; a different one
            // stays a span attribute.
            if let tag = tagIndex(key: key), equalStrings(tags[tag].value, localServiceName) {
                tags[tag].removed = true
            }
        }
        for index in tags.indices where !tags[index].removed && tags[index].kind == .resource {
            let key = tags[index].key
            var present = false
            for attribute in resourceAttributes where equalBytes(attribute.key, key) { present = true }
            guard !present else { continue }
            resourceAttributes.append(AttributeSlot(key: key, value: .string(take(index))))
        }
        return true
    }

    /// Adds an attribute the endpoints or flags imply, unless a tag left has its key.
    private mutating func addAttribute(_ key: ZipkinConstantKey, _ value: ValueSlot) {
        let text = key.text
        let literal = UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)
        for tag in tags where !tag.removed && tag.key.count == literal.count {
            guard !withBytes(tag.key, { ZipkinBytes.equal($0, literal) }) else { return }
        }
        tables.spanAttributes.append(AttributeSlot(key: constantKey(key), value: value))
    }

    // MARK: Annotations

    /// The annotations as event rows; nil when one is not what the fast path takes.
    private mutating func annotationsHere() throws(WireError) -> TableRange? {
        let first = tables.events.count
        switch try scanner.peekKind() {
        case .null:
            try scanner.readNull()
        case .array:
            guard try scanner.beginArray() else { break }
            repeat {
                guard try scanner.peekKind() == .object else { return nil }
                var micros: UInt64 = 0
                var text: JSONStringToken?
                if try scanner.beginObject() {
                    repeat {
                        switch scanner.withKey(AnnotationField.init) {
                        case .timestamp:
                            guard let value = try microsecondsHere() else { return nil }
                            micros = value
                        case .value:
                            switch try scanner.peekKind() {
                            case .null:
                                try scanner.readNull()
                                text = nil
                            case .string:
                                text = try scanner.readString()
                            default:
                                return nil
                            }
                        case .unknown:
                            try scanner.skipValue()
                        }
                    } while try scanner.nextMember()
                }
                guard appendEvent(timeUnixNano: micros * 1000, value: text) else { return nil }
            } while try scanner.nextElement()
        default:
            return nil
        }
        return TableRange(start: UInt32(first), count: UInt32(tables.events.count - first))
    }

    /// Appends the event an annotation value describes (see ``ZipkinJSON``); false for
    /// the collector's `name|{attributes}|count` form, which the tree decoder reads.
    private mutating func appendEvent(timeUnixNano: UInt64, value: JSONStringToken?) -> Bool {
        guard let value, value.count != 0 else {
            tables.events.append(EventRow(timeUnixNano: timeUnixNano))
            return true
        }
        // The JSON forms: `{"name": {attributes}}`, or `"name": {attributes}` in braces.
        // Room for the brace the second form needs, written once the text shows it is that.
        annotationText.removeAll(keepingCapacity: true)
        annotationText.append(UInt8(ascii: " "))
        textRuns.removeAll(keepingCapacity: true)
        scanner.appendUnescaped(value, to: &annotationText, runs: &textRuns)
        let opening = annotationText.count > 1 ? annotationText[1] : 0
        if opening == UInt8(ascii: "\"") {
            annotationText[0] = UInt8(ascii: "{")
            annotationText.append(UInt8(ascii: "}"))
        }
        // A second reference to the text, read while the decoder changes: nothing writes
        // `annotationText` until the next annotation, so it is not copied.
        let text = annotationText
        if opening == UInt8(ascii: "{") || opening == UInt8(ascii: "\"") {
            let event: EventRow? = text.withUnsafeBufferPointer { buffer in
                var inner = JSONScanner(buffer, maxDepth: ZipkinValueText.embeddedMaxDepth)
                return structuredEvent(&inner, timeUnixNano: timeUnixNano)
            }
            if let event {
                tables.events.append(event)
                return true
            }
        }
        guard !text.contains(UInt8(ascii: "|")) else { return false }
        tables.events.append(EventRow(timeUnixNano: timeUnixNano, name: arenaRef(value)))
        return true
    }

    /// An object with one member whose value is an object: the event name and attributes,
    /// `otel.dropped_attributes_count` being the dropped count. Nil for any other text,
    /// valid JSON or not.
    private mutating func structuredEvent(_ inner: inout JSONScanner, timeUnixNano: UInt64) -> EventRow? {
        let attributeMark = attributeStack.count
        let valueMark = valueStack.count
        do throws(WireError) {
            guard try inner.peekKind() == .object, try inner.beginObject() else { return nil }
            let nameToken = inner.key
            guard try inner.peekKind() == .object else { return nil }
            var dropped: UInt32 = 0
            if try inner.beginObject() {
                repeat {
                    let keyToken = inner.key
                    if inner.withKey({ $0.equals(ZipkinKeys.droppedAttributesCount) }), try inner.peekKind() == .number {
                        let range = try inner.readNumber()
                        let bytes = UnsafeRawBufferPointer(start: inner.base + range.lowerBound, count: range.count)
                        if let (negative, magnitude) = JSONNumberText.integer(bytes), !negative || magnitude == 0,
                           let count = UInt32(exactly: magnitude)
                        {
                            dropped = count
                        } else {
                            attributeStack.append(AttributeSlot(key: copyToArena(keyToken, from: inner), value: number(bytes)))
                        }
                        continue
                    }
                    let value = try typedValue(&inner)
                    attributeStack.append(AttributeSlot(key: copyToArena(keyToken, from: inner), value: value))
                } while try inner.nextMember()
            }
            // Exactly one member, and nothing after the object.
            guard try !inner.nextMember() else {
                attributeStack.truncate(to: attributeMark)
                return nil
            }
            try inner.finish()
            let start = tables.eventAttributes.count
            tables.eventAttributes.append(elementsOf: attributeStack, from: attributeMark)
            attributeStack.truncate(to: attributeMark)
            return EventRow(
                timeUnixNano: timeUnixNano,
                name: copyToArena(nameToken, from: inner),
                attributes: TableRange(start: UInt32(start), count: UInt32(tables.eventAttributes.count - start)),
                droppedAttributesCount: dropped
            )
        } catch {
            attributeStack.truncate(to: attributeMark)
            valueStack.truncate(to: valueMark)
            return nil
        }
    }

    /// A JSON value as an attribute value, keeping its type (``ZipkinValueText/attributeValue(_:)``).
    private mutating func typedValue(_ inner: inout JSONScanner) throws(WireError) -> ValueSlot {
        switch try inner.peekKind() {
        case .null:
            try inner.readNull()
            return .empty
        case .bool:
            return .bool(try inner.readBool())
        case .string:
            return .string(copyToArena(try inner.readString(), from: inner))
        case .number:
            let range = try inner.readNumber()
            return number(UnsafeRawBufferPointer(start: inner.base + range.lowerBound, count: range.count))
        case .array:
            let mark = valueStack.count
            if try inner.beginArray() {
                repeat {
                    valueStack.append(try typedValue(&inner))
                } while try inner.nextElement()
            }
            let start = tables.nestedValues.count
            tables.nestedValues.append(elementsOf: valueStack, from: mark)
            valueStack.truncate(to: mark)
            return .array(TableRange(start: UInt32(start), count: UInt32(tables.nestedValues.count - start)))
        case .object:
            let mark = attributeStack.count
            if try inner.beginObject() {
                repeat {
                    let key = inner.key
                    let value = try typedValue(&inner)
                    attributeStack.append(AttributeSlot(key: copyToArena(key, from: inner), value: value))
                } while try inner.nextMember()
            }
            let start = tables.nestedAttributes.count
            tables.nestedAttributes.append(elementsOf: attributeStack, from: mark)
            attributeStack.truncate(to: mark)
            return .keyValueList(TableRange(start: UInt32(start), count: UInt32(tables.nestedAttributes.count - start)))
        }
    }

    /// A number without fraction or exponent that fits `Int64` is an int, any other a double.
    private func number(_ bytes: UnsafeRawBufferPointer) -> ValueSlot {
        if !bytes.contains(where: { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }),
           let (negative, magnitude) = JSONNumberText.integer(bytes)
        {
            if negative, magnitude <= UInt64(Int64.max) + 1 { return .int(Int64(truncatingIfNeeded: 0 &- magnitude)) }
            if !negative, let value = Int64(exactly: magnitude) { return .int(value) }
        }
        return .double(JSONNumberText.double(bytes) ?? .nan)
    }

    // MARK: Groups

    /// Files the span just appended under the resource in `resourceAttributes` and the
    /// scope: each compared as the tree decoder's grouping compares them, as Strings.
    private mutating func register(scopeName: ByteRef, scopeVersion: ByteRef) {
        let reader = ArenaReader(scanner)
        var resource = -1
        if lastResource >= 0 && reader.sameResource(resourceKeys[lastResource], resourceAttributes, tables.resourceAttributes, tables.arena) {
            resource = lastResource
        } else {
            for index in resourceKeys.indices where reader.sameResource(resourceKeys[index], resourceAttributes, tables.resourceAttributes, tables.arena) {
                resource = index
                break
            }
        }
        if resource < 0 {
            resource = resourceKeys.count
            let start = tables.resourceAttributes.count
            tables.resourceAttributes.append(contentsOf: resourceAttributes)
            resourceKeys.append(TableRange(start: UInt32(start), count: UInt32(resourceAttributes.count)))
        }
        lastResource = resource
        var scope = scopeKeys.count - 1
        while scope >= 0 {
            let key = scopeKeys[scope]
            if key.resource == resource && reader.equalStrings(key.name, scopeName, tables.arena)
                && reader.equalStrings(key.version, scopeVersion, tables.arena)
            {
                break
            }
            scope -= 1
        }
        if scope < 0 {
            scope = scopeKeys.count
            scopeKeys.append((resource, scopeName, scopeVersion))
        }
        spanScopes.append(scope)
    }

    /// Orders the tables as ZipkinJSON groups spans: one resource per distinct resource and
    /// one scope per distinct scope within it, in order of first appearance, spans in
    /// payload order within a scope.
    mutating func finishTables() {
        let scopeCount = scopeKeys.count
        var spansPerScope = [Int](repeating: 0, count: scopeCount)
        for scope in spanScopes { spansPerScope[scope] += 1 }
        // Scopes by resource, each resource's in order of first appearance.
        var scopesPerResource = [Int](repeating: 0, count: resourceKeys.count)
        for key in scopeKeys { scopesPerResource[key.resource] += 1 }
        var nextScopeOfResource = [Int](repeating: 0, count: resourceKeys.count)
        var total = 0
        for resource in resourceKeys.indices {
            nextScopeOfResource[resource] = total
            total += scopesPerResource[resource]
        }
        var finalScope = [Int](repeating: 0, count: scopeCount)
        for (entry, key) in scopeKeys.enumerated() {
            finalScope[entry] = nextScopeOfResource[key.resource]
            nextScopeOfResource[key.resource] += 1
        }
        var scopeRows = [ScopeRow](repeating: ScopeRow(resourceIndex: 0), count: scopeCount)
        var firstSpan = [Int](repeating: 0, count: scopeCount)
        var spanTotal = 0
        for entry in scopeKeys.indices.sorted(by: { finalScope[$0] < finalScope[$1] }) {
            let key = scopeKeys[entry]
            firstSpan[entry] = spanTotal
            scopeRows[finalScope[entry]] = ScopeRow(
                resourceIndex: UInt32(key.resource), name: key.name, version: key.version,
                spans: TableRange(start: UInt32(spanTotal), count: UInt32(spansPerScope[entry]))
            )
            spanTotal += spansPerScope[entry]
        }
        var spans = tables.spans
        for (index, scope) in spanScopes.enumerated() {
            var row = tables.spans[index]
            row.scopeIndex = UInt32(finalScope[scope])
            spans[firstSpan[scope]] = row
            firstSpan[scope] += 1
        }
        tables.spans = spans
        tables.scopes = scopeRows
        var firstScope = 0
        tables.resources = resourceKeys.indices.map { resource in
            defer { firstScope += scopesPerResource[resource] }
            return ResourceRow(attributes: resourceKeys[resource], scopes: TableRange(start: UInt32(firstScope), count: UInt32(scopesPerResource[resource])))
        }
    }

    // MARK: Records the tree decoder made

    private mutating func appendRecord(_ span: SpanRecord) -> SpanRow {
        var row = SpanRow(scopeIndex: 0)
        row.traceID = span.traceID
        row.spanID = span.spanID
        row.parentSpanID = span.parentSpanID
        row.traceState = appendString(span.traceState)
        row.flags = span.flags
        row.name = appendString(span.name)
        row.kind = span.kind
        row.startTimeUnixNano = span.startTimeUnixNano
        row.endTimeUnixNano = span.endTimeUnixNano
        row.attributes = appendAttributes(span.attributes, to: .span)
        row.droppedAttributesCount = span.droppedAttributesCount
        let firstEvent = tables.events.count
        for event in span.events {
            let attributes = appendAttributes(event.attributes, to: .event)
            tables.events.append(EventRow(timeUnixNano: event.timeUnixNano, name: appendString(event.name), attributes: attributes, droppedAttributesCount: event.droppedAttributesCount))
        }
        row.events = TableRange(start: UInt32(firstEvent), count: UInt32(span.events.count))
        row.droppedEventsCount = span.droppedEventsCount
        let firstLink = tables.links.count
        for link in span.links {
            let attributes = appendAttributes(link.attributes, to: .link)
            tables.links.append(LinkRow(traceID: link.traceID, spanID: link.spanID, traceState: appendString(link.traceState), attributes: attributes, droppedAttributesCount: link.droppedAttributesCount, flags: link.flags))
        }
        row.links = TableRange(start: UInt32(firstLink), count: UInt32(span.links.count))
        row.droppedLinksCount = span.droppedLinksCount
        row.statusCode = span.status.code
        row.statusMessage = appendString(span.status.message)
        return row
    }

    private enum AttributeTable {
        case span, event, link, nested
    }

    private mutating func appendAttributes(_ attributes: [Attribute], to table: AttributeTable) -> TableRange {
        // Values first: their children go to the nested tables, so this list stays contiguous.
        let slots = attributes.map { AttributeSlot(key: appendString($0.key), value: appendValue($0.value)) }
        let start: Int
        switch table {
        case .span:
            start = tables.spanAttributes.count
            tables.spanAttributes.append(contentsOf: slots)
        case .event:
            start = tables.eventAttributes.count
            tables.eventAttributes.append(contentsOf: slots)
        case .link:
            start = tables.linkAttributes.count
            tables.linkAttributes.append(contentsOf: slots)
        case .nested:
            start = tables.nestedAttributes.count
            tables.nestedAttributes.append(contentsOf: slots)
        }
        return TableRange(start: UInt32(start), count: UInt32(slots.count))
    }

    private mutating func appendValue(_ value: AttributeValue) -> ValueSlot {
        switch value {
        case .empty: return .empty
        case .string(let string): return .string(appendString(string))
        case .bool(let bool): return .bool(bool)
        case .int(let int): return .int(int)
        case .double(let double): return .double(double)
        case .bytes(let bytes): return .bytes(bytes.withUnsafeBytes { appendBytes($0) })
        case .array(let elements):
            let slots = elements.map { appendValue($0) }
            let start = tables.nestedValues.count
            tables.nestedValues.append(contentsOf: slots)
            return .array(TableRange(start: UInt32(start), count: UInt32(slots.count)))
        case .keyValueList(let entries):
            return .keyValueList(appendAttributes(entries, to: .nested))
        }
    }

    // MARK: Bytes

    /// The arena bytes of a string (the payload's own unless it has escapes).
    @inline(__always)
    private mutating func arenaRef(_ token: JSONStringToken) -> ByteRef {
        tables.jsonStringRef(token, from: scanner, inputCount: payload.count)
    }

    /// The arena bytes of a string in an annotation's JSON (`annotationText`): the
    /// payload's own when they are a copy of a run of it, else decoded into the arena.
    private mutating func copyToArena(_ token: JSONStringToken, from scanner: JSONScanner) -> ByteRef {
        if token.count == 0 { return .empty }
        if !token.hasEscapes {
            for run in textRuns where run.output <= token.start && token.end <= run.output + run.count {
                return ByteRef(offset: UInt32(truncatingIfNeeded: run.input + token.start - run.output), count: UInt32(truncatingIfNeeded: token.count))
            }
        }
        return tables.appendUnescaped(token, from: scanner, inputCount: payload.count)
    }

    private mutating func appendString(_ string: String) -> ByteRef {
        var string = string
        return string.withUTF8 { appendBytes(UnsafeRawBufferPointer($0)) }
    }

    private mutating func appendBytes(_ bytes: UnsafeRawBufferPointer) -> ByteRef {
        if bytes.isEmpty { return .empty }
        tables.reserveArenaForAppends(inputCount: payload.count)
        let offset = tables.arena.count
        tables.arena.append(contentsOf: bytes)
        return ByteRef(offset: UInt32(truncatingIfNeeded: offset), count: UInt32(truncatingIfNeeded: bytes.count))
    }

    /// The arena ref of a key the mapping adds, appended the first time it is used.
    private mutating func constantKey(_ key: ZipkinConstantKey) -> ByteRef {
        let index = Int(key.rawValue)
        if constantKeys[index].count == 0 {
            let text = key.text
            constantKeys[index] = appendBytes(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
        }
        return constantKeys[index]
    }

    /// The payload bytes of a token without escapes.
    @inline(__always)
    private func inputBytes(_ token: JSONStringToken) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: scanner.base + token.start, count: token.count)
    }

    // Byte reading goes through ``ArenaReader``, a plain value: a non-mutating method
    // of the decoder called from a mutating one would copy the whole decoder.

    @inline(__always)
    private func withBytes<R>(_ ref: ByteRef, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        ArenaReader(scanner).withBytes(ref, tables.arena, body)
    }

    @inline(__always)
    private func string(_ ref: ByteRef) -> String {
        ArenaReader(scanner).string(ref, tables.arena)
    }

    @inline(__always)
    private func equalBytes(_ a: ByteRef, _ b: ByteRef) -> Bool {
        ArenaReader(scanner).equalBytes(a, b, tables.arena)
    }

    @inline(__always)
    private func equalStrings(_ a: ByteRef, _ b: ByteRef) -> Bool {
        ArenaReader(scanner).equalStrings(a, b, tables.arena)
    }

    @inline(__always)
    private func equals(_ ref: ByteRef, _ literal: StaticString) -> Bool {
        ArenaReader(scanner).withBytes(ref, tables.arena) {
            ZipkinBytes.equalStrings($0, UnsafeRawBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
        }
    }
}

/// Reads arena bytes for the decoder: those of the payload through a pointer, the rest
/// (text that was unescaped or added) from the arena.
private struct ArenaReader {
    let payload: UnsafeRawBufferPointer

    @inline(__always)
    init(_ scanner: JSONScanner) {
        payload = UnsafeRawBufferPointer(start: scanner.base, count: scanner.count)
    }

    /// The payload bytes at `ref`; nil when `ref` lies after the payload.
    @inline(__always)
    func payloadBytes(_ ref: ByteRef) -> UnsafeRawBufferPointer? {
        let end = Int(ref.offset) + Int(ref.count)
        guard end <= payload.count, let base = payload.baseAddress else { return nil }
        return UnsafeRawBufferPointer(start: base + Int(ref.offset), count: Int(ref.count))
    }

    /// Calls `body` with the arena bytes at `ref` (empty if `ref` lies outside the arena).
    @inline(__always)
    func withBytes<R>(_ ref: ByteRef, _ arena: [UInt8], _ body: (UnsafeRawBufferPointer) -> R) -> R {
        if let bytes = payloadBytes(ref) { return body(bytes) }
        return arena.withUnsafeBytes { body(ZipkinBytes.slice($0, ref)) }
    }

    func string(_ ref: ByteRef, _ arena: [UInt8]) -> String {
        withBytes(ref, arena) { String(decoding: $0, as: UTF8.self) }
    }

    /// Byte equality.
    @inline(__always)
    func equalBytes(_ a: ByteRef, _ b: ByteRef, _ arena: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        if a.offset == b.offset { return true }
        if let x = payloadBytes(a), let y = payloadBytes(b) { return ZipkinBytes.equal(x, y) }
        return withBytes(a, arena) { x in withBytes(b, arena) { y in ZipkinBytes.equal(x, y) } }
    }

    /// String equality (canonical equivalence).
    @inline(__always)
    func equalStrings(_ a: ByteRef, _ b: ByteRef, _ arena: [UInt8]) -> Bool {
        if equalBytes(a, b, arena) { return true }
        return withBytes(a, arena) { x in withBytes(b, arena) { y in ZipkinBytes.equalStrings(x, y) } }
    }

    /// True when the resource at `existing` rows of `table` holds the attributes of
    /// `candidate`, in any order, compared as Strings (keys are unique in both). Zipkin
    /// resources hold strings only (``ZipkinSpanDecoder`` makes them so).
    func sameResource(_ existing: TableRange, _ candidate: [AttributeSlot], _ table: [AttributeSlot], _ arena: [UInt8]) -> Bool {
        guard Int(existing.count) == candidate.count else { return false }
        // Hot path: spans of one service repeat its resource in the same order.
        var sameOrder = true
        for (offset, attribute) in candidate.enumerated() {
            let row = table[Int(existing.start) + offset]
            guard row.value.kind == .string, attribute.value.kind == .string, equalBytes(row.key, attribute.key, arena),
                  equalBytes(row.value.byteRef, attribute.value.byteRef, arena)
            else {
                sameOrder = false
                break
            }
        }
        if sameOrder { return true }
        for attribute in candidate {
            var matched = false
            for index in existing.indices where equalStrings(table[index].key, attribute.key, arena) {
                let value = table[index].value
                guard value.kind == .string, attribute.value.kind == .string,
                      equalStrings(value.byteRef, attribute.value.byteRef, arena)
                else { return false }
                matched = true
                break
            }
            guard matched else { return false }
        }
        return true
    }
}

// MARK: - Supporting types

private enum SpanField: UInt8 {
    case traceID, id, parentID, name, kind, timestamp, duration, debug, shared, localEndpoint, remoteEndpoint, annotations, tags
    case unknown

    init(_ key: UnsafeRawBufferPointer) {
        switch key.count {
        case 2: self = key.equals("id") ? .id : .unknown
        case 4: self = key.equals("name") ? .name : key.equals("kind") ? .kind : key.equals("tags") ? .tags : .unknown
        case 5: self = key.equals("debug") ? .debug : .unknown
        case 6: self = key.equals("shared") ? .shared : .unknown
        case 7: self = key.equals("traceId") ? .traceID : .unknown
        case 8: self = key.equals("parentId") ? .parentID : key.equals("duration") ? .duration : .unknown
        case 9: self = key.equals("timestamp") ? .timestamp : .unknown
        case 11: self = key.equals("annotations") ? .annotations : .unknown
        case 13: self = key.equals("localEndpoint") ? .localEndpoint : .unknown
        case 14: self = key.equals("remoteEndpoint") ? .remoteEndpoint : .unknown
        default: self = .unknown
        }
    }
}

private enum EndpointField {
    case serviceName, ipv4, ipv6, port, unknown

    init(_ key: UnsafeRawBufferPointer) {
        self = key.equals("serviceName") ? .serviceName : key.equals("ipv4") ? .ipv4
            : key.equals("ipv6") ? .ipv6 : key.equals("port") ? .port : .unknown
    }
}

private enum AnnotationField {
    case timestamp, value, unknown

    init(_ key: UnsafeRawBufferPointer) {
        self = key.equals("timestamp") ? .timestamp : key.equals("value") ? .value : .unknown
    }
}

/// How many rows each table had, to drop what a span that fell back to the tree decoder
/// appended. The arena keeps its bytes: unreferenced bytes are harmless, and constant
/// keys may point at them.
private struct Marks {
    var spans, spanAttributes, events, eventAttributes, links, linkAttributes, nestedValues, nestedAttributes: Int
    var valueStack, attributeStack: Int

    init(_ tables: SpanTables, valueStack: Int, attributeStack: Int) {
        spans = tables.spans.count
        spanAttributes = tables.spanAttributes.count
        events = tables.events.count
        eventAttributes = tables.eventAttributes.count
        links = tables.links.count
        linkAttributes = tables.linkAttributes.count
        nestedValues = tables.nestedValues.count
        nestedAttributes = tables.nestedAttributes.count
        self.valueStack = valueStack
        self.attributeStack = attributeStack
    }

    func restore(_ tables: inout SpanTables, valueStack: inout [ValueSlot], attributeStack: inout [AttributeSlot]) {
        tables.spans.removeLast(tables.spans.count - spans)
        tables.spanAttributes.removeLast(tables.spanAttributes.count - spanAttributes)
        tables.events.removeLast(tables.events.count - events)
        tables.eventAttributes.removeLast(tables.eventAttributes.count - eventAttributes)
        tables.links.removeLast(tables.links.count - links)
        tables.linkAttributes.removeLast(tables.linkAttributes.count - linkAttributes)
        tables.nestedValues.removeLast(tables.nestedValues.count - nestedValues)
        tables.nestedAttributes.removeLast(tables.nestedAttributes.count - nestedAttributes)
        valueStack.truncate(to: self.valueStack)
        attributeStack.truncate(to: self.attributeStack)
    }
}

/// Keys the mapping adds to the tables, appended to the arena once per batch.
enum ZipkinConstantKey: UInt8, CaseIterable {
    case serviceName, localAddress, localPort, peerService, peerAddress, peerPort, shared, debug, startTimeAbsent

    var text: StaticString {
        switch self {
        case .serviceName: ZipkinKeys.serviceName
        case .localAddress: ZipkinKeys.localAddress
        case .localPort: ZipkinKeys.localPort
        case .peerService: ZipkinKeys.peerService
        case .peerAddress: ZipkinKeys.peerAddress
        case .peerPort: ZipkinKeys.peerPort
        case .shared: ZipkinKeys.shared
        case .debug: ZipkinKeys.debug
        case .startTimeAbsent: ZipkinKeys.startTimeAbsent
        }
    }
}

/// Byte helpers for the Zipkin codec.
enum ZipkinBytes {
    /// The bytes of `ref` in `arena`; empty if it lies outside.
    @inline(__always)
    static func slice(_ arena: UnsafeRawBufferPointer, _ ref: ByteRef) -> UnsafeRawBufferPointer {
        let end = Int(ref.offset) + Int(ref.count)
        guard end <= arena.count, let base = arena.baseAddress else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: base + Int(ref.offset), count: Int(ref.count))
    }

    /// Byte equality, a word at a time.
    @inline(__always)
    static func equal(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        let count = a.count
        guard count == b.count else { return false }
        guard count > 0, let x = a.baseAddress, let y = b.baseAddress else { return true }
        var offset = 0
        while offset + 8 <= count {
            guard x.loadUnaligned(fromByteOffset: offset, as: UInt64.self) == y.loadUnaligned(fromByteOffset: offset, as: UInt64.self) else { return false }
            offset += 8
        }
        while offset < count {
            guard x.load(fromByteOffset: offset, as: UInt8.self) == y.load(fromByteOffset: offset, as: UInt8.self) else { return false }
            offset += 1
        }
        return true
    }

    /// String equality: Swift compares Strings by canonical equivalence, so text that is
    /// not ASCII may equal other bytes ("é" and "e\u{301}", "\u{212A}" and "K").
    static func equalStrings(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        if equal(a, b) { return true }
        guard !isASCII(a) || !isASCII(b) else { return false }
        return String(decoding: a, as: UTF8.self) == String(decoding: b, as: UTF8.self)
    }

    /// True when every byte is ASCII. Hot path: eight bytes at a time.
    @inline(__always)
    static func isASCII(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        var ored: UInt64 = 0
        var offset = 0
        while offset + 8 <= bytes.count {
            ored |= base.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            offset += 8
        }
        while offset < bytes.count {
            ored |= UInt64(base.load(fromByteOffset: offset, as: UInt8.self))
            offset += 1
        }
        return ored & 0x8080_8080_8080_8080 == 0
    }
}

/// What a tag key means to the mapping.
enum ZipkinTagKey: UInt8, CaseIterable {
    case plain, resource, link
    case traceState, spanKind, statusCode, statusDescription, error
    case scopeName, scopeVersion, libraryName, libraryVersion
    case droppedAttributesCount, droppedEventsCount, droppedLinksCount, serviceNameSource

    /// True when the switch below agrees with ``ZipkinKeys``; asserted in debug builds, so
    /// that tests catch a key changed in one place and not the other.
    static var agreesWithZipkinKeys: Bool {
        func kind(_ key: String) -> ZipkinTagKey {
            var key = key
            return key.withUTF8 { ZipkinTagKey(UnsafeRawBufferPointer($0)) }
        }
        let keys: [(StaticString, ZipkinTagKey)] = [
            (ZipkinKeys.traceState, .traceState), (ZipkinKeys.spanKind, .spanKind), (ZipkinKeys.statusCode, .statusCode),
            (ZipkinKeys.statusDescription, .statusDescription), (ZipkinKeys.error, .error), (ZipkinKeys.scopeName, .scopeName),
            (ZipkinKeys.scopeVersion, .scopeVersion), (ZipkinKeys.libraryName, .libraryName), (ZipkinKeys.libraryVersion, .libraryVersion),
            (ZipkinKeys.droppedAttributesCount, .droppedAttributesCount), (ZipkinKeys.droppedEventsCount, .droppedEventsCount),
            (ZipkinKeys.droppedLinksCount, .droppedLinksCount), (ZipkinKeys.serviceNameSource, .serviceNameSource),
        ]
        return ZipkinKeys.resourceKeys.allSatisfy { kind($0) == .resource }
            && keys.allSatisfy { kind($0.0.description) == $0.1 }
            && kind(ZipkinKeys.linkPrefix.description + "0") == .link
            && kind("http.method") == .plain
    }

    /// The meaning of a tag key, from its bytes (ASCII; see ``ZipkinKeys``). Generated from
    /// ``ZipkinKeys/resourceKeys`` and the keys with meaning: a switch on the length and the
    /// first byte leaves one or two comparisons.
    init(_ key: UnsafeRawBufferPointer) {
        guard let first = key.first else {
            self = .plain
            return
        }
        switch key.count {
        case 5:
            switch first {
            case UInt8(ascii: "e"): self = key.equals("error") ? .error : .plain
            default: self = .plain
            }
        case 7:
            switch first {
            case UInt8(ascii: "f"): self = key.equals("faas.id") ? .resource : .plain
            case UInt8(ascii: "h"): self = key.equals("host.id") ? .resource : .plain
            case UInt8(ascii: "o"): self = key.equals("os.type") ? .resource : key.equals("os.name") ? .resource : .plain
            default: self = .plain
            }
        case 9:
            switch first {
            case UInt8(ascii: "d"): self = key.equals("device.id") ? .resource : .plain
            case UInt8(ascii: "f"): self = key.equals("faas.name") ? .resource : .plain
            case UInt8(ascii: "h"): self = key.equals("host.name") ? .resource : key.equals("host.type") ? .resource : key.equals("host.arch") ? .resource : .plain
            case UInt8(ascii: "s"): self = key.equals("span.kind") ? .spanKind : .plain
            default: self = .plain
            }
        case 10:
            switch first {
            case UInt8(ascii: "o"): self = key.equals("os.version") ? .resource : .plain
            default: self = .plain
            }
        case 11:
            switch first {
            case UInt8(ascii: "k"): self = key.equals("k8s.pod.uid") ? .resource : key.equals("k8s.job.uid") ? .resource : .plain
            case UInt8(ascii: "p"): self = key.equals("process.pid") ? .resource : .plain
            default: self = .plain
            }
        case 12:
            switch first {
            case UInt8(ascii: "c"): self = key.equals("cloud.region") ? .resource : key.equals("container.id") ? .resource : .plain
            case UInt8(ascii: "f"): self = key.equals("faas.version") ? .resource : .plain
            case UInt8(ascii: "k"): self = key.equals("k8s.node.uid") ? .resource : key.equals("k8s.pod.name") ? .resource : key.equals("k8s.job.name") ? .resource : .plain
            case UInt8(ascii: "s"): self = key.equals("service.name") ? .resource : .plain
            default: self = .plain
            }
        case 13:
            switch first {
            case UInt8(ascii: "f"): self = key.equals("faas.instance") ? .resource : .plain
            case UInt8(ascii: "h"): self = key.equals("host.image.id") ? .resource : .plain
            case UInt8(ascii: "k"): self = key.equals("k8s.node.name") ? .resource : .plain
            case UInt8(ascii: "p"): self = key.equals("process.owner") ? .resource : .plain
            default: self = .plain
            }
        case 14:
            switch first {
            case UInt8(ascii: "c"): self = key.equals("cloud.provider") ? .resource : key.equals("cloud.platform") ? .resource : key.equals("container.name") ? .resource : .plain
            case UInt8(ascii: "o"): self = key.equals("os.description") ? .resource : .plain
            case UInt8(ascii: "w"): self = key.equals("webengine.name") ? .resource : key.equals("w3c.tracestate") ? .traceState : .plain
            default: self = .plain
            }
        case 15:
            switch first {
            case UInt8(ascii: "f"): self = key.equals("faas.max_memory") ? .resource : .plain
            case UInt8(ascii: "h"): self = key.equals("host.image.name") ? .resource : .plain
            case UInt8(ascii: "k"): self = key.equals("k8s.cronjob.uid") ? .resource : .plain
            case UInt8(ascii: "o"): self = key.equals("otel.scope.name") ? .scopeName : .plain
            case UInt8(ascii: "p"): self = key.equals("process.command") ? .resource : .plain
            case UInt8(ascii: "s"): self = key.equals("service.version") ? .resource : .plain
            default: self = .plain
            }
        case 16:
            switch first {
            case UInt8(ascii: "a"): self = key.equals("aws.ecs.task.arn") ? .resource : .plain
            case UInt8(ascii: "c"): self = key.equals("cloud.account.id") ? .resource : .plain
            case UInt8(ascii: "k"): self = key.equals("k8s.cluster.name") ? .resource : key.equals("k8s.cronjob.name") ? .resource : .plain
            case UInt8(ascii: "o"): self = key.equals("otel.status_code") ? .statusCode : .plain
            default: self = .plain
            }
        case 17:
            switch first {
            case UInt8(ascii: "c"): self = key.equals("container.runtime") ? .resource : .plain
            case UInt8(ascii: "d"): self = key.equals("device.model.name") ? .resource : .plain
            case UInt8(ascii: "k"): self = key.equals("k8s.daemonset.uid") ? .resource : .plain
            case UInt8(ascii: "o"): self = key.equals("otel.library.name") ? .libraryName : .plain
            case UInt8(ascii: "s"): self = key.equals("service.namespace") ? .resource : .plain
            case UInt8(ascii: "w"): self = key.equals("webengine.version") ? .resource : .plain
            default: self = .plain
            }
        case 18:
            switch first {
            case UInt8(ascii: "a"): self = key.equals("aws.ecs.launchtype") ? .resource : key.equals("aws.log.group.arns") ? .resource : .plain
            case UInt8(ascii: "h"): self = key.equals("host.image.version") ? .resource : .plain
            case UInt8(ascii: "k"): self = key.equals("k8s.namespace.name") ? .resource : key.equals("k8s.container.name") ? .resource : key.equals("k8s.replicaset.uid") ? .resource : key.equals("k8s.deployment.uid") ? .resource : key.equals("k8s.daemonset.name") ? .resource : .plain
            case UInt8(ascii: "o"): self = key.equals("otel.scope.version") ? .scopeVersion : .plain
            case UInt8(ascii: "t"): self = key.equals("telemetry.sdk.name") ? .resource : .plain
            default: self = .plain
            }
        case 19:
            switch first {
            case UInt8(ascii: "a"): self = key.equals("aws.ecs.cluster.arn") ? .resource : key.equals("aws.ecs.task.family") ? .resource : key.equals("aws.eks.cluster.arn") ? .resource : key.equals("aws.log.group.names") ? .resource : key.equals("aws.log.stream.arns") ? .resource : .plain
            case UInt8(ascii: "c"): self = key.equals("container.image.tag") ? .resource : .plain
            case UInt8(ascii: "k"): self = key.equals("k8s.replicaset.name") ? .resource : key.equals("k8s.deployment.name") ? .resource : key.equals("k8s.statefulset.uid") ? .resource : .plain
            case UInt8(ascii: "s"): self = key.equals("service.instance.id") ? .resource : .plain
            default: self = .plain
            }
        case 20:
            switch first {
            case UInt8(ascii: "a"): self = key.equals("aws.log.stream.names") ? .resource : .plain
            case UInt8(ascii: "c"): self = key.equals("container.image.name") ? .resource : .plain
            case UInt8(ascii: "k"): self = key.equals("k8s.statefulset.name") ? .resource : .plain
            case UInt8(ascii: "o"): self = key.equals("opencensus.starttime") ? .resource : key.equals("otel.library.version") ? .libraryVersion : .plain
            case UInt8(ascii: "p"): self = key.equals("process.command_line") ? .resource : key.equals("process.command_args") ? .resource : key.equals("process.runtime.name") ? .resource : .plain
            default: self = .plain
            }
        case 21:
            switch first {
            case UInt8(ascii: "a"): self = key.equals("aws.ecs.container.arn") ? .resource : key.equals("aws.ecs.task.revision") ? .resource : .plain
            case UInt8(ascii: "t"): self = key.equals("telemetry.sdk.version") ? .resource : .plain
            case UInt8(ascii: "w"): self = key.equals("webengine.description") ? .resource : .plain
            default: self = .plain
            }
        case 22:
            switch first {
            case UInt8(ascii: "d"): self = key.equals("deployment.environment") ? .resource : .plain
            case UInt8(ascii: "t"): self = key.equals("telemetry.sdk.language") ? .resource : key.equals("telemetry.auto.version") ? .resource : .plain
            default: self = .plain
            }
        case 23:
            switch first {
            case UInt8(ascii: "c"): self = key.equals("cloud.availability_zone") ? .resource : .plain
            case UInt8(ascii: "d"): self = key.equals("device.model.identifier") ? .resource : .plain
            case UInt8(ascii: "o"): self = key.equals("opencensus.resourcetype") ? .resource : key.equals("otel.status_description") ? .statusDescription : .plain
            case UInt8(ascii: "p"): self = key.equals("process.executable.name") ? .resource : key.equals("process.executable.path") ? .resource : key.equals("process.runtime.version") ? .resource : .plain
            default: self = .plain
            }
        case 24:
            switch first {
            case UInt8(ascii: "o"): self = key.equals("otel.dropped_links_count") ? .droppedLinksCount : key.equals("otlp.service.name.source") ? .serviceNameSource : .plain
            default: self = .plain
            }
        case 25:
            switch first {
            case UInt8(ascii: "o"): self = key.equals("otel.dropped_events_count") ? .droppedEventsCount : .plain
            default: self = .plain
            }
        case 26:
            switch first {
            case UInt8(ascii: "o"): self = key.equals("opencensus.exporterversion") ? .resource : .plain
            default: self = .plain
            }
        case 27:
            switch first {
            case UInt8(ascii: "p"): self = key.equals("process.runtime.description") ? .resource : .plain
            default: self = .plain
            }
        case 29:
            switch first {
            case UInt8(ascii: "o"): self = key.equals("otel.dropped_attributes_count") ? .droppedAttributesCount : .plain
            default: self = .plain
            }
        default: self = .plain
        }
        let linkPrefix = ZipkinKeys.linkPrefix.utf8CodeUnitCount
        if self == .plain, first == UInt8(ascii: "o"), key.count > linkPrefix,
           UnsafeRawBufferPointer(rebasing: key[0..<linkPrefix]).equals(ZipkinKeys.linkPrefix)
        {
            self = .link
        }
    }
}
