import Instrumentation
import ServiceContextModule
import Spindle
import SpindleModel
import Testing

@Suite struct PropagationB3Tests {
    static let trace = "80f198ee56343ba864fe8b2a57d3eff7"
    static let span = "e457b5a2e4d86bd1"

    /// (b3 single header, expected (trace ID, sampled) or nil).
    static let singleCases: [(String, (String, Bool)?)] = [
        // The B3 specification's example.
        ("\(trace)-\(span)-1-05e3ac9a4f6e3b90", (trace, true)),
        ("\(trace)-\(span)-1", (trace, true)),
        ("\(trace)-\(span)-d", (trace, true)),
        ("\(trace)-\(span)-0", (trace, false)),
        ("\(trace)-\(span)", (trace, false)),
        ("  \(trace)-\(span)-1 ", (trace, true)),
        // 64-bit trace IDs are left-padded; either case of hex is accepted.
        ("64fe8b2a57d3eff7-\(span)-1", ("000000000000000064fe8b2a57d3eff7", true)),
        ("80F198EE56343BA864FE8B2A57D3EFF7-E457B5A2E4D86BD1-1", (trace, true)),
        // Sampling state alone: no IDs, so a new trace.
        ("0", nil),
        ("1", nil),
        ("d", nil),
        // Malformed.
        ("\(trace)-\(span)-true", nil),
        ("\(trace)-\(span)-2", nil),
        ("\(trace)-\(span)-1-05e3ac9a4f6e3b9", nil),
        ("\(trace)-\(span)-1-05e3ac9a4f6e3b90-x", nil),
        ("\(trace)-\(span)--05e3ac9a4f6e3b90", nil),
        ("80f198ee56343ba864fe8b2a57d3eff-\(span)-1", nil),
        ("80f198ee56343ba8-64fe8b2a57d3eff7-\(span)", nil),
        ("\(trace)-e457b5a2e4d86bd-1", nil),
        ("\(trace)-e457b5a2e4d86bdx-1", nil),
        ("00000000000000000000000000000000-\(span)-1", nil),
        ("\(trace)-0000000000000000-1", nil),
        ("", nil),
        ("-", nil),
    ]

    @Test(arguments: singleCases)
    func parsesTheSingleHeader(header: String, expected: (String, Bool)?) {
        let parsed = B3Propagator.parseSingleHeader(header)
        if let (trace, sampled) = expected {
            #expect(parsed == SpanContext(traceID: TraceID(hex: trace)!, spanID: SpanID(hex: Self.span)!, traceFlags: sampled ? .sampled : [], isRemote: true))
        } else {
            #expect(parsed == nil)
        }
    }

    @Test func parsesTheMultipleHeaders() {
        func sampled(_ sampled: String?, flags: String? = nil, trace: String = Self.trace, span: String = Self.span) -> Bool? {
            B3Propagator.parseMultipleHeaders(traceID: trace, spanID: span, sampled: sampled, flags: flags)?.isSampled
        }
        #expect(sampled("1") == true)
        #expect(sampled("true") == true)
        #expect(sampled("0") == false)
        #expect(sampled("false") == false)
        #expect(sampled(nil) == false)
        #expect(sampled("0", flags: "1") == true)
        #expect(sampled(nil, flags: "1") == true)
        #expect(sampled("yes") == false)
        #expect(sampled("1", trace: "64fe8b2a57d3eff7") == true)
        #expect(sampled("1", trace: "64fe8b2a57d3eff") == nil)
        #expect(sampled("1", span: "0000000000000000") == nil)
        #expect(B3Propagator.parseMultipleHeaders(traceID: Self.trace, spanID: nil, sampled: "1", flags: nil) == nil)
        #expect(B3Propagator.parseMultipleHeaders(traceID: nil, spanID: Self.span, sampled: "1", flags: nil) == nil)
        let padded = B3Propagator.parseMultipleHeaders(traceID: "64fe8b2a57d3eff7", spanID: Self.span, sampled: "1", flags: nil)
        #expect(padded?.traceID == TraceID(high: 0, low: 0x64FE_8B2A_57D3_EFF7))
    }

    @Test func extractsMultipleHeadersInTheirUsualSpelling() throws {
        let context = PropagationHelpers.extract(B3Propagator(), [
            "X-B3-TraceId": Self.trace, "X-B3-SpanId": Self.span, "X-B3-ParentSpanId": "05e3ac9a4f6e3b90", "X-B3-Sampled": "1",
        ])
        let spanContext = try #require(context.spanContext)
        #expect(spanContext.traceID.hexString == Self.trace && spanContext.isSampled && spanContext.isRemote)
    }

    @Test func prefersTheSingleHeaderOverTheMultipleHeaders() {
        let other = "0af7651916cd43dd8448eb211c80319c"
        let both = PropagationHelpers.extract(B3Propagator(), [
            "b3": "\(Self.trace)-\(Self.span)-0", "x-b3-traceid": other, "x-b3-spanid": Self.span, "x-b3-sampled": "1",
        ])
        #expect(both.spanContext?.traceID.hexString == Self.trace)
        #expect(both.spanContext?.isSampled == false)
        // An invalid single header is not replaced by the multiple headers.
        let invalidSingle = PropagationHelpers.extract(B3Propagator(), ["b3": "garbage", "x-b3-traceid": other, "x-b3-spanid": Self.span])
        #expect(invalidSingle.spanContext == nil)
        // An empty single header counts as absent.
        let emptySingle = PropagationHelpers.extract(B3Propagator(), ["b3": " ", "x-b3-traceid": other, "x-b3-spanid": Self.span])
        #expect(emptySingle.spanContext?.traceID.hexString == other)
    }

    @Test func injectsTheChosenEncoding() {
        let spanContext = SpanContext(traceID: PropagationHelpers.traceID, spanID: PropagationHelpers.spanID, traceFlags: .sampled)
        let context = PropagationHelpers.context(spanContext)
        #expect(PropagationHelpers.inject(B3Propagator(injectEncoding: .single), context) == [
            "b3": "4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1",
        ])
        var unsampled = spanContext
        unsampled.traceFlags = []
        #expect(PropagationHelpers.inject(B3Propagator(injectEncoding: .multiple), PropagationHelpers.context(unsampled)) == [
            "x-b3-traceid": "4bf92f3577b34da6a3ce929d0e0e4736", "x-b3-spanid": "00f067aa0ba902b7", "x-b3-sampled": "0",
        ])
        #expect(PropagationHelpers.inject(B3Propagator(), PropagationHelpers.context(nil)).isEmpty)
    }

    @Test(arguments: [B3Propagator.Encoding.single, .multiple])
    func roundTripsInjectThenExtract(encoding: B3Propagator.Encoding) {
        for flags in [TraceFlags.sampled, []] {
            let original = SpanContext(traceID: TraceID(high: 0, low: 42), spanID: SpanID(7), traceFlags: flags, isRemote: true)
            let propagator = B3Propagator(injectEncoding: encoding)
            let headers = PropagationHelpers.inject(propagator, PropagationHelpers.context(original))
            #expect(PropagationHelpers.extract(propagator, headers).spanContext == original)
        }
    }
}
