/// A ``TailSamplingConfiguration`` that cannot work, found when the ``TailSampler`` is
/// built, before any span is seen.
public struct TailSamplingConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        /// A policy name is empty, taken twice, or the reserved `none`.
        case invalidPolicyName
        /// A rule cannot be evaluated: a bound out of range, an empty list, a missing key.
        case invalidRule
        /// A limit of the buffer (wait, trace or span counts, cache size) is out of range.
        case invalidLimit
    }

    public var code: Code
    /// What is wrong and how to fix it, naming the policy and the rule or limit at fault.
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "invalid tail sampling configuration (\(code.rawValue)): \(message)" }
}

extension TailSamplingConfiguration {
    /// The deepest nesting of ``TailSamplingPolicy/Rule/and(_:)``, ``TailSamplingPolicy/Rule/or(_:)``
    /// and ``TailSamplingPolicy/Rule/not(_:)`` accepted, so evaluation recursion stays shallow.
    static let maxRuleDepth = 32

    /// The label of traces no policy matched; no policy may take it.
    static let noPolicyLabel = "none"

    /// Throws the first problem found, in the order of the fields and then of the policies.
    func validate() throws(TailSamplingConfigurationError) {
        if decisionWait <= .zero {
            throw TailSamplingConfigurationError(.invalidLimit, "decisionWait must be positive (got \(decisionWait))")
        }
        if maxTraces < 1 {
            throw TailSamplingConfigurationError(.invalidLimit, "maxTraces must be at least 1 (got \(maxTraces))")
        }
        if maxSpansPerTrace < 1 {
            throw TailSamplingConfigurationError(.invalidLimit, "maxSpansPerTrace must be at least 1 (got \(maxSpansPerTrace))")
        }
        if maxBufferedSpans < 1 {
            throw TailSamplingConfigurationError(.invalidLimit, "maxBufferedSpans must be at least 1 (got \(maxBufferedSpans))")
        }
        if maxBufferedBytes < 1 {
            throw TailSamplingConfigurationError(.invalidLimit, "maxBufferedBytes must be at least 1 (got \(maxBufferedBytes))")
        }
        if decisionCacheSize < 0 {
            throw TailSamplingConfigurationError(.invalidLimit, "decisionCacheSize must not be negative (got \(decisionCacheSize)); 0 remembers no decisions")
        }
        var names = Set<String>()
        for (index, policy) in policies.enumerated() {
            if policy.name.isEmpty {
                throw TailSamplingConfigurationError(.invalidPolicyName, "policy \(index + 1) has an empty name; give every policy a unique name")
            }
            if policy.name == Self.noPolicyLabel {
                throw TailSamplingConfigurationError(.invalidPolicyName, "policy \(index + 1) is named \"none\", which labels traces no policy matched; choose another name")
            }
            if !names.insert(policy.name).inserted {
                throw TailSamplingConfigurationError(.invalidPolicyName, "policy name \"\(policy.name)\" is used twice; policy names must be unique")
            }
            try Self.validate(policy.rule, policy: policy.name, depth: 0)
        }
    }

    private static func validate(_ rule: TailSamplingPolicy.Rule, policy: String, depth: Int) throws(TailSamplingConfigurationError) {
        func invalid(_ problem: String) -> TailSamplingConfigurationError {
            TailSamplingConfigurationError(.invalidRule, "policy \"\(policy)\": \(problem)")
        }
        switch rule {
        case .always, .error:
            return
        case .latency(let threshold, _, _):
            if threshold < .zero { throw invalid("latency threshold must not be negative (got \(threshold))") }
        case .attribute(let condition):
            try validate(condition, invalid)
        case .probabilistic(let fraction):
            if !(0...1).contains(fraction) { throw invalid("probabilistic fraction must be in 0...1 (got \(fraction))") }
        case .rateLimit(let rate, _):
            if !(rate > 0) || !rate.isFinite { throw invalid("rateLimit tracesPerSecond must be positive and finite (got \(rate))") }
        case .and(let rules), .or(let rules):
            let kind = if case .and = rule { "and" } else { "or" }
            if rules.isEmpty { throw invalid("\(kind) needs at least one rule") }
            if depth >= maxRuleDepth { throw invalid("rules nest more than \(maxRuleDepth) levels deep") }
            for inner in rules { try validate(inner, policy: policy, depth: depth + 1) }
        case .not(let inner):
            if depth >= maxRuleDepth { throw invalid("rules nest more than \(maxRuleDepth) levels deep") }
            try validate(inner, policy: policy, depth: depth + 1)
        }
    }

    private static func validate(
        _ condition: TailSamplingPolicy.AttributeCondition,
        _ invalid: (String) -> TailSamplingConfigurationError
    ) throws(TailSamplingConfigurationError) {
        if condition.key.isEmpty { throw invalid("attribute condition has an empty key") }
        switch condition.match {
        case .exists, .equals, .hasPrefix, .bool:
            return
        case .oneOf(let values):
            if values.isEmpty { throw invalid("attribute \"\(condition.key)\" oneOf needs at least one value") }
        case .numberIn(let range):
            if range.lowerBound.isNaN || range.upperBound.isNaN {
                throw invalid("attribute \"\(condition.key)\" numberIn has a NaN bound")
            }
        }
    }
}
