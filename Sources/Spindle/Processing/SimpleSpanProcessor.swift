import Synchronization

/// Hands each span to the exporter as it ends, one export per span, in order: for tests
/// and development, where seeing every span soon matters more than throughput.
///
/// `onEnd` never waits: spans go to an unbounded list that a task drains, one export at
/// a time. ``forceFlush()`` returns once every span ended before the call is exported;
/// ``shutdown()`` flushes, shuts the exporter down and refuses later spans. A failed
/// export loses its span (exporters retry as their policy allows).
public final class SimpleSpanProcessor: SpanProcessor {
    private struct State {
        var pending: [FinishedSpan] = []
        var draining = false
        var isShutDown = false
        var enqueuedTotal = 0
        var completedTotal = 0
        var flushWaiters: [(target: Int, continuation: CheckedContinuation<Void, Never>)] = []
    }

    private let exporter: any SpanExporter
    private let state = Mutex(State())

    public init(exporter: any SpanExporter) {
        self.exporter = exporter
    }

    public func onEnd(_ span: FinishedSpan) {
        let startDrain = state.withLock { state in
            guard !state.isShutDown else { return false }
            state.pending.append(span)
            state.enqueuedTotal += 1
            guard !state.draining else { return false }
            state.draining = true
            return true
        }
        // Detached: the exporter's work carries none of the application's task-locals.
        if startDrain { Task.detached { await self.drain() } }
    }

    public func forceFlush() async {
        await withCheckedContinuation { continuation in
            let done = state.withLock { state in
                guard state.completedTotal < state.enqueuedTotal else { return true }
                state.flushWaiters.append((state.enqueuedTotal, continuation))
                return false
            }
            if done { continuation.resume() }
        }
    }

    public func shutdown() async {
        let first = state.withLock { state in
            defer { state.isShutDown = true }
            return !state.isShutDown
        }
        await forceFlush()
        if first { await exporter.shutdown() }
    }

    private func drain() async {
        while true {
            let next: FinishedSpan? = state.withLock { state in
                guard !state.pending.isEmpty else {
                    state.draining = false
                    return nil
                }
                return state.pending.removeFirst()
            }
            guard let span = next else { return }
            try? await exporter.export([span])
            let satisfied = state.withLock { state in
                state.completedTotal += 1
                var satisfied: [CheckedContinuation<Void, Never>] = []
                let completed = state.completedTotal
                state.flushWaiters.removeAll { waiter in
                    guard waiter.target <= completed else { return false }
                    satisfied.append(waiter.continuation)
                    return true
                }
                return satisfied
            }
            for waiter in satisfied { waiter.resume() }
        }
    }
}
