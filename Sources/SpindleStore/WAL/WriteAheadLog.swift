import SpindleStorage
import Synchronization

/// What an acknowledged write is promised to survive (`--fsync`).
public enum FsyncPolicy: Hashable, Sendable {
    /// A write returns only after its WAL record is fsynced: it survives power loss.
    /// Concurrent writes share one fsync (group commit).
    case always
    /// A write returns once its record is in the OS page cache, which survives a crash of
    /// the process (`kill -9`); the WAL is fsynced every `Duration`, which bounds what a
    /// power loss may cost.
    case interval(Duration)
    /// Like `interval` without the timer: the OS writes back when it likes.
    case never
}

/// The write-ahead log: segment files of checksummed records, appended in order, made
/// durable in groups.
///
/// Appending writes a whole record with one `pwrite` under a lock (the page cache then
/// holds it: a process crash cannot lose it). ``waitDurable(_:)`` makes it survive power
/// loss: the first waiter runs `fsync` for everything appended so far while later
/// waiters queue behind it, and one `fsync` releases them all — the group commit.
final class WriteAheadLog: Sendable {
    let directory: String
    let segmentMaxBytes: Int

    private struct Waiter {
        var sequence: UInt64
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var file: File
        var segment: UInt64
        var size: Int
        /// Records appended since open, and the count known to be on stable storage.
        var appended: UInt64 = 0
        var synced: UInt64 = 0
        var syncing = false
        var waiters: [Waiter] = []
        var closed = false
        /// Set by a failed write or fsync: after one, the kernel may have dropped pages
        /// that a later fsync would not report, so the log takes nothing more until the
        /// store is reopened (and replays what is really on disk).
        var failure: FileError?
    }

    private let state: Mutex<State>

    private init(directory: String, segmentMaxBytes: Int, file: File, segment: UInt64) {
        self.directory = directory
        self.segmentMaxBytes = segmentMaxBytes
        state = Mutex(State(file: file, segment: segment, size: WALFormat.headerSize))
    }

    /// Opens the log in `directory` (created if missing) and starts a new segment after
    /// the existing ones (and at least at `minimumSegment`), returning the existing ones
    /// for replay.
    ///
    /// A damaged segment keeps its valid records: a copy of the whole file goes to
    /// `quarantine` and the segment is cut at its first invalid record, so new appends
    /// follow valid ones. A segment of another format version stops the open: a newer
    /// Spindle wrote it, and this one must not touch it.
    static func open(
        directory: String, segmentMaxBytes: Int, minimumSegment: UInt64, quarantine: String, report: (String) -> Void
    ) throws(StorageError) -> (log: WriteAheadLog, segments: [(number: UInt64, contents: WALFormat.SegmentContents)]) {
        var segments: [(number: UInt64, contents: WALFormat.SegmentContents)] = []
        do {
            try Directory.createAll(directory)
            for name in try Directory.list(directory) {
                guard let number = WALFormat.segmentNumber(name) else { continue }
                let path = directory + "/" + name
                let file = try File.open(path)
                let bytes = try file.readAll()
                if bytes.count >= WALFormat.headerSize, Array(bytes[0..<8]) == WALFormat.magic {
                    var reader = ByteReader(bytes, offset: 8)
                    let version = (try? reader.u32()) ?? 0
                    if version != WALFormat.version {
                        throw StorageError(.unavailable, "WAL segment \(path) has format version \(version); this Spindle reads version \(WALFormat.version) — use the Spindle that wrote it")
                    }
                }
                let contents = WALFormat.parseSegment(bytes)
                if let damage = contents.damage {
                    let kept = quarantine + "/" + name + ".damaged"
                    if bytes.count > contents.validLength {
                        let copy = try File.open(kept, create: true)
                        try copy.truncate(to: 0)
                        try copy.write(bytes, at: 0)
                        try copy.sync()
                    }
                    report("WAL segment \(path): \(damage); keeping the \(contents.records.count) records before it, cutting the file to \(contents.validLength) bytes (the original is in \(kept))")
                    try file.truncate(to: contents.validLength)
                    if contents.validLength < WALFormat.headerSize {
                        try file.write(WALFormat.header(), at: 0)
                    }
                    try file.sync()
                }
                segments.append((number, contents))
            }
        } catch let error as StorageError {
            throw error
        } catch {
            throw StorageError(.unavailable, "cannot open the WAL in \(directory): \(error)", underlying: error as? FileError)
        }
        do {
            let next = max((segments.last?.number ?? 0) + 1, minimumSegment)
            let file = try createSegment(directory: directory, number: next)
            return (WriteAheadLog(directory: directory, segmentMaxBytes: segmentMaxBytes, file: file, segment: next), segments)
        } catch {
            throw StorageError(.unavailable, "cannot start a WAL segment in \(directory): \(error)", underlying: error)
        }
    }

    private static func createSegment(directory: String, number: UInt64) throws(FileError) -> File {
        let file = try File.open(directory + "/" + WALFormat.segmentName(number), create: true)
        try file.truncate(to: 0)
        try file.write(WALFormat.header(), at: 0)
        try file.sync()
        try Directory.sync(directory)
        return file
    }

    /// The segment being appended to now.
    var currentSegment: UInt64 { state.withLock { $0.segment } }

    /// Appends one record; returns its sequence number for ``waitDurable(_:)``. Rolls to
    /// a new segment when the current one is full.
    func append(_ type: WALFormat.RecordType, payload: [UInt8]) throws(StorageError) -> UInt64 {
        let record = WALFormat.record(type, payload: payload)
        do {
            return try state.withLock { (state) throws(FileError) -> UInt64 in
                if let failure = state.failure { throw failure }
                do throws(FileError) {
                    if state.size >= segmentMaxBytes { try roll(&state) }
                    try state.file.write(record, at: state.size)
                } catch {
                    state.failure = error
                    throw error
                }
                state.size += record.count
                state.appended += 1
                return state.appended
            }
        } catch {
            throw StorageError(.unavailable, "cannot append to the WAL: \(error)", underlying: error)
        }
    }

    /// Starts a new segment; every record appended before the call is in segments with
    /// smaller numbers. Returns the new segment's number.
    @discardableResult
    func rotate() throws(StorageError) -> UInt64 {
        do {
            return try state.withLock { (state) throws(FileError) -> UInt64 in
                if let failure = state.failure { throw failure }
                do throws(FileError) {
                    try roll(&state)
                } catch {
                    state.failure = error
                    throw error
                }
                return state.segment
            }
        } catch {
            throw StorageError(.unavailable, "cannot start a new WAL segment: \(error)", underlying: error)
        }
    }

    private func roll(_ state: inout State) throws(FileError) {
        // The old segment is fsynced before the new one takes appends, so "synced"
        // can cover everything appended so far.
        try state.file.sync()
        state.synced = max(state.synced, state.appended)
        let number = state.segment + 1
        state.file = try Self.createSegment(directory: directory, number: number)
        state.segment = number
        state.size = WALFormat.headerSize
    }

    /// Returns once record `sequence` is on stable storage (group commit).
    func waitDurable(_ sequence: UInt64) async throws(StorageError) {
        do {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let lead = state.withLock { state -> Bool in
                    if let failure = state.failure {
                        // An fsync failed after this record was appended: it may be lost.
                        continuation.resume(throwing: StorageError(.unavailable, "WAL fsync failed; the store takes no more writes until it is reopened: \(failure)", underlying: failure))
                        return false
                    }
                    if state.synced >= sequence {
                        continuation.resume()
                        return false
                    }
                    state.waiters.append(Waiter(sequence: sequence, continuation: continuation))
                    if state.syncing { return false }
                    state.syncing = true
                    return true
                }
                if lead { syncLoop() }
            }
        } catch let error as StorageError {
            throw error
        } catch {
            throw StorageError(.unavailable, "WAL sync failed: \(error)", underlying: nil)
        }
    }

    /// Run by the one task that leads the group: fsync what is appended, release the
    /// waiters it covers, repeat while more are waiting.
    private func syncLoop() {
        while true {
            let (file, target) = state.withLock { ($0.file, $0.appended) }
            var failure: FileError?
            do { try file.sync() } catch { failure = error }
            let more = state.withLock { state -> Bool in
                var remaining: [Waiter] = []
                if let failure {
                    state.failure = failure
                    for waiter in state.waiters {
                        waiter.continuation.resume(throwing: StorageError(.unavailable, "WAL fsync failed: \(failure)", underlying: failure))
                    }
                    state.waiters = []
                    state.syncing = false
                    return false
                }
                state.synced = max(state.synced, target)
                for waiter in state.waiters {
                    if waiter.sequence <= state.synced { waiter.continuation.resume() } else { remaining.append(waiter) }
                }
                state.waiters = remaining
                if remaining.isEmpty { state.syncing = false }
                return !remaining.isEmpty
            }
            if !more { return }
        }
    }

    /// fsyncs whatever was appended and not yet synced (the `interval` timer, close).
    func syncNow() throws(StorageError) {
        let (file, target, needed) = state.withLock { ($0.file, $0.appended, $0.appended > $0.synced) }
        guard needed else { return }
        do { try file.sync() } catch {
            state.withLock { $0.failure = error }
            throw StorageError(.unavailable, "WAL fsync failed; the store takes no more writes until it is reopened: \(error)", underlying: error)
        }
        state.withLock { $0.synced = max($0.synced, target) }
    }

    /// Deletes the segments numbered below `number`: their records are in blocks now.
    func removeSegments(before number: UInt64) throws(StorageError) {
        do {
            for name in try Directory.list(directory) {
                guard let segment = WALFormat.segmentNumber(name), segment < number else { continue }
                try Directory.remove(directory + "/" + name)
            }
            try Directory.sync(directory)
        } catch {
            throw StorageError(.unavailable, "cannot remove WAL segments before \(number): \(error)", underlying: error)
        }
    }

    /// Bytes in all segments now.
    func diskBytes() -> Int {
        ((try? Directory.list(directory)) ?? []).reduce(0) { total, name in
            WALFormat.segmentNumber(name) == nil ? total : total + (Directory.fileSize(directory + "/" + name) ?? 0)
        }
    }
}
