/// A live-tail client's `limit`: at most `perSecond` spans a second, with bursts of up to
/// one second's worth (a token bucket that starts full).
///
/// Times are offsets on the hub's injected clock; nothing here reads a clock or sleeps.
/// Credit is kept in billionths of a span so that refills are exact integers: a span costs
/// 1e9, and each elapsed nanosecond adds `perSecond`.
struct SpanRateLimit {
    static let maxPerSecond = 1_000_000
    private static let unit: Int64 = 1_000_000_000

    let perSecond: Int
    private var credit: Int64
    private var updated: Duration

    /// `perSecond` is clamped to 1...``maxPerSecond``.
    init(perSecond: Int, now: Duration) {
        self.perSecond = min(max(perSecond, 1), Self.maxPerSecond)
        credit = Int64(self.perSecond) * Self.unit
        updated = now
    }

    private var capacity: Int64 { Int64(perSecond) * Self.unit }

    /// Spans that may be sent at `now`.
    mutating func allowance(at now: Duration) -> Int {
        refill(at: now)
        return Int(credit / Self.unit)
    }

    /// Records that `spans` were sent (at most the last allowance).
    mutating func spend(_ spans: Int) {
        credit = max(0, credit - Int64(min(spans, perSecond)) * Self.unit)
    }

    /// How long after `now` the next span may be sent (zero if it may be now).
    mutating func delayUntilNextSpan(at now: Duration) -> Duration {
        refill(at: now)
        let missing = Self.unit - credit
        guard missing > 0 else { return .zero }
        // Rounded up, so the span is allowed when the delay has passed.
        return .nanoseconds((missing + Int64(perSecond) - 1) / Int64(perSecond))
    }

    private mutating func refill(at now: Duration) {
        guard now > updated else { return }
        // More than a second refills the bucket whatever the rate: clamp before
        // multiplying so the product cannot overflow.
        let elapsed = min(now - updated, .seconds(1))
        let (seconds, attoseconds) = elapsed.components
        let nanoseconds = seconds * Self.unit + attoseconds / 1_000_000_000
        credit = min(capacity, credit + nanoseconds * Int64(perSecond))
        updated = now
    }
}
