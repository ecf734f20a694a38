import Instrumentation
import ServiceContextModule
import Spindle
import SpindleModel
import Testing

@Suite struct PropagationCompositeTests {
    private func describe(_ propagator: any Instrument) -> [String] {
        guard let composite = propagator as? CompositePropagator else { return ["not composite"] }
        return composite.propagators.map { propagator in
            switch propagator {
            case is W3CTraceContextPropagator: "tracecontext"
            case is W3CBaggagePropagator: "baggage"
            case let b3 as B3Propagator: b3.injectEncoding == .single ? "b3" : "b3multi"
            case is JaegerPropagator: "jaeger"
            default: "unknown"
            }
        }
    }

    @Test func parsesOTelPropagators() {
        #expect(describe(Propagators.parse("").propagator) == ["tracecontext", "baggage"])
        #expect(describe(Propagators.parse("  ").propagator) == ["tracecontext", "baggage"])
        #expect(describe(Propagators.parse(" , ").propagator) == ["tracecontext", "baggage"])
        #expect(describe(Propagators.parse("tracecontext,baggage,b3,b3multi,jaeger").propagator)
            == ["tracecontext", "baggage", "b3", "b3multi", "jaeger"])
        let parsed = Propagators.parse(" TraceContext , B3MULTI ,xray, tracecontext,none, Jaeger,ottrace ")
        #expect(describe(parsed.propagator) == ["tracecontext", "b3multi", "jaeger"])
        #expect(parsed.unknown == ["xray", "ottrace"])
        let none = Propagators.parse("none")
        #expect(describe(none.propagator).isEmpty && none.unknown.isEmpty)
    }

    @Test func extractRunsEachPropagatorInOrderAndLaterOnesOverwrite() {
        let headers = [
            "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "b3": "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-0",
            "baggage": "a=1",
        ]
        let w3cLast = PropagationHelpers.extract(CompositePropagator([B3Propagator(), W3CTraceContextPropagator(), W3CBaggagePropagator()]), headers)
        #expect(w3cLast.spanContext?.traceID.hexString == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(w3cLast.baggage?["a"] == "1")
        let b3Last = PropagationHelpers.extract(CompositePropagator([W3CTraceContextPropagator(), B3Propagator()]), headers)
        #expect(b3Last.spanContext?.traceID.hexString == "80f198ee56343ba864fe8b2a57d3eff7")
        // A later propagator with nothing to extract keeps what an earlier one found.
        let fill = PropagationHelpers.extract(CompositePropagator([W3CTraceContextPropagator(), JaegerPropagator()]), headers)
        #expect(fill.spanContext?.traceID.hexString == "4bf92f3577b34da6a3ce929d0e0e4736")
    }

    @Test func injectRunsAllPropagators() {
        let spanContext = SpanContext(traceID: PropagationHelpers.traceID, spanID: PropagationHelpers.spanID, traceFlags: .sampled)
        let context = PropagationHelpers.context(spanContext, baggage: Baggage([.init(key: "a", value: "1")]))
        let headers = PropagationHelpers.inject(Propagators.parse("tracecontext,baggage,b3multi").propagator, context)
        #expect(headers == [
            "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "baggage": "a=1",
            "x-b3-traceid": "4bf92f3577b34da6a3ce929d0e0e4736",
            "x-b3-spanid": "00f067aa0ba902b7",
            "x-b3-sampled": "1",
        ])
    }
}
