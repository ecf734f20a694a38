import Logging
import ServiceLifecycle
import SpindleStorage

/// Retention for a store that drops old data on request (ClickHouse, which 18.16 cannot
/// expire by itself): at start, then every `interval`, drops what started more than
/// `retention` ago. A failed round is logged and tried again at the next; shutdown stops
/// the loop between rounds.
struct RetentionService: Service, CustomStringConvertible {
    let retention: Duration
    let interval: Duration
    let now: @Sendable () -> Duration
    let logger: Logger
    /// Drops everything older than the cutoff (Unix nanoseconds); returns what it dropped.
    let drop: @Sendable (_ cutoffUnixNano: UInt64) async throws(StorageError) -> [String]

    var description: String { "retention" }

    func run() async {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await round()
                try await Task.sleep(for: interval)
            }
        }
    }

    /// One round: the cutoff is now less the retention, never before the epoch.
    func round() async {
        let cutoff = now() - retention
        let nanoseconds = cutoff > .zero ? UInt64(cutoff.components.seconds) * 1_000_000_000 + UInt64(cutoff.components.attoseconds / 1_000_000_000) : 0
        do {
            let dropped = try await drop(nanoseconds)
            if !dropped.isEmpty {
                logger.info("retention: dropped the days \(dropped.joined(separator: ", ")), older than \(retention)")
            }
        } catch {
            logger.warning("retention: could not drop old days (tried again in \(interval)): \(error.message)")
        }
    }
}
