import SpindleModel

/// The pipeline's admission, group commit and shutdown as a plain state machine: events
/// in, decisions out, no I/O and no locks (``IngestPipeline`` holds it under a mutex and
/// performs what it returns). Generic over what waits for a submission, so tests drive it
/// with plain values.
///
/// Lifecycle: *accepting* until ``shutdown()``, then *draining* until nothing admitted is
/// left to write, then ``nextStep()`` says `.finish`.
///
/// Bytes: ``admit(byteCount:)`` adds a request's bytes to ``bytesInFlight``; they leave
/// when its last part has been written (or failed), or at once through
/// ``withdraw(byteCount:)`` when nothing of the request is left to write. Nothing admitted
/// is ever dropped: shutting down only refuses new admissions.
struct IngestQueue<Waiter> {
    enum Admission: Equatable {
        case admitted
        /// Accepting the bytes would pass the bound.
        case overloaded
        case shuttingDown
    }

    /// A storage write: parts of one or more submissions, at most `maxSpansPerWrite` spans
    /// unless a single part is larger (it never is: ``enqueue(_:byteCount:waiter:)`` cuts
    /// submissions to size).
    struct Write {
        var batches: [SpanBatch]
        var spanCount: Int
        /// The submission of each batch.
        fileprivate var submissions: [UInt64]
    }

    enum Step {
        case write(Write)
        /// Nothing to do until ``enqueue(_:byteCount:waiter:)``, ``withdraw(byteCount:)``
        /// or ``shutdown()``.
        case wait
        /// Shut down and drained.
        case finish
    }

    /// A submission whose last part has been written: resume its waiter with `result`.
    struct Completion {
        var waiter: Waiter
        var result: Result<Void, IngestError>
    }

    private struct Submission {
        var waiter: Waiter
        var byteCount: Int
        var remainingParts: Int
        var failure: IngestError?
    }

    private struct Part {
        var batch: SpanBatch
        var submission: UInt64
    }

    let maxBytesInFlight: Int
    let maxSpansPerWrite: Int
    private(set) var bytesInFlight = 0
    private(set) var isAccepting = true
    /// Admitted requests not yet enqueued or withdrawn (being validated).
    private var admittedNotEnqueued = 0
    private var parts: [Part] = []
    private var nextPart = 0
    private var submissions: [UInt64: Submission] = [:]
    private var nextSubmission: UInt64 = 0
    private var isWriting = false

    init(maxBytesInFlight: Int, maxSpansPerWrite: Int) {
        self.maxBytesInFlight = maxBytesInFlight
        self.maxSpansPerWrite = max(1, maxSpansPerWrite)
    }

    /// Admits a request of `byteCount` bytes unless shutting down or over the bound. When
    /// nothing is in flight a request is always admitted, however large, so one that is
    /// larger than the bound is not refused forever (the listener's body cap bounds it).
    mutating func admit(byteCount: Int) -> Admission {
        guard isAccepting else { return .shuttingDown }
        let byteCount = max(0, byteCount)
        let (total, overflow) = bytesInFlight.addingReportingOverflow(byteCount)
        if bytesInFlight > 0 && (overflow || total > maxBytesInFlight) {
            return .overloaded
        }
        bytesInFlight += byteCount
        admittedNotEnqueued += 1
        return .admitted
    }

    /// An admitted request has nothing to write (every span was invalid): its bytes leave.
    mutating func withdraw(byteCount: Int) {
        precondition(admittedNotEnqueued > 0, "withdraw without admit")
        admittedNotEnqueued -= 1
        bytesInFlight -= max(0, byteCount)
    }

    /// Queues the valid spans of an admitted request, cut into parts of at most
    /// `maxSpansPerWrite` spans; `waiter` completes when all of them are written.
    mutating func enqueue(_ batch: SpanBatch, byteCount: Int, waiter: Waiter) {
        precondition(admittedNotEnqueued > 0, "enqueue without admit")
        precondition(!batch.isEmpty, "enqueue an empty batch")
        admittedNotEnqueued -= 1
        let id = nextSubmission
        nextSubmission += 1
        var partCount = 0
        if batch.spanCount <= maxSpansPerWrite {
            parts.append(Part(batch: batch, submission: id))
            partCount = 1
        } else {
            var start = 0
            while start < batch.spanCount {
                let end = min(start + maxSpansPerWrite, batch.spanCount)
                parts.append(Part(batch: batch.selecting(spansAt: start..<end), submission: id))
                partCount += 1
                start = end
            }
        }
        submissions[id] = Submission(waiter: waiter, byteCount: max(0, byteCount), remainingParts: partCount, failure: nil)
    }

    /// Admits a write of the pipeline's own (tail sampling's decisions), of no bytes,
    /// whether accepting or draining: like an admitted request it keeps the queue from
    /// finishing until it is enqueued (``enqueue(_:byteCount:waiter:)``) or withdrawn. Not
    /// after ``nextStep()`` said `.finish`.
    mutating func admitInternal() {
        admittedNotEnqueued += 1
    }

    /// Counts `byteCount` more bytes in flight for a write of the pipeline's own, so that
    /// backpressure sees the spans tail sampling is writing; they leave with the write
    /// (pass the same count to ``enqueue(_:byteCount:waiter:)``).
    mutating func reserveInternalBytes(_ byteCount: Int) {
        bytesInFlight += max(0, byteCount)
    }

    /// False once ``shutdown()`` was called.
    var isAcceptingRequests: Bool { isAccepting }

    /// Stops admitting; what was admitted is still written.
    mutating func shutdown() {
        isAccepting = false
    }

    /// Requests queued or being written, not yet completed.
    var queuedRequestCount: Int { submissions.count }

    /// True when ``nextStep()`` would not say `.wait`.
    var hasWork: Bool {
        !isWriting && (nextPart < parts.count || (!isAccepting && admittedNotEnqueued == 0))
    }

    /// What the writer loop does next. Group commit: every part queued while the previous
    /// write ran goes into this one, in arrival order, up to `maxSpansPerWrite` spans.
    mutating func nextStep() -> Step {
        precondition(!isWriting, "nextStep while a write is in progress")
        if nextPart == parts.count {
            return !isAccepting && admittedNotEnqueued == 0 ? .finish : .wait
        }
        var write = Write(batches: [], spanCount: 0, submissions: [])
        var arenaBytes = 0
        while nextPart < parts.count {
            let part = parts[nextPart]
            let arena = part.batch.tables.arena.count
            if !write.batches.isEmpty
                && (write.spanCount + part.batch.spanCount > maxSpansPerWrite || arenaBytes + arena > Int(UInt32.max)) {
                break
            }
            write.batches.append(part.batch)
            write.spanCount += part.batch.spanCount
            write.submissions.append(part.submission)
            arenaBytes += arena
            nextPart += 1
        }
        // Compact the queue once it is drained so it does not grow without bound.
        if nextPart == parts.count {
            parts.removeAll(keepingCapacity: true)
            nextPart = 0
        }
        isWriting = true
        return .write(write)
    }

    /// The write finished: `failure` nil when it is durable. Returns the submissions it
    /// completed; their bytes have left ``bytesInFlight``.
    mutating func finished(_ write: Write, failure: IngestError?) -> [Completion] {
        precondition(isWriting, "finished without a write")
        isWriting = false
        var completions: [Completion] = []
        for id in write.submissions {
            guard var submission = submissions[id] else { continue }
            submission.remainingParts -= 1
            if submission.failure == nil, let failure { submission.failure = failure }
            if submission.remainingParts == 0 {
                submissions[id] = nil
                bytesInFlight -= submission.byteCount
                completions.append(Completion(waiter: submission.waiter, result: submission.failure.map { .failure($0) } ?? .success(())))
            } else {
                submissions[id] = submission
            }
        }
        return completions
    }
}
