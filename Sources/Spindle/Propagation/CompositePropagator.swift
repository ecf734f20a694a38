public import Instrumentation

/// Runs several propagators as one, as OpenTelemetry's composite propagator does.
///
/// Extraction runs each propagator in order into the same context, so a later one
/// overwrites what an earlier one set for the same value (the usual configuration,
/// `tracecontext,baggage`, has no overlap). Injection runs all of them.
public struct CompositePropagator: Instrument {
    /// The propagators, in the order they run.
    public let propagators: [any Instrument]

    /// A propagator that runs `propagators` in order.
    public init(_ propagators: [any Instrument]) {
        self.propagators = propagators
    }

    public func extract<Carrier, Extract>(_ carrier: Carrier, into context: inout ServiceContext, using extractor: Extract)
    where Extract: Extractor, Extract.Carrier == Carrier {
        for propagator in propagators {
            propagator.extract(carrier, into: &context, using: extractor)
        }
    }

    public func inject<Carrier, Inject>(_ context: ServiceContext, into carrier: inout Carrier, using injector: Inject)
    where Inject: Injector, Inject.Carrier == Carrier {
        for propagator in propagators {
            propagator.inject(context, into: &carrier, using: injector)
        }
    }
}
