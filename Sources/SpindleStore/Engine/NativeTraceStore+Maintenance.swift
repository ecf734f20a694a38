import Logging

/// A page of an open block.
struct PageKey: Hashable {
    var block: ObjectIdentifier
    var page: Int
}
import SpindleModel
public import SpindleStorage

extension NativeTraceStore {
    /// One round of background work: cut the head if it is due, compact, apply retention.
    func maintain() {
        do {
            if headIsDue() { try cutHead() }
            try compact()
            try applyRetention()
        } catch {
            logger.error("storage maintenance failed; it will be retried", metadata: ["error": "\(error)"])
        }
    }

    private func headIsDue() -> Bool {
        let configuration = self.configuration
        return state.withLock { state in
            guard state.headSpans > 0 || !state.frozen.isEmpty else { return false }
            if !state.frozen.isEmpty { return true }
            if state.headSpans >= configuration.headMaxSpans || state.headBytes >= configuration.headMaxBytes { return true }
            if let opened = state.headOpened, ContinuousClock.now - opened >= configuration.headMaxAge { return true }
            return false
        }
    }

    /// Writes the head (and any head left frozen by a failed attempt) as blocks, then
    /// drops the WAL segments they covered. Returns the number of blocks written.
    @discardableResult
    public func cutHead() throws(StorageError) -> Int {
        try maintenance.withLock { (_) throws(StorageError) -> Int in
            try state.withLock { (state) throws(StorageError) in
                guard state.headSpans > 0, !state.closed else { return }
                // Every record appended so far is in segments below the new one, and all
                // of them are in the head being frozen (appends happen under this lock).
                let below = try wal.rotate()
                state.frozen.append(FrozenHead(store: state.head, walSegmentsBelow: below))
                state.head = InMemoryTraceStore(maxSpans: .max)
                state.headSpans = 0
                state.headBytes = 0
                state.headOpened = nil
            }
            var written = 0
            while let frozen = state.withLock({ $0.frozen.first }) {
                let blockID = state.withLock { state in
                    defer { state.nextBlockID += 1 }
                    return state.nextBlockID
                }
                let batches = withoutStoredSpans(frozen.store.storedBatches(), blocks: state.withLock { $0.blocks })
                let options = BlockWriter.Options(pageTargetSpans: configuration.pageTargetSpans, compressionLevel: configuration.compressionLevel)
                let meta = try BlockWriter.write(
                    batches, id: blockID, walSegmentsBelow: frozen.walSegmentsBelow, level: 0, parents: [],
                    directory: blocksDirectory, options: options
                )
                let block = try meta.map { (_) throws(StorageError) in try Block(path: blocksDirectory + "/" + BlockFormat.fileName(blockID)) }
                state.withLock { state in
                    if let block { state.blocks.append(block) }
                    state.frozen.removeFirst()
                }
                try wal.removeSegments(before: frozen.walSegmentsBelow)
                if let meta {
                    written += 1
                    logger.debug("cut a block from the head", metadata: ["block": "\(blockID)", "spans": "\(meta.spanCount)", "pages": "\(meta.pages.count)"])
                }
            }
            return written
        }
    }

    /// `batches` without the spans some block already holds (a span written again after
    /// its first copy was cut, or replayed from a WAL segment a block already covers).
    func withoutStoredSpans(_ batches: [SpanBatch], blocks: [Block]) -> [SpanBatch] {
        if blocks.isEmpty { return batches }
        var storedOfTrace: [TraceID: Set<SpanID>] = [:]
        // Late spans of one trace tend to share pages: each page is decoded once, and
        // every trace in it recorded.
        var decodedPages = Set<PageKey>()
        return batches.compactMap { batch in
            let spans = batch.tables.spans
            var keep: [Int] = []
            keep.reserveCapacity(spans.count)
            for index in spans.indices {
                let traceID = spans[index].traceID
                if storedOfTrace[traceID] == nil {
                    for block in blocks {
                        guard let location = block.locate(traceID) else { continue }
                        guard decodedPages.insert(PageKey(block: ObjectIdentifier(block), page: location.page)).inserted else { continue }
                        guard let page = try? block.page(location.page) else { continue }
                        for row in page.tables.spans { storedOfTrace[row.traceID, default: []].insert(row.spanID) }
                    }
                    if storedOfTrace[traceID] == nil { storedOfTrace[traceID] = [] }
                }
                if storedOfTrace[traceID]?.contains(spans[index].spanID) != true { keep.append(index) }
            }
            if keep.count == spans.count { return batch }
            return keep.isEmpty ? nil : batch.selecting(spansAt: keep)
        }
    }

    /// Merges runs of small blocks, oldest first: at least
    /// ``NativeStoreConfiguration/compactionMinBlocks`` consecutive blocks, each under half
    /// of ``NativeStoreConfiguration/compactionMaxSpans``, together at most that many
    /// spans. The merged block is durable before its parents are deleted. Returns the
    /// number of blocks written.
    @discardableResult
    public func compact() throws(StorageError) -> Int {
        try maintenance.withLock { (_) throws(StorageError) -> Int in
            let configuration = self.configuration
            var written = 0
            while true {
                let blocks = state.withLock { $0.closed ? [] : $0.blocks }
                var run: [Block] = []
                var chosen: [Block] = []
                var spans = 0
                for block in blocks {
                    if block.meta.spanCount * 2 <= configuration.compactionMaxSpans, spans + block.meta.spanCount <= configuration.compactionMaxSpans {
                        run.append(block)
                        spans += block.meta.spanCount
                    } else {
                        if run.count >= configuration.compactionMinBlocks { break }
                        run = block.meta.spanCount * 2 <= configuration.compactionMaxSpans ? [block] : []
                        spans = run.first?.meta.spanCount ?? 0
                    }
                }
                if run.count >= configuration.compactionMinBlocks { chosen = run }
                guard !chosen.isEmpty else { return written }
                try merge(chosen)
                written += 1
            }
        }
    }

    /// Writes one block holding every span of `parents` (each once), swaps it in, then
    /// deletes the parents.
    private func merge(_ parents: [Block]) throws(StorageError) {
        var batches: [SpanBatch] = []
        for parent in parents {
            do {
                batches += try parent.allSpans()
            } catch where error.code == .corrupt {
                quarantine(parent, error)
                return
            }
        }
        let blockID = state.withLock { state in
            defer { state.nextBlockID += 1 }
            return state.nextBlockID
        }
        let options = BlockWriter.Options(pageTargetSpans: configuration.pageTargetSpans, compressionLevel: configuration.compressionLevel)
        let meta = try BlockWriter.write(
            batches, id: blockID, walSegmentsBelow: parents.map(\.meta.walSegmentsBelow).max() ?? 0,
            level: (parents.map(\.meta.level).max() ?? 0) + 1, parents: parents.map(\.id),
            directory: blocksDirectory, options: options
        )
        let merged = try meta.map { (_) throws(StorageError) in try Block(path: blocksDirectory + "/" + BlockFormat.fileName(blockID)) }
        let parentIDs = Set(parents.map(\.id))
        state.withLock { state in
            state.blocks.removeAll { parentIDs.contains($0.id) }
            if let merged {
                state.blocks.append(merged)
                state.blocks.sort { $0.id < $1.id }
            }
        }
        for parent in parents { try? Directory.remove(parent.path) }
        logger.debug("compacted blocks", metadata: ["parents": "\(parents.map(\.id))", "block": "\(blockID)", "spans": "\(meta?.spanCount ?? 0)"])
    }

    /// Deletes whole blocks: those whose newest span is older than the retention period,
    /// then, oldest first, as many as it takes to fit under the disk bound. Returns the
    /// number deleted.
    @discardableResult
    public func applyRetention() throws(StorageError) -> Int {
        maintenance.withLock { _ -> Int in
            let configuration = self.configuration
            var doomed: [Block] = []
            let blocks = state.withLock { $0.blocks }.sorted { ($0.meta.maxStart, $0.id) < ($1.meta.maxStart, $1.id) }
            if let retention = configuration.retention {
                let now = configuration.now()
                let (seconds, attoseconds) = retention.components
                let period = UInt64(max(0, seconds)) * 1_000_000_000 + UInt64(max(0, attoseconds) / 1_000_000_000)
                let cutoff = now > period ? now - period : 0
                doomed += blocks.filter { $0.meta.maxStart < cutoff }
            }
            if let maxDisk = configuration.maxDiskBytes {
                var total = diskBytes() - doomed.reduce(0) { $0 + $1.fileSize }
                for block in blocks where total > maxDisk && !doomed.contains(where: { $0 === block }) {
                    doomed.append(block)
                    total -= block.fileSize
                }
            }
            guard !doomed.isEmpty else { return 0 }
            let ids = Set(doomed.map(\.id))
            state.withLock { $0.blocks.removeAll { ids.contains($0.id) } }
            for block in doomed { try? Directory.remove(block.path) }
            logger.info("retention deleted blocks", metadata: ["blocks": "\(doomed.map(\.id))", "spans": "\(doomed.reduce(0) { $0 + $1.meta.spanCount })"])
            return doomed.count
        }
    }

    /// Takes a corrupt block out of service: moved to `quarantine/`, no longer read.
    func quarantine(_ block: Block, _ error: StorageError) {
        let removed = state.withLock { state -> Bool in
            let before = state.blocks.count
            state.blocks.removeAll { $0 === block }
            return state.blocks.count != before
        }
        guard removed else { return }
        let name = BlockFormat.fileName(block.id)
        do {
            try Directory.rename(block.path, to: quarantineDirectory + "/" + name)
        } catch {
            logger.error("cannot move a corrupt block to quarantine", metadata: ["block": "\(block.path)", "error": "\(error)"])
        }
        logger.error("quarantined a corrupt block; the rest of the store keeps serving", metadata: ["block": "\(block.path)", "error": "\(error)"])
    }
}
