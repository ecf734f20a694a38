public import Logging

/// How a ``NativeTraceStore`` keeps its data: where, how durably, and when it cuts,
/// merges and drops blocks. The defaults are what `spindle serve` uses.
public struct NativeStoreConfiguration: Sendable {
    /// The data directory: `wal/`, `blocks/` and `quarantine/` live in it.
    public var directory: String
    /// What an acknowledged write survives (`--fsync`); see ``FsyncPolicy``.
    public var fsync: FsyncPolicy = .interval(.milliseconds(10))
    /// The head is cut into a block when it holds this many spans…
    public var headMaxSpans = 50_000
    /// …or this many bytes of WAL records…
    public var headMaxBytes = 48 << 20
    /// …or its first span was written this long ago.
    public var headMaxAge: Duration = .seconds(60)
    /// Spans per block page, roughly (pages hold whole traces).
    public var pageTargetSpans = 1_024
    /// zlib level for pages and sections, 1 (fastest) to 9 (smallest).
    public var compressionLevel: Int32 = 6
    /// A WAL segment is closed and a new one started past this size.
    public var walSegmentMaxBytes = 64 << 20
    /// Blocks whose newest span started longer ago than this are deleted (`--retention`);
    /// nil keeps everything.
    public var retention: Duration? = .seconds(7 * 24 * 3600)
    /// Past this many bytes on disk (blocks and WAL), the oldest blocks are deleted
    /// (`--max-disk`); nil for no bound.
    public var maxDiskBytes: Int?
    /// Compaction merges runs of at least ``compactionMinBlocks`` blocks into one of at
    /// most this many spans.
    public var compactionMaxSpans = 200_000
    public var compactionMinBlocks = 4
    /// How often cutting, compaction and retention are considered.
    public var maintenanceInterval: Duration = .milliseconds(250)
    /// Heads waiting to be written as blocks before writes are refused with
    /// `.unavailable` (the collector then answers "retry later"). Writes are refused too
    /// while the head holds twice ``headMaxSpans`` or ``headMaxBytes``.
    public var maxPendingHeads = 2
    /// Unix nanoseconds now; retention's clock, injectable for tests.
    public var now: @Sendable () -> UInt64 = {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
    /// Runs cutting, compaction and retention in the background; off, they happen only
    /// when ``NativeTraceStore/cutHead()`` and friends are called (tests).
    public var backgroundMaintenance = true
    public var logger = Logger(label: "spindle.store")

    public init(directory: String) {
        self.directory = directory
    }
}

#if canImport(Glibc)
import Glibc
#endif
