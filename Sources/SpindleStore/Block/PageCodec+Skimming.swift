import SpindleModel

// Reading a page without building span values: what a trace that is not wanted, or
// that a search can rule out, costs. Every check the decoder makes is made here too, in
// the same order, so a page throws the same ``FormatError`` whichever way it is read.

/// A page's string table as byte ranges: reading it builds no String.
struct PageStrings {
    /// The string table stream (docs/format/block.md, "String table").
    let bytes: [UInt8]
    /// String `i` is `bytes[ranges[i]]`.
    let ranges: [Range<Int>]

    var count: Int { ranges.count }

    /// Checks what ``StringDictionary/init(decoding:indexed:)`` checks, so either both
    /// accept the bytes or both throw.
    init(decoding bytes: [UInt8]) throws(FormatError) {
        var reader = ByteReader(bytes)
        let count = try reader.count(atMost: bytes.count, "the dictionary's string count")
        var ranges: [Range<Int>] = []
        ranges.reserveCapacity(count)
        for _ in 0..<count {
            let length = try reader.count(atMost: reader.remaining, "a length")
            let start = reader.offset
            _ = try reader.slice(length)
            ranges.append(start..<(start + length))
        }
        self.bytes = bytes
        self.ranges = ranges
    }

    /// True when string `id`, decoded as the page decoder decodes it (invalid UTF-8
    /// replaced by U+FFFD), has exactly the UTF-8 bytes `target` — the byte comparison
    /// the in-memory matcher makes on decoded spans. `id` must be below ``count``.
    func decodes(_ id: UInt32, to target: [UInt8]) -> Bool {
        let raw = bytes[ranges[Int(id)]]
        if raw.elementsEqual(target) { return true }
        // Other bytes can only decode to `target` if some are not valid UTF-8, which
        // ASCII always is.
        if raw.allSatisfy({ $0 < 0x80 }) { return false }
        return String(decoding: raw, as: UTF8.self).utf8.elementsEqual(target)
    }
}

/// Which strings of one page decode to a given string, each string compared at most once.
struct PageStringMatcher {
    let target: [UInt8]
    /// Per string index: 0 not compared yet, 1 equal, 2 different.
    private var verdicts: [UInt8]

    init(_ target: String, strings: PageStrings) {
        self.target = Array(target.utf8)
        verdicts = [UInt8](repeating: 0, count: strings.count)
    }

    /// `id` must be below `strings.count` (the decoder checks every index it reads).
    mutating func matches(_ id: UInt32, in strings: PageStrings) -> Bool {
        let index = Int(id)
        guard index < verdicts.count else { return false }
        if verdicts[index] == 0 { verdicts[index] = strings.decodes(id, to: target) ? 1 : 2 }
        return verdicts[index] == 1
    }
}

/// The fields of a span row that come before its attributes, string indexes unresolved.
struct RowHead {
    var start: UInt64
    var spanID: SpanID
    /// The parent's ID when it is not a row of the trace (`.zero` for none).
    var parentID: SpanID
    /// The parent's row in the trace, when it is one.
    var parentRow: Int?
    /// `end − start`, wrapping (so an end before the start is kept exactly).
    var durationBits: UInt64
    var name: UInt32
    var kind: Int32
    var status: Int32
    var statusMessage: UInt32
    var group: Int

    var end: UInt64 { start &+ durationBits }
    /// The duration as search measures it: 0 when the end is before the start.
    var duration: UInt64 { end >= start ? end - start : 0 }
}

/// The streams span rows are read from, taken out of the decoder's array for one trace:
/// reading a named local reader costs no array access and no reference counting, which
/// per field of every row is most of what skimming costs otherwise.
struct RowStreams {
    var starts, spanIDs, parents, parentIDs, durations, names, kinds, status, groups, misc: ByteReader
    var attributeCounts, attributeKeys, attributeValues, events, links: ByteReader
    let stringCount: Int
    let groupCount: Int

    init(_ readers: [ByteReader], stringCount: Int, groupCount: Int) {
        func reader(_ stream: PageCodec.Stream) -> ByteReader { readers[stream.rawValue] }
        starts = reader(.starts)
        spanIDs = reader(.spanIDs)
        parents = reader(.parents)
        parentIDs = reader(.parentIDs)
        durations = reader(.durations)
        names = reader(.names)
        kinds = reader(.kinds)
        status = reader(.status)
        groups = reader(.groups)
        misc = reader(.misc)
        attributeCounts = reader(.attributeCounts)
        attributeKeys = reader(.attributeKeys)
        attributeValues = reader(.attributeValues)
        events = reader(.events)
        links = reader(.links)
        self.stringCount = stringCount
        self.groupCount = groupCount
    }

    /// Puts the readers, moved on, back into the decoder's array.
    func store(into readers: inout [ByteReader]) {
        func put(_ stream: PageCodec.Stream, _ reader: ByteReader) { readers[stream.rawValue] = reader }
        put(.starts, starts)
        put(.spanIDs, spanIDs)
        put(.parents, parents)
        put(.parentIDs, parentIDs)
        put(.durations, durations)
        put(.names, names)
        put(.kinds, kinds)
        put(.status, status)
        put(.groups, groups)
        put(.misc, misc)
        put(.attributeCounts, attributeCounts)
        put(.attributeKeys, attributeKeys)
        put(.attributeValues, attributeValues)
        put(.events, events)
        put(.links, links)
    }

    /// Reads row `row` of a trace of `count` spans up to its group: start, span ID,
    /// parent, duration, name, kind, status, group. Row 0 sets `traceStart` from
    /// `previousTraceStart`, and moves that on.
    mutating func head(_ row: Int, of count: Int, traceStart: inout UInt64, previousTraceStart: inout UInt64) throws(FormatError) -> RowHead {
        let delta = UInt64(bitPattern: try starts.zigzag())
        let start: UInt64
        if row == 0 {
            traceStart = previousTraceStart &+ delta
            previousTraceStart = traceStart
            start = traceStart
        } else {
            start = traceStart &+ delta
        }
        let spanID = try spanIDs.spanID()
        let parentCode = try parents.varint()
        var parentID = SpanID.zero
        var parentRow: Int?
        switch parentCode {
        case 0: break
        case 1: parentID = try parentIDs.spanID()
        default:
            guard parentCode - 2 < UInt64(count) else { throw parents.error("parent row \(parentCode - 2) outside a trace of \(count) spans") }
            parentRow = Int(parentCode - 2)
        }
        let durationBits = UInt64(bitPattern: try durations.zigzag())
        let name = try PageCodec.stringIndex(&names, stringCount)
        let kind = Int32(truncatingIfNeeded: try kinds.zigzag())
        let statusCode = Int32(truncatingIfNeeded: try status.zigzag())
        let statusMessage = try PageCodec.stringIndex(&status, stringCount)
        let group = try groups.count(atMost: max(groupCount - 1, 0), "a group index")
        guard group < groupCount else { throw groups.error("group \(group) of \(groupCount)") }
        return RowHead(
            start: start, spanID: spanID, parentID: parentID, parentRow: parentRow, durationBits: durationBits,
            name: name, kind: kind, status: statusCode, statusMessage: statusMessage, group: group
        )
    }

    /// Reads the rest of a row (misc, attributes, events, links), checking it as the
    /// decoder does, building nothing.
    mutating func skimRest() throws(FormatError) {
        _ = try PageCodec.stringIndex(&misc, stringCount)
        _ = try misc.u32Varint("span flags")
        _ = try misc.u32Varint("dropped attributes")
        _ = try misc.u32Varint("dropped events")
        _ = try misc.u32Varint("dropped links")
        try skimAttributes()
        let eventCount = try events.count(atMost: events.remaining, "an event count")
        for _ in 0..<eventCount {
            _ = try events.zigzag()
            _ = try PageCodec.stringIndex(&events, stringCount)
            _ = try events.u32Varint("dropped event attributes")
            try skimAttributes()
        }
        let linkCount = try links.count(atMost: links.remaining, "a link count")
        for _ in 0..<linkCount {
            _ = try links.traceID()
            _ = try links.spanID()
            _ = try PageCodec.stringIndex(&links, stringCount)
            _ = try links.u32Varint("link flags")
            _ = try links.u32Varint("dropped link attributes")
            try skimAttributes()
        }
    }

    /// Reads past one attribute list.
    private mutating func skimAttributes() throws(FormatError) {
        let count = try attributeCounts.count(atMost: attributeKeys.remaining, "an attribute count")
        for _ in 0..<count {
            _ = try PageCodec.stringIndex(&attributeKeys, stringCount)
            try PageCodec.skipValue(&attributeValues, stringCount: stringCount, depth: 0)
        }
    }
}

extension PageCodec.Decoder {
    /// The row streams, to read a trace's rows from (put back with ``RowStreams/store(into:)``).
    func rowStreams() -> RowStreams {
        RowStreams(readers, stringCount: strings.count, groupCount: serviceOfGroup.count)
    }

    /// Reads the `count` rows of the trace whose header was just read, checking them as
    /// ``decodeTrace(_:count:)`` does, without copying their strings, attributes,
    /// events or links (the hot path of a search over pages whose traces mostly cannot
    /// match); `visit` sees each row's head.
    mutating func skimTrace(count: Int, _ visit: (RowHead) -> Void) throws(FormatError) {
        var rows = rowStreams()
        var traceStart: UInt64 = 0
        for row in 0..<count {
            let head = try rows.head(row, of: count, traceStart: &traceStart, previousTraceStart: &previousTraceStart)
            try rows.skimRest()
            visit(head)
        }
        rows.store(into: &readers)
    }
}

extension PageCodec {
    /// A string index, checked against a table of `stringCount` strings (the check and
    /// message of ``StringDictionary/string(_:at:)``).
    static func stringIndex(_ reader: inout ByteReader, _ stringCount: Int) throws(FormatError) -> UInt32 {
        let id = try reader.u32Varint("a string index")
        guard Int(id) < stringCount else { throw reader.error("string \(id) is past the dictionary's \(stringCount)") }
        return id
    }

    /// Reads past a tagged value, checking it as ``value(_:dictionary:depth:)`` does
    /// (tags, string indexes, lengths, nesting depth). Returns the string index of a
    /// string value, nil for any other.
    @discardableResult
    static func skipValue(_ reader: inout ByteReader, stringCount: Int, depth: Int) throws(FormatError) -> UInt32? {
        guard depth < maxDepth else { throw reader.error("attribute values nested deeper than \(maxDepth)") }
        let tagOffset = reader.offset
        guard let tag = ValueTag(rawValue: try reader.u8()) else {
            throw FormatError(message: "unknown attribute value tag", offset: tagOffset)
        }
        switch tag {
        case .empty, .false, .true: break
        case .string: return try stringIndex(&reader, stringCount)
        case .int: _ = try reader.zigzag()
        case .double: _ = try reader.u64()
        case .bytes: _ = try reader.lengthPrefixed()
        case .array:
            let count = try reader.count(atMost: reader.remaining, "an array's length")
            for _ in 0..<count { try skipValue(&reader, stringCount: stringCount, depth: depth + 1) }
        case .keyValueList:
            let count = try reader.count(atMost: reader.remaining, "a list's length")
            for _ in 0..<count {
                _ = try stringIndex(&reader, stringCount)
                try skipValue(&reader, stringCount: stringCount, depth: depth + 1)
            }
        }
        return nil
    }

    /// Reads the group table, checking everything that decoding a group checks
    /// (``PageTableBuilder``), building nothing. Returns, per group, where it starts in
    /// the page (to decode it from there when one of its spans is decoded) and the string
    /// index of its resource's `service.name` when that is a string: the first attribute
    /// with that key decides, as the in-memory matcher's lookup does.
    static func skimGroupTable(_ reader: ByteReader, _ strings: PageStrings) throws(FormatError) -> (services: [UInt32?], offsets: [Int]) {
        var reader = reader
        var serviceKey = PageStringMatcher("service.name", strings: strings)
        let count = try reader.count(atMost: reader.remaining, "the group count")
        var services: [UInt32?] = []
        var offsets: [Int] = []
        for _ in 0..<count {
            offsets.append(reader.offset)
            var service: UInt32?
            var keyFound = false
            let attributeCount = try reader.count(atMost: reader.remaining, "an attribute count")
            for _ in 0..<attributeCount {
                let key = try stringIndex(&reader, strings.count)
                let value = try skipValue(&reader, stringCount: strings.count, depth: 0)
                if !keyFound, serviceKey.matches(key, in: strings) {
                    keyFound = true
                    service = value
                }
            }
            services.append(service)
            _ = try reader.u32Varint("dropped resource attributes")
            for _ in 0..<3 { _ = try stringIndex(&reader, strings.count) }
            let scopeAttributeCount = try reader.count(atMost: reader.remaining, "an attribute count")
            for _ in 0..<scopeAttributeCount {
                _ = try stringIndex(&reader, strings.count)
                try skipValue(&reader, stringCount: strings.count, depth: 0)
            }
            _ = try reader.u32Varint("dropped scope attributes")
            _ = try stringIndex(&reader, strings.count)
        }
        return (services, offsets)
    }
}
