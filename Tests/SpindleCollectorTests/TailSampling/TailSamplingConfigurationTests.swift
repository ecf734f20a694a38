import Testing
@testable import SpindleCollector

/// Every configuration that cannot work is refused when the sampler is built, with a
/// message naming the policy and the problem.
@Suite struct TailSamplingConfigurationTests {
    typealias Policy = TailSamplingPolicy
    typealias Condition = TailSamplingPolicy.AttributeCondition

    private func error(_ configuration: TailSamplingConfiguration) -> TailSamplingConfigurationError? {
        do {
            _ = try TailSampler(configuration: configuration, metrics: RecordingMetrics())
            return nil
        } catch {
            return error
        }
    }

    private func error(_ policies: [Policy]) -> TailSamplingConfigurationError? {
        error(TailSamplingConfiguration(policies: policies))
    }

    private func error(_ rule: Policy.Rule) -> TailSamplingConfigurationError? {
        error([Policy(name: "p", rule: rule)])
    }

    @Test func defaults_areValidAndOfTheDocumentedValues() throws {
        let configuration = TailSamplingConfiguration()
        #expect(configuration.decisionWait == .seconds(10))
        #expect(configuration.maxTraces == 50_000)
        #expect(configuration.decisionCacheSize == 100_000)
        #expect(configuration.maxSpansPerTrace == 10_000)
        #expect(configuration.maxBufferedSpans == 1_000_000)
        #expect(configuration.maxBufferedBytes == 256 << 20)
        #expect(configuration.policies.isEmpty)
        #expect(error(configuration) == nil)
        #expect(error(.and([.or([.not(.always)]), .latency(.zero), .probabilistic(0), .probabilistic(1)])) == nil)
    }

    @Test func limits_outOfRange_areRefused() {
        #expect(error(TailSamplingConfiguration(decisionWait: .zero)) == .init(.invalidLimit, "decisionWait must be positive (got 0.0 seconds)"))
        #expect(error(TailSamplingConfiguration(decisionWait: .seconds(-1))) == .init(.invalidLimit, "decisionWait must be positive (got -1.0 seconds)"))
        #expect(error(TailSamplingConfiguration(maxTraces: 0)) == .init(.invalidLimit, "maxTraces must be at least 1 (got 0)"))
        #expect(error(TailSamplingConfiguration(maxSpansPerTrace: 0)) == .init(.invalidLimit, "maxSpansPerTrace must be at least 1 (got 0)"))
        #expect(error(TailSamplingConfiguration(maxBufferedSpans: 0)) == .init(.invalidLimit, "maxBufferedSpans must be at least 1 (got 0)"))
        #expect(error(TailSamplingConfiguration(maxBufferedBytes: -5)) == .init(.invalidLimit, "maxBufferedBytes must be at least 1 (got -5)"))
        #expect(error(TailSamplingConfiguration(decisionCacheSize: -1)) == .init(.invalidLimit, "decisionCacheSize must not be negative (got -1); 0 remembers no decisions"))
        #expect(error(TailSamplingConfiguration(decisionCacheSize: 0)) == nil)
    }

    @Test func policyNames_mustBePresentUniqueAndNotNone() {
        #expect(error([Policy(name: "errors", rule: .error), Policy(name: "", rule: .always)])
            == .init(.invalidPolicyName, "policy 2 has an empty name; give every policy a unique name"))
        #expect(error([Policy(name: "errors", rule: .error), Policy(name: "errors", rule: .always)])
            == .init(.invalidPolicyName, "policy name \"errors\" is used twice; policy names must be unique"))
        #expect(error([Policy(name: "none", rule: .error)])
            == .init(.invalidPolicyName, "policy 1 is named \"none\", which labels traces no policy matched; choose another name"))
    }

    @Test func rules_outOfRange_areRefusedNamingThePolicy() {
        #expect(error(.probabilistic(1.5)) == .init(.invalidRule, "policy \"p\": probabilistic fraction must be in 0...1 (got 1.5)"))
        #expect(error(.probabilistic(-0.1)) == .init(.invalidRule, "policy \"p\": probabilistic fraction must be in 0...1 (got -0.1)"))
        #expect(error(.probabilistic(.nan)) == .init(.invalidRule, "policy \"p\": probabilistic fraction must be in 0...1 (got nan)"))
        #expect(error(.latency(.milliseconds(-1))) == .init(.invalidRule, "policy \"p\": latency threshold must not be negative (got -0.001 seconds)"))
        #expect(error(.rateLimit(tracesPerSecond: 0, perService: true)) == .init(.invalidRule, "policy \"p\": rateLimit tracesPerSecond must be positive and finite (got 0.0)"))
        #expect(error(.rateLimit(tracesPerSecond: -2, perService: false)) == .init(.invalidRule, "policy \"p\": rateLimit tracesPerSecond must be positive and finite (got -2.0)"))
        #expect(error(.rateLimit(tracesPerSecond: .infinity, perService: false)) == .init(.invalidRule, "policy \"p\": rateLimit tracesPerSecond must be positive and finite (got inf)"))
        #expect(error(.and([])) == .init(.invalidRule, "policy \"p\": and needs at least one rule"))
        #expect(error(.not(.or([]))) == .init(.invalidRule, "policy \"p\": or needs at least one rule"))
        #expect(error(.attribute(Condition(key: "", .exists))) == .init(.invalidRule, "policy \"p\": attribute condition has an empty key"))
        #expect(error(.attribute(Condition(key: "env", .oneOf([])))) == .init(.invalidRule, "policy \"p\": attribute \"env\" oneOf needs at least one value"))
    }

    @Test func rules_nestedDeeperThanTheLimit_areRefused() {
        var rule = Policy.Rule.always
        for _ in 0..<TailSamplingConfiguration.maxRuleDepth { rule = .not(rule) }
        #expect(error(rule) == nil)
        #expect(error(.and([rule])) == .init(.invalidRule, "policy \"p\": rules nest more than 32 levels deep"))
    }

    @Test func theFirstProblemNamesItsPolicy() {
        let policies = [
            Policy(name: "errors", rule: .error),
            Policy(name: "slow-checkout", rule: .and([.latency(.seconds(2), service: "checkout"), .probabilistic(2)])),
        ]
        let found = error(policies)
        #expect(found?.code == .invalidRule)
        #expect(found?.description == "invalid tail sampling configuration (invalidRule): policy \"slow-checkout\": probabilistic fraction must be in 0...1 (got 2.0)")
    }
}
