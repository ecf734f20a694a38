import ServiceContextModule
import Spindle
import SpindleModel
import Testing

@Suite struct SpanContextTests {
    @Test func validityAndSampling() {
        let context = SpanContext(traceID: TraceID(high: 1, low: 2), spanID: SpanID(3))
        #expect(context.isValid && context.isSampled && !context.isRemote)
        #expect(!SpanContext(traceID: TraceID(high: 0, low: 0), spanID: SpanID(3)).isValid)
        #expect(!SpanContext(traceID: TraceID(high: 1, low: 0), spanID: SpanID(0)).isValid)
        #expect(!SpanContext(traceID: TraceID(high: 1, low: 0), spanID: SpanID(1), traceFlags: []).isSampled)
    }

    @Test func travelsInAServiceContext() {
        var service = ServiceContext.topLevel
        #expect(service.spanContext == nil)
        let context = SpanContext(traceID: TraceID(high: 1, low: 2), spanID: SpanID(3), traceState: TraceState([("a", "1"), ("b", "2")]))
        service.spanContext = context
        #expect(service.spanContext == context)
        #expect(service.spanContext?.traceState["b"] == "2")
    }
}
