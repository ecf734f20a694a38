public import SpindleModel

/// Stores spans: the one method every storage backend implements to accept data.
///
/// Implementation requirements:
/// - **Durable before return.** When `write` returns, every span of the batch has reached
///   the backend's durability point (for the native engine, the WAL at the configured
///   `--fsync` level; for memory, the process' memory). The collector acknowledges a
///   request only after `write` returns, so a backend must never return early.
/// - **Idempotent.** Writing the same span (same trace ID and span ID) twice must not make
///   it appear twice to readers; writing a batch again after an error is always safe.
/// - **Ownership.** The batch is immutable and shared; a backend may keep a reference
///   (the arena included) as long as it likes.
/// - **Errors.** A backend that cannot take more now throws ``StorageError`` with code
///   `.unavailable` (the collector answers "retry later"); any other error is reported
///   to the client as a server error. A batch is written whole or not at all from a
///   reader's point of view only where the backend says so; callers retry whole batches.
/// - **Cancellation.** A cancelled write may or may not have stored the batch; retrying
///   it is safe because writes are idempotent.
public protocol TraceWriter: Sendable {
    func write(_ batch: SpanBatch) async throws(StorageError)
}
