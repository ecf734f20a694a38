public import SpindleModel
public import Tracing

/// Decides, when a span starts, whether it is recorded and exported (head sampling).
///
/// Implementation requirements:
/// - `shouldSample` runs on the hot path of every `startSpan`: it must not block, do
///   I/O or allocate; it may be called from many threads at once.
/// - The decision for a given input should be stable where the sampler's rule allows
///   (ratio sampling is a pure function of the trace ID) so that every process of a
///   trace reaches the same decision.
/// - `parent` is the parent's span context (local or extracted from a remote caller),
///   or nil for a root span.
///
/// OpenTelemetry's `RECORD_ONLY` decision is not offered: span processors receive sampled
/// spans only (see `SpanProcessor`), so a recorded-but-unsampled span would go nowhere.
public protocol Sampler: Sendable {
    func shouldSample(
        parent: SpanContext?,
        traceID: TraceID,
        name: String,
        kind: SpindleModel.SpanKind,
        attributes: SpanAttributes
    ) -> SamplingDecision

    /// A short description for logs, as OpenTelemetry's `GetDescription`
    /// (for example `TraceIdRatioBased{0.25}`).
    var description: String { get }
}

/// The outcome of `Sampler.shouldSample`.
public enum SamplingDecision: Sendable, Hashable {
    /// Not recorded, not exported; the span context still propagates with the sampled
    /// flag cleared.
    case drop
    /// Recorded, handed to the span processors, and propagated with the sampled flag set.
    case recordAndSample
}

/// Samples every span (OpenTelemetry `AlwaysOn`).
public struct AlwaysOnSampler: Sampler {
    public init() {}

    public func shouldSample(
        parent: SpanContext?, traceID: TraceID, name: String, kind: SpindleModel.SpanKind, attributes: SpanAttributes
    ) -> SamplingDecision {
        .recordAndSample
    }

    public var description: String { "AlwaysOnSampler" }
}

/// Samples no span (OpenTelemetry `AlwaysOff`).
public struct AlwaysOffSampler: Sampler {
    public init() {}

    public func shouldSample(
        parent: SpanContext?, traceID: TraceID, name: String, kind: SpindleModel.SpanKind, attributes: SpanAttributes
    ) -> SamplingDecision {
        .drop
    }

    public var description: String { "AlwaysOffSampler" }
}
