import SpindleModel
import Testing
@testable import SpindleCollector

/// What each kind of rule keeps and drops.
@Suite struct TailSamplerPolicyTests {
    typealias F = TailFixture
    typealias Condition = TailSamplingPolicy.AttributeCondition

    @Test func error_keepsTracesWithAnyErrorSpan() throws {
        let sampler = try F.sampler(.error)
        let batch = F.batch([
            F.span(F.traceID(1), id: 1),
            F.span(F.traceID(1), id: 2, parent: 1, status: .error),
            F.span(F.traceID(2), id: 3, status: .ok),
            F.span(F.traceID(3), id: 4),
        ])
        #expect(F.keptTraces(sampler, [batch]) == [1])
    }

    @Test func latency_measuresFromTheEarliestStartToTheLatestEnd() throws {
        let sampler = try F.sampler(.latency(.seconds(1)))
        let ms = F.millisecond
        // Trace 1: two short spans 1 s apart; trace 2: 999 ms; trace 3: exactly 1 s in one span.
        let batch = F.batch([
            F.span(F.traceID(1), id: 1, start: 0, end: 100 * ms),
            F.span(F.traceID(1), id: 2, start: 900 * ms, end: 1000 * ms),
            F.span(F.traceID(2), id: 3, start: 0, end: 999 * ms),
            F.span(F.traceID(3), id: 4, start: 5 * ms, end: 1005 * ms),
        ])
        #expect(F.keptTraces(sampler, [batch]) == [1, 3])
    }

    @Test func latency_ofAServiceOrOperation_needsOneSuchSpanThatSlow() throws {
        let ms = F.millisecond
        func batch() -> SpanBatch {
            F.batch([
                // Trace 1: a slow "db" span of "orders".
                ("orders", [F.span(F.traceID(1), id: 1, name: "db", start: 0, end: 600 * ms)]),
                // Trace 2: a long trace, but each span of "orders" is quick.
                ("orders", [F.span(F.traceID(2), id: 2, name: "db", start: 0, end: 10 * ms),
                            F.span(F.traceID(2), id: 3, name: "db", start: 900 * ms, end: 910 * ms)]),
                // Trace 3: a slow "db" span, of another service.
                ("billing", [F.span(F.traceID(3), id: 4, name: "db", start: 0, end: 700 * ms)]),
                // Trace 4: a slow span of "orders" with another name.
                ("orders", [F.span(F.traceID(4), id: 5, name: "render", start: 0, end: 800 * ms)]),
            ])
        }
        let service = try F.sampler(.latency(.milliseconds(500), service: "orders"))
        #expect(F.keptTraces(service, [batch()]) == [1, 4])
        let operation = try F.sampler(.latency(.milliseconds(500), operation: "db"))
        #expect(F.keptTraces(operation, [batch()]) == [1, 3])
        let both = try F.sampler(.latency(.milliseconds(500), service: "orders", operation: "db"))
        #expect(F.keptTraces(both, [batch()]) == [1])
    }

    @Test func attribute_testsEachKindOfValue() throws {
        let batch = F.batch([
            F.span(F.traceID(1), id: 1, attributes: [Attribute("http.route", "/checkout/pay")]),
            F.span(F.traceID(2), id: 2, attributes: [Attribute("http.route", "/health")]),
            F.span(F.traceID(3), id: 3, attributes: [Attribute("http.status_code", 503)]),
            F.span(F.traceID(4), id: 4, attributes: [Attribute("latency_ratio", 0.75)]),
            F.span(F.traceID(5), id: 5, attributes: [Attribute("debug", true)]),
            F.span(F.traceID(6), id: 6, attributes: [Attribute("http.status_code", "503")]),
        ])
        func kept(_ key: String, _ match: Condition.Match) throws -> [UInt64] {
            try F.keptTraces(F.sampler(.attribute(Condition(key: key, match))), [batch])
        }
        #expect(try kept("http.route", .equals("/health")) == [2])
        #expect(try kept("http.route", .hasPrefix("/checkout/")) == [1])
        #expect(try kept("http.route", .oneOf(["/a", "/health", "/checkout/pay"])) == [1, 2])
        let long = (0..<20).map { "/route/\($0)" } + ["/checkout/pay"]
        #expect(try kept("http.route", .oneOf(long)) == [1])
        // Strings never match numeric tests, nor numbers string tests.
        #expect(try kept("http.status_code", .numberIn(500...599)) == [3])
        #expect(try kept("http.status_code", .equals("503")) == [6])
        #expect(try kept("latency_ratio", .numberIn(0.5...1)) == [4])
        #expect(try kept("latency_ratio", .numberIn(0.8...1)) == [])
        #expect(try kept("debug", .bool(true)) == [5])
        #expect(try kept("debug", .bool(false)) == [])
        #expect(try kept("http.status_code", .exists) == [3, 6])
        #expect(try kept("missing", .exists) == [])
    }

    @Test func attribute_looksInTheChosenPlaces() throws {
        let batches = [
            F.batch([F.span(F.traceID(1), id: 1)], resourceAttributes: [Attribute("deployment.environment", "canary")]),
            F.batch([F.span(F.traceID(2), id: 2, attributes: [Attribute("deployment.environment", "canary")])]),
            F.batch([F.span(F.traceID(3), id: 3)], resourceAttributes: [Attribute("deployment.environment", "prod")]),
        ]
        func kept(_ places: Condition.Places) throws -> [UInt64] {
            let condition = Condition(key: "deployment.environment", .equals("canary"), in: places)
            return try F.keptTraces(F.sampler(.attribute(condition)), batches)
        }
        #expect(try kept(.spanOrResource) == [1, 2])
        #expect(try kept(.span) == [2])
        #expect(try kept(.resource) == [1])
    }

    /// Expected decisions from the OpenTelemetry Python SDK's `TraceIdRatioBased` (1.x),
    /// which Spindle's SDK (`TraceIDRatioSampler`) is tested to agree with, for the
    /// ratios 0, 0.1, 0.25, 0.5, 0.75, 0.9 and 1. The first two IDs sit one either side
    /// of the bound of 0.1 (0x1999999999999a00 after rounding).
    @Test func probabilistic_decidesFromTheTraceIDLikeTheSDK() throws {
        let ratios = [0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0]
        let expected: [(String, String)] = [
            ("123456789abcdef019999999999999ff", "0111111"),
            ("123456789abcdef01999999999999a00", "0011111"),
            ("4bf92f3577b34da6a3ce929d0e0e4736", "0000111"),
            ("0af7651916cd43dd8448eb211c80319c", "0000111"),
            ("5b8efff798038103d269b633813fc60c", "0000011"),
            ("00000000000000017fffffffffffffff", "0001111"),
            ("00000000000000018000000000000000", "0000111"),
            ("0000000000000001ffffffffffffffff", "0000001"),
            ("00000000000000010000000000000000", "0111111"),
        ]
        let ids = try expected.map { try #require(TraceID(hex: $0.0)) }
        let batch = F.batch(ids.enumerated().map { F.span($1, id: UInt64($0) + 1) })
        var actual = Array(repeating: "", count: ids.count)
        for ratio in ratios {
            // Two samplers: the same IDs, the same decisions.
            var passes: [[Bool]] = []
            for _ in 0..<2 {
                let sampler = try F.sampler(.probabilistic(ratio))
                _ = sampler.offer(batch, now: .zero)
                let kept = Set(sampler.decideAll(now: .zero).tables.spans.map(\.traceID))
                passes.append(ids.map { kept.contains($0) })
            }
            #expect(passes[0] == passes[1])
            for index in ids.indices { actual[index] += passes[0][index] ? "1" : "0" }
        }
        #expect(actual == expected.map(\.1))
        #expect(TailSamplingRules.traceIDRatioBound(0.1) == 0x1999_9999_9999_9A00)
        #expect(TailSamplingRules.traceIDRatioBound(0.5) == 1 << 63)
        #expect(TailSamplingRules.traceIDRatioBound(1) == nil)
    }

    @Test func rateLimit_keepsAtMostNPerSecondPerService() throws {
        let sampler = try F.sampler(.rateLimit(tracesPerSecond: 5, perService: true))
        var number: UInt64 = 0
        /// Offers `count` new traces of each service at `now` and decides them all then;
        /// the kept traces per service.
        func round(at now: Duration, count: Int) -> [String: Int] {
            var batches: [SpanBatch] = []
            for service in ["a", "b"] {
                batches.append(F.roots((number..<number + UInt64(count)), service: service))
                number += UInt64(count)
            }
            for batch in batches { _ = sampler.offer(batch, now: now) }
            let kept = sampler.decideAll(now: now)
            var counts: [String: Int] = [:]
            for resource in kept.resourceSpans {
                let service = resource.resource.attributes["service.name"]?.stringValue ?? ""
                counts[service, default: 0] += resource.scopeSpans.reduce(0) { $0 + $1.spans.count }
            }
            return counts
        }
        #expect(round(at: .seconds(100), count: 20) == ["a": 5, "b": 5])
        #expect(round(at: .seconds(100), count: 20) == [:])
        #expect(round(at: .milliseconds(100_400), count: 20) == ["a": 2, "b": 2])
        // 0.6 s later, 3 more each.
        #expect(round(at: .seconds(101), count: 20) == ["a": 3, "b": 3])
        // Idle for a minute: one second's worth, no more.
        #expect(round(at: .seconds(161), count: 20) == ["a": 5, "b": 5])
    }

    @Test func rateLimit_withoutPerService_sharesOneBucket() throws {
        let sampler = try F.sampler(.rateLimit(tracesPerSecond: 3, perService: false))
        _ = sampler.offer(F.roots(0..<4, service: "a"), now: .zero)
        _ = sampler.offer(F.roots(4..<8, service: "b"), now: .zero)
        #expect(F.traceNumbers([sampler.decideAll(now: .zero)]) == [0, 1, 2])
        // Below one per second, a trace's worth of credit is the bucket.
        let slow = try F.sampler(.rateLimit(tracesPerSecond: 0.5, perService: false))
        _ = slow.offer(F.roots(0..<3), now: .zero)
        #expect(F.traceNumbers([slow.decideAll(now: .zero)]) == [0])
        _ = slow.offer(F.roots(3..<6), now: .seconds(1))
        #expect(F.traceNumbers([slow.decideAll(now: .seconds(1))]) == [])
        _ = slow.offer(F.roots(6..<9), now: .seconds(2))
        #expect(F.traceNumbers([slow.decideAll(now: .seconds(2))]) == [6])
    }

    @Test func rateLimit_spendsOnlyOnTracesNoEarlierPolicyKept() throws {
        let metrics = RecordingMetrics()
        let sampler = try F.sampler([
            TailSamplingPolicy(name: "errors", rule: .error),
            TailSamplingPolicy(name: "rest", rule: .rateLimit(tracesPerSecond: 1, perService: false)),
        ], metrics: metrics)
        _ = sampler.offer(F.batch([F.span(F.traceID(1), id: 1, status: .error)]), now: .zero)
        _ = sampler.offer(F.batch([F.span(F.traceID(2), id: 2)]), now: .zero)
        _ = sampler.offer(F.batch([F.span(F.traceID(3), id: 3)]), now: .zero)
        #expect(F.traceNumbers([sampler.decideAll(now: .zero)]) == [1, 2])
        let traces = "spindle_tail_sampling_traces_total"
        #expect(metrics.counter(traces, [("policy", "errors"), ("decision", "sampled")]) == 1)
        #expect(metrics.counter(traces, [("policy", "rest"), ("decision", "sampled")]) == 1)
        #expect(metrics.counter(traces, [("policy", "none"), ("decision", "not_sampled")]) == 1)
        // The rate limit would have admitted trace 1 too: it counts as a match, unspent.
        #expect(metrics.counter("spindle_tail_sampling_policy_matches_total", [("policy", "errors")]) == 1)
        #expect(metrics.counter("spindle_tail_sampling_policy_matches_total", [("policy", "rest")]) == 2)
    }

    @Test func composites_combineRules() throws {
        let slow = TailSamplingPolicy.Rule.latency(.milliseconds(500))
        let canary = TailSamplingPolicy.Rule.attribute(Condition(key: "canary", .bool(true)))
        let ms = F.millisecond
        let batch = F.batch([
            F.span(F.traceID(1), id: 1, end: 1_000_000_000 + 600 * ms, attributes: [Attribute("canary", true)]),
            F.span(F.traceID(2), id: 2, end: 1_000_000_000 + 600 * ms),
            F.span(F.traceID(3), id: 3, attributes: [Attribute("canary", true)]),
            F.span(F.traceID(4), id: 4, status: .error),
        ])
        #expect(try F.keptTraces(F.sampler(.and([slow, canary])), [batch]) == [1])
        #expect(try F.keptTraces(F.sampler(.or([slow, canary])), [batch]) == [1, 2, 3])
        #expect(try F.keptTraces(F.sampler(.not(.or([slow, canary]))), [batch]) == [4])
        #expect(try F.keptTraces(F.sampler(.and([.error, .not(canary)])), [batch]) == [4])
        #expect(try F.keptTraces(F.sampler(.or([.and([slow, .not(canary)]), .error])), [batch]) == [2, 4])
        #expect(try F.keptTraces(F.sampler(.always), [batch]) == [1, 2, 3, 4])
    }

    @Test func noPolicies_keepEveryTrace() throws {
        let metrics = RecordingMetrics()
        let sampler = try F.sampler([], metrics: metrics)
        #expect(F.keptTraces(sampler, [F.roots(1...3)]) == [1, 2, 3])
        #expect(metrics.counter("spindle_tail_sampling_traces_total", [("policy", "none"), ("decision", "sampled")]) == 3)
        #expect(metrics.counter("spindle_tail_sampling_traces_total", [("policy", "none"), ("decision", "not_sampled")]) == 0)
    }

    @Test func counters_nameTheFirstMatchAndCountEveryMatch() throws {
        let metrics = RecordingMetrics()
        let sampler = try F.sampler([
            TailSamplingPolicy(name: "errors", rule: .error),
            TailSamplingPolicy(name: "orders", rule: .attribute(Condition(key: "service.name", .equals("orders"), in: .resource))),
            TailSamplingPolicy(name: "half", rule: .probabilistic(0.5)),
        ], metrics: metrics)
        let low: UInt64 = 1 << 62  // sampled by "half"
        let high: UInt64 = 3 << 62  // not sampled by "half"
        _ = sampler.offer(F.batch([
            ("orders", [F.span(F.traceID(low), id: 1, status: .error), F.span(F.traceID(high), id: 2)]),
            ("billing", [F.span(F.traceID(low + 1), id: 3, status: .error), F.span(F.traceID(low + 2), id: 4),
                         F.span(F.traceID(high + 1), id: 5)]),
        ]), now: .zero)
        let kept = sampler.decideDue(now: .seconds(10))
        #expect(F.traceNumbers([kept]) == [low, low + 1, low + 2, high])
        let traces = "spindle_tail_sampling_traces_total"
        #expect(metrics.counters(startingWith: traces) == [
            "\(traces){policy=errors,decision=sampled}": 2,
            "\(traces){policy=orders,decision=sampled}": 1,
            "\(traces){policy=half,decision=sampled}": 1,
            "\(traces){policy=none,decision=not_sampled}": 1,
        ])
        let matches = "spindle_tail_sampling_policy_matches_total"
        #expect(metrics.counters(startingWith: matches) == [
            "\(matches){policy=errors}": 2,
            "\(matches){policy=orders}": 2,
            "\(matches){policy=half}": 3,
        ])
        #expect(metrics.counter("spindle_tail_sampling_spans_total", [("decision", "sampled")]) == 4)
        #expect(metrics.counter("spindle_tail_sampling_spans_total", [("decision", "not_sampled")]) == 1)
    }
}
