import SpindleModel
import SpindleStorage

/// The bytes of a block file (docs/format/block.md).
///
///     header   "SPNDLBLK" | u32 version | u32 0                         16 bytes
///     pages    each a zlib stream of one page (PageCodec)
///     catalog (span names, attribute keys), trace index: zlib streams
///     bloom filter, then the pages' attribute filters: raw little-endian u64 words
///     meta     BlockMeta, uncompressed
///     footer   u64 meta offset | u32 meta length | u32 meta CRC-32 | "SPBLKEND"   24 bytes
///
/// Every section's CRC-32 is in the meta, so any flipped byte is caught when the
/// section is read, and reported with the file and the section's offset.
enum BlockFormat {
    static let magic: [UInt8] = Array("SPNDLBLK".utf8)
    static let footerMagic: [UInt8] = Array("SPBLKEND".utf8)
    static let version: UInt32 = 1
    static let headerSize = 16
    static let footerSize = 24
    static let fileExtension = ".block"

    static func fileName(_ id: UInt64) -> String { FileNaming.name(id, suffix: fileExtension) }

    static func blockID(_ name: String) -> UInt64? { FileNaming.number(name, suffix: fileExtension) }

    static func header() -> [UInt8] { FileNaming.header(magic: magic, version: version) }
}

/// Where a section of a block file is and how to check it.
struct BlockSection: Hashable, Sendable {
    var offset: Int
    var length: Int
    /// Length after inflating (equal to `length` for sections stored raw).
    var rawLength: Int
    var checksum: UInt32

    func write(_ writer: inout ByteWriter) {
        writer.varint(offset)
        writer.varint(length)
        writer.varint(rawLength)
        writer.u32(checksum)
    }

    static func read(_ reader: inout ByteReader, fileSize: Int) throws(FormatError) -> BlockSection {
        let offset = try reader.count(atMost: fileSize, "a section offset")
        let length = try reader.count(atMost: fileSize - offset, "a section length")
        let rawLength = try reader.count(atMost: 1 << 31, "a section's inflated length")
        return BlockSection(offset: offset, length: length, rawLength: rawLength, checksum: try reader.u32())
    }
}

/// What a page holds, kept in the block's meta so queries can skip pages.
struct PageMeta: Sendable {
    var section: BlockSection
    var spanCount: Int
    var traceCount: Int
    var minStart: UInt64
    var maxStart: UInt64
    var maxDuration: UInt64
    /// Indexes into the block's service list.
    var services: [Int]
    /// Catalog indexes of the span names.
    var names: [UInt32]
    /// Where the page's ``KeyFilter`` is in the block's filter section, in 64-bit words.
    var filterWord: Int
    var filterWords: Int

    func overlaps(_ range: TimeRange) -> Bool { minStart < range.end && maxStart >= range.start }
}

/// A span name and kind within one of the block's services.
struct BlockOperation: Hashable, Sendable {
    var service: Int
    var name: UInt32
    var kind: Int32
}

/// The block's table of contents.
struct BlockMeta: Sendable {
    var id: UInt64
    /// WAL segments numbered below this hold only spans that are in blocks.
    var walSegmentsBelow: UInt64
    /// 0 for a block cut from the head; one more than its parents' for a compacted one.
    var level: Int
    /// Blocks this one replaces (compaction); they are deleted once this one is durable.
    var parents: [UInt64]
    var spanCount: Int
    var traceCount: Int
    var minStart: UInt64
    var maxStart: UInt64
    var dictionary: BlockSection
    var dictionaryCount: Int
    var traceIndex: BlockSection
    var bloom: BlockSection
    var bloomBits: Int
    /// The pages' attribute-value filters, back to back, raw little-endian words.
    var filters: BlockSection
    var services: [String]
    var operations: [BlockOperation]
    var spanAttributeKeys: [UInt32]
    var resourceAttributeKeys: [UInt32]
    var pages: [PageMeta]

    func overlaps(_ range: TimeRange) -> Bool { minStart < range.end && maxStart >= range.start }

    func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: 256 + pages.count * 64)
        writer.u64(id)
        writer.u64(walSegmentsBelow)
        writer.varint(level)
        writer.varint(parents.count)
        for parent in parents { writer.u64(parent) }
        writer.varint(spanCount)
        writer.varint(traceCount)
        writer.u64(minStart)
        writer.u64(maxStart)
        dictionary.write(&writer)
        writer.varint(dictionaryCount)
        traceIndex.write(&writer)
        bloom.write(&writer)
        writer.varint(bloomBits)
        filters.write(&writer)
        writer.varint(services.count)
        for service in services { writer.lengthPrefixed(Array(service.utf8)) }
        writer.varint(operations.count)
        for operation in operations {
            writer.varint(operation.service)
            writer.varint(operation.name)
            writer.zigzag(Int64(operation.kind))
        }
        for keys in [spanAttributeKeys, resourceAttributeKeys] {
            writer.varint(keys.count)
            for key in keys { writer.varint(key) }
        }
        writer.varint(pages.count)
        for page in pages {
            page.section.write(&writer)
            writer.varint(page.spanCount)
            writer.varint(page.traceCount)
            writer.u64(page.minStart)
            writer.u64(page.maxStart)
            writer.varint(page.maxDuration)
            writer.varint(page.services.count)
            for service in page.services { writer.varint(service) }
            writer.varint(page.names.count)
            for name in page.names { writer.varint(name) }
            writer.varint(page.filterWord)
            writer.varint(page.filterWords)
        }
        return writer.bytes
    }

    init(
        id: UInt64, walSegmentsBelow: UInt64, level: Int, parents: [UInt64], spanCount: Int, traceCount: Int,
        minStart: UInt64, maxStart: UInt64, dictionary: BlockSection, dictionaryCount: Int, traceIndex: BlockSection,
        bloom: BlockSection, bloomBits: Int, filters: BlockSection, services: [String], operations: [BlockOperation],
        spanAttributeKeys: [UInt32], resourceAttributeKeys: [UInt32], pages: [PageMeta]
    ) {
        self.id = id
        self.walSegmentsBelow = walSegmentsBelow
        self.level = level
        self.parents = parents
        self.spanCount = spanCount
        self.traceCount = traceCount
        self.minStart = minStart
        self.maxStart = maxStart
        self.dictionary = dictionary
        self.dictionaryCount = dictionaryCount
        self.traceIndex = traceIndex
        self.bloom = bloom
        self.bloomBits = bloomBits
        self.filters = filters
        self.services = services
        self.operations = operations
        self.spanAttributeKeys = spanAttributeKeys
        self.resourceAttributeKeys = resourceAttributeKeys
        self.pages = pages
    }

    init(decoding bytes: [UInt8], fileSize: Int) throws(FormatError) {
        var reader = ByteReader(bytes)
        id = try reader.u64()
        walSegmentsBelow = try reader.u64()
        level = try reader.count(atMost: 1_000, "the block level")
        let parentCount = try reader.count(atMost: reader.remaining / 8, "the parent count")
        parents = []
        for _ in 0..<parentCount { parents.append(try reader.u64()) }
        spanCount = try reader.count(atMost: Int(UInt32.max), "the span count")
        traceCount = try reader.count(atMost: spanCount, "the trace count")
        minStart = try reader.u64()
        maxStart = try reader.u64()
        dictionary = try BlockSection.read(&reader, fileSize: fileSize)
        dictionaryCount = try reader.count(atMost: Int(UInt32.max), "the dictionary size")
        traceIndex = try BlockSection.read(&reader, fileSize: fileSize)
        bloom = try BlockSection.read(&reader, fileSize: fileSize)
        bloomBits = try reader.count(atMost: bloom.length * 8, "the bloom filter's bit count")
        filters = try BlockSection.read(&reader, fileSize: fileSize)
        let serviceCount = try reader.count(atMost: reader.remaining, "the service count")
        services = []
        for _ in 0..<serviceCount { services.append(String(decoding: try reader.lengthPrefixed(), as: UTF8.self)) }
        let operationCount = try reader.count(atMost: reader.remaining, "the operation count")
        operations = []
        for _ in 0..<operationCount {
            let service = try reader.count(atMost: max(serviceCount - 1, 0), "an operation's service")
            let name = try reader.u32Varint("an operation's name")
            let kind = Int32(truncatingIfNeeded: try reader.zigzag())
            operations.append(BlockOperation(service: service, name: name, kind: kind))
        }
        var keyLists: [[UInt32]] = []
        for _ in 0..<2 {
            let count = try reader.count(atMost: reader.remaining, "an attribute key count")
            var keys: [UInt32] = []
            for _ in 0..<count { keys.append(try reader.u32Varint("an attribute key")) }
            keyLists.append(keys)
        }
        spanAttributeKeys = keyLists[0]
        resourceAttributeKeys = keyLists[1]
        let pageCount = try reader.count(atMost: reader.remaining, "the page count")
        pages = []
        pages.reserveCapacity(pageCount)
        for _ in 0..<pageCount {
            let section = try BlockSection.read(&reader, fileSize: fileSize)
            let spans = try reader.count(atMost: spanCount, "a page's span count")
            let traces = try reader.count(atMost: spans, "a page's trace count")
            let pageMin = try reader.u64()
            let pageMax = try reader.u64()
            let maxDuration = try reader.varint()
            let pageServiceCount = try reader.count(atMost: serviceCount, "a page's service count")
            var pageServices: [Int] = []
            for _ in 0..<pageServiceCount { pageServices.append(try reader.count(atMost: max(serviceCount - 1, 0), "a page's service")) }
            let nameCount = try reader.count(atMost: reader.remaining, "a page's name count")
            var names: [UInt32] = []
            for _ in 0..<nameCount { names.append(try reader.u32Varint("a page's name")) }
            let filterWord = try reader.count(atMost: filters.length / 8, "a page's filter offset")
            let filterWords = try reader.count(atMost: filters.length / 8 - filterWord, "a page's filter length")
            pages.append(PageMeta(
                section: section, spanCount: spans, traceCount: traces, minStart: pageMin, maxStart: pageMax, maxDuration: maxDuration,
                services: pageServices, names: names, filterWord: filterWord, filterWords: filterWords
            ))
        }
    }
}
