public import Instrumentation

/// Propagates ``SpanContext`` in the W3C Trace Context headers `traceparent` and
/// `tracestate` ([W3C Trace Context Level 1](https://www.w3.org/TR/trace-context/)).
///
/// Extraction never throws and never traps. An absent or invalid `traceparent` leaves
/// `context.spanContext` as it was (so the next span starts a new trace) and `tracestate` is
/// then not read, as the specification requires; a valid one sets `context.spanContext` with
/// `isRemote == true`. A bad `tracestate` never affects `traceparent`: see
/// ``parseTraceState(_:)`` for what is kept.
///
/// Injection writes `traceparent` (version `00`) and, when it has entries, `tracestate`,
/// for a valid `context.spanContext`; it writes nothing otherwise.
///
/// Header names are lowercase, as the specification recommends; the ``Extractor`` is
/// expected to match header names case-insensitively, as HTTP requires.
public struct W3CTraceContextPropagator: Instrument {
    /// The header name `traceparent`.
    public static let traceParentHeader = "traceparent"
    /// The header name `tracestate`.
    public static let traceStateHeader = "tracestate"

    /// A W3C Trace Context propagator.
    public init() {}

    public func extract<Carrier, Extract>(_ carrier: Carrier, into context: inout ServiceContext, using extractor: Extract)
    where Extract: Extractor, Extract.Carrier == Carrier {
        guard let header = extractor.extract(key: Self.traceParentHeader, from: carrier),
              var spanContext = Self.parseTraceParent(header)
        else { return }
        if let state = extractor.extract(key: Self.traceStateHeader, from: carrier) {
            spanContext.traceState = Self.parseTraceState(state)
        }
        context.spanContext = spanContext
    }

    public func inject<Carrier, Inject>(_ context: ServiceContext, into carrier: inout Carrier, using injector: Inject)
    where Inject: Injector, Inject.Carrier == Carrier {
        guard let spanContext = context.spanContext, spanContext.isValid else { return }
        injector.inject(Self.traceParent(of: spanContext), forKey: Self.traceParentHeader, into: &carrier)
        let state = Self.traceStateValue(of: spanContext.traceState)
        if !state.isEmpty {
            injector.inject(state, forKey: Self.traceStateHeader, into: &carrier)
        }
    }
}
