import Instrumentation
import ServiceContextModule
import Spindle
import SpindleModel
import Testing

/// Shared helpers for the propagation suites: run a propagator over a header dictionary.
enum PropagationHelpers {
    static func extract(_ propagator: some Instrument, _ headers: [String: String]) -> ServiceContext {
        var context = ServiceContext.topLevel
        propagator.extract(headers, into: &context, using: HeaderDictionaryExtractor())
        return context
    }

    static func inject(_ propagator: some Instrument, _ context: ServiceContext) -> [String: String] {
        var headers: [String: String] = [:]
        propagator.inject(context, into: &headers, using: HeaderDictionaryInjector())
        return headers
    }

    static func context(_ spanContext: SpanContext?, baggage: Baggage? = nil) -> ServiceContext {
        var context = ServiceContext.topLevel
        context.spanContext = spanContext
        context.baggage = baggage
        return context
    }

    static let traceID = TraceID(hex: "4bf92f3577b34da6a3ce929d0e0e4736")!
    static let spanID = SpanID(hex: "00f067aa0ba902b7")!
}

@Suite struct PropagationHelpersTests {
    @Test func headerDictionaryExtractorMatchesNamesCaseInsensitively() {
        let extractor = HeaderDictionaryExtractor()
        let headers = ["TraceParent": "x", "b3": "y"]
        #expect(extractor.extract(key: "traceparent", from: headers) == "x")
        #expect(extractor.extract(key: "B3", from: headers) == "y")
        #expect(extractor.extract(key: "tracestate", from: headers) == nil)
        #expect(extractor.keys(in: headers) == ["TraceParent", "b3"])
    }

    @Test func headerNamesFoldOnlyASCIILetters() {
        let extractor = HeaderDictionaryExtractor()
        // HTTP header names are ASCII tokens: only A–Z and a–z match across case.
        #expect(extractor.extract(key: "x-b3-traceid", from: ["X-B3-TRACEID": "1"]) == "1")
        #expect(extractor.extract(key: "baggage", from: ["BAGGAGE ": "1"]) == nil)
        #expect(extractor.extract(key: "tracestate", from: ["tracest\u{0130}te": "1"]) == nil)
        #expect(extractor.extract(key: "a@b", from: ["a`b": "1"]) == nil)
        #expect(extractor.extract(key: "k[", from: ["K{": "1"]) == nil)
    }
}
