import SpindleWire
import Testing

/// Parses `text` (as UTF-8) and returns the error it must throw.
private func parseError(_ text: String, maxDepth: Int = JSONReader.defaultMaxDepth) -> WireError? {
    parseError(Array(text.utf8), maxDepth: maxDepth)
}

private func parseError(_ bytes: [UInt8], maxDepth: Int = JSONReader.defaultMaxDepth) -> WireError? {
    do {
        let value = try JSONReader.parse(bytes, maxDepth: maxDepth)
        Issue.record("expected an error, parsed \(value)")
        return nil
    } catch {
        return error
    }
}

/// A deterministic generator, so a failure reproduces.
private struct SplitMix64 {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

private func parse(_ text: String, maxDepth: Int = JSONReader.defaultMaxDepth) throws -> JSONValue {
    try JSONReader.parse(Array(text.utf8), maxDepth: maxDepth)
}

@Suite struct JSONReaderTests {
    // MARK: Values

    @Test func scalars_parseToTheirKinds() throws {
        #expect(try parse("null").kind == .null)
        #expect(try parse("true").kind == .bool(true))
        #expect(try parse("false").kind == .bool(false))
        #expect(try parse("\"hi\"").kind == .string("hi"))
        #expect(try parse("\"\"").kind == .string(""))
        #expect(try parse("[]").kind == .array([]))
        #expect(try parse("{}").kind == .object([]))
    }

    @Test(arguments: ["0", "-0", "7", "-12", "1.5", "-0.25", "1e5", "1E+5", "2.5e-3", "0.001", "123456789012345678901234567890", "1e400"])
    func numbers_keepTheirExactSourceText(_ text: String) throws {
        #expect(try parse(text).kind == .number(text))
    }

    @Test func whitespaceAroundTheValue_isAllowed() throws {
        let value = try parse(" \t\n\r[ 1 ,\n\t2 ]\r\n ")
        #expect(value == JSONValue(.array([JSONValue(.number("1"), offset: 6), JSONValue(.number("2"), offset: 11)]), offset: 4))
    }

    @Test func everyValue_knowsTheByteOffsetWhereItStarts() throws {
        let value = try parse(#"  {"a": [1, "x", null], "é": {"b": true}}"#)
        #expect(value.offset == 2)
        let a = try #require(value["a"])
        #expect(a.offset == 8)
        #expect(a.arrayValue?.map(\.offset) == [9, 12, 17])
        // "é" is two bytes, so offsets after it count bytes, not characters.
        let nested = try #require(value["é"])
        #expect(nested.offset == 30)
        #expect(nested["b"]?.offset == 36)
    }

    @Test func objectMembers_keepSourceOrderAndDuplicates_andTheSubscriptFindsTheFirst() throws {
        let value = try parse(#"{"b": 1, "a": 2, "b": 3}"#)
        #expect(value.objectMembers?.map(\.key) == ["b", "a", "b"])
        #expect(value.objectMembers?.map(\.value.kind) == [.number("1"), .number("2"), .number("3")])
        #expect(value["b"]?.kind == .number("1"))
        #expect(value["missing"] == nil)
        #expect(try parse("[1]")["b"] == nil)
    }

    @Test func nestedContainers_buildTheSameTreeAsWrittenByHand() throws {
        let value = try parse(#"{"a":[{"b":[]},[[]],{}],"c":"d"}"#)
        let expected = JSONValue(.object([
            JSONMember(key: "a", value: JSONValue(.array([
                JSONValue(.object([JSONMember(key: "b", value: JSONValue(.array([]), offset: 11))]), offset: 6),
                JSONValue(.array([JSONValue(.array([]), offset: 16)]), offset: 15),
                JSONValue(.object([]), offset: 20),
            ]), offset: 5)),
            JSONMember(key: "c", value: JSONValue(.string("d"), offset: 28)),
        ]), offset: 0)
        #expect(value == expected)
    }

    // MARK: Strings

    @Test func escapes_decodeToTheirCharacters() throws {
        let value = try parse(#""\"\\\/\b\f\n\r\t\u0041\u00e9\u20AC\uD83D\uDE80\u0000|""#)
        #expect(value.stringValue == "\"\\/\u{08}\u{0C}\n\r\tAé€🚀\u{0}|")
    }

    @Test func rawUTF8_passesThroughUnchanged() throws {
        #expect(try parse("\"Grüße, 世界 🚀\"").stringValue == "Grüße, 世界 🚀")
        #expect(try parse("\"a\u{7F}b\"").stringValue == "a\u{7F}b")
    }

    @Test func surrogatePairsInEitherCase_combineIntoOneScalar() throws {
        #expect(try parse(#""\ud83d\ude80""#).stringValue == "🚀")
        #expect(try parse(#""x\uDBFF\uDFFFy""#).stringValue == "x\u{10FFFF}y")
    }

    @Test(arguments: [
        (#""\uD800""#, 1),  // high surrogate at the end
        (#""a\uDC00""#, 2),  // low surrogate alone
        (#""\uD800\u0041""#, 1),  // high surrogate followed by a non-surrogate escape
        (#""\uD800x""#, 1),  // high surrogate followed by a character
        (#""\uD800\uD800""#, 1),  // two high surrogates
        (#""ab\uDFFF\uD800""#, 3),  // pair in the wrong order
    ])
    func loneSurrogateEscapes_areInvalidJSON_atTheEscape(_ text: String, _ offset: Int) {
        let error = parseError(text)
        #expect(error?.code == .invalidJSON)
        #expect(error?.offset == offset)
        #expect(error?.field == "")
    }

    @Test(arguments: [
        (#""\x""#, 1), (#""ab\a""#, 3), (#""\u12G4""#, 1), (#""\u12""#, 1), (#""\U0041""#, 1), (#""\'""#, 1),
    ])
    func invalidEscapes_areInvalidJSON_atTheBackslash(_ text: String, _ offset: Int) {
        let error = parseError(text)
        #expect(error?.code == .invalidJSON)
        #expect(error?.offset == offset)
    }

    @Test func unescapedControlCharacters_areInvalidJSON_atTheCharacter() {
        for byte in UInt8(0)..<0x20 {
            let error = parseError([0x22, 0x61, byte, 0x22])
            #expect(error?.code == .invalidJSON, "byte \(byte)")
            #expect(error?.offset == 2, "byte \(byte)")
        }
    }

    @Test func unterminatedStrings_areInvalidJSON_atTheEndOfInput() {
        #expect(parseError(#""abc"#) == WireError(.invalidJSON, field: "", offset: 4, "the string starting at byte 0 is not terminated"))
        #expect(parseError(#"["a\""#)?.offset == 5)
        #expect(parseError(#""\"#)?.offset == 1)
        #expect(parseError(#"{"a"#)?.offset == 3)
    }

    @Test(arguments: [
        ([0x22, 0x61, 0xFF, 0x22], 2),  // never valid
        ([0x22, 0xC0, 0xAF, 0x22], 1),  // overlong "/"
        ([0x22, 0xED, 0xA0, 0x80, 0x22], 1),  // an encoded surrogate
        ([0x22, 0x61, 0x62, 0xE2, 0x82], 3),  // truncated at the end of input
        ([0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], 1),  // above U+10FFFF
        ([0x5B, 0x31, 0x2C, 0x80, 0x5D], 3),  // outside a string
    ] as [([UInt8], Int)])
    func illFormedUTF8_isInvalidUTF8_atTheFirstBadByte(_ bytes: [UInt8], _ offset: Int) {
        let error = parseError(bytes)
        #expect(error?.code == .invalidUTF8)
        #expect(error?.offset == offset)
    }

    // MARK: Grammar errors

    @Test(arguments: [
        ("01", 1), ("-01", 2), ("[00]", 2), ("-", 1), ("-a", 1), ("+1", 0), (".5", 0), ("1.", 2), ("1.e5", 2),
        ("1e", 2), ("1e+", 3), ("1E-x", 3), ("NaN", 0), ("Infinity", 0), ("-Infinity", 1), ("0x10", 1), ("1 2", 2),
        ("[1.5.2]", 4),
    ])
    func malformedNumbers_areInvalidJSON_atTheOffendingByte(_ text: String, _ offset: Int) {
        let error = parseError(text)
        #expect(error?.code == .invalidJSON)
        #expect(error?.offset == offset)
    }

    @Test(arguments: [
        ("", 0), ("   ", 3), ("[", 1), ("[1", 2), ("[1,", 3), ("[1,]", 3), ("[,1]", 1), ("[1 2]", 3), ("[1}", 2),
        ("{", 1), (#"{"a""#, 4), (#"{"a" 1}"#, 5), (#"{"a":}"#, 5), (#"{"a":1,}"#, 7), (#"{"a":1 "b":2}"#, 7),
        ("{1:2}", 1), ("{a:1}", 1), (#"{'a':1}"#, 1), (#"{"a":1]"#, 6), ("]", 0), ("}", 0), (",", 0), ("'a'", 0),
        ("tru", 0), ("trUe", 0), ("nul", 0), ("nulll", 4), ("truex", 4), ("{} x", 3), ("[] []", 3), ("\"a\" \"b\"", 4),
        ("\u{FEFF}{}", 0), ("[1]\u{0}", 3), ("/* c */ 1", 0),
    ])
    func malformedStructure_isInvalidJSON_atTheOffendingByte(_ text: String, _ offset: Int) {
        let error = parseError(text)
        #expect(error?.code == .invalidJSON)
        #expect(error?.offset == offset)
        #expect(error?.field == "")
    }

    @Test func errorMessages_sayWhatWasExpectedAndFound() {
        #expect(parseError("[1 2]")?.message == "expected ',' or ']', found '2'")
        #expect(parseError(#"{"a":1"#)?.message == "expected ',' or '}', found the end of the input")
        #expect(parseError("")?.message == "expected a value, found the end of the input")
        #expect(parseError("{} x")?.message == "unexpected 'x' after the JSON value")
        #expect(parseError("01")?.message == "a number must not have leading zeros")
        #expect(parseError(#""\uDC00""#)?.message == "the escape \\uDC00 is a low surrogate without a high surrogate before it")
        #expect(parseError("\"\u{1}\"")?.message == "control character 0x01 must be escaped in a string")
    }

    // MARK: Depth

    @Test func nestingUpToTheLimit_parses_andOneMoreLevelIsNestingTooDeep() throws {
        let limit = JSONReader.defaultMaxDepth
        let deepest = String(repeating: "[", count: limit) + String(repeating: "]", count: limit)
        var value = try parse(deepest)
        for _ in 1..<limit { value = try #require(value.arrayValue?.first) }
        #expect(value.kind == .array([]))

        let tooDeep = String(repeating: "[", count: limit + 1) + String(repeating: "]", count: limit + 1)
        let error = parseError(tooDeep)
        #expect(error?.code == .nestingTooDeep)
        #expect(error?.offset == limit)
    }

    @Test func depthCountsObjectsAndArraysAlike() throws {
        _ = try parse(#"{"a":[{"b":1}]}"#, maxDepth: 3)
        let error = parseError(#"{"a":[{"b":[]}]}"#, maxDepth: 3)
        #expect(error?.code == .nestingTooDeep)
        #expect(error?.offset == 11)
    }

    @Test func maxDepthZero_allowsOnlyScalars() throws {
        #expect(try parse("\"x\"", maxDepth: 0).stringValue == "x")
        #expect(parseError("[]", maxDepth: 0)?.code == .nestingTooDeep)
        #expect(parseError("{}", maxDepth: -5)?.code == .nestingTooDeep)
    }

    @Test func hugeNesting_failsWithoutRecursing() throws {
        let opens = [UInt8](repeating: UInt8(ascii: "["), count: 200_000)
        let error = parseError(opens)
        #expect(error?.code == .nestingTooDeep)
        #expect(error?.offset == 64)
        // With the limit out of the way the parser's own stack holds every level, and the
        // input still fails cleanly where it ends.
        let unlimited = parseError(opens, maxDepth: .max)
        #expect(unlimited?.code == .invalidJSON)
        #expect(unlimited?.offset == 200_000)
    }

    @Test func mutatedDocuments_parseOrThrow_withoutTrapping() throws {
        let document = Array(#"{"a": [1, -2.5e3, "x\u00e9\ud83d\ude80\n", true, false, null, {"b": {}}], "c": "Grüße"}"#.utf8)
        let alphabet = Array(#"{}[],:"\u0123456789abcdefABCDEF+-.eE truefalsnl/"#.utf8) + [0x00, 0x1F, 0x7F, 0x80, 0xC3, 0xED, 0xF4, 0xFF]
        var random = SplitMix64(state: 20_260_101)
        var parsed = 0
        for _ in 0..<5_000 {
            var bytes = document
            for _ in 0..<(1 + Int(random.next() % 4)) {
                let position = Int(random.next() % UInt64(bytes.count))
                let byte = alphabet[Int(random.next() % UInt64(alphabet.count))]
                switch random.next() % 3 {
                case 0: bytes[position] = byte
                case 1: bytes.insert(byte, at: position)
                default: if bytes.count > 1 { bytes.remove(at: position) }
                }
            }
            do {
                _ = try JSONReader.parse(bytes, maxDepth: 4)
                parsed += 1
            } catch {
                #expect(error.offset >= 0 && error.offset <= bytes.count)
            }
        }
        // Some mutations (inside strings, digits for digits) leave valid JSON.
        #expect(parsed > 0)
    }

    @Test func everyPrefixOfADocument_failsWithoutTrapping() throws {
        let document = Array(#"{"a": [1, -2.5e3, "x\u00e9\ud83d\ude80", true, false, null, {"b": {}}], "c": "Grüße"}"#.utf8)
        _ = try JSONReader.parse(document)
        for length in 0..<document.count {
            let prefix = Array(document[..<length])
            #expect(throws: WireError.self) { try JSONReader.parse(prefix) }
        }
    }
}

@Suite struct JSONValueAccessorTests {
    private func number(_ text: String) -> JSONValue { JSONValue(.number(text)) }
    private func string(_ text: String) -> JSONValue { JSONValue(.string(text)) }

    @Test func int64_acceptsIntegralNumbersAndStrings_exactlyToTheLimits() {
        #expect(number("9223372036854775807").int64Value == .max)
        #expect(number("-9223372036854775808").int64Value == .min)
        #expect(string("9223372036854775807").int64Value == .max)
        #expect(string("-9223372036854775808").int64Value == .min)
        #expect(string("9007199254740993").int64Value == 9_007_199_254_740_993)
        #expect(number("-0").int64Value == 0)
        #expect(number("42").int64Value == 42)
    }

    @Test(arguments: [
        "9223372036854775808", "-9223372036854775809", "1.0", "1e3", "1E3", "-", "", " 1", "1 ", "+1", "01", "0x1",
        "99999999999999999999999", "abc",
    ])
    func int64_isNilForAnythingElse(_ text: String) {
        #expect(number(text).int64Value == nil)
        #expect(string(text).int64Value == nil)
    }

    @Test func int64_isNilForNonNumericKinds() {
        #expect(JSONValue(.bool(true)).int64Value == nil)
        #expect(JSONValue(.null).int64Value == nil)
        #expect(JSONValue(.array([])).int64Value == nil)
    }

    @Test func uint64AndUInt32_checkTheirRanges() {
        #expect(number("18446744073709551615").uint64Value == .max)
        #expect(string("18446744073709551615").uint64Value == .max)
        #expect(number("18446744073709551616").uint64Value == nil)
        #expect(number("-1").uint64Value == nil)
        #expect(number("-0").uint64Value == 0)
        #expect(number("1.5").uint64Value == nil)
        #expect(number("4294967295").uint32Value == .max)
        #expect(string("4294967295").uint32Value == .max)
        #expect(number("4294967296").uint32Value == nil)
        #expect(number("-1").uint32Value == nil)
    }

    @Test func double_acceptsNumbersNumericStringsAndProtoJSONSpecialValues() throws {
        #expect(number("1.5").doubleValue == 1.5)
        #expect(number("3").doubleValue == 3)
        #expect(number("-0.0").doubleValue?.sign == .minus)
        #expect(number("1e300").doubleValue == 1e300)
        #expect(number("1e400").doubleValue == .infinity)
        #expect(string("2.5").doubleValue == 2.5)
        #expect(string("-7").doubleValue == -7)
        #expect(try #require(string("NaN").doubleValue).isNaN)
        #expect(string("Infinity").doubleValue == .infinity)
        #expect(string("-Infinity").doubleValue == -.infinity)
    }

    @Test(arguments: ["nan", "inf", "-inf", "infinity", "NAN", "0x1p3", " 1", "1.", ".5", "+1", "", "1e"])
    func double_isNilForTextThatIsNotAJSONNumber(_ text: String) {
        #expect(string(text).doubleValue == nil)
        #expect(number(text).doubleValue == nil)
    }

    @Test func typedAccessors_areNilForOtherKinds() {
        let value = JSONValue(.number("1"))
        #expect(value.stringValue == nil)
        #expect(value.boolValue == nil)
        #expect(value.arrayValue == nil)
        #expect(value.objectMembers == nil)
        #expect(!value.isNull)
        #expect(JSONValue(.null).isNull)
        #expect(JSONValue(.bool(false)).doubleValue == nil)
        #expect(JSONValue(.object([])).kindDescription == "an object")
    }
}

@Suite struct JSONWriterTests {
    private func text(_ writer: JSONWriter) -> String { String(decoding: writer.bytes, as: UTF8.self) }

    @Test func containers_getCommasAndColonsInTheRightPlaces() {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("a")
        writer.int(1)
        writer.key("b")
        writer.beginArray()
        writer.bool(true)
        writer.null()
        writer.string("x")
        writer.beginObject()
        writer.endObject()
        writer.beginArray()
        writer.endArray()
        writer.number("1.5e3")
        writer.endArray()
        writer.key("c")
        writer.beginObject()
        writer.key("d")
        writer.int(-2)
        writer.key("e")
        writer.uint(.max)
        writer.endObject()
        writer.key("f")
        writer.bool(false)
        writer.endObject()
        #expect(text(writer) == #"{"a":1,"b":[true,null,"x",{},[],1.5e3],"c":{"d":-2,"e":18446744073709551615},"f":false}"#)
    }

    @Test func integers_areWrittenInFull() {
        var writer = JSONWriter()
        writer.beginArray()
        writer.int(.min)
        writer.int(.max)
        writer.uint(0)
        writer.endArray()
        #expect(text(writer) == "[-9223372036854775808,9223372036854775807,0]")
    }

    @Test func strings_escapeQuotesBackslashesAndControlCharacters() {
        var writer = JSONWriter()
        writer.string("q\"b\\s/\n\r\t\u{08}\u{0C}\u{0}\u{1F}\u{7F} \u{2028}\u{2029} é🚀")
        #expect(text(writer) == #""q\"b\\s/\n\r\t\b\f\u0000\u001f"# + "\u{7F} " + #"\u2028\u2029"# + " é🚀\"")
    }

    @Test func keys_areEscapedLikeStrings() {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("a\"b")
        writer.null()
        writer.endObject()
        #expect(text(writer) == #"{"a\"b":null}"#)
    }

    @Test func everyString_roundTripsThroughTheReader() throws {
        var all = String(decoding: (0..<0x80).map { UInt8($0) }, as: UTF8.self)
        all += "Grüße, 世界 🚀 \u{2028}\u{2029}\u{FEFF}\u{10FFFF}"
        for sample in [all, "", "\"", "\\", "\u{0}", "\u{2028}x", "x\u{E2}"] {
            var writer = JSONWriter()
            writer.beginArray()
            writer.string(sample)
            writer.endArray()
            let parsed = try JSONReader.parse(writer.bytes)
            #expect(parsed.arrayValue?.first?.stringValue == sample)
        }
    }

    @Test func doubles_areShortestRoundTripText_andNonFiniteValuesAreProtoJSONStrings() {
        let cases: [(Double, String)] = [
            (1.5, "1.5"), (-0.0, "-0.0"), (0, "0.0"), (1e300, "1e+300"), (0.1, "0.1"), (-2.25, "-2.25"),
            (.leastNonzeroMagnitude, "5e-324"), (1e-7, "1e-07"), (.nan, #""NaN""#), (.infinity, #""Infinity""#),
            (-.infinity, #""-Infinity""#),
        ]
        for (value, expected) in cases {
            var writer = JSONWriter()
            writer.double(value)
            #expect(text(writer) == expected)
        }
    }

    @Test func doubles_readBackBitForBit() throws {
        let samples: [Double] = [
            0, -0.0, 1, -1, 0.1, 1.0 / 3, .pi, 1e300, -1e-300, 19.99, 3.14159, 9_007_199_254_740_992,
            .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .leastNonzeroMagnitude, .leastNormalMagnitude,
            .nan, .infinity, -.infinity,
        ]
        var writer = JSONWriter()
        writer.beginArray()
        for sample in samples { writer.double(sample) }
        writer.endArray()
        let parsed = try #require(try JSONReader.parse(writer.bytes).arrayValue)
        #expect(parsed.count == samples.count)
        for (value, sample) in zip(parsed, samples) {
            #expect(value.doubleValue?.bitPattern == sample.bitPattern, "\(sample)")
        }
    }
}
