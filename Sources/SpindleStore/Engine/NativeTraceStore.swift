import Logging
public import SpindleModel
public import SpindleStorage
import SpindleWire
import Synchronization

/// Spindle's embedded storage engine: a write-ahead log, an in-memory head, and
/// immutable columnar blocks on disk, merged by compaction and dropped by retention.
///
/// - **Writes** append one WAL record per batch (the batch as an OTLP protobuf request)
///   and add the batch to the head, under one lock; with `--fsync always` the write then
///   waits for the group commit. A write that returns is in the WAL: a crashed process
///   (`kill -9`) loses none of it, and what power loss may cost is what ``FsyncPolicy``
///   says.
/// - **The head** is cut into a block by size or age: the head is frozen (still read),
///   the WAL moves to a new segment, the block is written under a temporary name,
///   fsynced and renamed, and only then are the frozen head and the WAL segments it
///   covered dropped. A crash at any point leaves either the WAL or the block (or both,
///   and reads and the next cut drop the duplicates).
/// - **Reads** see the head, the frozen heads and the blocks as one store, with the
///   semantics ``InMemoryTraceStore`` documents, each span once. Queries take the lock
///   only to copy references, so they never hold up ingest.
/// - **Corruption** in a block (checksum, truncation, bad structure) is logged with the
///   file and offset; the block is moved to `quarantine/` and the rest keeps serving.
public final class NativeTraceStore: TraceWriter, TraceReader {
    public let configuration: NativeStoreConfiguration
    let wal: WriteAheadLog
    let logger: Logger
    /// `data-dir/LOCK`, locked while the store is open: one process per directory.
    private let lock: File
    let blocksDirectory: String
    let quarantineDirectory: String

    /// A head that is being written as a block, still answering reads meanwhile.
    struct FrozenHead: Sendable {
        let store: InMemoryTraceStore
        /// WAL segments below this hold only this head's spans and older ones.
        let walSegmentsBelow: UInt64
    }

    struct State {
        var head = InMemoryTraceStore(maxSpans: .max)
        var headSpans = 0
        var headBytes = 0
        var headOpened: ContinuousClock.Instant?
        var frozen: [FrozenHead] = []
        /// Open blocks, ascending by ID (creation order).
        var blocks: [Block] = []
        var nextBlockID: UInt64 = 1
        var closed = false
    }

    let state: Mutex<State>
    /// Cutting, compaction and retention run one at a time.
    let maintenance = Mutex<Void>(())
    private let tasks = Mutex<[Task<Void, Never>]>([])

    private init(configuration: NativeStoreConfiguration, wal: WriteAheadLog, state: State, lock: File) {
        self.lock = lock
        self.configuration = configuration
        self.wal = wal
        self.logger = configuration.logger
        blocksDirectory = configuration.directory + "/blocks"
        quarantineDirectory = configuration.directory + "/quarantine"
        self.state = Mutex(state)
    }

    /// Opens (or creates) the store in `configuration.directory`: loads the blocks,
    /// finishes an interrupted compaction, replays the WAL into the head, and starts the
    /// background work.
    public static func open(_ configuration: NativeStoreConfiguration) throws(StorageError) -> NativeTraceStore {
        let logger = configuration.logger
        let directory = configuration.directory
        let blocksDirectory = directory + "/blocks"
        let quarantineDirectory = directory + "/quarantine"
        var state = State()
        let lock: File
        do {
            try Directory.createAll(directory)
            lock = try File.open(directory + "/LOCK", create: true)
            guard try lock.tryLock() else {
                throw StorageError(.unavailable, "another store (another spindle serve?) has \(directory) open; give each its own --data-dir")
            }
        } catch let error as StorageError {
            throw error
        } catch {
            throw StorageError(.unavailable, "cannot lock \(directory)/LOCK: \(error)", underlying: error as? FileError)
        }
        do {
            try Directory.createAll(blocksDirectory)
            try Directory.createAll(quarantineDirectory)
            var blocks: [UInt64: Block] = [:]
            var maxID: UInt64 = 0
            for name in try Directory.list(blocksDirectory) {
                let path = blocksDirectory + "/" + name
                if name.hasSuffix(".tmp") {
                    // A block whose writer died before it was complete: its spans are
                    // still in the WAL or in the blocks it was merging.
                    try Directory.remove(path)
                    continue
                }
                guard let id = BlockFormat.blockID(name) else { continue }
                maxID = max(maxID, id)
                if let block = try openBlock(path, quarantineTo: quarantineDirectory + "/" + name, logger: logger) {
                    blocks[id] = block
                }
            }
            // A compacted block is durable before its parents are deleted: parents still
            // present after a crash are redundant.
            for block in blocks.values {
                for parent in block.meta.parents where blocks[parent] != nil {
                    blocks[parent] = nil
                    try Directory.remove(blocksDirectory + "/" + BlockFormat.fileName(parent))
                }
            }
            // IDs are never reused, not even those of quarantined blocks.
            for name in try Directory.list(quarantineDirectory) {
                if let id = BlockFormat.blockID(name) { maxID = max(maxID, id) }
            }
            state.blocks = blocks.values.sorted { $0.id < $1.id }
            state.nextBlockID = maxID + 1
        } catch {
            throw StorageError(.unavailable, "cannot open the store in \(directory): \(error)", underlying: error)
        }
        let covered = state.blocks.map(\.meta.walSegmentsBelow).max() ?? 0
        let (wal, segments) = try WriteAheadLog.open(
            directory: directory + "/wal", segmentMaxBytes: configuration.walSegmentMaxBytes,
            minimumSegment: covered, quarantine: quarantineDirectory
        ) {
            logger.warning("\($0)")
        }
        var replayed = 0
        for segment in segments where segment.number >= covered {
            for record in segment.contents.records {
                guard record.type == WALFormat.RecordType.spans.rawValue else {
                    logger.warning("skipping a WAL record of unknown type \(record.type)", metadata: ["segment": "\(segment.number)", "offset": "\(record.offset)"])
                    continue
                }
                let batch: SpanBatch
                do {
                    batch = try OTLPProtobuf.decodeExportRequest(Array(record.payload), malformedIDs: .decodeAsZero)
                } catch {
                    logger.error("skipping an undecodable WAL record", metadata: ["segment": "\(segment.number)", "offset": "\(record.offset)", "error": "\(error)"])
                    continue
                }
                state.head.insert(batch)
                state.headSpans += batch.spanCount
                state.headBytes += record.payload.count
                replayed += batch.spanCount
            }
        }
        if state.headSpans > 0 { state.headOpened = .now }
        if covered > 0 { try wal.removeSegments(before: covered) }
        let store = NativeTraceStore(configuration: configuration, wal: wal, state: state, lock: lock)
        logger.info("opened the store", metadata: [
            "directory": "\(directory)", "blocks": "\(state.blocks.count)",
            "spans": "\(state.blocks.reduce(0) { $0 + $1.meta.spanCount } + state.headSpans)", "replayed": "\(replayed)",
        ])
        store.startBackgroundWork()
        return store
    }

    /// Opens a block file; a corrupt one is moved to `quarantineTo` and nil returned.
    private static func openBlock(_ path: String, quarantineTo: String, logger: Logger) throws(StorageError) -> Block? {
        let result = Result { () throws(StorageError) -> Block in try Block(path: path) }
        switch result {
        case .success(let block): return block
        case .failure(let error):
            guard error.code == .corrupt else { throw error }
            logger.error("quarantining a corrupt block; the rest of the store keeps serving", metadata: ["error": "\(error)"])
            try? Directory.rename(path, to: quarantineTo)
            return nil
        }
    }

    private func startBackgroundWork() {
        var started: [Task<Void, Never>] = []
        if case .interval(let interval) = configuration.fsync {
            started.append(Task.detached { [weak self] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval)
                    guard let self else { return }
                    do { try self.wal.syncNow() } catch { self.logger.error("periodic WAL fsync failed", metadata: ["error": "\(error)"]) }
                }
            })
        }
        if configuration.backgroundMaintenance {
            let interval = configuration.maintenanceInterval
            started.append(Task.detached { [weak self] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval)
                    guard let self else { return }
                    self.maintain()
                }
            })
        }
        tasks.withLock { $0 = started }
    }

    /// Stops the background work and makes everything written durable. Spans in the
    /// head stay in the WAL, which the next ``open(_:)`` replays.
    public func close() async {
        let running = tasks.withLock { tasks in
            defer { tasks = [] }
            return tasks
        }
        for task in running { task.cancel() }
        for task in running { await task.value }
        maintenance.withLock { _ in
            state.withLock { $0.closed = true }
        }
        do { try wal.syncNow() } catch { logger.error("final WAL fsync failed", metadata: ["error": "\(error)"]) }
        lock.unlock()
    }

    // MARK: Writing

    /// Appends the batch to the WAL and the head; returns once it is as durable as
    /// ``NativeStoreConfiguration/fsync`` says. Throws `.unavailable` when blocks are
    /// being written more slowly than spans arrive (retry later) or the disk fails.
    public func write(_ batch: SpanBatch) async throws(StorageError) {
        if batch.isEmpty { return }
        // Everything in the WAL must decode again on replay.
        let nesting = batch.tables.maxValueNesting
        if nesting > SpanTables.maxStoredNesting {
            throw StorageError(.invalidArgument, "attribute values nest \(nesting) levels deep; the store keeps at most \(SpanTables.maxStoredNesting)")
        }
        let payload = OTLPProtobuf.encodeExportRequest(batch)
        if payload.count > WALFormat.maxPayload {
            throw StorageError(.invalidArgument, "a batch encoding to \(payload.count) bytes is larger than a WAL record may be (\(WALFormat.maxPayload)); write it in smaller batches")
        }
        let maxPending = configuration.maxPendingHeads
        let headMaxSpans = configuration.headMaxSpans
        let headMaxBytes = configuration.headMaxBytes
        let sequence = try state.withLock { (state) throws(StorageError) -> UInt64 in
            if state.closed { throw StorageError(.unavailable, "the store is closed") }
            if state.frozen.count >= maxPending {
                throw StorageError(.unavailable, "\(state.frozen.count) heads are waiting to be written as blocks; retry later")
            }
            // The head is cut at its bounds; one at twice them means blocks are being
            // written more slowly than spans arrive, and memory is what gives.
            if state.headSpans >= 2 * headMaxSpans || state.headBytes >= 2 * headMaxBytes {
                throw StorageError(.unavailable, "the head holds \(state.headSpans) spans waiting to be written as blocks; retry later")
            }
            let sequence = try wal.append(.spans, payload: payload)
            state.head.insert(batch)
            state.headSpans += batch.spanCount
            state.headBytes += payload.count
            if state.headOpened == nil { state.headOpened = .now }
            return sequence
        }
        if case .always = configuration.fsync {
            try await wal.waitDurable(sequence)
        }
    }

    // MARK: Introspection

    /// Spans in the head (not yet in blocks), and blocks on disk.
    public var headSpanCount: Int { state.withLock { $0.headSpans } }
    public var blockCount: Int { state.withLock { $0.blocks.count } }

    /// Bytes on disk: blocks and WAL segments.
    public func diskBytes() -> Int {
        state.withLock { $0.blocks.reduce(0) { $0 + $1.fileSize } } + wal.diskBytes()
    }

    /// The sources a read looks at, newest data last: blocks, frozen heads, the head.
    struct Sources {
        var blocks: [Block]
        var stores: [InMemoryTraceStore]
    }

    func sources() -> Sources {
        state.withLock { state in
            Sources(blocks: state.blocks, stores: state.frozen.map(\.store) + [state.head])
        }
    }
}
