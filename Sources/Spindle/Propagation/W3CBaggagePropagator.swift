public import Instrumentation

/// Propagates ``Baggage`` in the W3C `baggage` header ([W3C Baggage](https://www.w3.org/TR/baggage/)).
///
/// Extraction never throws and never traps: it merges the valid members of the header
/// into `context.baggage` (a key already there takes the header's value, later members
/// win over earlier ones) and drops invalid members; see ``parse(_:)``. Injection writes
/// `baggage` when `context.baggage` has entries that can be written; see ``headerValue(of:)``.
public struct W3CBaggagePropagator: Instrument {
    /// The header name, `baggage`.
    public static let header = "baggage"

    /// A W3C Baggage propagator.
    public init() {}

    public func extract<Carrier, Extract>(_ carrier: Carrier, into context: inout ServiceContext, using extractor: Extract)
    where Extract: Extractor, Extract.Carrier == Carrier {
        guard let value = extractor.extract(key: Self.header, from: carrier) else { return }
        let parsed = Self.parse(value)
        guard !parsed.isEmpty else { return }
        var baggage = context.baggage ?? Baggage()
        for entry in parsed.entries {
            baggage.set(entry.key, entry.value, metadata: entry.metadata)
        }
        context.baggage = baggage
    }

    public func inject<Carrier, Inject>(_ context: ServiceContext, into carrier: inout Carrier, using injector: Inject)
    where Inject: Injector, Inject.Carrier == Carrier {
        guard let baggage = context.baggage, let value = Self.headerValue(of: baggage) else { return }
        injector.inject(value, forKey: Self.header, into: &carrier)
    }
}
