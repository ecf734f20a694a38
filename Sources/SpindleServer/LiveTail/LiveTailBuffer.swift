import NIOCore

/// What one live-tail client has yet to be sent: a plain state machine (no locks, no I/O)
/// that ``LiveTailSubscriber`` drives.
///
/// - ``append(_:)`` adds encoded span events; when more than `maxSpans` events or
///   `maxBytes` bytes are buffered, the oldest are dropped and counted (an event larger
///   than `maxBytes` by itself is dropped too). The writer never waits.
/// - ``next(maxSpans:)`` says what to send now: the drops not yet reported with up to
///   `maxSpans` events (oldest first), else a heartbeat if one is due, else nothing.
///   Once finished, it says `.finished` and nothing else; what was buffered is discarded.
/// - ``tick()`` is the heartbeat timer: a tick with nothing delivered since the previous
///   one makes a heartbeat due.
struct LiveTailBuffer {
    enum Delivery: Equatable {
        /// Spans were dropped (`dropped`, reported once) and/or `events` are to be sent.
        case events([[UInt8]], dropped: Int)
        case heartbeat
        case finished
    }

    let maxSpans: Int
    let maxBytes: Int
    private var events = CircularBuffer<[UInt8]>()
    /// Bytes of ``events``.
    private(set) var bytes = 0
    /// Drops since the last delivery.
    private(set) var unreportedDrops = 0
    private var heartbeatDue = false
    private var deliveredSinceTick = false
    private(set) var isFinished = false

    init(maxSpans: Int, maxBytes: Int) {
        self.maxSpans = max(1, maxSpans)
        self.maxBytes = max(1, maxBytes)
    }

    var count: Int { events.count }

    /// Buffers `newEvents` after what is there; returns how many spans were dropped to
    /// stay within the bounds (none once finished: then nothing is kept).
    mutating func append(_ newEvents: [[UInt8]]) -> Int {
        guard !isFinished else { return 0 }
        var dropped = 0
        for event in newEvents {
            events.append(event)
            bytes += event.count
            while events.count > maxSpans || bytes > maxBytes, let oldest = events.popFirst() {
                bytes -= oldest.count
                dropped += 1
            }
        }
        unreportedDrops += dropped
        return dropped
    }

    /// What to send now, taking it from the buffer; nil when there is nothing.
    mutating func next(maxSpans allowance: Int) -> Delivery? {
        if isFinished { return .finished }
        let taken = min(max(0, allowance), events.count)
        if taken > 0 || unreportedDrops > 0 {
            var batch: [[UInt8]] = []
            batch.reserveCapacity(taken)
            for _ in 0..<taken {
                guard let event = events.popFirst() else { break }
                bytes -= event.count
                batch.append(event)
            }
            let dropped = unreportedDrops
            unreportedDrops = 0
            deliveredSinceTick = true
            heartbeatDue = false
            return .events(batch, dropped: dropped)
        }
        if heartbeatDue {
            heartbeatDue = false
            deliveredSinceTick = true
            return .heartbeat
        }
        return nil
    }

    /// The heartbeat interval has passed.
    mutating func tick() {
        if deliveredSinceTick {
            deliveredSinceTick = false
        } else {
            heartbeatDue = true
        }
    }

    /// Ends the stream: the next delivery is `.finished`, and nothing more is buffered.
    mutating func finish() {
        isFinished = true
        events.removeAll()
        bytes = 0
    }
}
