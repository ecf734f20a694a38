import Metrics

/// The tail sampler's metrics, created once from the injected factory, one series per
/// policy and outcome, so label values are bounded by the configuration.
///
/// | metric | type | dimensions |
/// | --- | --- | --- |
/// | `spindle_tail_sampling_traces_total` | counter | policy (the first that matched, or `none`), decision (`sampled`, `not_sampled`) |
/// | `spindle_tail_sampling_policy_matches_total` | counter | policy (every policy that matched a trace, first or not) |
/// | `spindle_tail_sampling_spans_total` | counter | decision (every span, when its trace is decided or, if late, on arrival) |
/// | `spindle_tail_sampling_late_spans_total` | counter | decision (spans that arrived after their trace was decided) |
/// | `spindle_tail_sampling_evicted_early_total` | counter | reason (`max_traces`, `max_buffered_spans`, `max_buffered_bytes`, `max_spans_per_trace`) |
/// | `spindle_tail_sampling_buffered_traces` | gauge | — |
/// | `spindle_tail_sampling_buffered_spans` | gauge | — |
/// | `spindle_tail_sampling_buffered_bytes` | gauge | — (as ``TailSamplingConfiguration/maxBufferedBytes`` counts them) |
///
/// With no policies configured every trace is kept and counted as `{policy="none", decision="sampled"}`.
struct TailSamplingMetrics: Sendable {
    static let sampledLabel = "sampled"
    static let notSampledLabel = "not_sampled"

    private let sampledByPolicy: [Counter]
    private let sampledWithoutPolicies: Counter?
    private let notSampled: Counter
    private let policyMatches: [Counter]
    private let spansSampled: Counter
    private let spansNotSampled: Counter
    private let lateSpansSampled: Counter
    private let lateSpansNotSampled: Counter
    /// Indexed by ``TailSamplingOutcome/EarlyReason/rawValue``.
    private let decidedEarly: [Counter]
    private let bufferedTraces: Gauge
    private let bufferedSpans: Gauge
    private let bufferedBytes: Gauge

    init(policyNames: [String], factory: any MetricsFactory) {
        func counter(_ label: String, _ dimensions: [(String, String)]) -> Counter {
            Counter(label: label, dimensions: dimensions, factory: factory)
        }
        let traces = "spindle_tail_sampling_traces_total"
        let none = TailSamplingConfiguration.noPolicyLabel
        sampledByPolicy = policyNames.map { counter(traces, [("policy", $0), ("decision", Self.sampledLabel)]) }
        sampledWithoutPolicies = policyNames.isEmpty ? counter(traces, [("policy", none), ("decision", Self.sampledLabel)]) : nil
        notSampled = counter(traces, [("policy", none), ("decision", Self.notSampledLabel)])
        policyMatches = policyNames.map { counter("spindle_tail_sampling_policy_matches_total", [("policy", $0)]) }
        spansSampled = counter("spindle_tail_sampling_spans_total", [("decision", Self.sampledLabel)])
        spansNotSampled = counter("spindle_tail_sampling_spans_total", [("decision", Self.notSampledLabel)])
        lateSpansSampled = counter("spindle_tail_sampling_late_spans_total", [("decision", Self.sampledLabel)])
        lateSpansNotSampled = counter("spindle_tail_sampling_late_spans_total", [("decision", Self.notSampledLabel)])
        decidedEarly = TailSamplingOutcome.EarlyReason.allCases.map {
            counter("spindle_tail_sampling_evicted_early_total", [("reason", $0.label)])
        }
        bufferedTraces = Gauge(label: "spindle_tail_sampling_buffered_traces", factory: factory)
        bufferedSpans = Gauge(label: "spindle_tail_sampling_buffered_spans", factory: factory)
        bufferedBytes = Gauge(label: "spindle_tail_sampling_buffered_bytes", factory: factory)
        recordBuffer(traces: 0, spans: 0, bytes: 0)
    }

    func record(_ outcome: TailSamplingOutcome) {
        for (index, count) in outcome.sampledByPolicy.enumerated() where count > 0 { sampledByPolicy[index].increment(by: count) }
        for (index, count) in outcome.policyMatches.enumerated() where count > 0 { policyMatches[index].increment(by: count) }
        for (index, count) in outcome.decidedEarly.enumerated() where count > 0 { decidedEarly[index].increment(by: count) }
        if outcome.sampledWithoutPolicies > 0 { sampledWithoutPolicies?.increment(by: outcome.sampledWithoutPolicies) }
        if outcome.notSampled > 0 { notSampled.increment(by: outcome.notSampled) }
        if outcome.spansSampled > 0 { spansSampled.increment(by: outcome.spansSampled) }
        if outcome.spansNotSampled > 0 { spansNotSampled.increment(by: outcome.spansNotSampled) }
        if outcome.lateSpansSampled > 0 { lateSpansSampled.increment(by: outcome.lateSpansSampled) }
        if outcome.lateSpansNotSampled > 0 { lateSpansNotSampled.increment(by: outcome.lateSpansNotSampled) }
    }

    func recordBuffer(traces: Int, spans: Int, bytes: Int) {
        bufferedTraces.record(traces)
        bufferedSpans.record(spans)
        bufferedBytes.record(bytes)
    }
}
