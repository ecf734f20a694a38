public import Instrumentation
import SpindleModel

/// Propagates ``SpanContext`` in Zipkin's [B3](https://github.com/openzipkin/b3-propagation)
/// headers: the single `b3` header or the multiple `X-B3-*` headers.
///
/// Extraction reads `b3` when it is present and not empty, and the multiple headers only
/// otherwise. It never throws and never traps; an absent or invalid context leaves
/// `context.spanContext` as it was (a new trace). See ``parseSingleHeader(_:)`` and
/// ``parseMultipleHeaders(traceID:spanID:sampled:flags:)`` for what is accepted.
///
/// Injection writes a valid `context.spanContext` in ``injectEncoding``, with a 128-bit
/// trace ID and sampling state `1` or `0`. Header names are lowercase; the ``Extractor``
/// is expected to match them case-insensitively, as HTTP requires.
public struct B3Propagator: Instrument {
    /// Which B3 headers ``B3Propagator`` writes.
    public enum Encoding: Sendable, Hashable {
        /// `b3: {trace-id}-{span-id}-{sampling-state}`.
        case single
        /// `x-b3-traceid`, `x-b3-spanid`, `x-b3-sampled`.
        case multiple
    }

    /// The single header, `b3`.
    public static let singleHeader = "b3"
    /// `X-B3-TraceId`, in lowercase.
    public static let traceIDHeader = "x-b3-traceid"
    /// `X-B3-SpanId`, in lowercase.
    public static let spanIDHeader = "x-b3-spanid"
    /// `X-B3-Sampled`, in lowercase.
    public static let sampledHeader = "x-b3-sampled"
    /// `X-B3-Flags`, in lowercase (`1` means debug).
    public static let flagsHeader = "x-b3-flags"

    /// The headers ``inject(_:into:using:)`` writes.
    public var injectEncoding: Encoding

    /// A B3 propagator that injects `injectEncoding` (extraction reads both).
    public init(injectEncoding: Encoding = .single) {
        self.injectEncoding = injectEncoding
    }

    public func extract<Carrier, Extract>(_ carrier: Carrier, into context: inout ServiceContext, using extractor: Extract)
    where Extract: Extractor, Extract.Carrier == Carrier {
        let extracted: SpanContext?
        if let single = extractor.extract(key: Self.singleHeader, from: carrier), !PropagationText.trimmedBytes(single).isEmpty {
            extracted = Self.parseSingleHeader(single)
        } else {
            extracted = Self.parseMultipleHeaders(
                traceID: extractor.extract(key: Self.traceIDHeader, from: carrier),
                spanID: extractor.extract(key: Self.spanIDHeader, from: carrier),
                sampled: extractor.extract(key: Self.sampledHeader, from: carrier),
                flags: extractor.extract(key: Self.flagsHeader, from: carrier)
            )
        }
        if let extracted {
            context.spanContext = extracted
        }
    }

    public func inject<Carrier, Inject>(_ context: ServiceContext, into carrier: inout Carrier, using injector: Inject)
    where Inject: Injector, Inject.Carrier == Carrier {
        guard let spanContext = context.spanContext, spanContext.isValid else { return }
        let sampled = spanContext.isSampled ? "1" : "0"
        switch injectEncoding {
        case .single:
            let value = "\(spanContext.traceID.hexString)-\(spanContext.spanID.hexString)-\(sampled)"
            injector.inject(value, forKey: Self.singleHeader, into: &carrier)
        case .multiple:
            injector.inject(spanContext.traceID.hexString, forKey: Self.traceIDHeader, into: &carrier)
            injector.inject(spanContext.spanID.hexString, forKey: Self.spanIDHeader, into: &carrier)
            injector.inject(sampled, forKey: Self.sampledHeader, into: &carrier)
        }
    }
}
