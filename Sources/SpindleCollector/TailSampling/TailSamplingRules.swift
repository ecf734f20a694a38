import SpindleModel

/// A configuration's policies, prepared once for evaluation, with the state of their
/// rate limits.
struct TailSamplingRules: Sendable {
    private indirect enum Node: Sendable {
        case always
        case error
        case traceLatency(nanoseconds: UInt64)
        case spanLatency(nanoseconds: UInt64, service: String?, operation: String?)
        case attribute(TailSamplingConditionMatcher)
        /// nil: every trace (fraction 1).
        case probabilistic(bound: UInt64?)
        /// An index into ``limiters``.
        case rateLimit(Int)
        case and([Node])
        case or([Node])
        case not(Node)
    }

    /// The policies' names, in order.
    let names: [String]
    private let policies: [Node]
    private var limiters: [TailSamplingRateLimiter] = []

    /// Prepares `policies`, which ``TailSamplingConfiguration/validate()`` has accepted.
    init(_ policies: [TailSamplingPolicy]) {
        names = policies.map(\.name)
        var limiters: [TailSamplingRateLimiter] = []
        self.policies = policies.map { Self.node($0.rule, limiters: &limiters) }
        self.limiters = limiters
    }

    var isEmpty: Bool { policies.isEmpty }

    /// Evaluates every policy on `trace` in order and returns the index of the first that
    /// matched (nil: none did), adding 1 to `matches[i]` for each policy `i` that matched.
    ///
    /// Once a policy has matched, the trace is kept whatever follows, so the later
    /// policies are evaluated only for their match counts: their rate limits say whether
    /// they would admit the trace without spending on it.
    mutating func firstMatch(_ trace: TailSamplingTrace, traceID: TraceID, now: Duration, matches: inout [Int]) -> Int? {
        var context = Context(trace: trace, traceID: traceID, now: now)
        var first: Int?
        for (index, policy) in policies.enumerated() {
            context.spends = first == nil
            if evaluate(policy, &context) {
                matches[index] += 1
                if first == nil { first = index }
            }
        }
        return first
    }

    // MARK: Evaluation

    private struct Context {
        let trace: TailSamplingTrace
        let traceID: TraceID
        let now: Duration
        var spends = true
        /// Found on first use by a per-service rate limit.
        var rootService: String?

        mutating func service() -> String {
            if let rootService { return rootService }
            let service = trace.rootServiceName
            rootService = service
            return service
        }
    }

    private mutating func evaluate(_ node: Node, _ context: inout Context) -> Bool {
        switch node {
        case .always:
            return true
        case .error:
            return context.trace.hasErrorSpan
        case .traceLatency(let threshold):
            return context.trace.durationNanoseconds >= threshold
        case .spanLatency(let threshold, let service, let operation):
            return context.trace.hasSlowSpan(thresholdNanoseconds: threshold, service: service, operation: operation)
        case .attribute(let matcher):
            return context.trace.matches(matcher)
        case .probabilistic(let bound):
            guard let bound else { return true }
            return context.traceID.low < bound
        case .rateLimit(let index):
            let service = limiters[index].perService ? context.service() : ""
            return limiters[index].admit(service: service, now: context.now, spend: context.spends)
        case .and(let nodes):
            for inner in nodes where !evaluate(inner, &context) { return false }
            return true
        case .or(let nodes):
            for inner in nodes where evaluate(inner, &context) { return true }
            return false
        case .not(let inner):
            return !evaluate(inner, &context)
        }
    }

    // MARK: Preparation

    private static func node(_ rule: TailSamplingPolicy.Rule, limiters: inout [TailSamplingRateLimiter]) -> Node {
        switch rule {
        case .always:
            return .always
        case .error:
            return .error
        case .latency(let threshold, let service, let operation):
            let nanoseconds = UInt64(clamping: TailSamplingBuffer.nanoseconds(threshold))
            if service == nil && operation == nil { return .traceLatency(nanoseconds: nanoseconds) }
            return .spanLatency(nanoseconds: nanoseconds, service: service, operation: operation)
        case .attribute(let condition):
            return .attribute(TailSamplingConditionMatcher(condition))
        case .probabilistic(let fraction):
            return .probabilistic(bound: traceIDRatioBound(fraction))
        case .rateLimit(let rate, let perService):
            limiters.append(TailSamplingRateLimiter(tracesPerSecond: rate, perService: perService))
            return .rateLimit(limiters.count - 1)
        case .and(let rules):
            return .and(rules.map { node($0, limiters: &limiters) })
        case .or(let rules):
            return .or(rules.map { node($0, limiters: &limiters) })
        case .not(let rule):
            return .not(node(rule, limiters: &limiters))
        }
    }

    /// The OpenTelemetry `TraceIdRatioBased` bound as Spindle's SDK computes it
    /// (`TraceIDRatioSampler`, after the Python SDK): a trace is sampled when the last 8
    /// bytes of its ID, big-endian, are below `round(fraction × 2⁶⁴)` (half to even).
    /// nil means every trace (the bound 2⁶⁴ does not fit in 64 bits).
    static func traceIDRatioBound(_ fraction: Double) -> UInt64? {
        let clamped = fraction.isNaN ? 0 : min(max(fraction, 0), 1)
        let scaled = (clamped * 18_446_744_073_709_551_616.0).rounded(.toNearestOrEven)
        return scaled >= 18_446_744_073_709_551_616.0 ? nil : UInt64(scaled)
    }
}
