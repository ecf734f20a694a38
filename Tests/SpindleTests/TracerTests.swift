import Spindle
import SpindleModel
import Testing
import Synchronization
import Tracing

@Suite struct TracerTests {
    @Test func withSpan_childSharesTraceAndPointsAtParent() throws {
        let (tracer, processor) = makeTestTracer()
        var ids: [SpanContext] = []
        tracer.withSpan("parent") { parent in
            ids.append(parent.spanContext!)
            tracer.withSpan("child") { child in ids.append(child.spanContext!) }
        }
        let spans = processor.spans
        #expect(spans.map(\.name) == ["child", "parent"])
        let child = spans[0], parent = spans[1]
        #expect(parent.parentSpanID == nil)
        #expect(child.context.traceID == parent.context.traceID)
        #expect(child.parentSpanID == parent.context.spanID)
        #expect(child.context.spanID != parent.context.spanID)
        #expect(ids == [parent.context, child.context])
        #expect(parent.context.isSampled && parent.context.isValid)
        #expect(parent.resource.serviceName == "test")
        #expect(parent.scope == InstrumentationScope(name: SpindleSDK.name, version: SpindleSDK.version))
    }

    @Test func startSpan_continuesAnExtractedRemoteParent() throws {
        let (tracer, processor) = makeTestTracer()
        var context = ServiceContext.topLevel
        let remote = SpanContext(
            traceID: TraceID(high: 1, low: 2), spanID: SpanID(3), traceState: TraceState([("k", "v")]), isRemote: true)
        context.spanContext = remote
        let span = tracer.startSpan("server", context: context, ofKind: .server)
        #expect(span.context.spanContext?.traceID == remote.traceID)
        #expect(span.context.spanContext?.isRemote == false)
        #expect(span.context.spanContext?.traceState["k"] == "v")
        span.end()
        #expect(processor.spans.first?.parentSpanID == SpanID(3))
        #expect(processor.spans.first?.kind == .server)
    }

    @Test func activeSpan_findsTheCurrentSpan() {
        let (tracer, _) = makeTestTracer()
        #expect(tracer.activeSpan(identifiedBy: .topLevel) == nil)
        tracer.withSpan("outer") { outer in
            let active = tracer.activeSpan(identifiedBy: ServiceContext.current ?? .topLevel)
            #expect(active?.spanContext == outer.spanContext)
            #expect(active?.isRecording == true)
            active?.attributes["set.via.active"] = "yes"
            #expect(outer.attributes.get("set.via.active") == .string("yes"))
        }
        var remote = ServiceContext.topLevel
        remote.spanContext = SpanContext(traceID: TraceID(high: 1, low: 1), spanID: SpanID(1), isRemote: true)
        #expect(tracer.activeSpan(identifiedBy: remote) == nil)
    }

    @Test func finishedSpan_holdsAttributesEventsLinksAndStatusExactly() throws {
        let (tracer, processor) = makeTestTracer()
        var linked = ServiceContext.topLevel
        let target = SpanContext(traceID: TraceID(high: 9, low: 9), spanID: SpanID(9))
        linked.spanContext = target
        let span = tracer.startSpan("op", ofKind: .client, at: instant(1_000))
        span.attributes["http.method"] = "GET"
        span.attributes["count"] = 3
        span.attributes["ratio"] = 0.5
        span.attributes["ok"] = true
        span.attributes["tags"] = SpanAttribute.stringArray(["a", "b"])
        span.attributes["n32"] = SpanAttribute.int32(7)
        span.operationName = "renamed"
        span.addEvent(SpanEvent(name: "cache.miss", at: instant(1_500), attributes: ["key": "k1"]))
        span.recordError(TestError(), attributes: ["extra": 1], at: instant(1_700))
        span.addLink(SpanLink(context: linked, attributes: ["why": "batch"]))
        span.addLink(SpanLink(context: .topLevel, attributes: [:]))
        span.setStatus(SpanStatus(code: .error, message: "boom"))
        span.end(at: instant(2_000))

        let finished = try #require(processor.spans.first)
        #expect(finished.name == "renamed")
        #expect(finished.kind == .client)
        #expect(finished.startTimeUnixNano == 1_000 && finished.endTimeUnixNano == 2_000)
        #expect(finished.attributes == [
            Attribute("count", .int(3)), Attribute("http.method", .string("GET")), Attribute("n32", .int(7)),
            Attribute("ok", .bool(true)), Attribute("ratio", .double(0.5)),
            Attribute("tags", .array([.string("a"), .string("b")])),
        ])
        #expect(finished.events == [
            FinishedSpan.Event(name: "cache.miss", timeUnixNano: 1_500, attributes: [Attribute("key", "k1")]),
            FinishedSpan.Event(name: "exception", timeUnixNano: 1_700, attributes: [
                Attribute("exception.message", "it broke"),
                Attribute("exception.type", .string(String(reflecting: TestError.self))),
                Attribute("extra", .int(1)),
            ]),
        ])
        #expect(finished.links == [FinishedSpan.Link(context: target, attributes: [Attribute("why", "batch")])])
        #expect(finished.status == SpindleModel.SpanStatus(code: .error, message: "boom"))
        #expect(finished.droppedAttributesCount == 0 && finished.droppedEventsCount == 0 && finished.droppedLinksCount == 0)
    }

    @Test func withSpan_recordsAThrownErrorAndErrorStatus() {
        let (tracer, processor) = makeTestTracer()
        #expect(throws: TestError.self) {
            try tracer.withSpan("failing") { _ in throw TestError() }
        }
        let finished = processor.spans.first
        #expect(finished?.status.code == .error)
        #expect(finished?.events.map(\.name) == ["exception"])
    }

    @Test func status_okIsFinalAndOkDropsTheMessage() {
        let (tracer, processor) = makeTestTracer()
        let span = tracer.startSpan("op")
        span.setStatus(SpanStatus(code: .ok, message: "ignored"))
        span.setStatus(SpanStatus(code: .error, message: "too late"))
        span.end()
        #expect(processor.spans.first?.status == SpindleModel.SpanStatus(code: .ok, message: ""))
    }

    @Test func end_onlyTheFirstCallCountsAndLaterChangesAreIgnored() {
        let (tracer, processor) = makeTestTracer()
        let span = tracer.startSpan("op", at: instant(10))
        span.end(at: instant(20))
        #expect(!span.isRecording)
        span.attributes["late"] = "x"
        span.addEvent("late")
        span.operationName = "late"
        span.end(at: instant(30))
        #expect(processor.spans.count == 1)
        #expect(processor.spans.first?.endTimeUnixNano == 20)
        #expect(processor.spans.first?.name == "op")
        #expect(processor.spans.first?.attributes == [])
        #expect(processor.spans.first?.events == [])
    }

    @Test func limits_dropAndCount() throws {
        let limits = SpanLimits(
            attributeCountLimit: 2, attributeValueLengthLimit: 3, eventCountLimit: 1, linkCountLimit: 1,
            attributePerEventCountLimit: 1, attributePerLinkCountLimit: 0)
        let (tracer, processor) = makeTestTracer(limits: limits)
        var linked = ServiceContext.topLevel
        linked.spanContext = SpanContext(traceID: TraceID(high: 1, low: 1), spanID: SpanID(1))
        let span = tracer.startSpan("op")
        span.attributes["b"] = "abcdef"
        span.attributes["a"] = SpanAttribute.stringArray(["xyzw", "é日本語"])
        span.attributes["c"] = 1  // third key: dropped
        span.attributes["b"] = "bcdefg"  // existing key: updated
        span.attributes = ["a": "1", "b": "2", "d": 4, "e": 5]  // two new keys: dropped
        span.addEvent(SpanEvent(name: "e1", at: instant(1), attributes: ["x": 1, "y": 2]))
        span.addEvent("e2")
        span.addLink(SpanLink(context: linked, attributes: ["p": 1]))
        span.addLink(SpanLink(context: linked, attributes: [:]))
        span.end()
        let finished = try #require(processor.spans.first)
        #expect(finished.attributes == [Attribute("a", "1"), Attribute("b", "2")])
        #expect(finished.droppedAttributesCount == 3)
        #expect(finished.events == [FinishedSpan.Event(name: "e1", timeUnixNano: 1, attributes: [Attribute("x", 1)], droppedAttributesCount: 1)])
        #expect(finished.droppedEventsCount == 1)
        #expect(finished.links.count == 1 && finished.links[0].droppedAttributesCount == 1 && finished.links[0].attributes == [])
        #expect(finished.droppedLinksCount == 1)
    }

    @Test func limits_truncateStringValues() throws {
        let (tracer, processor) = makeTestTracer(limits: SpanLimits(attributeValueLengthLimit: 3))
        let span = tracer.startSpan("op")
        span.attributes["s"] = "abcdef"
        span.attributes["short"] = "ab"
        span.attributes["list"] = SpanAttribute.stringArray(["xyzw", "é日本語"])
        span.end()
        let finished = try #require(processor.spans.first)
        #expect(finished.attributes == [
            Attribute("list", .array([.string("xyz"), .string("é日本")])),
            Attribute("s", "abc"), Attribute("short", "ab"),
        ])
        #expect(finished.droppedAttributesCount == 0)
    }

    @Test func droppedSpans_propagateButReachNoProcessor() {
        let (tracer, processor) = makeTestTracer(sampler: AlwaysOffSampler())
        let root = tracer.startSpan("root")
        #expect(!root.isRecording)
        let rootContext = root.context.spanContext
        #expect(rootContext?.isValid == true && rootContext?.isSampled == false)
        root.attributes["x"] = 1
        #expect(root.attributes.isEmpty)
        // The unsampled child of an unsampled local parent keeps the parent's context.
        let child = tracer.startSpan("child", context: root.context)
        #expect(child.context.spanContext == rootContext)
        #expect(tracer.activeSpan(identifiedBy: child.context)?.isRecording == false)
        child.end()
        root.end()
        #expect(processor.spans.isEmpty)
    }

    @Test func droppedChildOfSampledParent_getsItsOwnUnsampledContext() {
        let (tracer, processor) = makeTestTracer(sampler: ParentBasedSampler(root: AlwaysOnSampler(), localParentSampled: AlwaysOffSampler()))
        let parent = tracer.startSpan("parent")
        let child = tracer.startSpan("child", context: parent.context)
        #expect(child.context.spanContext?.traceID == parent.spanContext?.traceID)
        #expect(child.context.spanContext?.spanID != parent.spanContext?.spanID)
        #expect(child.context.spanContext?.isSampled == false)
        #expect(tracer.activeSpan(identifiedBy: child.context)?.isRecording == false)
        child.end()
        parent.end()
        #expect(processor.spans.map(\.name) == ["parent"])
    }

    @Test func disabledTracer_recordsNothingAndKeepsTheContext() {
        let (tracer, processor) = makeTestTracer(isEnabled: false)
        var context = ServiceContext.topLevel
        let remote = SpanContext(traceID: TraceID(high: 5, low: 5), spanID: SpanID(5), isRemote: true)
        context.spanContext = remote
        let span = tracer.startSpan("op", context: context)
        #expect(!span.isRecording)
        #expect(span.context.spanContext == remote)
        span.end()
        #expect(processor.spans.isEmpty)
    }

    @Test func injectAndExtract_useThePropagator() {
        let (tracer, _) = makeTestTracer()
        let span = tracer.startSpan("client", ofKind: .client)
        var headers: [String: String] = [:]
        tracer.inject(span.context, into: &headers, using: DictionaryInjector())
        let spanContext = span.spanContext!
        #expect(headers["traceparent"] == "00-\(spanContext.traceID.hexString)-\(spanContext.spanID.hexString)-01")
        var extracted = ServiceContext.topLevel
        tracer.extract(headers, into: &extracted, using: DictionaryExtractor())
        #expect(extracted.spanContext?.traceID == spanContext.traceID)
        #expect(extracted.spanContext?.isRemote == true)
    }

    @Test func randomIDs_areNonZeroAndDistinct() {
        let (tracer, _) = makeTestTracer(sampler: AlwaysOffSampler())
        var traceIDs = Set<TraceID>(), spanIDs = Set<SpanID>()
        for _ in 0..<10_000 {
            let context = tracer.startSpan("root").context.spanContext!
            #expect(context.isValid)
            traceIDs.insert(context.traceID)
            spanIDs.insert(context.spanID)
        }
        #expect(traceIDs.count == 10_000 && spanIDs.count == 10_000)
    }

    @Test func flush_flushesEveryProcessor() async {
        let (tracer, processor) = makeTestTracer()
        await tracer.flush()
        #expect(processor.flushes == 1)
    }
}

// MARK: - Helpers shared by the tracer tests


/// A span processor that keeps what it receives, for the tracer tests.
final class RecordingProcessor: SpanProcessor {
    private let state = Mutex(State())

    private struct State {
        var spans: [FinishedSpan] = []
        var flushes = 0
        var shutdowns = 0
    }

    var spans: [FinishedSpan] { state.withLock { $0.spans } }
    var flushes: Int { state.withLock { $0.flushes } }
    var shutdowns: Int { state.withLock { $0.shutdowns } }

    func onEnd(_ span: FinishedSpan) { state.withLock { $0.spans.append(span) } }
    func forceFlush() async { state.withLock { $0.flushes += 1 } }
    func shutdown() async { state.withLock { $0.shutdowns += 1 } }
}

/// A tracer with a fixed resource feeding one recording processor.
func makeTestTracer(
    sampler: any Sampler = AlwaysOnSampler(), limits: SpanLimits = SpanLimits(), isEnabled: Bool = true
) -> (SpindleTracer, RecordingProcessor) {
    let processor = RecordingProcessor()
    let tracer = SpindleTracer(
        resource: Resource(attributes: [Attribute("service.name", "test")]), processors: [processor],
        sampler: sampler, limits: limits, propagator: W3CTraceContextPropagator(), isEnabled: isEnabled)
    return (tracer, processor)
}

/// A `[String: String]` carrier for inject/extract.
struct DictionaryInjector: Injector {
    func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) { carrier[key] = value }
}

struct DictionaryExtractor: Extractor {
    func extract(key: String, from carrier: [String: String]) -> String? { carrier[key] }
}

struct TestError: Error, CustomStringConvertible {
    var description: String { "it broke" }
}

/// An instant at a fixed nanosecond count.
func instant(_ nanoseconds: UInt64) -> DefaultTracerClock.Instant {
    DefaultTracerClock.Instant(nanosecondsSinceEpoch: nanoseconds)
}
