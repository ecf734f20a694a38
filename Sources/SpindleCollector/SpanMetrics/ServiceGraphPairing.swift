import SpindleModel

/// Pairs client (or producer) spans with the server (or consumer) spans under them, in
/// whichever order they arrive and across batches, as Tempo's service-graph processor
/// does: a client span waits under (trace ID, its span ID), a server span under (trace
/// ID, its parent span ID), and the second to arrive completes the call.
///
/// A plain state machine: it does no I/O and keeps no clock; callers pass the time.
/// - **Bounded.** At most `maxPending` spans wait; a span that would wait beyond that is
///   dropped from the graph and counted in ``droppedSpans``.
/// - **Expiry.** A span that waited `wait` without its pair is removed by
///   ``expire(now:_:)`` and counted in ``expiredSpans``. An expired client span that
///   names its peer (`peer.service`, `db.name`, `db.system`) still makes a call, to that
///   peer, as Tempo's virtual nodes.
/// - **Duplicates.** A second span for the same side of a waiting pair replaces the first
///   (a retried export sends the same span again).
struct ServiceGraphPairing {
    struct Key: Hashable {
        var traceHigh: UInt64
        var traceLow: UInt64
        var spanID: UInt64

        init(traceID: TraceID, spanID: SpanID) {
            traceHigh = traceID.high
            traceLow = traceID.low
            self.spanID = spanID.value
        }
    }

    /// One span of a call; services are ``NameTable`` ids, so that waiting spans hold no
    /// references.
    struct Side {
        var service: Int32
        var latencyNanoseconds: UInt64
        var failed: Bool
    }

    /// What an expired client span says about the server it called.
    struct Peer {
        /// A ``NameTable`` id.
        var name: Int32
        var isDatabase: Bool
    }

    /// A finished call: both sides, or a client and its virtual server.
    struct Call: Equatable {
        var client: Int32
        var server: Int32
        var connectionType: ServiceGraphConnectionType
        var clientLatencyNanoseconds: UInt64
        var serverLatencyNanoseconds: UInt64
        var failed: Bool
    }

    enum Outcome: Equatable {
        /// The span waits for its pair.
        case waiting
        /// The span completed a call.
        case completed(Call)
        /// The pending map is full: the span is not in the graph.
        case dropped
    }

    private struct Pending {
        var key: Key
        var client: Side?
        var server: Side?
        var peer: Peer?
        var isMessaging: Bool
        /// Changes whenever the slot is reused, so that a deadline can tell whether the
        /// entry it was queued for still waits.
        var sequence: UInt64
    }

    private struct Deadline {
        var slot: Int32
        var sequence: UInt64
        var expiresAt: Int64
    }

    let maxPending: Int
    let waitNanoseconds: Int64
    /// Waiting entries by key: a slot of ``entries``.
    private var slots: [Key: Int32] = [:]
    /// Entries in slots that are reused (``freeSlots``), so that deadlines refer to them
    /// by slot and sequence and check them without hashing a key.
    private var entries: [Pending] = []
    private var freeSlots: [Int32] = []
    /// Deadlines in insertion order, which is deadline order since time passed in never
    /// goes back (callers keep it monotonic). Entries whose pair completed stay until
    /// reached or compacted away.
    private var deadlines: [Deadline] = []
    private var deadlinesHead = 0
    private var nextSequence: UInt64 = 1
    private(set) var expiredSpans: UInt64 = 0
    private(set) var droppedSpans: UInt64 = 0

    init(maxPending: Int, waitNanoseconds: Int64) {
        self.maxPending = maxPending
        self.waitNanoseconds = waitNanoseconds
    }

    /// Spans waiting for their pair.
    var pendingCount: Int { slots.count }

    /// Deadlines queued, those of completed pairs included: at most about twice
    /// ``pendingCount``.
    var queuedDeadlineCount: Int { deadlines.count - deadlinesHead }

    // Hot path: a waiting entry is found and taken out with one hash (`removeValue`); a
    // new one costs one more to insert. Deadlines are checked by slot, without hashing.

    /// A client (or, with `isMessaging`, producer) span; `peer` is what it says about
    /// its server, used only if it expires unpaired.
    mutating func addClient(_ key: Key, _ side: Side, peer: Peer?, isMessaging: Bool, now: Int64) -> Outcome {
        if let slot = slots.removeValue(forKey: key) {
            entries[Int(slot)].client = side
            entries[Int(slot)].peer = peer
            return complete(slot)
        }
        return insert(Pending(key: key, client: side, server: nil, peer: peer, isMessaging: isMessaging, sequence: 0), now: now)
    }

    /// A server (or, with `isMessaging`, consumer) span whose parent is the client span
    /// `key` names.
    mutating func addServer(_ key: Key, _ side: Side, isMessaging: Bool, now: Int64) -> Outcome {
        if let slot = slots.removeValue(forKey: key) {
            entries[Int(slot)].server = side
            return complete(slot)
        }
        return insert(Pending(key: key, client: nil, server: side, peer: nil, isMessaging: isMessaging, sequence: 0), now: now)
    }

    /// The entry in `slot`, just taken out of the map: the call if both sides are there
    /// (the slot is freed), else back into the map it goes (a duplicate of one side).
    private mutating func complete(_ slot: Int32) -> Outcome {
        let entry = entries[Int(slot)]
        guard let client = entry.client, let server = entry.server else {
            slots[entry.key] = slot
            return .waiting
        }
        free(slot)
        compactIfSparse()
        return .completed(Call(
            client: client.service,
            server: server.service,
            connectionType: entry.isMessaging ? .messagingSystem : .direct,
            clientLatencyNanoseconds: client.latencyNanoseconds,
            serverLatencyNanoseconds: server.latencyNanoseconds,
            failed: client.failed || server.failed
        ))
    }

    private mutating func free(_ slot: Int32) {
        entries[Int(slot)].sequence = 0
        freeSlots.append(slot)
    }

    private mutating func insert(_ entry: Pending, now: Int64) -> Outcome {
        guard slots.count < maxPending else {
            droppedSpans &+= 1
            return .dropped
        }
        var entry = entry
        entry.sequence = nextSequence
        nextSequence &+= 1
        let slot: Int32
        if let free = freeSlots.popLast() {
            slot = free
            entries[Int(slot)] = entry
        } else {
            slot = Int32(entries.count)
            entries.append(entry)
        }
        slots[entry.key] = slot
        let (expiresAt, overflow) = now.addingReportingOverflow(waitNanoseconds)
        deadlines.append(Deadline(slot: slot, sequence: entry.sequence, expiresAt: overflow ? .max : expiresAt))
        return .waiting
    }

    /// True when the entry `deadline` was queued for still waits.
    private func isWaiting(_ deadline: Deadline) -> Bool {
        entries[Int(deadline.slot)].sequence == deadline.sequence
    }

    /// Removes every span whose wait ended at or before `now`, counting it; calls
    /// `virtualCall` with the call each expired client span with a peer makes.
    mutating func expire(now: Int64, _ virtualCall: (Call) -> Void) {
        while deadlinesHead < deadlines.count, deadlines[deadlinesHead].expiresAt <= now {
            let deadline = deadlines[deadlinesHead]
            deadlinesHead += 1
            guard isWaiting(deadline) else { continue }
            let entry = entries[Int(deadline.slot)]
            slots[entry.key] = nil
            free(deadline.slot)
            expiredSpans &+= 1
            if let client = entry.client, entry.server == nil, let peer = entry.peer {
                virtualCall(Call(
                    client: client.service,
                    server: peer.name,
                    connectionType: peer.isDatabase ? .database : .virtualNode,
                    clientLatencyNanoseconds: client.latencyNanoseconds,
                    serverLatencyNanoseconds: client.latencyNanoseconds,
                    failed: client.failed
                ))
            }
        }
        compactIfSparse()
    }

    /// Keeps the deadline queue within a small multiple of the spans waiting: completed
    /// pairs leave their deadline behind, and a busy collector completes many.
    private mutating func compactIfSparse() {
        let queued = deadlines.count - deadlinesHead
        if queued > 2 * slots.count + 64 {
            deadlines = deadlines[deadlinesHead...].filter(isWaiting)
            deadlinesHead = 0
        } else if deadlinesHead >= 1_024, deadlinesHead * 2 >= deadlines.count {
            deadlines.removeFirst(deadlinesHead)
            deadlinesHead = 0
        }
    }
}
