/// When an OTLP export is retried, and after how long (OTLP specification, "Failures" and
/// "Throttling"). For OTLP/HTTP it classifies the response itself: network errors and
/// HTTP 429, 502, 503 and 504 are retried with exponential backoff and jitter, or after
/// the server's `Retry-After`; 400 and every other status fail at once. Other protocols
/// (OTLP/gRPC, in `SpindleOTLPGRPC`) classify their failures and report them as
/// ``Outcome/retryable(_:retryAfter:)`` or ``Outcome/rejected(_:)``. A plain struct that
/// decides; the exporter sends, and ``run(timing:_:)`` sleeps.
package struct ExportRetryPolicy: Sendable, Hashable {
    package var maxAttempts: Int
    package var initialBackoff: Duration
    package var maxBackoff: Duration
    package var exportTimeout: Duration

    package init(maxAttempts: Int, initialBackoff: Duration, maxBackoff: Duration, exportTimeout: Duration) {
        self.maxAttempts = maxAttempts
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
        self.exportTimeout = exportTimeout
    }

    /// How an attempt ended.
    package enum Outcome: Sendable, Hashable {
        /// The backend took the spans (a partial success is a success: its rejected spans
        /// are final).
        case success
        /// An HTTP response other than 2xx; `retryAfter` is the parsed `Retry-After` header.
        case status(Int, retryAfter: Duration?, message: String)
        /// No response: connection refused, reset, timed out.
        case transportError(String)
        /// A failure the protocol says may be retried: after `retryAfter` when the server
        /// asked for a delay, else after backoff.
        case retryable(String, retryAfter: Duration?)
        /// A failure the protocol says must not be retried.
        case rejected(String)
    }

    package enum Decision: Sendable, Hashable {
        case succeed
        case retry(after: Duration)
        case fail(ExportError)
    }

    static let retryableStatuses: Set<Int> = [429, 502, 503, 504]

    /// - Parameters:
    ///   - attempt: The attempt that ended, from 1.
    ///   - elapsed: Time since the export began.
    ///   - jitter: A random number in `0..<1` that spreads the backoff over ±20 %.
    package func decide(_ outcome: Outcome, attempt: Int, elapsed: Duration, jitter: Double) -> Decision {
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
        case .retryable(let message, let retryAfter):
            delay = retryAfter ?? backoff(attempt: attempt, jitter: jitter)
            reason = message
        case .rejected(let message):
            return .fail(.rejected(message))
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

    /// Runs `attemptOnce` until an attempt succeeds or the policy gives up, waiting between
    /// attempts on `timing`'s clock; `attemptOnce` is given the time left before
    /// `exportTimeout`. Cancelling the calling task ends a wait with ``ExportError/failed(_:)``.
    package func run(
        timing: RetryTiming, _ attemptOnce: (_ timeLeft: Duration) async -> Outcome
    ) async throws(ExportError) {
        let elapsed = timing.startStopwatch()
        var attempt = 1
        while true {
            let outcome = await attemptOnce(exportTimeout - elapsed())
            switch decide(outcome, attempt: attempt, elapsed: elapsed(), jitter: Double.random(in: 0..<1)) {
            case .succeed:
                return
            case .fail(let error):
                throw error
            case .retry(let delay):
                do {
                    try await timing.sleep(delay)
                } catch {
                    throw .failed("the export was cancelled while waiting to retry")
                }
                attempt += 1
            }
        }
    }
}

/// A clock, reduced to what retries need, so that the exporter need not be generic.
package struct RetryTiming: Sendable {
    /// Starts measuring; the returned function tells the time elapsed since.
    let startStopwatch: @Sendable () -> @Sendable () -> Duration
    let sleep: @Sendable (Duration) async throws -> Void

    package init<C: Clock>(_ clock: C) where C.Duration == Duration {
        startStopwatch = {
            let start = clock.now
            return { start.duration(to: clock.now) }
        }
        sleep = { duration in try await clock.sleep(for: duration) }
    }
}
