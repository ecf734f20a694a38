/// When an OTLP/HTTP export is retried, and after how long (OTLP specification,
/// "OTLP/HTTP Throttling" and "Failures"): network errors and HTTP 429, 502, 503 and 504
/// are retried with exponential backoff and jitter, or after the server's `Retry-After`;
/// 400 and every other status fail at once. A plain struct that decides; the exporter
/// sends and sleeps.
struct ExportRetryPolicy: Sendable, Hashable {
    var maxAttempts: Int
    var initialBackoff: Duration
    var maxBackoff: Duration
    var exportTimeout: Duration

    /// How an attempt ended.
    enum Outcome: Sendable, Hashable {
        /// A 2xx response (a partial success is a success: its rejected spans are final).
        case success
        /// Any other response; `retryAfter` is the parsed `Retry-After` header.
        case status(Int, retryAfter: Duration?, message: String)
        /// No response: connection refused, reset, timed out.
        case transportError(String)
    }

    enum Decision: Sendable, Hashable {
        case succeed
        case retry(after: Duration)
        case fail(ExportError)
    }

    static let retryableStatuses: Set<Int> = [429, 502, 503, 504]

    /// - Parameters:
    ///   - attempt: The attempt that ended, from 1.
    ///   - elapsed: Time since the export began.
    ///   - jitter: A random number in `0..<1` that spreads the backoff over ±20 %.
    func decide(_ outcome: Outcome, attempt: Int, elapsed: Duration, jitter: Double) -> Decision {
        let delay: Duration
        let reason: String
        switch outcome {
        case .success:
            return .succeed
        case .status(let code, let retryAfter, let message):
            let described = message.isEmpty ? "HTTP \(code)" : "HTTP \(code): \(message)"
            guard Self.retryableStatuses.contains(code) else {
                return .fail((400..<500).contains(code) ? .rejected(described) : .failed(described))
            }
            delay = retryAfter ?? backoff(attempt: attempt, jitter: jitter)
            reason = described
        case .transportError(let message):
            delay = backoff(attempt: attempt, jitter: jitter)
            reason = message
        }
        guard attempt < maxAttempts else {
            return .fail(.failed("\(reason) (gave up after \(attempt) attempts)"))
        }
        guard elapsed + delay <= exportTimeout else {
            return .fail(.failed("\(reason) (a retry in \(delay) would pass the export timeout of \(exportTimeout))"))
        }
        return .retry(after: delay)
    }

    /// `initialBackoff × 2^(attempt−1)`, at most `maxBackoff`, times `0.8 + 0.4 × jitter`.
    func backoff(attempt: Int, jitter: Double) -> Duration {
        var base = initialBackoff
        var doublings = attempt - 1
        while doublings > 0 && base < maxBackoff {
            base *= 2
            doublings -= 1
        }
        return min(base, maxBackoff) * (0.8 + 0.4 * jitter)
    }
}

/// A clock, reduced to what retries need, so that the exporter need not be generic.
struct RetryTiming: Sendable {
    /// Starts measuring; the returned function tells the time elapsed since.
    let startStopwatch: @Sendable () -> @Sendable () -> Duration
    let sleep: @Sendable (Duration) async throws -> Void

    init<C: Clock>(_ clock: C) where C.Duration == Duration {
        startStopwatch = {
            let start = clock.now
            return { start.duration(to: clock.now) }
        }
        sleep = { duration in try await clock.sleep(for: duration) }
    }
}
