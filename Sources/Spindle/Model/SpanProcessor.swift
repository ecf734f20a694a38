/// Receives every sampled span as it ends, on the thread that ends it.
///
/// `onEnd` is on the application's hot path: it must not block, wait or allocate more
/// than it needs (a batch processor appends to a bounded buffer and returns; when the
/// buffer is full it drops the span and counts it).
public protocol SpanProcessor: Sendable {
    func onEnd(_ span: FinishedSpan)
    /// Exports everything received so far; returns when done or when the processor's
    /// export timeout passes.
    func forceFlush() async
    /// Flushes, then stops: later spans are dropped.
    func shutdown() async
}
