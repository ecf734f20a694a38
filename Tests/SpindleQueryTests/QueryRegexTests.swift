@testable import SpindleQuery
import Testing

@Suite struct QueryRegexTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var pattern: String
        var text: String
        var matches: Bool
        init(_ pattern: String, _ text: String, _ matches: Bool) {
            self.pattern = pattern
            self.text = text
            self.matches = matches
        }
        var testDescription: String { "\(pattern.debugDescription) on \(text.debugDescription) → \(matches)" }
    }

    static let cases: [Case] = [
        // Literals, whole-text anchoring, Unicode scalars.
        Case("abc", "abc", true),
        Case("abc", "abcd", false),
        Case("abc", "xabc", false),
        Case("abc", "ab", false),
        Case("", "", true),
        Case("", "a", false),
        Case("héllo", "héllo", true),
        Case("héllo", "he\u{301}llo", false),  // scalars, not canonical equivalence
        Case("日本語", "日本語", true),
        // Dot.
        Case("a.c", "abc", true),
        Case("a.c", "a\nc", false),
        Case("(?s)a.c", "a\nc", true),
        Case(".", "é", true),
        Case(".", "e\u{301}", false),
        Case("..", "e\u{301}", true),
        Case(".", "😀", true),
        // Escapes.
        Case(#"a\.c"#, "a.c", true),
        Case(#"a\.c"#, "abc", false),
        Case(#"\\"#, "\\", true),
        Case(#"\t\n\r\f\v\a"#, "\t\n\r\u{0C}\u{0B}\u{07}", true),
        Case(#"\x41\x62"#, "Ab", true),
        Case(#"\x{263a}"#, "☺", true),
        Case(#"\x{1F600}"#, "😀", true),
        Case(#"\101\0"#, "A\0", true),
        Case(#"\12"#, "\n", true),
        Case(#"\Q.*+\E+"#, ".*++", true),
        Case(#"\Q(a|b)"#, "(a|b)", true),
        Case(##"\_\-\#"##, "_-#", true),
        // Perl classes (ASCII only, as in RE2).
        Case(#"\d+"#, "0123456789", true),
        Case(#"\d"#, "٣", false),
        Case(#"\D"#, "a", true),
        Case(#"\w+"#, "a_Z9", true),
        Case(#"\w"#, "é", false),
        Case(#"\W"#, "-", true),
        Case(#"\s"#, " ", true),
        Case(#"\s"#, "\u{0B}", false),
        Case(#"\S+"#, "ab", true),
        // Word boundaries.
        Case(#"a\b.*"#, "a b", true),
        Case(#"a\b.*"#, "ab", false),
        Case(#"a\B.*"#, "ab", true),
        Case(#"\bfoo\b"#, "foo", true),
        Case(#"\b"#, "", false),
        Case(#"\B"#, "", true),
        // Bracketed classes.
        Case("[abc]+", "abcabc", true),
        Case("[abc]", "d", false),
        Case("[^a-z0-9_]", "A", true),
        Case("[^a-z0-9_]", "q", false),
        Case("[^a]", "\n", true),
        Case("[a-cx-z]+", "abxz", true),
        Case("[a-cx-z]", "m", false),
        Case("[]a]+", "]a", true),
        Case("[^]a]", "b", true),
        Case("[a-]+", "a-", true),
        Case(#"[\d.]+"#, "1.5", true),
        Case(#"[\]\\]+"#, "]\\", true),
        Case(#"[\x41-\x43]+"#, "ABC", true),
        Case("[α-ω]+", "λόγος", false),
        Case("[α-ω]+", "λογος", true),
        Case("[[:alpha:]]+", "abcXYZ", true),
        Case("[[:digit:][:upper:]]+", "A1", true),
        Case("[[:^alpha:]]", "1", true),
        Case("[[:^alpha:]]", "a", false),
        Case("[[:word:]]", "_", true),
        Case("[[:space:]]", "\u{0B}", true),
        Case("[:alpha:]+", "ahp:l", true),
        Case(#"\pL+"#, "héllo", true),
        Case(#"\p{Lu}"#, "É", true),
        Case(#"\p{Lu}"#, "é", false),
        Case(#"\PL"#, "1", true),
        Case(#"\p{^L}"#, "x", false),
        Case(#"[\p{Nd}x]+"#, "x٣4", true),
        Case(#"\pN"#, "Ⅻ", true),
        // Groups.
        Case("(ab)+", "ababab", true),
        Case("(ab)+", "aba", false),
        Case("(?:ab)+c", "ababc", true),
        Case("(?P<name>a|b)c", "bc", true),
        Case("(?<x>a+)", "aaa", true),
        Case("a(b(c|d))e", "abde", true),
        Case("()", "", true),
        // Alternation wraps the whole pattern inside the anchors.
        Case("a|b", "a", true),
        Case("a|b", "ab", false),
        Case("a|bc|", "", true),
        Case("abc|abd", "abd", true),
        Case("abc|abd", "ab", false),
        Case("cat|dog|bird", "dog", true),
        Case("foo|ba.", "baz", true),
        Case("^a|b$", "b", true),
        Case("x(a|b)*y|z", "xababy", true),
        // Quantifiers, greedy and lazy.
        Case("a*", "", true),
        Case("a*", "aaa", true),
        Case("a+", "", false),
        Case("a?b", "b", true),
        Case("a?b", "aab", false),
        Case("a{3}", "aaa", true),
        Case("a{3}", "aa", false),
        Case("a{2,}", "aaaaa", true),
        Case("a{2,}", "a", false),
        Case("a{2,4}", "aaaa", true),
        Case("a{2,4}", "aaaaa", false),
        Case("a{0}b", "b", true),
        Case("a{,2}", "a{,2}", true),  // not a repetition: literal text
        Case("a{", "a{", true),
        Case("a{01}", "a{01}", true),
        Case("a*?", "aaa", true),
        Case("a+?b", "aab", true),
        Case("a{2,3}?", "aaa", true),
        Case("a??b", "ab", true),
        Case("(?U)a+", "aa", true),
        Case("(a|ab)(c|bcd)(d*)", "abcd", true),
        Case("(a*)*", "aaaa", true),
        Case("(a*)+b", "b", true),
        // Anchors.
        Case("^abc$", "abc", true),
        Case(#"\Aabc\z"#, "abc", true),
        Case("a^b", "ab", false),
        Case("a$", "a\n", false),  // RE2's $ is \z without (?m)
        Case("a\n^b", "a\nb", false),
        Case("(?m)a$\n^b", "a\nb", true),
        Case("(?m)^a$", "a", true),
        Case("^*a", "a", true),
        // Flags.
        Case("(?i)hello", "HeLLo", true),
        Case("(?i)k", "\u{212A}", true),  // Kelvin sign
        Case("(?i)s", "ſ", true),
        Case("(?i)σ", "ς", true),
        Case("(?i)straße", "STRAẞE", true),
        Case("(?i)é", "É", true),
        Case("(?i)[a-c]+", "AbC", true),
        Case("(?i)[^k]", "\u{212A}", false),
        Case("(?i:a)b", "Ab", true),
        Case("(?i:a)b", "AB", false),
        Case("a(?i)b", "aB", true),
        Case("a(?i)b", "AB", false),
        Case("(?i)a(?-i)b", "Ab", true),
        Case("(?i)a(?-i)b", "AB", false),
        Case("(?i)GET|post", "Post", true),
        Case("(?s:.)", "\n", true),
        Case("(?ims)A.$", "a\n", true),
        Case("(?i)ı", "I", false),  // Turkic dotless i folds only in Turkic locales
    ]

    @Test(arguments: cases)
    func matches_table(_ test: Case) throws {
        let regex = try QueryRegex(test.pattern)
        #expect(regex.matches(test.text) == test.matches)
        // A second call runs on the now-warm shared DFA.
        #expect(regex.matches(test.text) == test.matches)
        #expect(regex.simulates(test.text) == test.matches)
    }

    // MARK: Errors

    struct ErrorCase: Sendable, CustomTestStringConvertible {
        var pattern: String
        var offset: Int
        var message: String
        init(_ pattern: String, _ offset: Int, _ message: String) {
            self.pattern = pattern
            self.offset = offset
            self.message = message
        }
        var testDescription: String { pattern.debugDescription }
    }

    static let errors: [ErrorCase] = [
        ErrorCase("(abc", 0, "missing closing )"),
        ErrorCase("a(b(c)", 1, "missing closing )"),
        ErrorCase("abc)", 3, "unexpected )"),
        ErrorCase("é(", 2, "missing closing )"),
        ErrorCase("日本)", 6, "unexpected )"),
        ErrorCase("*", 0, "missing argument to repetition operator: *"),
        ErrorCase("a|*b", 2, "missing argument to repetition operator: *"),
        ErrorCase("(+)", 1, "missing argument to repetition operator: +"),
        ErrorCase("(?i)?", 4, "missing argument to repetition operator: ?"),
        ErrorCase("{2}", 0, "missing argument to repetition operator: {2}"),
        ErrorCase("a**", 1, "invalid nested repetition operator: **"),
        ErrorCase("a*?+", 1, "invalid nested repetition operator: *?+"),
        ErrorCase("a{2}*", 1, "invalid nested repetition operator: {2}*"),
        ErrorCase("a{2,1}", 1, "invalid repeat count: {2,1}"),
        ErrorCase("a{1001}", 1, "invalid repeat count: {1001}"),
        ErrorCase("a{2,1001}", 1, "invalid repeat count: {2,1001}"),
        ErrorCase("a{100000000000}", 1, "invalid repeat count: {100000000000}"),
        ErrorCase("(a{500}){3}", 8, "invalid repeat count: {3}"),
        ErrorCase("((a{10}){10}){11}", 13, "invalid repeat count: {11}"),
        ErrorCase(#"\1"#, 0, #"invalid escape sequence: \1"#),
        ErrorCase(#"(a)\1"#, 3, #"invalid escape sequence: \1"#),
        ErrorCase(#"\8"#, 0, #"invalid escape sequence: \8"#),
        ErrorCase(#"\q"#, 0, #"invalid escape sequence: \q"#),
        ErrorCase(#"\é"#, 0, #"invalid escape sequence: \é"#),
        ErrorCase(#"\C"#, 0, #"invalid escape sequence: \C"#),
        ErrorCase(#"\Z"#, 0, #"invalid escape sequence: \Z"#),
        ErrorCase(#"\x{zz}"#, 0, #"invalid escape sequence: \x{z"#),
        ErrorCase(#"\x{}"#, 0, #"invalid escape sequence: \x{}"#),
        ErrorCase(#"\x{110000}"#, 0, #"invalid escape sequence: \x{110000"#),
        ErrorCase(#"\xG1"#, 0, #"invalid escape sequence: \xG1"#),
        ErrorCase(#"\x4"#, 0, #"invalid escape sequence: \x4"#),
        ErrorCase("abc\\", 3, "trailing backslash at end of expression"),
        ErrorCase("[z-a]", 1, "invalid character class range: z-a"),
        ErrorCase("x[a", 1, "missing closing ]: [a"),
        ErrorCase("[]", 0, "missing closing ]: []"),
        ErrorCase("[^", 0, "missing closing ]: [^"),
        ErrorCase("[a\\", 2, "trailing backslash at end of expression"),
        ErrorCase("[[:foo:]]", 1, "invalid character class range: [:foo:]"),
        ErrorCase(#"[\b]"#, 1, #"invalid escape sequence: \b"#),
        ErrorCase(#"[a-\d]"#, 3, #"invalid escape sequence: \d"#),
        ErrorCase("(?=a)", 0, "invalid or unsupported Perl syntax: (?="),
        ErrorCase("(?!a)", 0, "invalid or unsupported Perl syntax: (?!"),
        ErrorCase("a(?<=a)b", 1, "invalid or unsupported Perl syntax: (?<="),
        ErrorCase("(?<!a)b", 0, "invalid or unsupported Perl syntax: (?<!"),
        ErrorCase("(?x)a", 0, "invalid or unsupported Perl syntax: (?x"),
        ErrorCase("(?i", 0, "invalid or unsupported Perl syntax: (?i"),
        ErrorCase("(?-)", 0, "invalid or unsupported Perl syntax: (?-)"),
        ErrorCase("(?i-)", 0, "invalid or unsupported Perl syntax: (?i-)"),
        ErrorCase("(?P=name)", 0, "invalid or unsupported Perl syntax: (?P"),
        ErrorCase("(?P<na-me>a)", 0, "invalid named capture: (?P<na-me>"),
        ErrorCase("(?<>a)", 0, "invalid named capture: (?<>"),
        ErrorCase("(?P<name", 0, "invalid named capture: (?P<name"),
        ErrorCase(#"\p{Greek}"#, 0, #"invalid or unsupported Unicode class: \p{Greek}"#),
        ErrorCase(#"[x\pQ]"#, 2, #"invalid or unsupported Unicode class: \pQ"#),
        ErrorCase(#"\p{L"#, 0, #"invalid or unsupported Unicode class: \p{L"#),
    ]

    @Test(arguments: errors)
    func refuses_malformedPatternsWithOffsetAndMessage(_ test: ErrorCase) {
        #expect(throws: QueryRegexError(offset: test.offset, message: test.message)) {
            try QueryRegex(test.pattern)
        }
    }

    @Test func error_descriptionNamesOffsetAndMessage() {
        let error = QueryRegexError(offset: 3, message: "unexpected )")
        #expect(error.description == "at offset 3 of the regular expression: unexpected )")
    }

    @Test func nesting_acceptsAThousandGroupsAndRefusesMore() throws {
        let deep = String(repeating: "(", count: 1000) + "a" + String(repeating: ")", count: 1000)
        let regex = try QueryRegex(deep)
        #expect(regex.matches("a"))
        #expect(!regex.matches("aa"))
        // Nested alternations under stars: nothing about it recurses per level.
        let starred = try QueryRegex(String(repeating: "(?:a|", count: 1000) + "b" + String(repeating: ")*", count: 1000))
        #expect(starred.matches("aab"))
        #expect(starred.simulates("ba"))
        #expect(!starred.matches("c"))
        let deeper = String(repeating: "(?:", count: 1001) + "a" + String(repeating: ")", count: 1001)
        #expect(throws: QueryRegexError(offset: 3000, message: "expression nests too deeply: more than 1000 nested groups")) {
            try QueryRegex(deeper)
        }
    }

    @Test func size_refusesProgramsOverTheInstructionLimit() throws {
        // 10 × 1000 single-scalar instructions fit; one more scalar class does not.
        let fits = String(repeating: "[ab]{1000}", count: 9) + "c{999}"
        #expect(try QueryRegex(fits).matches(String(repeating: "a", count: 9000) + String(repeating: "c", count: 999)))
        let tooLarge = String(repeating: "[ab]{1000}", count: 10) + "c"
        #expect(throws: QueryRegexError(offset: 0, message: "expression too large: it compiles to more than 10000 instructions")) {
            try QueryRegex(tooLarge)
        }
    }

    // MARK: Hostile patterns and inputs

    static let hundredKB = 100_000

    @Test func hostile_nestedPlusFailsWithoutBacktracking() throws {
        let regex = try QueryRegex("(a+)+b")
        let input = String(repeating: "a", count: Self.hundredKB)
        #expect(!regex.matches(input))
        #expect(regex.matches(input + "b"))
        #expect(!regex.simulates(input))
    }

    @Test func hostile_ambiguousAlternationUnderStar() throws {
        let regex = try QueryRegex("(a|a)*c")
        let input = String(repeating: "a", count: Self.hundredKB)
        #expect(!regex.matches(input))
        #expect(regex.matches(input + "c"))
        #expect(!regex.simulates(input))
    }

    @Test func hostile_doublePlusInsidePlus() throws {
        let regex = try QueryRegex("(x+x+)+y")
        let input = String(repeating: "x", count: Self.hundredKB)
        #expect(!regex.matches(input))
        #expect(regex.matches(input + "y"))
    }

    @Test func hostile_thousandFoldStarOfDot() throws {
        let regex = try QueryRegex("(.*){1000}")
        let input = String(repeating: "span-name ", count: Self.hundredKB / 10)
        #expect(regex.matches(input))
        #expect(!regex.matches(input + "\n"))
        let tail = try QueryRegex("(.*){1000}z")
        #expect(!tail.matches(input))
        #expect(tail.matches(input + "z"))
    }

    @Test func hostile_optionalThousandThenThousand() throws {
        let regex = try QueryRegex("(a?){1000}a{1000}")
        #expect(regex.matches(String(repeating: "a", count: 1000)))
        #expect(regex.matches(String(repeating: "a", count: 2000)))
        #expect(!regex.matches(String(repeating: "a", count: 999)))
        #expect(!regex.matches(String(repeating: "a", count: 2001)))
        #expect(!regex.simulates(String(repeating: "a", count: 999)))
    }

    @Test func hostile_wordsWithOptionalSpacesThenBang() throws {
        let regex = try QueryRegex(#"(\w+\s?)*$"#)
        let words = String(repeating: "word ", count: Self.hundredKB / 5)
        #expect(regex.matches(words))
        #expect(!regex.matches(words + "!"))
    }

    @Test func alternatives_aThousandLiteralsShareTheirPrefixes() throws {
        let pattern = (0..<1000).map { "service-\($0)" }.joined(separator: "|")
        let regex = try QueryRegex(pattern)
        #expect(regex.matches("service-0"))
        #expect(regex.matches("service-537"))
        #expect(regex.matches("service-999"))
        #expect(!regex.matches("service-1000"))
        #expect(!regex.matches("service-"))
        #expect(!regex.matches("service-5370"))
        #expect(regex.simulates("service-42"))
        #expect(!regex.simulates("service-4a"))
    }

    @Test func alternatives_aThousandWithoutCommonPrefixAndCaseInsensitive() throws {
        let pattern = "(?i)(" + (0..<1000).map { "\($0)-op" }.joined(separator: "|") + ")"
        let regex = try QueryRegex(pattern)
        #expect(regex.matches("0-op"))
        #expect(regex.matches("999-OP"))
        #expect(!regex.matches("1000-op"))
        #expect(!regex.matches("99-o"))
    }

    @Test func longInput_oneMegabyte() throws {
        let input = String(repeating: "a", count: 1_000_000)
        #expect(try QueryRegex("[a-z]+").matches(input))
        #expect(try QueryRegex(".*a").matches(input))
        #expect(try QueryRegex("(?i)A*").matches(input))
        #expect(!(try QueryRegex("a*b").matches(input)))
        #expect(!(try QueryRegex(input + "b").matches(input)))
        #expect(try QueryRegex("^" + input + "$").matches(input))
        #expect(!(try QueryRegex("b.*").matches(input)))
    }

    @Test func dfa_thrashingCacheGivesTheSameAnswers() throws {
        // Its DFA has 2^13 states; a tiny budget drops the cache over and over.
        let regex = try QueryRegex("(a|b)*a(a|b){12}")
        var generator = SplitMix(seed: 7)
        var input = ""
        for _ in 0..<5_000 { input.append(generator.next() % 2 == 0 ? "a" : "b") }
        for suffix in ["a" + String(repeating: "b", count: 12), "b" + String(repeating: "a", count: 12)] {
            let text = input + suffix
            let expected = regex.simulates(text)
            let thrashing = try #require(regex.matchesWithFreshDFA(text, memoryBudget: 500))
            #expect(thrashing.matches == expected)
            #expect(thrashing.resets > 0)
            #expect(thrashing.bailouts == 1)  // it went on by simulation
            #expect(regex.matches(text) == expected)
        }
        #expect(regex.simulates(input + "a" + String(repeating: "b", count: 12)))
        #expect(!regex.simulates(input + "b" + String(repeating: "a", count: 12)))
    }

    @Test func concurrentCallers_shareOneRegex() async throws {
        let regex = try QueryRegex(#"(?i)(GET|POST) /api/v\d+/[a-z]+"#)
        let results = await withTaskGroup(of: Bool.self) { group in
            for task in 0..<8 {
                group.addTask {
                    var correct = true
                    for round in 0..<300 {
                        let version = task * 300 + round
                        correct = correct && regex.matches("get /api/v\(version)/traces")
                        correct = correct && !regex.matches("PUT /api/v\(version)/traces")
                    }
                    return correct
                }
            }
            var all: [Bool] = []
            for await result in group { all.append(result) }
            return all
        }
        #expect(results == Array(repeating: true, count: 8))
    }

    // MARK: API

    @Test func api_keepsThePatternAndComparesByIt() throws {
        let regex = try QueryRegex("a+")
        #expect(regex.pattern == "a+")
        #expect(regex.description == "a+")
        #expect(regex == (try QueryRegex("a+")))
        #expect(regex != (try QueryRegex("a*")))
    }

    /// A small deterministic generator, so the thrash test's input is fixed.
    struct SplitMix {
        var state: UInt64
        init(seed: UInt64) { state = seed }
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }
}
