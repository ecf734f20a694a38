/// Whether each collector of a router is up, as a plain state machine: events in,
/// transitions out, no I/O (the router logs transitions and sets its gauge).
///
/// - Every collector starts up.
/// - A collector that fails (cannot be reached, times out, answers 429 or 5xx) is down.
///   It stays down until it answers a request (any answer that is not a failure).
/// - A collector that is down is *avoided* for ``retryInterval`` after its last failure:
///   the router sends its traces straight to their next collector on the ring instead of
///   waiting for another failure. After that, the next request tries it again.
struct CollectorHealth: Sendable {
    struct Entry: Sendable, Hashable {
        var isUp = true
        /// When the last failure happened (time since the router started).
        var lastFailureAt: Duration?
        /// Why the last failure happened.
        var lastFailure: String?
    }

    enum Transition: Sendable, Hashable {
        case wentDown(reason: String)
        case cameUp
    }

    let retryInterval: Duration
    private(set) var entries: [Entry]

    init(collectorCount: Int, retryInterval: Duration) {
        self.retryInterval = retryInterval
        entries = Array(repeating: Entry(), count: collectorCount)
    }

    /// `collector` answered: it is up.
    mutating func answered(_ collector: Int) -> Transition? {
        guard !entries[collector].isUp else { return nil }
        entries[collector].isUp = true
        return .cameUp
    }

    /// `collector` failed at `now`: it is down, and avoided until `now + retryInterval`.
    mutating func failed(_ collector: Int, reason: String, at now: Duration) -> Transition? {
        let wasUp = entries[collector].isUp
        entries[collector].isUp = false
        entries[collector].lastFailureAt = now
        entries[collector].lastFailure = reason
        return wasUp ? .wentDown(reason: reason) : nil
    }

    /// One flag per collector: true for the collectors to avoid at `now`.
    func avoided(at now: Duration) -> [Bool] {
        entries.map { entry in
            guard !entry.isUp, let failedAt = entry.lastFailureAt else { return false }
            return now < failedAt + retryInterval
        }
    }
}
