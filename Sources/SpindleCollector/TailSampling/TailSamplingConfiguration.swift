/// How the collector's tail sampler buffers traces and which it keeps; see ``TailSampler``.
///
/// Tail sampling is off unless the pipeline is given a configuration. With one, every
/// trace is held for ``decisionWait`` after its first span arrives, then kept whole when
/// any of ``policies`` matches it, and dropped whole otherwise. No policies means keep
/// everything (the buffer's bounds still apply).
///
/// The bounds keep memory flat under any input: at most ``maxTraces`` traces,
/// ``maxBufferedSpans`` spans and ``maxBufferedBytes`` bytes are buffered, a trace
/// buffers at most ``maxSpansPerTrace`` spans, and at most ``decisionCacheSize`` decisions are remembered for late spans. A
/// bound that is reached decides traces early (the oldest first); it never drops a trace
/// undecided.
public struct TailSamplingConfiguration: Sendable, Hashable {
    /// How long a trace is buffered, counted from the arrival of its first span (by the
    /// pipeline's clock), before it is decided. Default 10 s, as in the OpenTelemetry
    /// Collector's `tail_sampling` processor (`decision_wait`).
    public var decisionWait: Duration
    /// The most traces buffered at once (default 50 000). A new trace that would exceed it
    /// first decides the oldest buffered trace.
    public var maxTraces: Int
    /// The most spans buffered for one trace (default 10 000). A trace that reaches it is
    /// decided at once on the spans it has; its later spans follow that decision.
    public var maxSpansPerTrace: Int
    /// The most spans buffered over all traces (default 1 000 000). Past it, after each
    /// offered batch, the oldest traces are decided until the buffer is back under it.
    public var maxBufferedSpans: Int
    /// The most bytes buffered (default 256 MiB), as ``TailSampler`` counts them: every
    /// offered batch that still holds spans of a buffered trace counts whole (its arena
    /// and tables), plus a little per trace and span. Past it, after each offered batch,
    /// the oldest traces are decided until the buffer is back under it. Measured on spans
    /// of 10 short string attributes (about 600 bytes each counted this way), it holds
    /// about 450 000 spans: 10 s of wait at 45 000 spans per second. Past that rate,
    /// traces are decided before their wait is over.
    public var maxBufferedBytes: Int
    /// How many decisions (trace ID → keep or drop) are remembered so that spans arriving
    /// after their trace was decided follow the decision (default 100 000, first in first
    /// out). 0 remembers none. A late span whose trace is no longer remembered starts a
    /// new buffered trace, decided afresh.
    public var decisionCacheSize: Int
    /// Evaluated in order for every trace; a trace is kept when any of them matches, and
    /// the first that matched is named in `spindle_tail_sampling_traces_total`. Empty:
    /// keep every trace.
    public var policies: [TailSamplingPolicy]

    public init(
        decisionWait: Duration = .seconds(10),
        maxTraces: Int = 50_000,
        maxSpansPerTrace: Int = 10_000,
        maxBufferedSpans: Int = 1_000_000,
        maxBufferedBytes: Int = 256 << 20,
        decisionCacheSize: Int = 100_000,
        policies: [TailSamplingPolicy] = []
    ) {
        self.decisionWait = decisionWait
        self.maxTraces = maxTraces
        self.maxSpansPerTrace = maxSpansPerTrace
        self.maxBufferedSpans = maxBufferedSpans
        self.maxBufferedBytes = maxBufferedBytes
        self.decisionCacheSize = decisionCacheSize
        self.policies = policies
    }
}

/// A named rule: a trace that matches the rule is kept.
///
/// The name is the `policy` dimension of the tail-sampling metrics; it must be non-empty,
/// unique in a configuration, and not `none` (the label of traces no policy matched).
public struct TailSamplingPolicy: Sendable, Hashable {
    public var name: String
    public var rule: Rule

    public init(name: String, rule: Rule) {
        self.name = name
        self.rule = rule
    }

    /// What a trace must have to match. Every rule sees the whole buffered trace: all the
    /// spans that arrived before its decision, with their resources.
    ///
    /// Composite rules evaluate their parts left to right and stop at the first part that
    /// settles the result, so a ``rateLimit(tracesPerSecond:perService:)`` inside
    /// ``and(_:)`` spends its budget only on traces the parts before it matched.
    public indirect enum Rule: Sendable, Hashable {
        /// Every trace.
        case always
        /// Traces with at least one span whose status is error.
        case error
        /// Traces at least `threshold` long: the latest span end minus the earliest span
        /// start. With `service` or `operation` (or both) set, instead traces with at least
        /// one span of that service (`service.name` of its resource) and operation (span
        /// name) lasting at least `threshold`.
        case latency(Duration, service: String? = nil, operation: String? = nil)
        /// Traces with at least one span or resource whose attributes meet the condition.
        case attribute(AttributeCondition)
        /// A fixed fraction of traces (in `0...1`), decided from the trace ID alone so
        /// that every collector and every SDK decides alike: the rule of the OpenTelemetry
        /// `TraceIdRatioBased` sampler, exactly as Spindle's SDK applies it
        /// (`TraceIDRatioSampler`: the last 8 bytes of the trace ID, big-endian, below
        /// `round(fraction × 2⁶⁴)`).
        case probabilistic(Double)
        /// At most `tracesPerSecond` traces per second (a token bucket holding one
        /// second's worth, at least one trace, refilled by the pipeline's clock at the
        /// traces' decision times). With `perService`, one bucket per service of the
        /// trace's root span (without a root span in the buffer, the service of its
        /// earliest span); otherwise one bucket for all traces. Only traces the rule is
        /// evaluated on spend from the bucket; see ``TailSampler`` for the order.
        case rateLimit(tracesPerSecond: Double, perService: Bool)
        /// Traces every rule matches (at least one rule).
        case and([Rule])
        /// Traces any rule matches (at least one rule).
        case or([Rule])
        /// Traces the rule does not match.
        case not(Rule)
    }

    /// A test on attributes of the trace's spans or their resources: the condition holds
    /// when any attribute named ``key`` in the chosen ``places`` has a value that matches.
    /// Only top-level attributes are looked at, not values inside arrays or key-value lists.
    public struct AttributeCondition: Sendable, Hashable {
        /// Where the attribute is looked for.
        public enum Places: String, Sendable, Hashable {
            case span
            case resource
            case spanOrResource = "span_or_resource"
        }

        /// What the value must be. String tests match string values only, numeric tests
        /// int and double values, the bool test bool values.
        public enum Match: Sendable, Hashable {
            /// Any value at all, of any type.
            case exists
            /// A string equal to this one (byte for byte, as UTF-8).
            case equals(String)
            /// A string equal to one of these.
            case oneOf([String])
            /// A string that starts with this one (byte for byte, as UTF-8).
            case hasPrefix(String)
            /// An int or double inside the range, bounds included. Ints are compared as
            /// `Double`, so beyond ±2⁵³ they compare to the nearest double.
            case numberIn(ClosedRange<Double>)
            /// A bool equal to this one.
            case bool(Bool)
        }

        public var key: String
        public var match: Match
        public var places: Places

        public init(key: String, _ match: Match, in places: Places = .spanOrResource) {
            self.key = key
            self.match = match
            self.places = places
        }
    }
}
