extension BatchSpanProcessor {
    /// The processor's lifecycle and queue, as a plain state machine: its methods change
    /// the state and say what the caller must do (start the loop, wake it, resume
    /// waiters); they never block or perform I/O.
    struct State {
        enum Phase {
            /// No span yet: the export loop has not started.
            case idle
            case running
            /// Draining the queue; new spans are refused.
            case shuttingDown
            case shutDown
        }

        /// What the export loop does next.
        enum Step {
            case export([FinishedSpan])
            case wait
            /// The queue is drained after shutdown began: shut the exporter down, then
            /// call ``finishShutdown()``.
            case stop
        }

        let configuration: Configuration
        var phase = Phase.idle
        var queue: [FinishedSpan] = []
        var counters = Counters()
        /// Spans ever queued, and spans whose export has finished (successfully or not).
        /// A flush waits until the second reaches the first as it was when it started.
        var enqueuedTotal = 0
        var completedTotal = 0
        /// The scheduled delay passed since the last export: export whatever is queued.
        var delayElapsed = false

        var loopWaiter: CheckedContinuation<Void, Never>?
        /// A wake-up that came while the loop was not waiting.
        var wakePending = false
        /// Identifies the current wait, so that a late timer of an earlier wait is ignored.
        var waitGeneration = 0
        var flushWaiters: [(target: Int, continuation: CheckedContinuation<Void, Never>)] = []
        var shutdownWaiters: [CheckedContinuation<Void, Never>] = []

        init(configuration: Configuration) {
            self.configuration = configuration
            queue.reserveCapacity(configuration.maxQueueSize)
        }

        /// The result of ``enqueue(_:)``.
        struct EnqueueAction {
            var startLoop = false
            var wake: CheckedContinuation<Void, Never>?
        }

        mutating func enqueue(_ span: FinishedSpan) -> EnqueueAction {
            var action = EnqueueAction()
            switch phase {
            case .shuttingDown, .shutDown:
                counters.refusedAfterShutdown += 1
                return action
            case .idle:
                phase = .running
                action.startLoop = true
            case .running:
                break
            }
            counters.received += 1
            guard queue.count < configuration.maxQueueSize else {
                counters.droppedQueueFull += 1
                return action
            }
            queue.append(span)
            enqueuedTotal += 1
            // Wake the loop once, when the queue reaches a full batch.
            if queue.count == configuration.maxExportBatchSize { action.wake = wake() }
            return action
        }

        /// Wakes the loop: returns its continuation to resume, or remembers the wake-up.
        mutating func wake() -> CheckedContinuation<Void, Never>? {
            if let waiter = loopWaiter {
                loopWaiter = nil
                return waiter
            }
            wakePending = true
            return nil
        }

        /// Registers the loop's wait; false when a wake-up is already pending.
        mutating func beginWait(_ continuation: CheckedContinuation<Void, Never>) -> Bool {
            if wakePending {
                wakePending = false
                return false
            }
            loopWaiter = continuation
            return true
        }

        /// A new wait's generation, for its timer.
        mutating func nextWaitGeneration() -> Int {
            waitGeneration += 1
            return waitGeneration
        }

        /// The timer of wait `generation` fired.
        mutating func delayElapsed(generation: Int) -> CheckedContinuation<Void, Never>? {
            guard generation == waitGeneration else { return nil }
            delayElapsed = true
            return wake()
        }

        mutating func nextStep() -> Step {
            let batchSize = configuration.maxExportBatchSize
            let flushPending = flushWaiters.contains { $0.target > completedTotal }
            if queue.count >= batchSize
                || (!queue.isEmpty && (delayElapsed || flushPending || phase == .shuttingDown))
            {
                let count = min(queue.count, batchSize)
                let batch: [FinishedSpan]
                if count == queue.count {
                    batch = queue
                    queue.removeAll(keepingCapacity: true)
                } else {
                    batch = Array(queue[..<count])
                    queue.removeFirst(count)
                }
                return .export(batch)
            }
            delayElapsed = false
            return phase == .shuttingDown ? .stop : .wait
        }

        /// An export of `count` spans finished; returns the flush waiters it satisfies.
        mutating func exportFinished(count: Int, succeeded: Bool) -> [CheckedContinuation<Void, Never>] {
            completedTotal += count
            if succeeded { counters.exported += count } else { counters.failed += count }
            return takeSatisfiedFlushWaiters()
        }

        private mutating func takeSatisfiedFlushWaiters() -> [CheckedContinuation<Void, Never>] {
            var satisfied: [CheckedContinuation<Void, Never>] = []
            let completed = completedTotal
            flushWaiters.removeAll { waiter in
                guard waiter.target <= completed else { return false }
                satisfied.append(waiter.continuation)
                return true
            }
            return satisfied
        }

        /// The result of ``requestFlush(_:)`` and ``requestShutdown(_:)``.
        struct RequestAction {
            var startLoop = false
            var resumeNow = false
            var wake: CheckedContinuation<Void, Never>?
        }

        mutating func requestFlush(_ continuation: CheckedContinuation<Void, Never>) -> RequestAction {
            guard phase != .shutDown, enqueuedTotal > completedTotal else { return RequestAction(resumeNow: true) }
            flushWaiters.append((enqueuedTotal, continuation))
            return RequestAction(wake: wake())
        }

        /// Begins shutdown; `continuation`, if any, is resumed when it completes.
        mutating func requestShutdown(_ continuation: CheckedContinuation<Void, Never>?) -> RequestAction {
            var action = RequestAction()
            switch phase {
            case .shutDown:
                action.resumeNow = true
                return action
            case .idle:
                action.startLoop = true
            case .running:
                action.wake = wake()
            case .shuttingDown:
                break
            }
            phase = .shuttingDown
            if let continuation { shutdownWaiters.append(continuation) }
            return action
        }

        /// The exporter is shut down: returns everyone still waiting.
        mutating func finishShutdown() -> [CheckedContinuation<Void, Never>] {
            phase = .shutDown
            let waiting = shutdownWaiters + flushWaiters.map(\.continuation)
            shutdownWaiters = []
            flushWaiters = []
            return waiting
        }
    }
}
