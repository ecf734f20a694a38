/// The token buckets of one ``TailSamplingPolicy/Rule/rateLimit(tracesPerSecond:perService:)``.
///
/// Kept in integer nanoseconds of "credit" so that decisions are exact under an injected
/// clock: credit accrues one nanosecond per nanosecond of pipeline time, up to one
/// second's worth (or one trace's worth, for rates below one per second), and a trace
/// costs `1 s / rate`. A new bucket starts full.
struct TailSamplingRateLimiter: Sendable {
    private struct Bucket: Sendable {
        var credit: Int64
        var last: Duration
    }

    /// The most per-service buckets kept. Past it, buckets that are full again (their
    /// services idle) are forgotten; services beyond that share one overflow bucket, so
    /// hostile service names cannot grow memory.
    static let maxBuckets = 4096

    private let cost: Int64
    private let capacity: Int64
    let perService: Bool
    private var buckets: [String: Bucket] = [:]
    private var shared: Bucket?
    /// After a sweep that freed nothing, the next is not tried before this time, so a flood
    /// of new services costs one sweep of the buckets per second, not one per trace.
    private var nextSweep: Duration?

    init(tracesPerSecond: Double, perService: Bool) {
        // Rounded down, so `rate` whole traces fit in one second's credit.
        let exactCost = 1e9 / tracesPerSecond
        let limit = Double(Int64.max / 4)
        cost = exactCost >= limit ? Int64.max / 4 : max(1, Int64(exactCost.rounded(.down)))
        capacity = max(1_000_000_000, cost)
        self.perService = perService
    }

    /// Takes one trace's cost from `service`'s bucket at `now` (the service is ignored
    /// without ``perService``); false when the bucket lacks it. With `spend` false, only
    /// says whether it could be taken.
    mutating func admit(service: String, now: Duration, spend: Bool) -> Bool {
        guard perService else {
            var bucket = shared ?? Bucket(credit: capacity, last: now)
            let admitted = take(from: &bucket, now: now, spend: spend)
            shared = bucket
            return admitted
        }
        if buckets[service] == nil, buckets.count >= Self.maxBuckets {
            if nextSweep.map({ now >= $0 }) ?? true {
                forgetFullBuckets(now: now)
                nextSweep = buckets.count >= Self.maxBuckets ? now + .seconds(1) : nil
            }
            if buckets.count >= Self.maxBuckets {
                var bucket = shared ?? Bucket(credit: capacity, last: now)
                let admitted = take(from: &bucket, now: now, spend: spend)
                shared = bucket
                return admitted
            }
        }
        var bucket = buckets[service] ?? Bucket(credit: capacity, last: now)
        let admitted = take(from: &bucket, now: now, spend: spend)
        buckets[service] = bucket
        return admitted
    }

    private func take(from bucket: inout Bucket, now: Duration, spend: Bool) -> Bool {
        refill(&bucket, now: now)
        guard bucket.credit >= cost else { return false }
        if spend { bucket.credit -= cost }
        return true
    }

    private func refill(_ bucket: inout Bucket, now: Duration) {
        guard now > bucket.last else { return }
        let elapsed = TailSamplingBuffer.nanoseconds(now - bucket.last)
        let (sum, overflow) = bucket.credit.addingReportingOverflow(elapsed)
        bucket.credit = overflow ? capacity : min(capacity, sum)
        bucket.last = now
    }

    private mutating func forgetFullBuckets(now: Duration) {
        buckets = buckets.filter { _, bucket in
            var bucket = bucket
            refill(&bucket, now: now)
            return bucket.credit < capacity
        }
    }
}
