import Instrumentation
import ServiceContextModule
import Spindle
import SpindleModel
import Testing

/// Extraction is total: random bytes and mutated valid headers never trap, and whatever
/// comes out is valid.
@Suite struct PropagationFuzzTests {
    /// SplitMix64: a small seeded generator, so every run feeds the same inputs.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let validHeaders: [String: String] = [
        "traceparent": "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-future",
        "tracestate": "rojo=00f067aa0ba902b7,t@s=a b,congo=t61rcWkgMzE",
        "baggage": "k1=v%201;p=1;q,k2 = v2, k3=%E4%BD%A0",
        "b3": "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-d-05e3ac9a4f6e3b90",
        "x-b3-traceid": "64fe8b2a57d3eff7",
        "x-b3-spanid": "e457b5a2e4d86bd1",
        "x-b3-sampled": "true",
        "x-b3-flags": "1",
        "uber-trace-id": "abc%3Adef%3A0%3A3",
        "uberctx-user": "alice%20smith",
    ]

    /// Characters the formats give meaning to, so mutations hit interesting paths.
    static let alphabet: [UInt8] = Array("0123456789abcdefABCDEFxz-:;,=@% \t\u{7F}é".utf8) + [0, 0xFF, 0xC3]

    static func randomBytes(_ generator: inout SeededGenerator) -> [UInt8] {
        let count = Int.random(in: 0...80, using: &generator)
        return (0..<count).map { _ in
            Bool.random(using: &generator) ? UInt8.random(in: 0...255, using: &generator) : alphabet.randomElement(using: &generator)!
        }
    }

    static func mutate(_ value: String, _ generator: inout SeededGenerator) -> [UInt8] {
        var bytes = Array(value.utf8)
        for _ in 0..<Int.random(in: 1...4, using: &generator) {
            let index = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &generator)
            let byte = alphabet.randomElement(using: &generator)!
            switch Int.random(in: 0..<5, using: &generator) {
            case 0 where !bytes.isEmpty: bytes[index] = byte
            case 1: bytes.insert(byte, at: index)
            case 2 where !bytes.isEmpty: bytes.remove(at: index)
            case 3: bytes = Array(bytes.prefix(index))
            default: bytes += bytes.prefix(index)
            }
        }
        return bytes
    }

    static func headers(_ generator: inout SeededGenerator) -> [String: String] {
        var headers: [String: String] = [:]
        for (key, valid) in validHeaders where Int.random(in: 0..<4, using: &generator) != 0 {
            let bytes = Bool.random(using: &generator) ? mutate(valid, &generator) : randomBytes(&generator)
            headers[key] = String(decoding: bytes, as: UTF8.self)
        }
        return headers
    }

    static func expectValid(_ context: ServiceContext, _ headers: [String: String]) {
        if let spanContext = context.spanContext {
            #expect(spanContext.isValid && spanContext.isRemote, "\(headers)")
            #expect(spanContext.traceFlags.subtracting(.sampled).isEmpty)
            let state = spanContext.traceState
            #expect(state.entries.count <= W3CTraceContextPropagator.maxTraceStateEntries)
            #expect(state.entries.allSatisfy {
                W3CTraceContextPropagator.isValidTraceStateKey($0.key) && W3CTraceContextPropagator.isValidTraceStateValue($0.value)
            }, "\(headers)")
        }
        if let baggage = context.baggage {
            #expect(!baggage.isEmpty && baggage.entries.count <= 180)
            #expect(Set(baggage.entries.map(\.key)).count == baggage.entries.count)
        }
    }

    static let propagators: [any Instrument] = [
        W3CTraceContextPropagator(), W3CBaggagePropagator(), B3Propagator(injectEncoding: .single),
        B3Propagator(injectEncoding: .multiple), JaegerPropagator(),
        CompositePropagator([W3CTraceContextPropagator(), W3CBaggagePropagator(), B3Propagator(), JaegerPropagator()]),
    ]

    @Test func extractorsSurviveTenThousandGarbageInputs() {
        var generator = SeededGenerator(state: 0x5EED_0F_5EED)
        var extractedSpanContexts = 0
        for _ in 0..<10_000 {
            let headers = Self.headers(&generator)
            for propagator in Self.propagators {
                let context = PropagationHelpers.extract(propagator, headers)
                Self.expectValid(context, headers)
                if context.spanContext != nil { extractedSpanContexts += 1 }
                // Whatever was extracted survives another hop unchanged. (Through the
                // composite, B3 and Jaeger extract after W3C and so replace its trace state.)
                let again = PropagationHelpers.extract(propagator, PropagationHelpers.inject(propagator, context))
                if propagator is CompositePropagator {
                    #expect(again.spanContext?.traceID == context.spanContext?.traceID, "\(headers)")
                    #expect(again.spanContext?.spanID == context.spanContext?.spanID, "\(headers)")
                    #expect(again.spanContext?.traceFlags == context.spanContext?.traceFlags, "\(headers)")
                } else {
                    #expect(again.spanContext == context.spanContext, "\(headers)")
                }
            }
        }
        // The mutations leave enough inputs valid that the accepting paths run too.
        #expect(extractedSpanContexts > 1_000)
    }

    @Test func parsersSurviveRandomStrings() {
        var generator = SeededGenerator(state: 42)
        for _ in 0..<10_000 {
            let text = String(decoding: Self.randomBytes(&generator), as: UTF8.self)
            _ = W3CTraceContextPropagator.parseTraceParent(text)
            _ = W3CTraceContextPropagator.parseTraceState(text)
            _ = W3CBaggagePropagator.parse(text)
            _ = B3Propagator.parseSingleHeader(text)
            _ = JaegerPropagator.parseUberTraceID(text)
            _ = Propagators.parse(text)
        }
    }
}
