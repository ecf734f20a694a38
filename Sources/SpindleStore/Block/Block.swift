import SpindleModel
import SpindleStorage
import Synchronization

/// An open block: its meta, trace index and Bloom filter in memory, its pages read from
/// disk on demand. Immutable once open, so any number of reads share it.
final class Block: Sendable {
    let path: String
    let meta: BlockMeta
    let fileSize: Int
    private let file: File
    private let bloom: BloomFilter
    /// The trace index, sorted by trace ID: the page of each trace and its earliest start.
    private let traceIDs: [TraceID]
    private let tracePages: [UInt32]
    private let traceStarts: [UInt64]
    /// Per page, the latest earliest-start of the traces in it: no trace found in the
    /// page can have started after this, which is what lets a search stop early.
    let pageLatestTraceStart: [UInt64]
    /// The same bound for the whole block.
    let latestTraceStart: UInt64
    /// The block's catalog (span names and attribute keys, which the meta refers to by
    /// index): small whatever the values are, so it is read and checked at open.
    let catalog: StringDictionary
    private let filterCache = Mutex<[UInt64]?>(nil)

    var id: UInt64 { meta.id }

    /// Opens and checks a block file: header, footer, meta, trace index and Bloom filter
    /// are read and their checksums verified; pages are verified when read.
    init(path: String) throws(StorageError) {
        self.path = path
        do {
            file = try File.open(path, readOnly: true)
            fileSize = try file.size()
        } catch {
            throw StorageError(.unavailable, "cannot open block \(path): \(error)", underlying: error)
        }
        func corrupt(_ message: String, _ offset: Int) -> StorageError {
            StorageError(.corrupt, "block \(path) is corrupt at byte \(offset): \(message)")
        }
        guard fileSize >= BlockFormat.headerSize + BlockFormat.footerSize else {
            throw corrupt("\(fileSize) bytes is shorter than a header and a footer", 0)
        }
        let header = try Self.read(file, count: BlockFormat.headerSize, at: 0, path: path)
        guard Array(header.prefix(8)) == BlockFormat.magic else { throw corrupt("not a Spindle block (bad magic)", 0) }
        var headerReader = ByteReader(header, offset: 8)
        let version = (try? headerReader.u32()) ?? 0
        guard version == BlockFormat.version else {
            throw corrupt("block format version \(version); this build reads version \(BlockFormat.version)", 8)
        }
        let footerOffset = fileSize - BlockFormat.footerSize
        let footer = try Self.read(file, count: BlockFormat.footerSize, at: footerOffset, path: path)
        guard footer.count == BlockFormat.footerSize, Array(footer.suffix(8)) == BlockFormat.footerMagic else {
            throw corrupt("no footer (truncated or unfinished file)", footerOffset)
        }
        var footerReader = ByteReader(footer)
        let metaOffset = Int(clamping: (try? footerReader.u64()) ?? 0)
        let metaLength = Int((try? footerReader.u32()) ?? 0)
        let metaChecksum = (try? footerReader.u32()) ?? 0
        guard metaOffset >= BlockFormat.headerSize, metaOffset <= footerOffset, metaLength == footerOffset - metaOffset else {
            throw corrupt("footer points at meta \(metaOffset)+\(metaLength) outside the file", footerOffset)
        }
        let metaBytes = try Self.read(file, count: metaLength, at: metaOffset, path: path)
        guard metaBytes.count == metaLength, Zlib.crc32(metaBytes) == metaChecksum else { throw corrupt("meta checksum mismatch", metaOffset) }
        do {
            meta = try BlockMeta(decoding: metaBytes, fileSize: metaOffset)
        } catch {
            throw corrupt("meta: \(error.message)", metaOffset + error.offset)
        }
        if let named = BlockFormat.blockID(String(path.split(separator: "/").last ?? "")), named != meta.id {
            throw corrupt("meta says block \(meta.id), the file name \(named)", metaOffset)
        }
        if meta.pages.isEmpty && meta.traceCount > 0 {
            throw corrupt("\(meta.traceCount) traces in no pages", metaOffset)
        }
        let indexBytes = try Self.section(meta.traceIndex, of: file, path: path, what: "trace index")
        var reader = ByteReader(indexBytes)
        do {
            let count = try reader.count(atMost: meta.traceCount, "the trace index's count")
            guard count == meta.traceCount else { throw reader.error("trace index has \(count) traces, meta says \(meta.traceCount)") }
            var ids: [TraceID] = []
            var pages: [UInt32] = []
            var starts: [UInt64] = []
            ids.reserveCapacity(count)
            pages.reserveCapacity(count)
            starts.reserveCapacity(count)
            for _ in 0..<count {
                let id = try reader.traceID()
                if let last = ids.last, last >= id { throw reader.error("trace index not sorted") }
                ids.append(id)
                pages.append(UInt32(try reader.count(atMost: max(meta.pages.count - 1, 0), "a trace's page")))
                starts.append(try reader.u64())
            }
            traceIDs = ids
            tracePages = pages
            traceStarts = starts
            var latest = [UInt64](repeating: 0, count: meta.pages.count)
            for (page, start) in zip(pages, starts) { latest[Int(page)] = max(latest[Int(page)], start) }
            pageLatestTraceStart = latest
            latestTraceStart = latest.max() ?? 0
        } catch let error as FormatError {
            throw corrupt("trace index: \(error.message)", meta.traceIndex.offset)
        } catch {
            throw corrupt("trace index: \(error)", meta.traceIndex.offset)
        }
        let bloomBytes = try Self.section(meta.bloom, of: file, path: path, what: "Bloom filter", compressed: false)
        var bloomReader = ByteReader(bloomBytes)
        var words: [UInt64] = []
        while bloomReader.remaining >= 8 { words.append((try? bloomReader.u64()) ?? 0) }
        guard words.count * 64 >= meta.bloomBits, meta.bloomBits > 0 else { throw corrupt("Bloom filter of \(words.count) words for \(meta.bloomBits) bits", meta.bloom.offset) }
        bloom = BloomFilter(words: words, bitCount: meta.bloomBits)
        let catalogBytes = try Self.section(meta.dictionary, of: file, path: path, what: "catalog")
        do {
            catalog = try StringDictionary(decoding: catalogBytes)
        } catch {
            throw corrupt("catalog: \(error.message)", meta.dictionary.offset + error.offset)
        }
    }

    /// Bytes of the file; an I/O error is `.unavailable` (the disk), never `.corrupt`.
    private static func read(_ file: File, count: Int, at offset: Int, path: String) throws(StorageError) -> [UInt8] {
        do {
            return try file.read(count: count, at: offset)
        } catch {
            throw StorageError(.unavailable, "cannot read block \(path): \(error)", underlying: error)
        }
    }

    /// A section's bytes, checksum verified, inflated when stored compressed.
    private static func section(_ section: BlockSection, of file: File, path: String, what: String, compressed: Bool = true) throws(StorageError) -> [UInt8] {
        let bytes: [UInt8]
        do {
            bytes = try file.read(count: section.length, at: section.offset)
        } catch {
            throw StorageError(.unavailable, "cannot read the \(what) of block \(path): \(error)", underlying: error)
        }
        guard bytes.count == section.length, Zlib.crc32(bytes) == section.checksum else {
            throw StorageError(.corrupt, "block \(path) is corrupt at byte \(section.offset): \(what) checksum mismatch")
        }
        if !compressed { return bytes }
        do {
            return try Zlib.decompress(bytes[...], expectedCount: section.rawLength)
        } catch {
            throw StorageError(.corrupt, "block \(path) is corrupt at byte \(section.offset): \(what): \(error.message)")
        }
    }

    /// The attribute-value filter of page `index`, read (once for all pages) on first use.
    func filter(ofPage index: Int) throws(StorageError) -> KeyFilter {
        let words: [UInt64]
        if let cached = filterCache.withLock({ $0 }) {
            words = cached
        } else {
            let bytes = try Self.section(meta.filters, of: file, path: path, what: "attribute filters", compressed: false)
            var reader = ByteReader(bytes)
            var loaded: [UInt64] = []
            loaded.reserveCapacity(bytes.count / 8)
            while reader.remaining >= 8 { loaded.append((try? reader.u64()) ?? 0) }
            filterCache.withLock { $0 = loaded }
            words = loaded
        }
        let page = meta.pages[index]
        // A filter that is not there rules nothing out.
        guard page.filterWords > 0, page.filterWord + page.filterWords <= words.count else { return KeyFilter(words: [~0]) }
        return KeyFilter(words: Array(words[page.filterWord..<(page.filterWord + page.filterWords)]))
    }

    /// The page and earliest start of a trace, or nil when the block does not hold it.
    func locate(_ id: TraceID) -> (page: Int, start: UInt64)? {
        guard bloom.mayContain(id) else { return nil }
        var low = 0
        var high = traceIDs.count
        while low < high {
            let middle = (low + high) / 2
            if traceIDs[middle] < id { low = middle + 1 } else { high = middle }
        }
        guard low < traceIDs.count, traceIDs[low] == id else { return nil }
        return (Int(tracePages[low]), traceStarts[low])
    }

    /// Decodes page `index` — only the traces `wanted` accepts, when given.
    func page(_ index: Int, wanted: ((TraceID) -> Bool)? = nil) throws(StorageError) -> SpanBatch {
        try page(index) { raw throws(FormatError) in try PageCodec.decode(raw, wanted: wanted) }
    }

    /// Page `index`, checksum verified and inflated, read by `decode` (a page decoder:
    /// a ``FormatError`` it throws makes the block `.corrupt`, naming page and offset).
    func page<Result>(_ index: Int, _ decode: ([UInt8]) throws(FormatError) -> Result) throws(StorageError) -> Result {
        let section = meta.pages[index].section
        let raw = try Self.section(section, of: file, path: path, what: "page \(index)")
        do {
            return try decode(raw)
        } catch {
            throw StorageError(.corrupt, "block \(path) is corrupt in page \(index) (byte \(section.offset)): \(error)")
        }
    }

    /// Every span of the block, page by page.
    func allSpans() throws(StorageError) -> [SpanBatch] {
        var batches: [SpanBatch] = []
        for index in meta.pages.indices { batches.append(try page(index)) }
        return batches
    }
}
