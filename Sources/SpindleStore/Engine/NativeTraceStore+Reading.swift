import Logging
public import SpindleModel
public import SpindleStorage

extension NativeTraceStore {
    // MARK: One trace

    /// Every stored span of the trace, from blocks (oldest first), frozen heads and the
    /// head, each span once (the first written copy). Blocks are found by their Bloom
    /// filter and trace index, so no time hint is needed to be fast. With `timeRange`,
    /// nil unless a span of the trace starts in it.
    public func trace(id: TraceID, timeRange: TimeRange?) async throws(StorageError) -> SpanBatch? {
        let sources = self.sources()
        guard let batch = try collectTrace(id, sources) else { return nil }
        if let timeRange, !batch.tables.spans.contains(where: { timeRange.contains($0.startTimeUnixNano) }) { return nil }
        return batch
    }

    func collectTrace(_ id: TraceID, _ sources: Sources, pages: PageCache? = nil) throws(StorageError) -> SpanBatch? {
        var parts: [SpanBatch] = []
        for block in sources.blocks {
            guard let location = block.locate(id) else { continue }
            if let pages {
                // A search reads whole pages once and takes each trace from them.
                guard let page = try pages.page(block, location.page, containing: id, self) else { continue }
                let spans = page.tables.spans
                let rows = spans.indices.filter { spans[$0].traceID == id }
                if !rows.isEmpty { parts.append(page.selecting(spansAt: rows)) }
                continue
            }
            guard let page = try readPage(block, location.page, wanted: { $0 == id }) else { continue }
            if !page.isEmpty { parts.append(page) }
        }
        for store in sources.stores {
            try Self.checkCancellation("trace")
            if let part = store.traceNow(id) { parts.append(part) }
        }
        if parts.isEmpty { return nil }
        return Self.distinctSpans(parts)
    }

    /// The parts concatenated, keeping the first copy of each span ID.
    static func distinctSpans(_ parts: [SpanBatch]) -> SpanBatch {
        let batch = SpanBatch(concatenating: parts)
        if parts.count == 1 { return batch }
        var seen = Set<SpanID>()
        var keep: [Int] = []
        let spans = batch.tables.spans
        for index in spans.indices where seen.insert(spans[index].spanID).inserted { keep.append(index) }
        return keep.count == spans.count ? batch : batch.selecting(spansAt: keep)
    }

    /// A page, or nil when the block turned out corrupt (it is then quarantined and the
    /// read goes on without it). An I/O error throws `.unavailable`: a read never passes
    /// off a partial answer as complete because a disk failed.
    func readPage(_ block: Block, _ index: Int, wanted: ((TraceID) -> Bool)? = nil) throws(StorageError) -> SpanBatch? {
        try readPage(block, index) { raw throws(FormatError) in try PageCodec.decode(raw, wanted: wanted) }
    }

    /// ``readPage(_:_:wanted:)`` with another page decoder.
    func readPage<Decoded>(_ block: Block, _ index: Int, _ decode: ([UInt8]) throws(FormatError) -> Decoded) throws(StorageError) -> Decoded? {
        switch Result(catching: { () throws(StorageError) -> Decoded in try block.page(index, decode) }) {
        case .success(let page): return page
        case .failure(let error):
            guard error.code == .corrupt else { throw error }
            quarantine(block, error)
            return nil
        }
    }

    static func checkCancellation(_ operation: String) throws(StorageError) {
        if Task.isCancelled {
            throw StorageError(.unavailable, "\(operation) was cancelled before it finished; no partial result is returned")
        }
    }

    // MARK: Search

    /// Traces matching `query`, with ``InMemoryTraceStore/search(_:)``'s semantics over
    /// everything stored. Sources (the heads, each block's pages) are visited newest
    /// first, pages that cannot match are skipped by their meta (time range, services,
    /// names, longest duration), and the visit stops as soon as the `limit` best traces
    /// found so far all started after everything left could have. In a page, only the
    /// traces with a span passing the query's span conditions are built
    /// (``matchingTraces(_:_:in:page:)``).
    public func search(_ query: TraceQuery) async throws(StorageError) -> [TraceSummary] {
        try InMemoryTraceStore.validate(query)
        let sources = self.sources()
        let conditions = SpanConditions(query)
        var candidates: [TraceID: UInt64] = [:]
        let pageCache = PageCache()
        // The start a trace must beat to enter the results, once there are `limit`.
        var threshold: UInt64? = nil
        func consider(_ ids: Set<TraceID>) throws(StorageError) {
            for id in ids where candidates[id] == nil {
                try Self.checkCancellation("search")
                candidates[id] = startTime(of: id, sources)
            }
            if candidates.count >= query.limit {
                let starts = candidates.values.sorted(by: >)
                threshold = starts[query.limit - 1]
            }
        }
        // Each source with a bound on the start of any trace that can match in it: the
        // latest span start for a head, the latest trace start for a block (traces are
        // ranked by their earliest span, so spans starting later do not raise it).
        enum Source {
            case store(InMemoryTraceStore, maxStart: UInt64)
            case block(Block)
            var maxStart: UInt64 {
                switch self {
                case .store(_, let maxStart): maxStart
                case .block(let block): block.latestTraceStart
                }
            }
        }
        var ordered: [Source] = sources.blocks.filter { $0.meta.overlaps(query.timeRange) }.map { .block($0) }
        for store in sources.stores {
            if let range = store.startRange(), range.min < query.timeRange.end, range.max >= query.timeRange.start {
                ordered.append(.store(store, maxStart: range.max))
            }
        }
        ordered.sort { $0.maxStart > $1.maxStart }
        for source in ordered {
            if let threshold, source.maxStart < threshold { break }
            switch source {
            case .store(let store, _):
                try consider(try store.matchingTraces(query))
            case .block(let block):
                guard let filter = PageFilter(query, block: block, dictionary: block.catalog) else { continue }
                let pages = block.meta.pages.indices.filter { filter.mayMatch(pageAt: $0) }
                    .sorted { block.pageLatestTraceStart[$0] > block.pageLatestTraceStart[$1] }
                for index in pages {
                    if let threshold, block.pageLatestTraceStart[index] < threshold { break }
                    try Self.checkCancellation("search")
                    guard let matched = try matchingTraces(query, conditions, in: block, page: index, from: threshold, keepingIn: pageCache) else { break }
                    try consider(matched)
                }
            }
        }
        let chosen = candidates.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(query.limit)
        pageCache.choose(Set(chosen.map(\.key)))
        var summaries: [TraceSummary] = []
        for (id, _) in chosen {
            guard let batch = try collectTrace(id, sources, pages: pageCache) else { continue }
            summaries.append(InMemoryTraceStore.summary(of: id, batch: batch))
        }
        return summaries
    }

    /// The traces of page `index` of `block` that match `query` (whose span conditions
    /// are `conditions`); nil when the block turned out corrupt. Traces the skim decides
    /// are not built; the others are decoded and matched exactly by an in-memory store.
    /// Matching traces that were decoded and whose first span in the page starts at or
    /// after `bound` (nil: any), so that they may rank, go to `pages` for the summaries.
    func matchingTraces(
        _ query: TraceQuery, _ conditions: SpanConditions, in block: Block, page index: Int,
        from bound: UInt64?, keepingIn pages: PageCache
    ) throws(StorageError) -> Set<TraceID>? {
        let meta = block.meta.pages[index]
        let pageConditions = conditions.forPage(minStart: meta.minStart, maxStart: meta.maxStart)
        guard let sifted = try readPage(block, index, { raw throws(FormatError) in try PageCodec.sift(raw, pageConditions, decodingMatchesFrom: bound) }) else { return nil }
        var matched = Set(sifted.matching)
        if sifted.hasUndecided {
            let scratch = InMemoryTraceStore(maxSpans: .max)
            scratch.insert(sifted.decoded)
            matched.formUnion(try scratch.matchingTraces(query))
        }
        pages.hold(sifted.decoded, of: block, page: index, matching: matched, from: bound)
        return matched
    }

    /// The earliest start of a trace across every source.
    func startTime(of id: TraceID, _ sources: Sources) -> UInt64 {
        var start = UInt64.max
        for block in sources.blocks {
            if let location = block.locate(id) { start = min(start, location.start) }
        }
        for store in sources.stores {
            if let storeStart = store.startTime(of: id) { start = min(start, storeStart) }
        }
        return start
    }

    // MARK: Catalog

    public func services(timeRange: TimeRange?) async throws(StorageError) -> [String] {
        let sources = self.sources()
        var names = Set<String>()
        for block in sources.blocks {
            try Self.checkCancellation("services")
            if let timeRange, !block.meta.overlaps(timeRange) { continue }
            if timeRange.map({ Self.covers($0, block.meta.minStart, block.meta.maxStart) }) ?? true {
                names.formUnion(block.meta.services)
                continue
            }
            for index in block.meta.pages.indices {
                let page = block.meta.pages[index]
                guard let timeRange, page.overlaps(timeRange) else { continue }
                if Self.covers(timeRange, page.minStart, page.maxStart) {
                    names.formUnion(page.services.map { block.meta.services[$0] })
                } else if let store = try scratchStore(block, index) {
                    names.formUnion(try await store.services(timeRange: timeRange))
                }
            }
        }
        for store in sources.stores { names.formUnion(try await store.services(timeRange: timeRange)) }
        return names.sorted()
    }

    public func operations(service: String, timeRange: TimeRange?) async throws(StorageError) -> [Operation] {
        let sources = self.sources()
        var operations = Set<Operation>()
        for block in sources.blocks {
            try Self.checkCancellation("operations")
            if let timeRange, !block.meta.overlaps(timeRange) { continue }
            guard let serviceIndex = block.meta.services.firstIndex(of: service) else { continue }
            if timeRange.map({ Self.covers($0, block.meta.minStart, block.meta.maxStart) }) ?? true {
                let dictionary = block.catalog
                for operation in block.meta.operations where operation.service == serviceIndex {
                    guard Int(operation.name) < dictionary.strings.count else { continue }
                    operations.insert(Operation(name: dictionary.strings[Int(operation.name)], kind: SpanKind(rawValue: operation.kind)))
                }
                continue
            }
            for index in block.meta.pages.indices where block.meta.pages[index].overlaps(timeRange ?? .all) && block.meta.pages[index].services.contains(serviceIndex) {
                if let store = try scratchStore(block, index) {
                    operations.formUnion(try await store.operations(service: service, timeRange: timeRange))
                }
            }
        }
        for store in sources.stores { operations.formUnion(try await store.operations(service: service, timeRange: timeRange)) }
        return operations.sorted()
    }

    public func attributeNames(scope: AttributeScope, timeRange: TimeRange?) async throws(StorageError) -> [String] {
        let sources = self.sources()
        var names = Set<String>()
        for block in sources.blocks {
            try Self.checkCancellation("attributeNames")
            if let timeRange, !block.meta.overlaps(timeRange) { continue }
            if timeRange.map({ Self.covers($0, block.meta.minStart, block.meta.maxStart) }) ?? true {
                let dictionary = block.catalog
                let keys = scope == .span ? block.meta.spanAttributeKeys : block.meta.resourceAttributeKeys
                for key in keys where Int(key) < dictionary.strings.count { names.insert(dictionary.strings[Int(key)]) }
                continue
            }
            for index in block.meta.pages.indices where block.meta.pages[index].overlaps(timeRange ?? .all) {
                if let store = try scratchStore(block, index) {
                    names.formUnion(try await store.attributeNames(scope: scope, timeRange: timeRange))
                }
            }
        }
        for store in sources.stores { names.formUnion(try await store.attributeNames(scope: scope, timeRange: timeRange)) }
        return names.sorted()
    }

    /// Reads the pages of blocks that have the key (by the block's key list), so it
    /// costs a pass over those pages; autocomplete asks with a recent time range.
    public func attributeValues(scope: AttributeScope, key: String, timeRange: TimeRange?, limit: Int) async throws(StorageError) -> [String] {
        let sources = self.sources()
        var values = Set<String>()
        for block in sources.blocks {
            try Self.checkCancellation("attributeValues")
            if let timeRange, !block.meta.overlaps(timeRange) { continue }
            let dictionary = block.catalog
            guard let keyID = dictionary.ids[key] else { continue }
            let keys = scope == .span ? block.meta.spanAttributeKeys : block.meta.resourceAttributeKeys
            guard keys.contains(keyID) else { continue }
            for index in block.meta.pages.indices where block.meta.pages[index].overlaps(timeRange ?? .all) {
                if let store = try scratchStore(block, index) {
                    values.formUnion(try await store.attributeValues(scope: scope, key: key, timeRange: timeRange, limit: .max))
                }
            }
        }
        for store in sources.stores {
            values.formUnion(try await store.attributeValues(scope: scope, key: key, timeRange: timeRange, limit: .max))
        }
        return Array(values.sorted().prefix(max(0, limit)))
    }

    static func covers(_ range: TimeRange, _ minStart: UInt64, _ maxStart: UInt64) -> Bool {
        range.contains(minStart) && range.contains(maxStart)
    }

    /// A page loaded into a throwaway in-memory store, to answer with its semantics.
    func scratchStore(_ block: Block, _ index: Int) throws(StorageError) -> InMemoryTraceStore? {
        guard let page = try readPage(block, index) else { return nil }
        let store = InMemoryTraceStore(maxSpans: .max)
        store.insert(page)
        return store
    }

    // MARK: Scan

    /// Every stored span starting in `timeRange`, each once: block pages one at a time
    /// (read lazily, as the consumer asks), then the heads' spans that no block holds.
    /// A consumer whose task is cancelled gets ``StorageError`` `.unavailable`, never a
    /// silently short stream.
    public func scan(timeRange: TimeRange) -> AsyncThrowingStream<SpanBatch, any Error> {
        let sources = self.sources()
        var work: [(Block, Int)] = []
        for block in sources.blocks where block.meta.overlaps(timeRange) {
            for index in block.meta.pages.indices where block.meta.pages[index].overlaps(timeRange) { work.append((block, index)) }
        }
        let cursor = ScanCursor(work: work, stores: sources.stores, blocks: sources.blocks)
        return AsyncThrowingStream { () async throws -> SpanBatch? in
            try Self.checkCancellation("scan")
            return try cursor.next(self, timeRange)
        }
    }
}

/// Pages read during one search, so that each is read once however many of the
/// traces it returns are in it: first the matching traces the search decoded anyway
/// (``hold(_:of:page:matching:from:)``), then, for the others, pages decoded with only
/// the chosen traces (``choose(_:)``). It holds only the spans of traces that could
/// rank when they were found, never whole pages.
final class PageCache {
    private struct Held {
        var batch: SpanBatch
        /// The traces whose spans in the page `batch` holds; nil: every chosen one.
        var traces: Set<TraceID>?
    }

    private var pages: [PageKey: Held] = [:]
    private var chosen: Set<TraceID> = []

    /// Keeps the traces of `decoded` (page `index` of `block`) that are in `matching`
    /// and start in it at or after `bound` (nil: any).
    func hold(_ decoded: SpanBatch, of block: Block, page index: Int, matching: Set<TraceID>, from bound: UInt64?) {
        if decoded.isEmpty || matching.isEmpty { return }
        let spans = decoded.tables.spans
        var firstStart: [TraceID: UInt64] = [:]
        for span in spans where matching.contains(span.traceID) {
            firstStart[span.traceID] = min(firstStart[span.traceID] ?? .max, span.startTimeUnixNano)
        }
        let traces = Set(firstStart.filter { trace in bound.map { trace.value >= $0 } ?? true }.keys)
        if traces.isEmpty { return }
        let rows = spans.indices.filter { traces.contains(spans[$0].traceID) }
        let batch = rows.count == spans.count ? decoded : decoded.selecting(spansAt: rows)
        pages[PageKey(block: ObjectIdentifier(block), page: index)] = Held(batch: batch, traces: traces)
    }

    /// The traces the search returns: the pages it reads from now on keep only them.
    func choose(_ traces: Set<TraceID>) {
        chosen = traces
    }

    /// Page `index` of `block`, holding at least trace `id` (which must be chosen).
    func page(_ block: Block, _ index: Int, containing id: TraceID, _ store: NativeTraceStore) throws(StorageError) -> SpanBatch? {
        let key = PageKey(block: ObjectIdentifier(block), page: index)
        if let held = pages[key], held.traces?.contains(id) ?? true { return held.batch }
        let chosen = self.chosen
        guard let page = try store.readPage(block, index, wanted: { chosen.contains($0) }) else { return nil }
        pages[key] = Held(batch: page, traces: nil)
        return page
    }
}

/// Where a scan is: pages still to read, then the heads.
final class ScanCursor: @unchecked Sendable {
    private var work: [(Block, Int)]
    private var position = 0
    private var heads: [SpanBatch]?
    private let stores: [InMemoryTraceStore]
    private let blocks: [Block]

    init(work: [(Block, Int)], stores: [InMemoryTraceStore], blocks: [Block]) {
        self.work = work
        self.stores = stores
        self.blocks = blocks
    }

    /// The next non-empty batch, or nil at the end. Consumers call it one at a time.
    func next(_ store: NativeTraceStore, _ timeRange: TimeRange) throws -> SpanBatch? {
        while position < work.count {
            let (block, index) = work[position]
            position += 1
            guard let page = try store.readPage(block, index) else {
                throw StorageError(.corrupt, "block \(block.path) turned out corrupt during the scan and was quarantined; the scan is incomplete")
            }
            if let selected = Self.select(page, timeRange) { return selected }
        }
        if heads == nil {
            var batches: [SpanBatch] = []
            for head in stores { batches += head.storedBatches() }
            heads = store.withoutStoredSpans(batches, blocks: blocks)
            // A span written to two heads (before and after a cut) is delivered once.
            var seen: [TraceID: Set<SpanID>] = [:]
            heads = heads?.compactMap { batch in
                let spans = batch.tables.spans
                let keep = spans.indices.filter { seen[spans[$0].traceID, default: []].insert(spans[$0].spanID).inserted }
                return keep.count == spans.count ? batch : (keep.isEmpty ? nil : batch.selecting(spansAt: keep))
            }
        }
        while let batch = heads?.first {
            heads?.removeFirst()
            if let selected = Self.select(batch, timeRange) { return selected }
        }
        return nil
    }

    static func select(_ batch: SpanBatch, _ timeRange: TimeRange) -> SpanBatch? {
        let spans = batch.tables.spans
        let keep = spans.indices.filter { timeRange.contains(spans[$0].startTimeUnixNano) }
        if keep.isEmpty { return nil }
        return keep.count == spans.count ? batch : batch.selecting(spansAt: keep)
    }
}

/// What a block's meta can rule out for a query, page by page.
struct PageFilter {
    let timeRange: TimeRange
    let service: Int?
    let name: UInt32?
    let minDuration: UInt64?
    /// Attribute-value pairs every matching page must have (string equality filters).
    let requiredKeys: [UInt64]
    let block: Block

    /// Nil when the whole block cannot match.
    init?(_ query: TraceQuery, block: Block, dictionary: StringDictionary) {
        self.block = block
        timeRange = query.timeRange
        minDuration = query.minDuration
        if let wanted = query.service {
            guard let index = block.meta.services.firstIndex(of: wanted) else { return nil }
            service = index
        } else {
            service = nil
        }
        // A string with canonically equivalent twins in the dictionary has several ids;
        // the meta cannot rule pages out by one of them, so it does not prune by it.
        if let operation = query.operation, !dictionary.ambiguous.contains(operation) {
            guard let id = dictionary.ids[operation] else { return nil }
            name = id
        } else {
            name = nil
        }
        var required: [UInt64] = []
        for filter in query.attributes {
            guard case .equals(.string(let value)) = filter.condition, !dictionary.ambiguous.contains(filter.key) else { continue }
            // A key the block has never seen cannot match in it.
            guard let key = dictionary.ids[filter.key] else { return nil }
            required.append(KeyFilter.key(attribute: key, valueHash: KeyFilter.valueHash(value), resource: filter.scope == .resource))
        }
        requiredKeys = required
    }

    func mayMatch(_ page: PageMeta) -> Bool {
        guard page.overlaps(timeRange) else { return false }
        if let service, !page.services.contains(service) { return false }
        if let name, !page.names.contains(name) { return false }
        if let minDuration, page.maxDuration < minDuration { return false }
        return true
    }

    /// The attribute-value check, apart because it reads the block's filter section.
    func mayMatch(pageAt index: Int) -> Bool {
        guard mayMatch(block.meta.pages[index]) else { return false }
        if requiredKeys.isEmpty { return true }
        guard let filter = try? block.filter(ofPage: index) else { return true }
        return requiredKeys.allSatisfy { filter.mayContain($0) }
    }
}
