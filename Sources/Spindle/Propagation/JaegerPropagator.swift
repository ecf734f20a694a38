public import Instrumentation
import SpindleModel

/// Propagates ``SpanContext`` in Jaeger's `uber-trace-id` header and ``Baggage`` in its
/// `uberctx-{key}` headers ([Jaeger propagation format](https://www.jaegertracing.io/docs/1.22/client-libraries/#propagation-format)).
///
/// Extraction never throws and never traps. A valid `uber-trace-id` sets
/// `context.spanContext` (see ``parseUberTraceID(_:)``); an absent or invalid one leaves it
/// as it was (a new trace). `uberctx-{key}` headers are merged into `context.baggage`, values
/// percent-decoded and trimmed, within the W3C Baggage limits — but only when the extractor
/// is a ``CarrierKeysExtractor``, since their names cannot be known in advance.
///
/// Injection writes `uber-trace-id: {trace-id}:{span-id}:0:{flags}` (32 and 16 hex digits;
/// the deprecated parent span ID `0`; flags `01` when sampled, else `00`) for a valid
/// `context.spanContext`, and `uberctx-{key}: {percent-encoded value}` for each baggage
/// entry whose key is an HTTP token, within the same limits. Metadata is not carried.
public struct JaegerPropagator: Instrument {
    /// The trace context header, `uber-trace-id`.
    public static let traceHeader = "uber-trace-id"
    /// The prefix of baggage headers: `uberctx-{key}`.
    public static let baggagePrefix = "uberctx-"

    /// A Jaeger propagator.
    public init() {}

    public func extract<Carrier, Extract>(_ carrier: Carrier, into context: inout ServiceContext, using extractor: Extract)
    where Extract: Extractor, Extract.Carrier == Carrier {
        if let header = extractor.extract(key: Self.traceHeader, from: carrier), let spanContext = Self.parseUberTraceID(header) {
            context.spanContext = spanContext
        }
        guard let listing = extractor as? any CarrierKeysExtractor else { return }
        let items = Self.baggageItems(listing, carrier)
        guard !items.isEmpty else { return }
        var baggage = context.baggage ?? Baggage()
        var limits = BaggageLimits()
        admitting: for (key, value) in items {
            switch limits.admit(bytes: key.utf8.count + 1 + value.utf8.count) {
            case .admit: baggage.set(key, PropagationPercentEncoding.decode(PropagationText.trimmingOWS(Array(value.utf8)[...])))
            case .skip: continue
            case .stop: break admitting
            }
        }
        if !baggage.isEmpty {
            context.baggage = baggage
        }
    }

    public func inject<Carrier, Inject>(_ context: ServiceContext, into carrier: inout Carrier, using injector: Inject)
    where Inject: Injector, Inject.Carrier == Carrier {
        if let spanContext = context.spanContext, spanContext.isValid {
            injector.inject(Self.uberTraceID(of: spanContext), forKey: Self.traceHeader, into: &carrier)
        }
        guard let baggage = context.baggage else { return }
        var limits = BaggageLimits()
        for entry in baggage.entries where W3CBaggagePropagator.isToken(Array(entry.key.utf8)[...]) {
            let value = PropagationPercentEncoding.encode(entry.value, keeping: W3CBaggagePropagator.isUnencoded)
            switch limits.admit(bytes: entry.key.utf8.count + 1 + value.utf8.count) {
            case .admit: injector.inject(value, forKey: Self.baggagePrefix + entry.key, into: &carrier)
            case .skip: continue
            case .stop: return
            }
        }
    }

    /// The `uberctx-` headers of `carrier` as (key without the prefix, raw value), in the
    /// order the extractor lists them. The prefix is matched case-insensitively.
    private static func baggageItems<Listing: CarrierKeysExtractor>(_ listing: Listing, _ carrier: Any) -> [(String, String)] {
        guard let carrier = carrier as? Listing.Carrier else { return [] }
        let prefix = Array(baggagePrefix.utf8)
        return listing.keys(in: carrier).compactMap { name in
            let bytes = Array(name.utf8)
            guard bytes.count > prefix.count,
                  zip(bytes, prefix).allSatisfy({ $0 == $1 || ($0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") && $0 | 0x20 == $1) }),
                  let value = listing.extract(key: name, from: carrier)
            else { return nil }
            return (PropagationText.string(bytes[prefix.count...]), value)
        }
    }
}

extension JaegerPropagator {
    /// Parses `{trace-id}:{span-id}:{parent-span-id}:{flags}`.
    ///
    /// The value may arrive URL-encoded (`%3A` for `:`), and surrounding whitespace is
    /// ignored. IDs are hex of either case without leading zeros required: the trace ID 1
    /// to 32 digits (64- or 128-bit, left-padded with zeros), span and parent span IDs 1 to
    /// 16, flags 1 or 2 (one byte). Flags bit `0x01` is "sampled", the only one kept; `0x02`
    /// (debug) is only ever set together with it. Nil when a field is malformed or the
    /// trace or span ID is zero.
    public static func parseUberTraceID(_ value: String) -> SpanContext? {
        let trimmed = PropagationText.trimmedBytes(value)
        let bytes = trimmed.contains(PropagationText.percent) ? Array(PropagationPercentEncoding.decode(trimmed[...]).utf8) : trimmed
        let fields = bytes.split(separator: PropagationText.colon, omittingEmptySubsequences: false)
        guard fields.count == 4,
              let trace = PropagationText.hex128(fields[0], lowercaseOnly: false),
              let span = PropagationText.hex64(fields[1], lowercaseOnly: false),
              PropagationText.hex64(fields[2], lowercaseOnly: false) != nil,
              fields[3].count <= 2, let flags = PropagationText.hex64(fields[3], lowercaseOnly: false)
        else { return nil }
        let context = SpanContext(
            traceID: TraceID(high: trace.high, low: trace.low),
            spanID: SpanID(span),
            traceFlags: flags & 0x01 == 0x01 ? .sampled : [],
            isRemote: true
        )
        return context.isValid ? context : nil
    }

    /// The `uber-trace-id` value for `context`.
    public static func uberTraceID(of context: SpanContext) -> String {
        "\(context.traceID.hexString):\(context.spanID.hexString):0:\(context.isSampled ? "01" : "00")"
    }
}
