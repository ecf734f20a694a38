import SpindleQuery
import Testing

/// Malformed queries: each refused with the line, column and message of its first problem.
@Suite struct TraceQLParserErrorTests {
    static func error(_ query: String) -> TraceQLError? {
        do {
            _ = try TraceQLQuery.parse(query)
            return nil
        } catch {
            return error
        }
    }

    static let cases: [(query: String, line: Int, column: Int, message: String)] = [
        ("", 1, 1, "expected a spanset filter such as \"{ }\", found the end of the query"),
        ("{ .a = }", 1, 8, "expected a value after \"=\", found \"}\""),
        ("{ span.http.status = \"abc }", 1, 22, "unterminated string: expected a closing \" before the end of the query"),
        ("{ .a = `abc }", 1, 8, "unterminated string: expected a closing ` before the end of the query"),
        ("{ .a = \"ab\ncd\" }", 1, 8, "unterminated string: a double-quoted string cannot span lines (use a backtick string)"),
        ("{ duration > 10xs }", 1, 14, "invalid duration \"10xs\": unknown unit \"xs\" (use ns, us, µs, ms, s, m or h)"),
        ("{ duration > 1.5.5s }", 1, 14, "invalid duration \"1.5.5s\": missing unit after \"1.5\" (use ns, us, µs, ms, s, m or h)"),
        ("{ duration > 99999999h }", 1, 14, "invalid duration \"99999999h\": out of range"),
        ("{ span:foo = 1 }", 1, 3,
         "unknown intrinsic \"span:foo\"; expected one of name, duration, status, statusMessage, kind, childCount, rootName, rootServiceName, traceDuration, span:name, span:duration, span:status, span:statusMessage, span:kind, span:id, span:parentID, span:childCount, trace:duration, trace:rootName, trace:rootService, trace:id, event:name, event:timeSinceStart, link:traceID, link:spanID, instrumentation:name, instrumentation:version"),
        ("{ foo = 1 }", 1, 3, "unknown intrinsic \"foo\"; attributes need a scope, such as span.foo, resource.foo or .foo"),
        ("{ span. = 1 }", 1, 3, "expected an attribute name after \"span.\", found whitespace"),
        ("{ . }", 1, 3, "expected an attribute name after \".\", found whitespace"),
        ("{ .a = 1", 1, 9, "expected \"}\" to close the spanset filter opened at line 1, column 1, found the end of the query"),
        ("{ .a = 1 ) }", 1, 10, "expected \"}\" to close the spanset filter opened at line 1, column 1, found \")\""),
        ("({ .a = 1 }", 1, 12, "expected \")\" to close the parenthesis opened at line 1, column 1, found the end of the query"),
        ("{ (.a = 1 }", 1, 11, "expected \")\" to close the parenthesis opened at line 1, column 3, found \"}\""),
        ("{ .a = 1 } }", 1, 12, "expected \"|\" or the end of the query, found \"}\""),
        ("{ .a = 1 } {", 1, 12, "expected \"|\" or the end of the query, found \"{\""),
        ("{ .a = 1 } &&", 1, 14, "expected a spanset filter such as \"{ }\" after \"&&\", found the end of the query"),
        ("{ .a = 1 } > .b", 1, 14, "expected a spanset filter such as \"{ }\" after \">\", found \".b\""),
        ("{ .a = 1 } & { .b = 1 }", 1, 12, "unexpected \"&\"; did you mean \"&&\"?"),
        ("{ .a + }", 1, 8, "expected a value after \"+\", found \"}\""),
        ("{ .a = 1 = 2 }", 1, 10, "comparisons cannot be chained; join them with \"&&\" or use parentheses"),
        ("{ .a = \"x\\q\" }", 1, 10, "invalid escape \"\\q\" in string; use \\\\ for a backslash or a backtick string"),
        ("{ .a = \"\\uZZ\" }", 1, 9, "invalid unicode escape: expected \\uXXXX or \\u{X…} with hex digits naming a Unicode scalar"),
        ("{ .a = 99999999999999999999 }", 1, 8, "integer \"99999999999999999999\" is out of range (at most 9223372036854775807)"),
        ("{ .a = 1 } # note", 1, 12, "unexpected character \"#\""),
        ("{ .a =~ span.b }", 1, 9, "expected a string with a regular expression after \"=~\", found \"span.b\""),
        ("{ status = \"error\" }", 1, 10, "cannot compare status (a status) with a string; write status = error, ok or unset"),
        ("{ kind = 2 }", 1, 8, "cannot compare kind (a kind) with a number; write kind = server, client, producer, consumer, internal or unspecified"),
        ("{ name > 5 }", 1, 8, "cannot compare name (a string) with a number"),
        ("{ \"a\" = duration }", 1, 7, "cannot compare a string with duration (a number)"),
        ("{ .a = 1 } | count() >", 1, 23, "expected a value or an aggregate such as count() after \">\", found the end of the query"),
        ("{ .a = 1 } | count()", 1, 21, "expected a comparison (=, !=, <, <=, >, >=) after \")\", found the end of the query"),
        ("{ .a = 1 } | count(duration) > 1", 1, 20, "expected \")\" (count takes no arguments) after \"(\", found \"duration\""),
        ("{ .a = 1 } | median(duration) > 1", 1, 14,
         "unknown pipeline stage \"median\"; expected a spanset filter, an aggregate (count, avg, min, max, sum), by, select, coalesce or a metrics function"),
        ("{ .a = 1 } |", 1, 13, "expected a spanset filter, an aggregate such as count(), by(), select(), coalesce() or a metrics function after \"|\", found the end of the query"),
        ("{ .a = 1 } | by()", 1, 17, "expected a value after \"(\", found \")\""),
        ("{ .a = 1 } | by(name", 1, 21, "expected \",\" or \")\" in by() after \"name\", found the end of the query"),
        ("{ .a = 1 } | rate() | count() > 1", 1, 23, "only topk() or bottomk() may follow a metrics function, found \"count\""),
        ("{ .a = 1 } | rate() {", 1, 21, "expected the end of the query after the metrics function, found \"{\""),
        ("({ } | rate())", 1, 8, "a metrics function such as rate() can only end the whole query, not a parenthesized part"),
        ("{ } | rate(duration)", 1, 12, "expected \")\" (rate takes no arguments) after \"(\", found \"duration\""),
        ("{ } | quantile_over_time(duration)", 1, 34, "expected \",\" and at least one quantile such as 0.9 after \"duration\", found \")\""),
        ("{ } | quantile_over_time(duration, 1.5)", 1, 36, "quantile 1.5 is outside 0...1"),
        ("{ } | quantile_over_time(duration, \"x\")", 1, 36, "expected a quantile such as 0.9 after \",\", found \"x\""),
        ("{ .a = 1 }\n&& { .b = }", 2, 11, "expected a value after \"=\", found \"}\""),
        ("{\n  .a = 1 &&\n  .b = \"x\n}", 3, 8, "unterminated string: a double-quoted string cannot span lines (use a backtick string)"),
    ]

    @Test func malformedQueries_reportLineColumnAndWhatWasExpected() {
        for (query, line, column, message) in Self.cases {
            #expect(Self.error(query) == TraceQLError(line: line, column: column, message: message), "\(query)")
        }
    }

    @Test func errorDescription_namesLineAndColumn() {
        #expect(Self.error("{ .a = }")?.description == "line 1, column 8: expected a value after \"=\", found \"}\"")
    }

    @Test func nestingBeyondTheLimit_isRefused() {
        // The braces are one level; the 64th parenthesis is the 65th level.
        let query = "{ " + String(repeating: "(", count: 70) + ".a = 1" + String(repeating: ")", count: 70) + " }"
        #expect(Self.error(query) == TraceQLError(
            line: 1, column: 66, message: "the query nests more than 64 levels deep (parentheses, braces or operators); simplify it"
        ))
        let spansets = String(repeating: "(", count: 70) + "{}" + String(repeating: ")", count: 70)
        #expect(Self.error(spansets)?.column == 65)
        let negations = "{ " + String(repeating: "!", count: 100) + ".a }"
        #expect(Self.error(negations)?.column == 66)
        // A chain of 64 additions is 65 levels tall: refused at its 64th "+".
        let sum = "{ 1" + String(repeating: " + 1", count: 70) + " = 0 }"
        #expect(Self.error(sum) == TraceQLError(
            line: 1, column: 4 * 64 + 1, message: "the query nests more than 64 levels deep (parentheses, braces or operators); simplify it"
        ))
    }

    @Test func textBeyondTheLengthLimit_isRefused() {
        let query = String(repeating: " ", count: 65_537) + "{}"
        #expect(Self.error(query) == TraceQLError(line: 1, column: 1, message: "the query is 65539 bytes long; the limit is 65536 bytes"))
        #expect(Self.error(String(repeating: " ", count: 65_534) + "{}") == nil)
    }

    /// Truncated queries (every prefix of every query in the parser tests) either parse
    /// or fail with a position inside the text; those that parse evaluate without trapping.
    @Test func everyPrefixOfAValidQuery_parsesOrFailsWithinTheText() throws {
        for (query, _) in TraceQLParserTests.canonicalForms {
            let scalars = Array(query.unicodeScalars)
            for length in 0...scalars.count {
                var prefix = String.UnicodeScalarView()
                prefix.append(contentsOf: scalars[..<length])
                let text = String(prefix)
                if let error = Self.error(text) {
                    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
                    #expect(error.line >= 1 && error.line <= lines.count, "\(text)")
                    if error.line >= 1 && error.line <= lines.count {
                        #expect(error.column >= 1 && error.column <= lines[error.line - 1].unicodeScalars.count + 1, "\(text)")
                    }
                } else {
                    let parsed = try TraceQLQuery.parse(text)
                    if !parsed.isMetrics, !text.contains("parent.") { _ = try parsed.spanSets(in: TestTrace.small) }
                }
            }
        }
    }

    @Test func invalidRegex_isAParseErrorAtThePattern() {
        let error = Self.error("{ name =~ \"(unclosed\" }")
        #expect(error?.line == 1)
        #expect(error?.column == 11)
        #expect(error?.message.hasPrefix("invalid regular expression \"(unclosed\": at offset ") == true)
    }
}
