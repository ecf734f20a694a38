import ArgumentParser
import SpindleModel
import SpindleStorage
import SpindleServer
import SpindleStore

#if canImport(Glibc)
import Glibc
#endif

/// `spindle crash-writer`: writes numbered batches into a native store as fast as it can,
/// printing `ack N` once batch N's write has returned. The crash test kills it with
/// SIGKILL at random moments and then checks that every acknowledged batch is stored.
/// The store cuts and compacts blocks constantly, so kills land in every phase.
struct CrashWriterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crash-writer",
        abstract: "Write numbered batches into a native store until killed (for the crash test).",
        shouldDisplay: false
    )

    @Option(name: .customLong("data-dir")) var dataDir: String
    @Option var fsync = "never"
    @Option(name: .customLong("first-batch")) var firstBatch = 0
    @Option var batches = 1_000_000

    func run() async throws {
        var configuration = NativeStoreConfiguration(directory: dataDir)
        configuration.fsync = DurationText.parseFsync(fsync) ?? .never
        configuration.headMaxSpans = 200
        configuration.pageTargetSpans = 16
        configuration.compactionMinBlocks = 3
        configuration.compactionMaxSpans = 2_000
        configuration.maintenanceInterval = .milliseconds(2)
        configuration.maxPendingHeads = 1_000
        configuration.retention = nil
        configuration.logger.logLevel = .critical
        let store = try NativeTraceStore.open(configuration)
        Self.emit("ready")
        for index in firstBatch..<(firstBatch + batches) {
            _ = try await store.writeRetryingWhileBehind(Self.batch(index))
            Self.emit("ack \(index)")
        }
        await store.close()
    }

    /// A line straight to standard output, unbuffered, so no acknowledgement is still in
    /// a buffer when the process is killed.
    static func emit(_ line: String) {
        let bytes = Array((line + "\n").utf8)
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(1, buffer.baseAddress! + offset, buffer.count - offset)
                if written <= 0 { return }
                offset += written
            }
        }
    }

    /// Batch `index`: a new trace of three spans, and one late span of the trace begun
    /// three batches earlier (so traces straddle cuts and blocks).
    static func batch(_ index: Int) -> SpanBatch {
        var builder = SpanBatchBuilder()
        let start: UInt64 = 1_700_000_000_000_000_000 + UInt64(index) * 1_000_000
        let resource = Resource(attributes: [Attribute("service.name", .string("crash-\(index % 5)"))])
        for span in 0..<3 {
            builder.append(record(trace: index, span: span, start: start + UInt64(span) * 1_000, attribute: "payload-\(index)-\(span)"), resource: resource, scope: InstrumentationScope(name: "crash"))
        }
        if index >= 3 {
            builder.append(record(trace: index - 3, span: 3, start: start, attribute: "late-\(index)"), resource: resource, scope: InstrumentationScope(name: "crash"))
        }
        return builder.build()
    }

    static func traceID(_ index: Int) -> TraceID { TraceID(high: 0xC4A5_0000_0000_0000 | UInt64(index), low: UInt64(index) &* 0x9E37_79B9_7F4A_7C15 | 1) }

    static func record(trace: Int, span: Int, start: UInt64, attribute: String) -> SpanRecord {
        SpanRecord(
            traceID: traceID(trace), spanID: SpanID(UInt64(trace) << 8 | UInt64(span + 1)),
            parentSpanID: span == 0 ? .zero : SpanID(UInt64(trace) << 8 | 1), name: "op-\(span)",
            kind: .server, startTimeUnixNano: start, endTimeUnixNano: start + 500,
            attributes: [Attribute("payload", .string(attribute)), Attribute("index", .int(Int64(trace)))]
        )
    }
}
