import Foundation
import Instrumentation
import ServiceContextModule
import Spindle
import SpindleModel
import SpindleTesting
import Testing

/// Headers the SDK injects are what the OpenTelemetry Python SDK's propagators extract,
/// and the reverse (issue #7 point 7). The Python side runs in the repository's venv.
@Suite struct PropagationInteropTests {
    /// Extracts with, or injects for, the Python propagators. Reads a JSON list of cases
    /// from argv[2] and prints a JSON list of results.
    static let script = #"""
    import json, sys
    from opentelemetry import baggage, trace
    from opentelemetry.context import Context
    from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags, TraceState, set_span_in_context
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
    from opentelemetry.baggage.propagation import W3CBaggagePropagator
    from opentelemetry.propagators.b3 import B3MultiFormat, B3SingleFormat
    from opentelemetry.propagators.jaeger import JaegerPropagator

    PROPAGATORS = {
        "tracecontext": TraceContextTextMapPropagator(),
        "baggage": W3CBaggagePropagator(),
        "b3": B3SingleFormat(),
        "b3multi": B3MultiFormat(),
        "jaeger": JaegerPropagator(),
    }

    def extract(case):
        context = PROPAGATORS[case["propagator"]].extract(case["headers"], context=Context())
        span_context = trace.get_current_span(context).get_span_context()
        result = {"baggage": {key: str(value) for key, value in baggage.get_all(context).items()}}
        if span_context.is_valid:
            result.update(
                trace_id=format(span_context.trace_id, "032x"),
                span_id=format(span_context.span_id, "016x"),
                trace_flags=int(span_context.trace_flags),
                is_remote=span_context.is_remote,
                trace_state=[[key, value] for key, value in span_context.trace_state.items()],
            )
        return result

    def inject(case):
        context = Context()
        if case.get("trace_id"):
            span_context = SpanContext(
                trace_id=int(case["trace_id"], 16),
                span_id=int(case["span_id"], 16),
                is_remote=False,
                trace_flags=TraceFlags(case["trace_flags"]),
                trace_state=TraceState([tuple(entry) for entry in case.get("trace_state", [])]),
            )
            context = set_span_in_context(NonRecordingSpan(span_context), context)
        for key, value in case.get("baggage", []):
            context = baggage.set_baggage(key, value, context=context)
        headers = {}
        PROPAGATORS[case["propagator"]].inject(headers, context=context)
        return headers

    mode = {"extract": extract, "inject": inject}[sys.argv[1]]
    print(json.dumps([mode(case) for case in json.loads(sys.argv[2])]))
    """#

    static func runPython(_ mode: String, _ cases: [[String: Any]]) throws -> [[String: Any]] {
        let scriptURL = FileManager.default.temporaryDirectory.appendingPathComponent("spindle-propagation-\(UUID().uuidString).py")
        try script.write(to: scriptURL, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: scriptURL) }
        let input = String(decoding: try JSONSerialization.data(withJSONObject: cases), as: UTF8.self)
        let output = try PythonTools.run(try PythonTools.python(), [scriptURL.path, mode, input])
        guard output.status == 0 else {
            throw InteropFailure(description: "python exited \(output.status): \(output.stderr)")
        }
        let parsed = try JSONSerialization.jsonObject(with: Data(output.stdout.utf8))
        guard let results = parsed as? [[String: Any]], results.count == cases.count else {
            throw InteropFailure(description: "unexpected output: \(output.stdout)")
        }
        return results
    }

    static let sampled = SpanContext(
        traceID: TraceID(hex: "4bf92f3577b34da6a3ce929d0e0e4736")!, spanID: SpanID(hex: "00f067aa0ba902b7")!,
        traceFlags: .sampled,
        traceState: TraceState([("rojo", "00f067aa0ba902b7"), ("congo", "t61rcWkgMzE"), ("tenant@vendor", "a b")])
    )
    static let unsampled = SpanContext(traceID: TraceID(high: 0, low: 0x64FE_8B2A_57D3_EFF7), spanID: SpanID(0xE457_B5A2_E4D8_6BD1), traceFlags: [])

    /// One Swift-side case: a propagator name, what to inject, what Python must report.
    struct Case {
        var propagator: String
        var instrument: any Instrument
        var spanContext: SpanContext?
        var baggage: Baggage?
        var expectedBaggage: [String: String] = [:]
        var expectedTraceState: [[String]] = []
    }

    static var swiftCases: [Case] {
        [
            Case(propagator: "tracecontext", instrument: W3CTraceContextPropagator(), spanContext: sampled,
                 expectedTraceState: [["rojo", "00f067aa0ba902b7"], ["congo", "t61rcWkgMzE"], ["tenant@vendor", "a b"]]),
            Case(propagator: "tracecontext", instrument: W3CTraceContextPropagator(), spanContext: unsampled),
            Case(propagator: "baggage", instrument: W3CBaggagePropagator(),
                 baggage: Baggage([
                     .init(key: "user.id", value: "alice smith"),
                     .init(key: "odd", value: "a,b;c=d%e+f/é 你好"),
                     .init(key: "meta", value: "v", metadata: "ttl=60"),
                 ]),
                 // Python keeps W3C properties as part of the value.
                 expectedBaggage: ["user.id": "alice smith", "odd": "a,b;c=d%e+f/é 你好", "meta": "v;ttl=60"]),
            Case(propagator: "b3", instrument: B3Propagator(injectEncoding: .single), spanContext: sampled),
            Case(propagator: "b3", instrument: B3Propagator(injectEncoding: .single), spanContext: unsampled),
            Case(propagator: "b3multi", instrument: B3Propagator(injectEncoding: .multiple), spanContext: sampled),
            Case(propagator: "b3multi", instrument: B3Propagator(injectEncoding: .multiple), spanContext: unsampled),
            Case(propagator: "jaeger", instrument: JaegerPropagator(), spanContext: sampled,
                 baggage: Baggage([.init(key: "user", value: "alice smith, é")]), expectedBaggage: ["user": "alice smith, é"]),
            Case(propagator: "jaeger", instrument: JaegerPropagator(), spanContext: unsampled),
        ]
    }

    @Test func pythonExtractsWhatSwiftInjects() throws {
        let cases = Self.swiftCases
        let requests: [[String: Any]] = cases.map { testCase in
            ["propagator": testCase.propagator,
             "headers": PropagationHelpers.inject(testCase.instrument, PropagationHelpers.context(testCase.spanContext, baggage: testCase.baggage))]
        }
        let results = try Self.runPython("extract", requests)
        for (testCase, result) in zip(cases, results) {
            let label = Comment(rawValue: "\(testCase.propagator): \(result)")
            #expect(result["baggage"] as? [String: String] == testCase.expectedBaggage, label)
            guard let spanContext = testCase.spanContext else {
                #expect(result["trace_id"] == nil, label)
                continue
            }
            #expect(result["trace_id"] as? String == spanContext.traceID.hexString, label)
            #expect(result["span_id"] as? String == spanContext.spanID.hexString, label)
            #expect(result["trace_flags"] as? Int == Int(spanContext.traceFlags.rawValue), label)
            #expect(result["is_remote"] as? Bool == true, label)
            #expect(result["trace_state"] as? [[String]] == testCase.expectedTraceState, label)
        }
    }

    @Test func swiftExtractsWhatPythonInjects() throws {
        func request(_ propagator: String, _ spanContext: SpanContext?, traceState: [[String]] = [], baggage: [[String]] = []) -> [String: Any] {
            var request: [String: Any] = ["propagator": propagator, "baggage": baggage]
            if let spanContext {
                request["trace_id"] = spanContext.traceID.hexString
                request["span_id"] = spanContext.spanID.hexString
                request["trace_flags"] = Int(spanContext.traceFlags.rawValue)
                request["trace_state"] = traceState
            }
            return request
        }
        // Python's W3C baggage propagator writes a space as `+` (form encoding), which the
        // W3C specification reads as a literal `+`, so these values hold no spaces.
        let pythonBaggage = [["user.id", "alice"], ["odd", "a,b;c=d%e/é你好"]]
        let cases: [(any Instrument, [String: Any], SpanContext?, [String: String])] = [
            (W3CTraceContextPropagator(), request("tracecontext", Self.sampled, traceState: [["congo", "t61rcWkgMzE"], ["rojo", "00f067aa0ba902b7"]]),
             { var expected = Self.sampled; expected.traceState = TraceState([("congo", "t61rcWkgMzE"), ("rojo", "00f067aa0ba902b7")]); return expected }(), [:]),
            (W3CTraceContextPropagator(), request("tracecontext", Self.unsampled), Self.unsampled, [:]),
            (W3CBaggagePropagator(), request("baggage", nil, baggage: pythonBaggage), nil, ["user.id": "alice", "odd": "a,b;c=d%e/é你好"]),
            (B3Propagator(), request("b3", Self.sampled), Self.sampled.withoutTraceState, [:]),
            (B3Propagator(), request("b3", Self.unsampled), Self.unsampled, [:]),
            (B3Propagator(), request("b3multi", Self.sampled), Self.sampled.withoutTraceState, [:]),
            (B3Propagator(), request("b3multi", Self.unsampled), Self.unsampled, [:]),
            (JaegerPropagator(), request("jaeger", Self.sampled, baggage: [["user", "alice smith, é"]]), Self.sampled.withoutTraceState, ["user": "alice smith, é"]),
            (JaegerPropagator(), request("jaeger", Self.unsampled), Self.unsampled, [:]),
        ]
        let results = try Self.runPython("inject", cases.map(\.1))
        for ((instrument, request, expectedContext, expectedBaggage), headers) in zip(cases, results) {
            let label = Comment(rawValue: "\(request["propagator"] ?? ""): \(headers)")
            guard let headers = headers as? [String: String] else {
                Issue.record("headers are not strings: \(headers)")
                continue
            }
            let context = PropagationHelpers.extract(instrument, headers)
            var expected = expectedContext
            expected?.isRemote = true
            #expect(context.spanContext == expected, label)
            let baggage = context.baggage?.entries.reduce(into: [String: String]()) { $0[$1.key] = $1.value } ?? [:]
            #expect(baggage == expectedBaggage, label)
        }
    }
}

struct InteropFailure: Error, CustomStringConvertible {
    var description: String
}

private extension SpanContext {
    var withoutTraceState: SpanContext {
        var copy = self
        copy.traceState = TraceState()
        return copy
    }
}
