import SpindleModel
import SpindleStorage
import SpindleStore

extension NativeTraceStore {
    /// Writes `batch`, retrying after a millisecond each time the store says it is behind
    /// (`.unavailable`), as a collector's client would after a 429. Returns how many
    /// times it was refused; rethrows any other error.
    func writeRetryingWhileBehind(_ batch: SpanBatch) async throws -> Int {
        var refusals = 0
        while true {
            let refusal: StorageError?
            do {
                try await write(batch)
                refusal = nil
            } catch {
                refusal = error
            }
            guard let refusal else { return refusals }
            guard refusal.code == .unavailable else { throw refusal }
            refusals += 1
            try await Task.sleep(for: .milliseconds(1))
        }
    }
}
