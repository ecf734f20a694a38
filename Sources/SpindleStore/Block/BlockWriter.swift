import SpindleModel
public import SpindleStorage

/// Writes a block file from batches of spans: sorted by trace, duplicates dropped, cut
/// into pages of whole traces, each page compressed; then the dictionary, the trace
/// index, the Bloom filter and the meta. The file appears under its final name only
/// once it is complete and fsynced, so a reader never sees half a block.
enum BlockWriter {
    struct Options: Sendable {
        /// Spans per page, roughly: pages hold whole traces, so one can be larger.
        var pageTargetSpans = 1_024
        var compressionLevel: Int32 = 6
    }

    /// One stored span: where it is among the input batches.
    private struct SpanRef {
        var traceID: TraceID
        var spanID: SpanID
        var start: UInt64
        var batch: UInt32
        var row: UInt32
    }

    /// Writes every distinct span of `batches` (the first written copy of a span ID within
    /// a trace wins; batches are in write order) as block `id` in `directory`. Returns
    /// nil, writing nothing, when there are no spans.
    static func write(
        _ batches: [SpanBatch], id: UInt64, walSegmentsBelow: UInt64, level: Int, parents: [UInt64],
        directory: String, options: Options
    ) throws(StorageError) -> BlockMeta? {
        var refs: [SpanRef] = []
        refs.reserveCapacity(batches.reduce(0) { $0 + $1.spanCount })
        for (batchIndex, batch) in batches.enumerated() {
            batch.tables.spans.withUnsafeBufferPointer { spans in
                for row in spans.indices {
                    refs.append(SpanRef(traceID: spans[row].traceID, spanID: spans[row].spanID, start: spans[row].startTimeUnixNano, batch: UInt32(batchIndex), row: UInt32(row)))
                }
            }
        }
        if refs.isEmpty { return nil }
        // Duplicates: the same span ID in a trace, first written kept.
        refs.sort { ($0.traceID, $0.spanID, $0.batch, $0.row) < ($1.traceID, $1.spanID, $1.batch, $1.row) }
        var unique: [SpanRef] = []
        unique.reserveCapacity(refs.count)
        for ref in refs where unique.last.map({ $0.traceID != ref.traceID || $0.spanID != ref.spanID }) ?? true {
            unique.append(ref)
        }
        refs = []
        unique.sort { ($0.traceID, $0.start, $0.spanID) < ($1.traceID, $1.start, $1.spanID) }
        // Traces in order of their first span's start (each trace contiguous, its spans by
        // start): a page then covers a narrow stretch of time, so a search that wants the
        // most recent traces reads the newest pages and stops.
        var runs: [(start: UInt64, range: Range<Int>)] = []
        var runStart = 0
        while runStart < unique.count {
            var runEnd = runStart + 1
            while runEnd < unique.count, unique[runEnd].traceID == unique[runStart].traceID { runEnd += 1 }
            runs.append((unique[runStart].start, runStart..<runEnd))
            runStart = runEnd
        }
        runs.sort { ($0.start, unique[$0.range.lowerBound].traceID) < ($1.start, unique[$1.range.lowerBound].traceID) }
        unique = runs.flatMap { unique[$0.range] }

        let name = BlockFormat.fileName(id)
        let path = directory + "/" + name
        let temporary = path + ".tmp"
        do {
            let file = try File.open(temporary, create: true)
            try file.truncate(to: 0)
            var writer = Builder(file: file, batches: batches, options: options)
            try writer.writeHeader()
            var start = 0
            while start < unique.count {
                // Whole traces until the page reaches its target size.
                var end = start
                while end < unique.count, end - start < options.pageTargetSpans {
                    let trace = unique[end].traceID
                    while end < unique.count, unique[end].traceID == trace { end += 1 }
                }
                try writer.writePage(unique[start..<end])
                start = end
            }
            let meta = try writer.finish(id: id, walSegmentsBelow: walSegmentsBelow, level: level, parents: parents)
            try file.sync()
            try Directory.rename(temporary, to: path)
            try Directory.sync(directory)
            return meta
        } catch {
            try? Directory.remove(temporary)
            throw StorageError(.unavailable, "cannot write block \(path): \(error)", underlying: error)
        }
    }

    private struct Builder {
        let file: File
        let batches: [SpanBatch]
        let options: Options
        var offset = 0
        var encoder = PageCodec.Encoder()
        var groups: [SpanGroup] = []
        var groupIDs: [SpanGroup: Int] = [:]
        /// (batch << 32 | scope row) → group, so a group's values are built once per batch.
        var groupOfScope: [UInt64: Int] = [:]
        var serviceOfGroup: [Int?] = []
        var services: [String] = []
        var serviceIDs: [String: Int] = [:]
        var operations = Set<BlockOperation>()
        var spanKeys = Set<UInt32>()
        var resourceKeys = Set<UInt32>()
        var pages: [PageMeta] = []
        var filterWords: [UInt64] = []
        /// Per group, its resource's (key, string value) filter keys.
        var resourceFilterKeys: [Int: [UInt64]] = [:]
        /// Per trace, in page order: its ID, page and earliest start.
        var traceIDs: [TraceID] = []
        var tracePages: [Int] = []
        var traceStarts: [UInt64] = []
        var spanCount = 0
        var minStart = UInt64.max
        var maxStart = UInt64.min

        init(file: File, batches: [SpanBatch], options: Options) {
            self.file = file
            self.batches = batches
            self.options = options
        }

        mutating func writeHeader() throws(FileError) {
            try append(BlockFormat.header())
        }

        private mutating func append(_ bytes: [UInt8]) throws(FileError) {
            try file.write(bytes, at: offset)
            offset += bytes.count
        }

        private mutating func compressed(_ raw: [UInt8]) throws(FileError) -> BlockSection {
            let bytes = Zlib.compress(raw, level: options.compressionLevel)
            let section = BlockSection(offset: offset, length: bytes.count, rawLength: raw.count, checksum: Zlib.crc32(bytes))
            try append(bytes)
            return section
        }

        private mutating func group(batch: Int, scope: Int) -> Int {
            let key = UInt64(batch) << 32 | UInt64(scope)
            if let known = groupOfScope[key] { return known }
            let tables = batches[batch].tables
            let value = SpanGroup(resource: tables.resource(at: Int(tables.scopes[scope].resourceIndex)), scope: tables.scope(at: scope))
            let id: Int
            if let existing = groupIDs[value] {
                id = existing
            } else {
                id = groups.count
                groups.append(value)
                groupIDs[value] = id
                var service: Int?
                if let name = value.resource.serviceName {
                    if let known = serviceIDs[name] {
                        service = known
                    } else {
                        service = services.count
                        serviceIDs[name] = services.count
                        services.append(name)
                    }
                }
                serviceOfGroup.append(service)
            }
            groupOfScope[key] = id
            return id
        }

        mutating func writePage(_ refs: ArraySlice<SpanRef>) throws(FileError) {
            var spans: [PageSpan] = []
            spans.reserveCapacity(refs.count)
            var pageServices = Set<Int>()
            var pageGroups = Set<Int>()
            var pageMin = UInt64.max
            var pageMax = UInt64.min
            var traceCount = 0
            var traceMin = UInt64.max
            for (position, ref) in zip(refs.indices, refs) {
                let scope = Int(batches[Int(ref.batch)].tables.spans[Int(ref.row)].scopeIndex)
                let groupID = group(batch: Int(ref.batch), scope: scope)
                spans.append(PageSpan(batch: Int(ref.batch), row: Int(ref.row), group: groupID))
                pageGroups.insert(groupID)
                if let service = serviceOfGroup[groupID] { pageServices.insert(service) }
                pageMin = min(pageMin, ref.start)
                pageMax = max(pageMax, ref.start)
                traceMin = min(traceMin, ref.start)
                if position + 1 == refs.endIndex || refs[position + 1].traceID != ref.traceID {
                    traceIDs.append(ref.traceID)
                    tracePages.append(pages.count)
                    traceStarts.append(traceMin)
                    traceCount += 1
                    traceMin = .max
                }
            }
            var stats = PageStats()
            let raw = encoder.encode(spans, batches: batches, groups: groups, serviceOfGroup: serviceOfGroup, stats: &stats)
            operations.formUnion(stats.operations)
            spanKeys.formUnion(stats.spanKeys)
            var filterKeys = stats.filterKeys
            for groupID in pageGroups.sorted() {  // sorted: the catalog order must not depend on Set order
                if resourceFilterKeys[groupID] == nil {
                    var keys: [UInt64] = []
                    for attribute in groups[groupID].resource.attributes {
                        let key = encoder.catalog.id(attribute.key)
                        resourceKeys.insert(key)
                        if case .string(let value) = attribute.value {
                            keys.append(KeyFilter.key(attribute: key, valueHash: KeyFilter.valueHash(value), resource: true))
                        }
                    }
                    resourceFilterKeys[groupID] = keys
                }
                filterKeys.formUnion(resourceFilterKeys[groupID] ?? [])
            }
            var filter = KeyFilter(keyCount: filterKeys.count)
            for key in filterKeys { filter.insert(key) }
            let filterWord = filterWords.count
            filterWords += filter.words
            let section = try compressed(raw)
            spanCount += spans.count
            minStart = min(minStart, pageMin)
            maxStart = max(maxStart, pageMax)
            pages.append(PageMeta(
                section: section, spanCount: spans.count, traceCount: traceCount, minStart: pageMin, maxStart: pageMax,
                maxDuration: stats.maxDuration, services: pageServices.sorted(), names: stats.names.sorted(),
                filterWord: filterWord, filterWords: filter.words.count
            ))
        }

        mutating func finish(id: UInt64, walSegmentsBelow: UInt64, level: Int, parents: [UInt64]) throws(FileError) -> BlockMeta {
            let dictionary = try compressed(encoder.catalog.encoded())
            // The index is sorted by trace ID, for binary search; pages are in time order.
            let order = traceIDs.indices.sorted { traceIDs[$0] < traceIDs[$1] }
            var indexBytes = ByteWriter(capacity: traceIDs.count * 28 + 8)
            indexBytes.varint(traceIDs.count)
            for position in order {
                indexBytes.traceID(traceIDs[position])
                indexBytes.varint(tracePages[position])
                indexBytes.u64(traceStarts[position])
            }
            let traceIndex = try compressed(indexBytes.bytes)
            var bloom = BloomFilter(traceCount: traceIDs.count)
            for traceID in traceIDs { bloom.insert(traceID) }
            var bloomBytes = ByteWriter(capacity: bloom.words.count * 8)
            for word in bloom.words { bloomBytes.u64(word) }
            let bloomSection = BlockSection(offset: offset, length: bloomBytes.count, rawLength: bloomBytes.count, checksum: Zlib.crc32(bloomBytes.bytes))
            try append(bloomBytes.bytes)
            var filterBytes = ByteWriter(capacity: filterWords.count * 8)
            for word in filterWords { filterBytes.u64(word) }
            let filters = BlockSection(offset: offset, length: filterBytes.count, rawLength: filterBytes.count, checksum: Zlib.crc32(filterBytes.bytes))
            try append(filterBytes.bytes)
            let meta = BlockMeta(
                id: id, walSegmentsBelow: walSegmentsBelow, level: level, parents: parents,
                spanCount: spanCount, traceCount: traceIDs.count, minStart: minStart, maxStart: maxStart,
                dictionary: dictionary, dictionaryCount: encoder.catalog.count, traceIndex: traceIndex,
                bloom: bloomSection, bloomBits: bloom.bitCount, filters: filters, services: services,
                operations: operations.sorted { ($0.service, $0.name, $0.kind) < ($1.service, $1.name, $1.kind) },
                spanAttributeKeys: spanKeys.sorted(), resourceAttributeKeys: resourceKeys.sorted(), pages: pages
            )
            let metaBytes = meta.encoded()
            let metaOffset = offset
            try append(metaBytes)
            var footer = ByteWriter(capacity: BlockFormat.footerSize)
            footer.u64(UInt64(metaOffset))
            footer.u32(UInt32(metaBytes.count))
            footer.u32(Zlib.crc32(metaBytes))
            footer.raw(BlockFormat.footerMagic)
            try append(footer.bytes)
            return meta
        }
    }
}
