/// The counters of one series or edge: totals since start for `/metrics`, and the recent
/// history per time slot (a latency histogram and an error count) for windows, in a ring
/// that reuses a slot's room once it is older than the retention.
///
/// Each ring position keeps the number of the slot it holds (its tag), so a position left
/// from an earlier lap reads as empty and is cleared when written: no sweep is needed
/// when time moves on, and a read at any time sees exactly the slots it asks for.
///
/// Hot path: it is written for every span. It is a class over buffers allocated once, so
/// a write is a few stores, without the uniqueness checks and retains of arrays nested in
/// arrays. Every index is in range by construction: buckets come from ``LatencyBuckets``
/// of the same count, positions from ``position(of:)``, groups from the caller's fixed
/// set. It lives under ``SpanMetrics``' lock and never leaves it.
final class MetricCounters {
    /// Histogram buckets, `+Inf` included.
    let bucketCount: Int
    let slotCount: Int
    /// Total histograms kept: one per status for a series, server and client for an edge.
    let groups: Int
    /// Calls that failed (edges only).
    var failed: UInt64 = 0
    /// `slotCount` rows: `bucketCount` buckets, then errors. 32 bits suffice for one
    /// slot (4 billion spans of one series in one slot); additions saturate.
    private let rows: UnsafeMutablePointer<UInt32>
    /// The slot number held at each position; `Int64.min` for never written.
    private let tags: UnsafeMutablePointer<Int64>
    /// `groups` rows of `bucketCount` counts.
    private let totals: UnsafeMutablePointer<UInt64>
    /// Latency sums in seconds per group: doubles, as Prometheus keeps them, so that no
    /// duration a hostile span claims can overflow them.
    private let sums: UnsafeMutablePointer<Double>

    private var rowStride: Int { bucketCount + 1 }

    init(slotCount: Int, bucketCount: Int, groups: Int) {
        self.bucketCount = bucketCount
        self.slotCount = slotCount
        self.groups = groups
        rows = .allocate(capacity: slotCount * (bucketCount + 1))
        rows.initialize(repeating: 0, count: slotCount * (bucketCount + 1))
        tags = .allocate(capacity: slotCount)
        tags.initialize(repeating: .min, count: slotCount)
        totals = .allocate(capacity: groups * bucketCount)
        totals.initialize(repeating: 0, count: groups * bucketCount)
        sums = .allocate(capacity: groups)
        sums.initialize(repeating: 0, count: groups)
    }

    deinit {
        rows.deallocate()
        tags.deallocate()
        totals.deallocate()
        sums.deallocate()
    }

    /// Where `slot` lives in a ring of `slotCount` positions.
    static func position(of slot: Int64, slotCount: Int) -> Int {
        let remainder = slot % Int64(slotCount)
        return Int(remainder < 0 ? remainder + Int64(slotCount) : remainder)
    }

    /// Counts one span (or call) in `slot`, which lives at `position`.
    @inline(__always)
    func record(slot: Int64, position: Int, bucket: Int, isError: Bool) {
        let row = rows + position * rowStride
        if tags[position] != slot {
            tags[position] = slot
            row.update(repeating: 0, count: rowStride)
        }
        if row[bucket] < .max { row[bucket] += 1 }
        if isError, row[bucketCount] < .max { row[bucketCount] += 1 }
    }

    /// Adds one latency to total histogram `group`.
    @inline(__always)
    func recordTotal(group: Int, bucket: Int, nanoseconds: UInt64) {
        totals[group * bucketCount + bucket] &+= 1
        sums[group] += Double(nanoseconds) / 1e9
    }

    /// Adds the slots in `slots` that the ring still holds to `window`.
    func accumulate(_ slots: ClosedRange<Int64>, into window: inout HistogramAccumulator) {
        for slot in slots {
            let position = Self.position(of: slot, slotCount: slotCount)
            guard tags[position] == slot else { continue }
            let row = rows + position * rowStride
            for bucket in 0..<bucketCount {
                let count = UInt64(row[bucket])
                window.bucketCounts[bucket] &+= count
                window.requests &+= count
            }
            window.errors &+= UInt64(row[bucketCount])
        }
    }

    /// Total histogram `group`, copied.
    func total(group: Int) -> CumulativeHistogram {
        CumulativeHistogram(
            bucketCounts: Array(UnsafeBufferPointer(start: totals + group * bucketCount, count: bucketCount)),
            sumSeconds: sums[group]
        )
    }
}

/// Sums of slots: requests, errors and the latency histogram.
struct HistogramAccumulator {
    var requests: UInt64 = 0
    var errors: UInt64 = 0
    /// Per bucket, not cumulative; the last is `+Inf`.
    var bucketCounts: [UInt64]

    init(bucketCount: Int) {
        bucketCounts = Array(repeating: 0, count: bucketCount)
    }
}

/// A latency histogram's totals since start, for `/metrics`.
struct CumulativeHistogram {
    /// Per bucket, not cumulative; the last is `+Inf`.
    var bucketCounts: [UInt64]
    /// Seconds.
    var sumSeconds: Double

    var count: UInt64 { bucketCounts.reduce(0, &+) }
}

/// Latency bucket bounds in nanoseconds, and the bucket of a latency.
struct LatencyBuckets: Sendable {
    /// Finite upper bounds, ascending.
    let boundsNanoseconds: [UInt64]
    let bounds: [Duration]

    init(_ bounds: [Duration]) {
        self.bounds = bounds
        boundsNanoseconds = bounds.map { UInt64(clamping: $0.spanMetricsNanoseconds) }
    }

    /// Buckets including `+Inf`.
    var count: Int { boundsNanoseconds.count + 1 }

    /// The first bucket whose bound is at least `nanoseconds` (Prometheus' `le`), or the
    /// `+Inf` bucket.
    @inline(__always)
    func bucket(ofNanoseconds nanoseconds: UInt64) -> Int {
        // A handful of bounds: a linear scan beats a binary search's branches.
        var index = 0
        while index < boundsNanoseconds.count, boundsNanoseconds[index] < nanoseconds { index += 1 }
        return index
    }

    /// The `q` quantile of a histogram, interpolated linearly within its bucket as
    /// Prometheus' `histogram_quantile` does: the first bucket starts at zero, and a rank
    /// in the `+Inf` bucket answers the highest finite bound. Nil when the histogram is
    /// empty or `q` is not in 0...1.
    func quantile(_ q: Double, of bucketCounts: [UInt64]) -> Duration? {
        guard q >= 0, q <= 1, bucketCounts.count == count else { return nil }
        let total = bucketCounts.reduce(0, &+)
        guard total > 0 else { return nil }
        let rank = q * Double(total)
        var below: UInt64 = 0
        for (bucket, count) in bucketCounts.enumerated() {
            let through = below &+ count
            if Double(through) >= rank, count > 0 {
                guard bucket < boundsNanoseconds.count else {
                    return .nanoseconds(Int64(clamping: boundsNanoseconds.last ?? 0))
                }
                let lower = bucket == 0 ? 0 : Double(boundsNanoseconds[bucket - 1])
                let upper = Double(boundsNanoseconds[bucket])
                let fraction = (rank - Double(below)) / Double(count)
                let nanoseconds = lower + (upper - lower) * max(0, min(1, fraction))
                return .nanoseconds(Int64(nanoseconds.rounded()))
            }
            below = through
        }
        return .nanoseconds(Int64(clamping: boundsNanoseconds.last ?? 0))
    }
}

extension Duration {
    /// Nanoseconds, clamped to `Int64`'s range.
    var spanMetricsNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (nanoseconds, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        let (sum, sumOverflow) = nanoseconds.addingReportingOverflow(attoseconds / 1_000_000_000)
        return sumOverflow ? (nanoseconds < 0 ? .min : .max) : sum
    }
}
