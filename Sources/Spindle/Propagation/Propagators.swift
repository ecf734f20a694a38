public import Instrumentation

/// Builds propagators from configuration.
public enum Propagators {
    /// The propagators when `OTEL_PROPAGATORS` is unset or empty: `tracecontext,baggage`.
    public static let defaultNames = ["tracecontext", "baggage"]

    /// Parses an `OTEL_PROPAGATORS` value (OpenTelemetry SDK environment variables):
    /// comma-separated names, each trimmed of whitespace and matched case-insensitively.
    ///
    /// Known names: `tracecontext` (``W3CTraceContextPropagator``), `baggage`
    /// (``W3CBaggagePropagator``), `b3` (``B3Propagator`` injecting the single header),
    /// `b3multi` (``B3Propagator`` injecting the multiple headers), `jaeger`
    /// (``JaegerPropagator``) and `none` (contributes nothing). A repeated name counts once.
    /// A value with no names at all (empty, blank, only commas) means ``defaultNames``.
    ///
    /// - Returns: a ``CompositePropagator`` of the known names in order, and the unknown
    ///   names as written (trimmed), for the caller to report.
    public static func parse(_ otelPropagators: String) -> (propagator: any Instrument, unknown: [String]) {
        var names = otelPropagators.split(separator: ",").map { trimmed($0) }.filter { !$0.isEmpty }
        if names.isEmpty {
            names = defaultNames
        }
        var seen = Set<String>()
        var propagators: [any Instrument] = []
        var unknown: [String] = []
        for name in names {
            let key = name.lowercased()
            guard seen.insert(key).inserted else { continue }
            switch key {
            case "tracecontext": propagators.append(W3CTraceContextPropagator())
            case "baggage": propagators.append(W3CBaggagePropagator())
            case "b3": propagators.append(B3Propagator(injectEncoding: .single))
            case "b3multi": propagators.append(B3Propagator(injectEncoding: .multiple))
            case "jaeger": propagators.append(JaegerPropagator())
            case "none": continue
            default: unknown.append(name)
            }
        }
        return (CompositePropagator(propagators), unknown)
    }

    private static func trimmed(_ text: Substring) -> String {
        String(text.drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }
}
