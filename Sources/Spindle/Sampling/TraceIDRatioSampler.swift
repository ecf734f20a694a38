public import SpindleModel
public import Tracing

/// Samples a fixed fraction of traces, decided from the trace ID alone, so that every
/// process of a trace decides alike (OpenTelemetry `TraceIdRatioBased`).
///
/// The rule is the OpenTelemetry **Python** SDK's (`TraceIdRatioBased`, 1.x): with
/// `bound = round(ratio × 2⁶⁴)` (round half to even), a trace is sampled when the low
/// 64 bits of its trace ID (the last 8 bytes, big-endian) are `< bound`. Spindle's tests
/// check the decisions against the Python SDK itself. (Go compares the low 64 bits
/// shifted right by one against `ratio × 2⁶³`, Java the absolute value of the low 64 bits
/// as a signed long against `ratio × Long.MAX_VALUE`: the three agree except for trace
/// IDs within a rounding step of the bound.)
public struct TraceIDRatioSampler: Sampler {
    /// The fraction of traces sampled, in `0...1`.
    public let ratio: Double
    /// Low 64 bits below this are sampled; nil means "sample all" (bound 2⁶⁴).
    private let bound: UInt64?

    /// A ratio outside `0...1` (or NaN) is clamped into it: below 0 (or NaN) samples
    /// nothing, above 1 everything. `SpindleConfiguration` reports such values as
    /// warnings before they get here.
    public init(ratio: Double) {
        let clamped = ratio.isNaN ? 0 : min(max(ratio, 0), 1)
        self.ratio = clamped
        let scaled = (clamped * 18_446_744_073_709_551_616.0).rounded(.toNearestOrEven)
        // 2⁶⁴ itself (ratio 1) does not fit in UInt64: it means every ID is below it.
        self.bound = scaled >= 18_446_744_073_709_551_616.0 ? nil : UInt64(scaled)
    }

    public func shouldSample(
        parent: SpanContext?, traceID: TraceID, name: String, kind: SpindleModel.SpanKind, attributes: SpanAttributes
    ) -> SamplingDecision {
        guard let bound else { return .recordAndSample }
        return traceID.low < bound ? .recordAndSample : .drop
    }

    public var description: String { "TraceIdRatioBased{\(ratio)}" }
}
