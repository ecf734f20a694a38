public import SpindleModel
import Synchronization
public import Tracing

/// Samples at most `spansPerSecond` spans per second on average, with bursts up to
/// `max(spansPerSecond, 1)` spans: a token bucket refilled continuously, starting full.
///
/// Spindle's own sampler (not in the OpenTelemetry specification; Jaeger's
/// "ratelimiting" sampler works alike). `OTEL_TRACES_SAMPLER=ratelimiting` puts it at the
/// root of a `ParentBasedSampler`, so whole traces are kept or dropped.
///
/// The bucket is guarded by a `Mutex` held for a few arithmetic instructions.
public final class RateLimitingSampler: Sampler {
    /// The refill rate, in spans per second.
    public let spansPerSecond: Double
    private let capacity: Double
    private let bucket: Mutex<Bucket>
    private let elapsed: @Sendable () -> Duration

    private struct Bucket {
        var tokens: Double
        var lastRefill: Duration
    }

    /// - Parameters:
    ///   - spansPerSecond: the sustained rate; 0 or less (or NaN) samples nothing.
    ///   - clock: the time source (a monotonic clock; tests inject a manual one).
    public init<C: Clock>(spansPerSecond: Double, clock: C) where C.Duration == Duration {
        let rate = spansPerSecond.isNaN ? 0 : max(spansPerSecond, 0)
        self.spansPerSecond = rate
        self.capacity = max(rate, 1)
        let start = clock.now
        self.elapsed = { start.duration(to: clock.now) }
        self.bucket = Mutex(Bucket(tokens: rate > 0 ? max(rate, 1) : 0, lastRefill: .zero))
    }

    /// A limiter on the continuous (monotonic) clock.
    public convenience init(spansPerSecond: Double) {
        self.init(spansPerSecond: spansPerSecond, clock: ContinuousClock())
    }

    public func shouldSample(
        parent: SpanContext?, traceID: TraceID, name: String, kind: SpindleModel.SpanKind, attributes: SpanAttributes
    ) -> SamplingDecision {
        guard spansPerSecond > 0 else { return .drop }
        let now = elapsed()
        return bucket.withLock { bucket in
            let seconds = Self.seconds(now - bucket.lastRefill)
            if seconds > 0 {
                bucket.tokens = min(capacity, bucket.tokens + seconds * spansPerSecond)
                bucket.lastRefill = now
            }
            guard bucket.tokens >= 1 else { return .drop }
            bucket.tokens -= 1
            return .recordAndSample
        }
    }

    public var description: String { "RateLimitingSampler{\(spansPerSecond)}" }

    private static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) * 1e-18
    }
}
