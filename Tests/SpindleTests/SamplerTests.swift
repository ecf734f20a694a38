import Foundation
import Spindle
import SpindleModel
import SpindleTesting
import Synchronization
import Testing
import Tracing

@Suite struct SamplerTests {
    private func decide(_ sampler: any Sampler, _ traceID: TraceID, parent: SpanContext? = nil) -> SamplingDecision {
        sampler.shouldSample(parent: parent, traceID: traceID, name: "op", kind: .internal, attributes: [:])
    }

    @Test func alwaysOnAndAlwaysOff() {
        let id = TraceID(high: 1, low: 1)
        #expect(decide(AlwaysOnSampler(), id) == .recordAndSample)
        #expect(decide(AlwaysOffSampler(), id) == .drop)
    }

    @Test func traceIDRatio_comparesTheLow64BitsWithRatioTimes2To64() {
        let half = TraceIDRatioSampler(ratio: 0.5)
        #expect(decide(half, TraceID(high: .max, low: 1 << 63 - 1)) == .recordAndSample)
        #expect(decide(half, TraceID(high: 0, low: 1 << 63)) == .drop)
        #expect(decide(TraceIDRatioSampler(ratio: 0), TraceID(high: 0, low: 0)) == .drop)
        #expect(decide(TraceIDRatioSampler(ratio: 1), TraceID(high: 0, low: .max)) == .recordAndSample)
        #expect(decide(TraceIDRatioSampler(ratio: 7), TraceID(high: 0, low: .max)) == .recordAndSample)
        #expect(TraceIDRatioSampler(ratio: -1).ratio == 0)
        #expect(half.description == "TraceIdRatioBased{0.5}")
    }

    /// The same decisions as the OpenTelemetry Python SDK's `TraceIdRatioBased` for 200
    /// trace IDs at several ratios.
    @Test func traceIDRatio_agreesWithThePythonSDK() throws {
        var state: UInt64 = 0x5EED
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        var ids = (0..<196).map { _ in TraceID(high: next(), low: next()) }
        // IDs at the exact bound of ratio 0.5 and 0.25, and the extremes.
        ids += [TraceID(high: 1, low: 1 << 63), TraceID(high: 1, low: 1 << 63 - 1), TraceID(high: 1, low: 1 << 62), TraceID(high: 1, low: .max)]
        let ratios = [0.0, 0.0001, 0.1, 0.25, 1.0 / 3.0, 0.5, 0.75, 0.999, 1.0]
        let script = """
            import sys
            from opentelemetry.sdk.trace.sampling import TraceIdRatioBased, Decision
            ratios = [float(r) for r in sys.argv[1].split(",")]
            for line in sys.stdin.read().split():
                tid = int(line, 16)
                print("".join("1" if TraceIdRatioBased(r).should_sample(None, tid, "op").decision == Decision.RECORD_AND_SAMPLE else "0" for r in ratios))
            """
        let input = ids.map(\.hexString).joined(separator: "\n")
        let inputURL = FileManager.default.temporaryDirectory.appendingPathComponent("spindle-ratio-\(UUID().uuidString).txt")
        try input.write(to: inputURL, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: inputURL) }
        let output = try PythonTools.run(
            "/bin/sh", ["-c", "\"$0\" -c \"$1\" \"$2\" < \"$3\"", try PythonTools.python(), script,
                        ratios.map { "\($0)" }.joined(separator: ","), inputURL.path])
        #expect(output.status == 0, "\(output.stderr)")
        let expected = output.stdout.split(separator: "\n").map(String.init)
        let actual = ids.map { id in
            ratios.map { decide(TraceIDRatioSampler(ratio: $0), id) == .recordAndSample ? "1" : "0" }.joined()
        }
        #expect(expected.count == 200)
        #expect(actual == expected)
    }

    @Test func parentBased_usesTheDelegateForEachKindOfParent() {
        let log = CallLog()
        let sampler = ParentBasedSampler(
            root: NamedSampler("root", log),
            remoteParentSampled: NamedSampler("remoteSampled", log),
            remoteParentNotSampled: NamedSampler("remoteNotSampled", log),
            localParentSampled: NamedSampler("localSampled", log),
            localParentNotSampled: NamedSampler("localNotSampled", log))
        let id = TraceID(high: 1, low: 1)
        func parent(remote: Bool, sampled: Bool) -> SpanContext {
            SpanContext(traceID: id, spanID: SpanID(1), traceFlags: sampled ? .sampled : [], isRemote: remote)
        }
        let cases: [(SpanContext?, String)] = [
            (nil, "root"),
            (SpanContext(traceID: .zero, spanID: SpanID(0)), "root"),
            (parent(remote: true, sampled: true), "remoteSampled"),
            (parent(remote: true, sampled: false), "remoteNotSampled"),
            (parent(remote: false, sampled: true), "localSampled"),
            (parent(remote: false, sampled: false), "localNotSampled"),
        ]
        for (parentContext, name) in cases {
            log.calls.withLock { $0 = [] }
            _ = decide(sampler, id, parent: parentContext)
            #expect(log.calls.withLock { $0 } == [name])
        }
    }

    @Test func parentBased_defaultsFollowTheParentsFlag() {
        let sampler = ParentBasedSampler(root: AlwaysOffSampler())
        let id = TraceID(high: 1, low: 1)
        #expect(decide(sampler, id) == .drop)
        for remote in [true, false] {
            #expect(decide(sampler, id, parent: SpanContext(traceID: id, spanID: SpanID(1), traceFlags: .sampled, isRemote: remote)) == .recordAndSample)
            #expect(decide(sampler, id, parent: SpanContext(traceID: id, spanID: SpanID(1), traceFlags: [], isRemote: remote)) == .drop)
        }
    }

    @Test func rateLimiting_allowsABurstThenRefillsWithTime() {
        let clock = ManualTestClock()
        let sampler = RateLimitingSampler(spansPerSecond: 2, clock: clock)
        let id = TraceID(high: 1, low: 1)
        #expect((0..<3).map { _ in decide(sampler, id) } == [.recordAndSample, .recordAndSample, .drop])
        clock.advance(by: .milliseconds(499))
        #expect(decide(sampler, id) == .drop)
        clock.advance(by: .milliseconds(1))
        #expect(decide(sampler, id) == .recordAndSample)
        #expect(decide(sampler, id) == .drop)
        clock.advance(by: .seconds(10))  // refills to the burst size, not beyond
        #expect((0..<3).map { _ in decide(sampler, id) } == [.recordAndSample, .recordAndSample, .drop])
    }

    @Test func rateLimiting_belowOnePerSecondAndZero() {
        let clock = ManualTestClock()
        let slow = RateLimitingSampler(spansPerSecond: 0.5, clock: clock)
        let id = TraceID(high: 1, low: 1)
        #expect(decide(slow, id) == .recordAndSample)
        clock.advance(by: .seconds(1))
        #expect(decide(slow, id) == .drop)
        clock.advance(by: .seconds(1))
        #expect(decide(slow, id) == .recordAndSample)
        #expect(decide(RateLimitingSampler(spansPerSecond: 0, clock: clock), id) == .drop)
    }
}

/// Records its name when asked, to show which delegate decided.
private final class CallLog: Sendable {
    let calls = Mutex<[String]>([])
}

private struct NamedSampler: Sampler {
    let name: String
    let log: CallLog
    init(_ name: String, _ log: CallLog) {
        self.name = name
        self.log = log
    }

    func shouldSample(parent: SpanContext?, traceID: TraceID, name: String, kind: SpindleModel.SpanKind, attributes: SpanAttributes) -> SamplingDecision {
        log.calls.withLock { $0.append(self.name) }
        return .drop
    }

    var description: String { name }
}

/// A clock that moves only when told.
private final class ManualTestClock: Clock, @unchecked Sendable {
    struct Instant: InstantProtocol {
        var offset: Duration
        func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        func duration(to other: Instant) -> Duration { other.offset - offset }
        static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
    }

    private let current = Mutex(Instant(offset: .zero))
    var now: Instant { current.withLock { $0 } }
    var minimumResolution: Duration { .nanoseconds(1) }
    func advance(by duration: Duration) { current.withLock { $0 = $0.advanced(by: duration) } }
    func sleep(until deadline: Instant, tolerance: Duration?) async throws {}
}
