import SpindleQuery
import Testing

/// Parsing: what each construct reads as, shown by the canonical form (every binary
/// operation parenthesized), which must also parse back to itself.
@Suite struct TraceQLParserTests {
    static let canonicalForms: [(query: String, canonical: String)] = [
        // Filters and intrinsics.
        ("{}", "{}"),
        ("{ }", "{}"),
        ("{ name = \"GET /\" }", "{ (name = \"GET /\") }"),
        ("{span:name=\"x\"}", "{ (span:name = \"x\") }"),
        ("{ duration > 100ms }", "{ (duration > 100ms) }"),
        ("{ span:duration >= 1.5s }", "{ (span:duration >= 1500ms) }"),
        ("{ status = error && span:status != ok && kind = server && span:kind = unspecified }",
         "{ ((status = error) && (span:status != ok) && (kind = server) && (span:kind = unspecified)) }"),
        ("{ statusMessage = \"\" || span:statusMessage != \"boom\" }", "{ ((statusMessage = \"\") || (span:statusMessage != \"boom\")) }"),
        ("{ span:id = \"00000000000000a1\" && span:parentID = nil }", "{ ((span:id = \"00000000000000a1\") && (span:parentID = nil)) }"),
        ("{ trace:duration > 1m && trace:rootName = \"a\" && trace:rootService = \"b\" && trace:id != \"c\" }",
         "{ ((trace:duration > 1m) && (trace:rootName = \"a\") && (trace:rootService = \"b\") && (trace:id != \"c\")) }"),
        ("{ rootName = \"a\" && rootServiceName = \"b\" && traceDuration < 2h }",
         "{ ((rootName = \"a\") && (rootServiceName = \"b\") && (traceDuration < 2h)) }"),
        ("{ childCount = 0 && span:childCount > 2 }", "{ ((childCount = 0) && (span:childCount > 2)) }"),
        ("{ event:name = \"retry\" && event:timeSinceStart > 1ms && link:traceID != nil && link:spanID = \"x\" }",
         "{ ((event:name = \"retry\") && (event:timeSinceStart > 1ms) && (link:traceID != nil) && (link:spanID = \"x\")) }"),
        ("{ instrumentation:name = \"lib\" && instrumentation:version = \"1\" && instrumentation.a = 1 }",
         "{ ((instrumentation:name = \"lib\") && (instrumentation:version = \"1\") && (instrumentation.a = 1)) }"),
        // Attributes: scopes, dotted and quoted names, unicode.
        ("{ span.http.status_code = 200 && resource.service.name = \"api\" && .region = \"eu\" }",
         "{ ((span.http.status_code = 200) && (resource.service.name = \"api\") && (.region = \"eu\")) }"),
        ("{ event.attempt = 2 && link.reason = `x` }", "{ ((event.attempt = 2) && (link.reason = \"x\")) }"),
        ("{ span.\"attr with spaces\" = 1 && .\"a.b\" = 2 && resource.\"x=y\" = 3 }",
         "{ ((span.\"attr with spaces\" = 1) && (.a.b = 2) && (resource.\"x=y\" = 3)) }"),
        ("{ span.k8s.pod-name = \"a\" }", "{ (span.k8s.pod-name = \"a\") }"),
        ("{ span.ключ = \"значение\" }", "{ (span.ключ = \"значение\") }"),
        ("{ .\"5xx\" = 1 }", "{ (.\"5xx\" = 1) }"),
        // Literals.
        ("{ .a = \"q\\\"uo\\\\te\\n\\t\" }", "{ (.a = \"q\\\"uo\\\\te\\n\\t\") }"),
        ("{ .a = `raw \\d+` }", "{ (.a = \"raw \\\\d+\") }"),
        ("{ .a = \"\\u00e9\\u{1F30D}\" }", "{ (.a = \"é🌍\") }"),
        ("{ .a = 12 || .a = -7 || .a = 1.25 || .a = .5 || .a = 1e3 }",
         "{ ((.a = 12) || (.a = -7) || (.a = 1.25) || (.a = 0.5) || (.a = 1000.0)) }"),
        ("{ .a = true || .a = false || .a = nil }", "{ ((.a = true) || (.a = false) || (.a = nil)) }"),
        ("{ duration = 1h30m || duration = 10µs || duration = 10μs || duration = 10us || duration = 7ns || duration = 0.3s || duration = 2m }",
         "{ ((duration = 90m) || (duration = 10us) || (duration = 10us) || (duration = 10us) || (duration = 7ns) || (duration = 300ms) || (duration = 2m)) }"),
        ("{ status = unset || kind = client || kind = producer || kind = consumer || kind = internal }",
         "{ ((status = unset) || (kind = client) || (kind = producer) || (kind = consumer) || (kind = internal)) }"),
        // Precedence inside a filter.
        ("{ .a = 1 || .b = 2 && .c = 3 }", "{ ((.a = 1) || ((.b = 2) && (.c = 3))) }"),
        ("{ (.a = 1 || .b = 2) && .c = 3 }", "{ (((.a = 1) || (.b = 2)) && (.c = 3)) }"),
        ("{ .a + .b * 2 > 10 - 4 / 2 % 3 }", "{ ((.a + (.b * 2)) > (10 - ((4 / 2) % 3))) }"),
        ("{ .a - .b - .c = 0 }", "{ (((.a - .b) - .c) = 0) }"),
        ("{ 2 ^ 3 ^ 2 = .x }", "{ ((2 ^ (3 ^ 2)) = .x) }"),
        ("{ -.a = -(2) && !(.b = 1) && !.c }", "{ ((-.a = -2) && !(.b = 1) && !.c) }"),
        ("{ .a }", "{ .a }"),
        ("{ true }", "{ true }"),
        // Spanset operators and their precedence.
        ("{ .a = 1 } > { .b = 2 }", "({ (.a = 1) } > { (.b = 2) })"),
        ("{} < {} >> {} << {} ~ {}", "(((({} < {}) >> {}) << {}) ~ {})"),
        ("{} !> {} !< {} !>> {} !<< {} !~ {}", "((((({} !> {}) !< {}) !>> {}) !<< {}) !~ {})"),
        ("{} &> {} &< {} &>> {} &<< {} &~ {}", "((((({} &> {}) &< {}) &>> {}) &<< {}) &~ {})"),
        ("{ .a } > { .b } && { .c } || { .d }", "((({ .a } > { .b }) && { .c }) || { .d })"),
        ("{ .a } || { .b } && { .c } > { .d }", "({ .a } || ({ .b } && ({ .c } > { .d })))"),
        ("{ .a } && ({ .b } || { .c })", "({ .a } && ({ .b } || { .c }))"),
        ("{ .a } && { .b } && { .c }", "({ .a } && { .b } && { .c })"),
        ("(({ .a }))", "{ .a }"),
        // Pipelines.
        ("{} | count() > 2", "{} | count() > 2"),
        ("{} | avg(duration) > 1s | min(span.x) <= 3 | max(duration) = 5ms | sum(span.bytes) != 0",
         "{} | avg(duration) > 1s | min(span.x) <= 3 | max(duration) = 5ms | sum(span.bytes) != 0"),
        ("{} | count() > 2 * 2", "{} | count() > (2 * 2)"),
        ("{} | (sum(span.x) / count()) >= 1.5", "{} | (sum(span.x) / count()) >= 1.5"),
        ("{ .a } | by(resource.service.name) | count() > 2", "{ .a } | by(resource.service.name) | count() > 2"),
        ("{} | select(span.http.method, status)", "{} | select(span.http.method, status)"),
        ("{} | by(kind) | coalesce()", "{} | by(kind) | coalesce()"),
        ("{} | { .a = 1 } && { .b = 2 } | count() = 1", "{} | ({ (.a = 1) } && { (.b = 2) }) | count() = 1"),
        ("({} | count() > 1) && { .b }", "(({} | count() > 1) && { .b })"),
        ("{} | ({ .a } || { .b })", "{} | ({ .a } || { .b })"),
        // Metrics.
        ("{ status = error } | rate()", "{ (status = error) } | rate()"),
        ("{} | rate() by (resource.service.name)", "{} | rate() by (resource.service.name)"),
        ("{} | count_over_time() by(resource.service.name, name)", "{} | count_over_time() by (resource.service.name, name)"),
        ("{} | quantile_over_time(duration, .5, .9, .99)", "{} | quantile_over_time(duration, 0.5, 0.9, 0.99)"),
        ("{} | histogram_over_time(duration) by (kind)", "{} | histogram_over_time(duration) by (kind)"),
        ("{} | min_over_time(duration) | topk(5)", "{} | min_over_time(duration) topk(…)"),
        ("{} | max_over_time(span.x)", "{} | max_over_time(span.x)"),
        ("{} | avg_over_time(duration) with(sample=true)", "{} | avg_over_time(duration) with(…)"),
        ("{} | sum_over_time(span.bytes)", "{} | sum_over_time(span.bytes)"),
        ("{} | select(.a) | rate()", "{} | select(.a) | rate()"),
    ]

    @Test func canonicalForm_showsHowEachConstructParses() throws {
        for (query, canonical) in Self.canonicalForms {
            let parsed = try TraceQLQuery.parse(query)
            #expect(parsed.description == canonical, "\(query)")
        }
    }

    @Test func canonicalForm_parsesBackToItself() throws {
        // Tempo constructs kept only to be reported as unsupported print with "…".
        for (query, _) in Self.canonicalForms where !query.contains("topk") && !query.contains("with(") {
            let printed = try TraceQLQuery.parse(query).description
            #expect(try TraceQLQuery.parse(printed).description == printed, "\(printed)")
        }
    }

    @Test func isMetrics_isTrueOnlyForMetricsQueries() throws {
        #expect(try TraceQLQuery.parse("{} | rate()").isMetrics)
        #expect(try TraceQLQuery.parse("{} | quantile_over_time(duration, 0.9) by (name)").isMetrics)
        #expect(try !TraceQLQuery.parse("{} | count() > 1").isMetrics)
        #expect(try !TraceQLQuery.parse("{ .a = 1 }").isMetrics)
    }

    @Test func whitespaceAndNewlines_areInsignificant() throws {
        let query = try TraceQLQuery.parse("\n  {\tname\n=\n\"a\"\n}\n|\ncount()\n>\n1\n")
        #expect(query.description == "{ (name = \"a\") } | count() > 1")
    }

    @Test func longFlatChains_parseWithoutNesting() throws {
        // 2,000 operands joined by || and &&: n-ary lists, not 2,000 levels.
        let filters = Array(repeating: "{ .a = 1 }", count: 2_000).joined(separator: " || ")
        #expect(try TraceQLQuery.parse(filters).description.hasPrefix("({ (.a = 1) } || { (.a = 1) } ||"))
        let conditions = Array(repeating: ".a = 1", count: 2_000).joined(separator: " && ")
        #expect(try TraceQLQuery.parse("{ \(conditions) }").description.hasPrefix("{ ((.a = 1) && (.a = 1) &&"))
    }

    @Test func nestingUpToTheLimit_parses() throws {
        let depth = 63 // plus the braces: 64 levels
        let query = "{ " + String(repeating: "(", count: depth) + ".a = 1" + String(repeating: ")", count: depth) + " }"
        #expect(try TraceQLQuery.parse(query).description == "{ (.a = 1) }")
    }
}
