import SpindleStorage

/// Measures a query's running time on a clock chosen by whoever builds the engine.
struct Stopwatch: Sendable {
    let elapsed: @Sendable () -> Duration

    static func starting<C: Clock>(on clock: C) -> Stopwatch where C.Duration == Duration {
        let start = clock.now
        return Stopwatch { start.duration(to: clock.now) }
    }
}

/// What one query may still spend: checks cancellation, the timeout and the
/// inspected-trace budget.
struct QueryBudget {
    let limits: QueryLimits
    let stopwatch: Stopwatch

    /// Throws when the task was cancelled or the timeout has passed.
    func check() throws(QueryError) {
        if Task.isCancelled {
            throw .storage(StorageError(.unavailable, "the query was cancelled before it finished; no partial result is returned"))
        }
        let elapsed = stopwatch.elapsed()
        if elapsed > limits.timeout {
            throw .tooExpensive("the query ran for \(elapsed), longer than its timeout of \(limits.timeout) (QueryLimits.timeout); narrow the time range or add conditions")
        }
    }
}

extension QueryError {
    /// A storage failure, or an error thrown by a scan stream.
    static func wrapping(_ error: any Error) -> QueryError {
        if let error = error as? StorageError { return .storage(error) }
        if let error = error as? QueryError { return error }
        return .storage(StorageError(.unavailable, "reading spans failed: \(error)"))
    }
}
