import Synchronization

/// Keeps exported spans in memory, for tests of code that creates spans.
///
/// Thread-safe. After ``shutdown()``, exports fail with ``ExportError/shutDown`` and the
/// spans received so far stay readable.
public final class InMemorySpanExporter: SpanExporter {
    private struct State {
        var spans: [FinishedSpan] = []
        var isShutDown = false
    }

    private let state = Mutex(State())

    public init() {}

    /// Every span exported since creation or the last ``reset()``, in export order.
    public var finishedSpans: [FinishedSpan] {
        state.withLock { $0.spans }
    }

    /// Forgets the spans received so far.
    public func reset() {
        state.withLock { $0.spans.removeAll() }
    }

    public func export(_ spans: [FinishedSpan]) async throws(ExportError) {
        let accepted = state.withLock { state in
            guard !state.isShutDown else { return false }
            state.spans.append(contentsOf: spans)
            return true
        }
        guard accepted else { throw .shutDown }
    }

    public func shutdown() async {
        state.withLock { $0.isShutDown = true }
    }
}
