import Instrumentation
import ServiceContextModule
import Spindle
import SpindleModel
import Testing

@Suite struct PropagationW3CTraceContextTests {
    static let trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    static let span = "00f067aa0ba902b7"

    /// (header, expected sampled flag or nil when the header must be ignored).
    static let traceParentCases: [(String, Bool?)] = [
        // The specification's examples.
        ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", true),
        ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", false),
        // Flags: only the sampled bit is interpreted.
        ("00-\(trace)-\(span)-09", true),
        ("00-\(trace)-\(span)-08", false),
        ("00-\(trace)-\(span)-ff", true),
        // Surrounding optional whitespace.
        (" 00-\(trace)-\(span)-01\t", true),
        // Higher versions: parsed as 00, extra data after a dash ignored.
        ("01-\(trace)-\(span)-01", true),
        ("cc-\(trace)-\(span)-01-what-the-future-will-be-like", true),
        ("fe-\(trace)-\(span)-00-", false),
        ("cc-\(trace)-\(span)-01-", true),
        // Version ff is forbidden.
        ("ff-\(trace)-\(span)-01", nil),
        // Version 00 must be exactly 55 characters.
        ("00-\(trace)-\(span)-01-what-the-future-will-be-like", nil),
        ("00-\(trace)-\(span)-01-", nil),
        // Higher version: flags must be followed by the end or a dash; at least 55 chars.
        ("cc-\(trace)-\(span)-01.what-the-future-will-be-like", nil),
        ("cc-\(trace)-\(span)-0", nil),
        // Uppercase hex anywhere.
        ("00-4BF92F3577B34DA6A3CE929D0E0E4736-\(span)-01", nil),
        ("00-\(trace)-00F067AA0BA902B7-01", nil),
        ("00-\(trace)-\(span)-0A", nil),
        ("0A-\(trace)-\(span)-01", nil),
        // All-zero IDs.
        ("00-00000000000000000000000000000000-\(span)-01", nil),
        ("00-\(trace)-0000000000000000-01", nil),
        // Wrong field lengths.
        ("00-4bf92f3577b34da6a3ce929d0e0e473-\(span)-01", nil),
        ("00-4bf92f3577b34da6a3ce929d0e0e47361-\(span)-01", nil),
        ("00-\(trace)-00f067aa0ba902b-01", nil),
        ("00-\(trace)-00f067aa0ba902b71-01", nil),
        ("00-\(trace)-\(span)-1", nil),
        ("00-\(trace)-\(span)-011", nil),
        ("0-\(trace)-\(span)-01", nil),
        ("000-\(trace)-\(span)-01", nil),
        // Wrong delimiters and characters.
        ("00_\(trace)_\(span)_01", nil),
        ("00-\(trace)-\(span).01", nil),
        ("-00-\(trace)-\(span)-01", nil),
        ("00-4bf92f3577b34da6a3ce929d0e0e473g-\(span)-01", nil),
        ("00-\(trace)-00f067aa0ba902bz-01", nil),
        ("0g-\(trace)-\(span)-01", nil),
        ("00-4bf92f35 7b34da6a3ce929d0e0e4736-\(span)-01", nil),
        ("00-\(trace)-\(span)-0x", nil),
        ("00-+bf92f3577b34da6a3ce929d0e0e4736-\(span)-01", nil),
        ("00-\(trace)-\(span)-é1", nil),
        // Degenerate values.
        ("", nil),
        ("00", nil),
        ("00-\(trace)", nil),
        (String(repeating: "-", count: 55), nil),
    ]

    @Test(arguments: traceParentCases)
    func parsesTraceParentAsTheSpecificationSays(header: String, sampled: Bool?) {
        let parsed = W3CTraceContextPropagator.parseTraceParent(header)
        if let sampled {
            #expect(parsed == SpanContext(
                traceID: TraceID(hex: Self.trace)!, spanID: SpanID(hex: Self.span)!,
                traceFlags: sampled ? .sampled : [], isRemote: true
            ))
        } else {
            #expect(parsed == nil)
        }
    }

    @Test func hasMoreThanThirtyTraceParentCases() {
        #expect(Self.traceParentCases.count >= 30)
    }

    @Test func extractsTraceParentAndTraceStateIntoTheContext() throws {
        let context = PropagationHelpers.extract(W3CTraceContextPropagator(), [
            "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            "tracestate": "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE",
        ])
        let spanContext = try #require(context.spanContext)
        #expect(spanContext.traceID.hexString == "0af7651916cd43dd8448eb211c80319c")
        #expect(spanContext.spanID.hexString == "b7ad6b7169203331")
        #expect(spanContext.isSampled && spanContext.isRemote)
        #expect(spanContext.traceState.entries.map(\.key) == ["rojo", "congo"])
        #expect(spanContext.traceState["congo"] == "t61rcWkgMzE")
    }

    @Test func invalidTraceParentGivesNoContextAndIgnoresTraceState() {
        let context = PropagationHelpers.extract(W3CTraceContextPropagator(), [
            "traceparent": "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            "tracestate": "rojo=00f067aa0ba902b7",
        ])
        #expect(context.spanContext == nil)
        #expect(PropagationHelpers.extract(W3CTraceContextPropagator(), ["tracestate": "a=1"]).spanContext == nil)
    }

    /// (tracestate value, the entries kept).
    static let traceStateCases: [(String, [String])] = [
        ("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE", ["rojo=00f067aa0ba902b7", "congo=t61rcWkgMzE"]),
        ("", []),
        (" , ,\t", []),
        (" rojo=1 ,\t congo=2\t", ["rojo=1", "congo=2"]),
        ("a=1,,b=2, ,", ["a=1", "b=2"]),
        // Two header fields combined as RFC 7230 says.
        ("a=1,b=2,c=3", ["a=1", "b=2", "c=3"]),
        // Keys: simple and multi-tenant.
        ("fw529a3039@dt=x,tenant_1-*/x@sys-_*/9=y", ["fw529a3039@dt=x", "tenant_1-*/x@sys-_*/9=y"]),
        ("1tenant@sys=x", ["1tenant@sys=x"]),
        ("1abc=x,b=2", ["b=2"]),
        ("Abc=x,b=2", ["b=2"]),
        ("tenant@Sys=x,b=2", ["b=2"]),
        ("@sys=x,tenant@=x,a@b@c=x,b=2", ["b=2"]),
        ("t@s23456789012345=x,t@s2345678901234=y", ["t@s2345678901234=y"]),
        ("a.b=x,a b=x,b=2", ["b=2"]),
        // Values.
        ("a=b c", ["a=b c"]),
        ("a= b", ["a= b"]),
        ("a=b=c,b=2", ["b=2"]),
        ("a=,b=2", ["b=2"]),
        ("a=é,b=2", ["b=2"]),
        ("a=x\ty,b=2", ["b=2"]),
        ("novalue,b=2", ["b=2"]),
        ("a=!\"#$%&'()*+-./:;<>?@[\\]^_`{|}~", ["a=!\"#$%&'()*+-./:;<>?@[\\]^_`{|}~"]),
        // Duplicates: the first is kept.
        ("a=1,b=2,a=3", ["a=1", "b=2"]),
    ]

    @Test(arguments: traceStateCases)
    func parsesTraceState(header: String, expected: [String]) {
        let state = W3CTraceContextPropagator.parseTraceState(header)
        #expect(state.entries.map { "\($0.key)=\($0.value)" } == expected)
    }

    @Test func traceStateLengthLimitsOfKeysAndValues() {
        let key256 = "a" + String(repeating: "b", count: 255)
        let value256 = String(repeating: "v", count: 256)
        let tenant241 = String(repeating: "t", count: 241)
        #expect(W3CTraceContextPropagator.isValidTraceStateKey(key256))
        #expect(!W3CTraceContextPropagator.isValidTraceStateKey(key256 + "b"))
        #expect(W3CTraceContextPropagator.isValidTraceStateKey(tenant241 + "@s"))
        #expect(!W3CTraceContextPropagator.isValidTraceStateKey(tenant241 + "t@s"))
        #expect(W3CTraceContextPropagator.isValidTraceStateValue(value256))
        #expect(!W3CTraceContextPropagator.isValidTraceStateValue(value256 + "v"))
        #expect(!W3CTraceContextPropagator.isValidTraceStateValue("trailing "))
    }

    @Test func keepsAtMostThirtyTwoEntriesRemovingLongOnesFirst() {
        let entries = (0..<33).map { "k\($0)=v" }
        let state = W3CTraceContextPropagator.parseTraceState(entries.joined(separator: ","))
        #expect(state.entries.map(\.key) == (0..<32).map { "k\($0)" })

        var withLong = (0..<33).map { "k\($0)=v" }
        withLong[5] = "long=" + String(repeating: "x", count: 200)
        let truncated = W3CTraceContextPropagator.parseTraceState(withLong.joined(separator: ","))
        #expect(truncated.entries.count == 32)
        #expect(truncated["long"] == nil)
        #expect(truncated["k32"] == "v")
    }

    @Test func injectsVersion00AndTraceState() {
        let spanContext = SpanContext(
            traceID: PropagationHelpers.traceID, spanID: PropagationHelpers.spanID,
            traceFlags: TraceFlags(rawValue: 0x03),
            traceState: TraceState([("rojo", "00f067aa0ba902b7"), ("Bad", "x"), ("congo", "t61rcWkgMzE")])
        )
        let headers = PropagationHelpers.inject(W3CTraceContextPropagator(), PropagationHelpers.context(spanContext))
        #expect(headers == [
            "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "tracestate": "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE",
        ])
        let unsampled = SpanContext(traceID: PropagationHelpers.traceID, spanID: PropagationHelpers.spanID, traceFlags: [])
        #expect(PropagationHelpers.inject(W3CTraceContextPropagator(), PropagationHelpers.context(unsampled)) == [
            "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00",
        ])
    }

    @Test func injectsNothingWithoutAValidSpanContext() {
        let invalid = SpanContext(traceID: .zero, spanID: PropagationHelpers.spanID)
        #expect(PropagationHelpers.inject(W3CTraceContextPropagator(), PropagationHelpers.context(invalid)).isEmpty)
        #expect(PropagationHelpers.inject(W3CTraceContextPropagator(), PropagationHelpers.context(nil)).isEmpty)
    }

    @Test func roundTripsInjectThenExtract() {
        for sampled in [true, false] {
            let original = SpanContext(
                traceID: TraceID(high: 0x0123_4567_89AB_CDEF, low: 1), spanID: SpanID(0xFEDC_BA98_7654_3210),
                traceFlags: sampled ? .sampled : [], traceState: TraceState([("a@b", "1 2"), ("c", "=x".replacingOccurrences(of: "=", with: "!"))])
            )
            let headers = PropagationHelpers.inject(W3CTraceContextPropagator(), PropagationHelpers.context(original))
            var expected = original
            expected.isRemote = true
            #expect(PropagationHelpers.extract(W3CTraceContextPropagator(), headers).spanContext == expected)
        }
    }
}
