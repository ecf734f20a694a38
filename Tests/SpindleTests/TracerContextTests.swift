import Spindle
import SpindleModel
import Testing
import Tracing

/// A span's context is built when read, from the context it started in and the span;
/// attribute changes move the span's dictionary rather than copy it.
@Suite struct TracerContextTests {
    @Test func context_keepsTheParentsValuesAndCarriesTheSpan() throws {
        let (tracer, processor) = makeTestTracer()
        var parent = ServiceContext.topLevel
        parent.baggage = Baggage([.init(key: "tenant", value: "acme")])
        parent.spanContext = SpanContext(traceID: TraceID(high: 7, low: 8), spanID: SpanID(9), isRemote: true)
        let span = tracer.startSpan("op", context: parent)
        let first = span.context, second = span.context
        #expect(first.baggage == parent.baggage)
        #expect(first.spanContext == span.spanContext)
        #expect(second.spanContext == span.spanContext)
        #expect(first.spanContext?.isRemote == false)
        #expect(first.spanContext?.traceID == TraceID(high: 7, low: 8))
        #expect(tracer.activeSpan(identifiedBy: first)?.isRecording == true)
        // The parent's context is left as it was.
        #expect(parent.spanContext?.spanID == SpanID(9))

        let child = tracer.startSpan("child", context: first)
        child.end()
        span.end()
        #expect(processor.spans.map(\.parentSpanID) == [span.spanContext?.spanID, SpanID(9)])
    }

    @Test func context_settingASpanContextReplacesTheRecordingSpan() {
        let (tracer, _) = makeTestTracer()
        let span = tracer.startSpan("op")
        var context = span.context
        let remote = SpanContext(traceID: TraceID(high: 1, low: 2), spanID: SpanID(3), isRemote: true)
        context.spanContext = remote
        #expect(context.spanContext == remote)
        #expect(tracer.activeSpan(identifiedBy: context) == nil)
        context.spanContext = nil
        #expect(context.spanContext == nil)
        span.end()
    }

    @Test func attributes_changedFromManyTasksAtOnceKeepEveryKey() async throws {
        let (tracer, processor) = makeTestTracer(limits: SpanLimits(attributeCountLimit: 1_000))
        let span = tracer.startSpan("op")
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                group.addTask {
                    for key in 0..<50 { span.attributes["t\(task).k\(key)"] = key }
                }
            }
        }
        span.end()
        let finished = try #require(processor.spans.first)
        #expect(finished.attributes.count == 400)
        #expect(finished.droppedAttributesCount == 0)
        #expect(finished.attributes.first == Attribute("t0.k0", 0))
    }

    @Test func attributes_changedThroughTheSubscriptAreKeptInOrder() throws {
        let (tracer, processor) = makeTestTracer()
        let span = tracer.startSpan("op")
        for key in (0..<20).reversed() { span.attributes["k\(String(key).leftPadded(to: 2))"] = key }
        span.attributes["k05"] = nil
        #expect(span.attributes.get("k07") == .int64(7))
        span.end()
        let finished = try #require(processor.spans.first)
        #expect(finished.attributes.map(\.key) == (0..<20).filter { $0 != 5 }.map { "k\(String($0).leftPadded(to: 2))" })
        // Reads after the end still see the attributes; changes are ignored.
        span.attributes["late"] = 1
        #expect(span.attributes.get("late") == nil)
        #expect(span.attributes.get("k19") == .int64(19))
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(width - count, 0)) + self
    }
}

@Suite struct TracerAttributeChangeTests {
    @Test func end_duringAnAttributeChange_waitsForTheChange() throws {
        let (tracer, processor) = makeTestTracer()
        let span = tracer.startSpan("op")
        span.attributes["before"] = 1
        func change(_ attributes: inout SpanAttributes) {
            span.end()
            #expect(processor.spans.isEmpty)
            attributes["during"] = 2
        }
        change(&span.attributes)
        let finished = try #require(processor.spans.first)
        #expect(processor.spans.count == 1)
        #expect(finished.attributes == [Attribute("before", 1), Attribute("during", 2)])
        span.attributes["after"] = 3
        span.end()
        #expect(processor.spans.count == 1)
    }
}
