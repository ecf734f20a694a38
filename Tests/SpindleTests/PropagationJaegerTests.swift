import Instrumentation
import ServiceContextModule
import Spindle
import SpindleModel
import Testing

@Suite struct PropagationJaegerTests {
    /// (uber-trace-id, expected (trace ID hex, span ID, sampled) or nil).
    static let cases: [(String, (String, UInt64, Bool)?)] = [
        ("4bf92f3577b34da6a3ce929d0e0e4736:00f067aa0ba902b7:0:1", ("4bf92f3577b34da6a3ce929d0e0e4736", 0x00F0_67AA_0BA9_02B7, true)),
        ("4bf92f3577b34da6a3ce929d0e0e4736:00f067aa0ba902b7:0000000000000000:01", ("4bf92f3577b34da6a3ce929d0e0e4736", 0x00F0_67AA_0BA9_02B7, true)),
        ("4bf92f3577b34da6a3ce929d0e0e4736:00f067aa0ba902b7:53ce929d0e0e4736:0", ("4bf92f3577b34da6a3ce929d0e0e4736", 0x00F0_67AA_0BA9_02B7, false)),
        // No leading zeros, 64-bit IDs, either case, whitespace.
        ("abc:def:0:1", ("00000000000000000000000000000abc", 0xDEF, true)),
        ("a3ce929d0e0e4736:f067aa0ba902b7:0:1", ("0000000000000000a3ce929d0e0e4736", 0x00F0_67AA_0BA9_02B7, true)),
        (" ABC:DEF:0:1 ", ("00000000000000000000000000000abc", 0xDEF, true)),
        // URL-encoded.
        ("4bf92f3577b34da6a3ce929d0e0e4736%3A00f067aa0ba902b7%3A0%3A1", ("4bf92f3577b34da6a3ce929d0e0e4736", 0x00F0_67AA_0BA9_02B7, true)),
        ("abc%3adef%3A0%3A3", ("00000000000000000000000000000abc", 0xDEF, true)),
        // Flags: 0x01 sampled; 0x02 (debug) alone is not.
        ("abc:def:0:3", ("00000000000000000000000000000abc", 0xDEF, true)),
        ("abc:def:0:2", ("00000000000000000000000000000abc", 0xDEF, false)),
        ("abc:def:0:ff", ("00000000000000000000000000000abc", 0xDEF, true)),
        // Malformed.
        ("abc:def:0:100", nil),
        ("abc:def:0", nil),
        ("abc:def:0:1:1", nil),
        ("0:def:0:1", nil),
        ("abc:0:0:1", nil),
        ("abc:def::1", nil),
        ("abc:def:0:", nil),
        (":def:0:1", nil),
        ("abg:def:0:1", nil),
        ("4bf92f3577b34da6a3ce929d0e0e47361:def:0:1", nil),
        ("abc:00f067aa0ba902b71:0:1", nil),
        ("abc-def-0-1", nil),
        ("abc%3Gdef%3A0%3A1", nil),
        ("", nil),
    ]

    @Test(arguments: cases)
    func parsesUberTraceID(header: String, expected: (String, UInt64, Bool)?) {
        let parsed = JaegerPropagator.parseUberTraceID(header)
        if let (trace, span, sampled) = expected {
            #expect(parsed == SpanContext(traceID: TraceID(hex: trace)!, spanID: SpanID(span), traceFlags: sampled ? .sampled : [], isRemote: true))
        } else {
            #expect(parsed == nil)
        }
    }

    @Test func extractsBaggageFromUberctxHeaders() {
        let context = PropagationHelpers.extract(JaegerPropagator(), [
            "uber-trace-id": "abc:def:0:1",
            "uberctx-user": "alice%20smith",
            "Uberctx-Tenant": " acme ",
            "uberctx-": "ignored",
            "other": "x",
        ])
        #expect(context.spanContext?.spanID == SpanID(0xDEF))
        #expect(context.baggage?.entries.map { "\($0.key)=\($0.value)" } == ["Tenant=acme", "user=alice smith"])
    }

    @Test func readsNoBaggageThroughAnExtractorThatCannotListKeys() {
        struct LookupOnly: Extractor {
            func extract(key: String, from carrier: [String: String]) -> String? { carrier[key] }
        }
        var context = ServiceContext.topLevel
        JaegerPropagator().extract(["uber-trace-id": "abc:def:0:1", "uberctx-user": "alice"], into: &context, using: LookupOnly())
        #expect(context.spanContext?.traceID == TraceID(high: 0, low: 0xABC))
        #expect(context.baggage == nil)
    }

    @Test func keepsTheBaggageLimitsWhenExtracting() {
        var many = ["uber-trace-id": "abc:def:0:1"]
        for index in 0..<200 { many["uberctx-k\(1000 + index)"] = "v" }
        let extracted = PropagationHelpers.extract(JaegerPropagator(), many).baggage
        #expect(extracted?.entries.count == 180)
        #expect(extracted?.entries.last?.key == "k1179")
        // The third 4000-byte member passes 8192 bytes in all: it and every later one go.
        var big: [String: String] = [:]
        for key in ["a", "b", "c"] { big["uberctx-\(key)"] = String(repeating: "v", count: 3990) }
        big["uberctx-d"] = "small"
        #expect(PropagationHelpers.extract(JaegerPropagator(), big).baggage?.entries.map(\.key) == ["a", "b"])
    }

    @Test func injectsUberTraceIDAndBaggage() {
        let spanContext = SpanContext(traceID: PropagationHelpers.traceID, spanID: PropagationHelpers.spanID, traceFlags: .sampled)
        let baggage = Baggage([.init(key: "user", value: "alice smith"), .init(key: "bad key", value: "x")])
        #expect(PropagationHelpers.inject(JaegerPropagator(), PropagationHelpers.context(spanContext, baggage: baggage)) == [
            "uber-trace-id": "4bf92f3577b34da6a3ce929d0e0e4736:00f067aa0ba902b7:0:01",
            "uberctx-user": "alice%20smith",
        ])
        var unsampled = spanContext
        unsampled.traceFlags = []
        #expect(PropagationHelpers.inject(JaegerPropagator(), PropagationHelpers.context(unsampled)) == [
            "uber-trace-id": "4bf92f3577b34da6a3ce929d0e0e4736:00f067aa0ba902b7:0:00",
        ])
    }

    @Test func roundTripsInjectThenExtract() {
        let original = SpanContext(traceID: TraceID(high: 1, low: 2), spanID: SpanID(3), traceFlags: .sampled, isRemote: true)
        let baggage = Baggage([.init(key: "k", value: "ü , ; %")])
        let headers = PropagationHelpers.inject(JaegerPropagator(), PropagationHelpers.context(original, baggage: baggage))
        let extracted = PropagationHelpers.extract(JaegerPropagator(), headers)
        #expect(extracted.spanContext == original)
        #expect(extracted.baggage == baggage)
    }
}
