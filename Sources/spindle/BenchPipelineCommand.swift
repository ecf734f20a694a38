import ArgumentParser
import Foundation
import SpindleCollector
import SpindleModel
import SpindleSamples
import SpindleStorage
import SpindleWire
import Synchronization

/// `spindle bench pipeline`: the collector's own cost, in process. Realistic OTLP
/// protobuf requests are decoded and ingested through `IngestPipeline` into a writer that
/// only counts, with redaction, span metrics and tail sampling switched on and off, so
/// each one's share of ingest throughput shows; then the memory a tail sampler holds per
/// buffered trace.
struct PipelineBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipeline",
        abstract: "Ingest throughput of the collector pipeline with redaction, span metrics and tail sampling on and off; tail-sampling memory per buffered trace.",
        discussion: """
            Storage is left out (the writer only counts spans) and so is HTTP: what is \
            measured is decoding and the pipeline's stages. Each configuration runs \
            --rounds times, alternating, and the median is reported. `spindle bench ingest` \
            measures the whole server over HTTP.
            """
    )

    @Option(name: .customLong("spans-per-request"), help: "Spans per request: whole traces are added until at least this many.")
    var spansPerRequest = 500

    @Option(help: "Distinct requests, encoded before the run.")
    var requests = 200

    @Option(help: "Concurrent ingesting tasks.")
    var concurrency = 2

    @Option(help: "Timed passes over every request per configuration (the median is reported).")
    var rounds = 5

    @Option(name: .customLong("buffered-traces"), help: "Traces buffered by the tail sampler for the memory measurement (0 skips it).")
    var bufferedTraces = 20_000

    func run() async throws {
        var workload = Workload(Workload.Configuration(seed: 7))
        var bodies: [[UInt8]] = []
        var spanCount = 0
        for _ in 0..<requests {
            let batch = workload.nextBatch(targetSpans: spansPerRequest)
            spanCount += batch.spanCount
            bodies.append(OTLPProtobuf.encodeExportRequest(batch))
        }
        print("spindle bench pipeline: \(requests) requests, \(spanCount) spans (\(spanCount / requests) per request), \(concurrency) tasks, median of \(rounds) rounds")

        let configurations: [(String, Setup)] = [
            ("decode only (no pipeline)", Setup(pipeline: false)),
            ("pipeline: redaction off, span metrics off", Setup(redaction: false, spanMetrics: false)),
            ("pipeline: redaction on, span metrics off", Setup(redaction: true, spanMetrics: false)),
            ("pipeline: redaction off, span metrics on", Setup(redaction: false, spanMetrics: true)),
            ("pipeline: redaction on, span metrics on (default)", Setup(redaction: true, spanMetrics: true)),
            ("default + tail sampling (4 policies)", Setup(redaction: true, spanMetrics: true, tailSampling: true)),
        ]
        var samples = Array(repeating: [Double](), count: configurations.count)
        for _ in 0..<rounds {
            for (index, (_, setup)) in configurations.enumerated() {
                let seconds = try await measure(setup, bodies: bodies, spanCount: spanCount)
                samples[index].append(Double(spanCount) / seconds)
            }
        }
        let medians = samples.map { $0.sorted()[$0.count / 2] }
        let baseline = medians[1]
        print("configuration".padding(toLength: 52, withPad: " ", startingAt: 0) + "spans/s     ns/span   vs stages off")
        for (index, (name, _)) in configurations.enumerated() {
            let perSpan = 1e9 / medians[index]
            let share = index == 0 ? "" : String(format: "%+.1f %%", (baseline / medians[index] - 1) * 100)
            print(name.padding(toLength: 52, withPad: " ", startingAt: 0) + String(format: "%9.0f  %9.0f   %@", medians[index], perSpan, share))
        }
        if bufferedTraces > 0 {
            try tailSamplingMemory()
        }
    }

    struct Setup {
        var pipeline = true
        var redaction = true
        var spanMetrics = true
        var tailSampling = false
    }

    /// Seconds to decode and ingest every body once, `concurrency` at a time.
    private func measure(_ setup: Setup, bodies: [[UInt8]], spanCount: Int) async throws -> Double {
        let writer = CountingWriter()
        let spanMetrics = setup.spanMetrics ? SpanMetrics(now: { .seconds(Int64(Date().timeIntervalSince1970)) }) : nil
        let sampler = setup.tailSampling ? try TailSampler(configuration: Self.samplingPolicies(decisionWait: .milliseconds(100))) : nil
        let pipeline = IngestPipeline(
            writer: writer,
            redactor: setup.redaction ? Redactor() : .disabled,
            observers: spanMetrics.map { [$0] } ?? [],
            tailSampler: sampler
        )
        let loop = Task { await pipeline.run() }
        let clock = ContinuousClock()
        let elapsed = try await clock.measure {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<concurrency {
                    group.addTask {
                        var index = worker
                        while index < bodies.count {
                            let batch = try OTLPProtobuf.decodeExportRequest(bodies[index])
                            if setup.pipeline {
                                _ = try await pipeline.ingest(batch, byteCount: bodies[index].count, protocol: .otlpHTTP)
                            }
                            index += concurrency
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        pipeline.shutdown()
        await loop.value
        if setup.pipeline, !setup.tailSampling, writer.spans != spanCount {
            throw ValidationError("the pipeline stored \(writer.spans) spans, not \(spanCount)")
        }
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    static func samplingPolicies(decisionWait: Duration) -> TailSamplingConfiguration {
        TailSamplingConfiguration(decisionWait: decisionWait, policies: [
            TailSamplingPolicy(name: "errors", rule: .error),
            TailSamplingPolicy(name: "slow", rule: .latency(.seconds(2))),
            TailSamplingPolicy(name: "premium", rule: .attribute(.init(key: "enduser.id", .hasPrefix("user-1")))),
            TailSamplingPolicy(name: "some", rule: .probabilistic(0.1)),
        ])
    }

    /// Buffers `bufferedTraces` whole traces (never decided during the measurement) and
    /// reports the resident memory they added, per trace and per span: the decoded
    /// requests the sampler holds on to, plus its own bookkeeping.
    private func tailSamplingMemory() throws {
        var workload = Workload(Workload.Configuration(seed: 11))
        // Requests of ~100 spans, as SDK batch processors send, encoded before the
        // first reading; decoding them is part of what is measured, as the pipeline
        // holds decoded batches.
        var bodies: [[UInt8]] = []
        var traces = 0
        var spans = 0
        while traces < bufferedTraces {
            let before = workload.tracesGenerated
            let batch = workload.nextBatch(targetSpans: 100)
            bodies.append(OTLPProtobuf.encodeExportRequest(batch))
            traces += workload.tracesGenerated - before
            spans += batch.spanCount
        }
        let sampler = try TailSampler(configuration: TailSamplingConfiguration(
            decisionWait: .seconds(3600), maxTraces: traces + 1, maxBufferedSpans: spans + 1, maxBufferedBytes: Int.max / 2,
            policies: Self.samplingPolicies(decisionWait: .seconds(3600)).policies
        ))
        let rssBefore = Self.residentBytes()
        var arenaBytes = 0
        for body in bodies {
            let batch = try OTLPProtobuf.decodeExportRequest(body)
            arenaBytes += batch.tables.arena.count
            _ = sampler.offer(batch, now: .zero)
        }
        let added = Self.residentBytes() - rssBefore
        let tracesHeld = max(1, sampler.bufferedTraceCount)
        let spansHeld = max(1, sampler.bufferedSpanCount)
        print("tail sampling memory: \(sampler.bufferedTraceCount) traces, \(sampler.bufferedSpanCount) spans buffered (mean \(spansHeld / tracesHeld) spans per trace); resident memory +\(added / 1024) KiB")
        print(String(format: "  %.0f bytes per buffered trace, %.0f bytes per buffered span; of which request bytes (arenas) %.0f per span",
                     Double(added) / Double(tracesHeld), Double(added) / Double(spansHeld), Double(arenaBytes) / Double(spansHeld)))
        withExtendedLifetime((sampler, bodies)) {}
    }

    /// VmRSS from /proc/self/status, in bytes (0 where there is no /proc).
    static func residentBytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let digits = line.filter(\.isNumber)
            return (Int(digits) ?? 0) * 1024
        }
        return 0
    }
}

/// A writer that only counts what it is given.
final class CountingWriter: TraceWriter, Sendable {
    private let count = Mutex(0)
    var spans: Int { count.withLock { $0 } }

    func write(_ batch: SpanBatch) async throws(StorageError) {
        count.withLock { $0 += batch.spanCount }
    }
}
