import SpindleModel

/// A pull reader over JSON text (RFC 8259), for decoders that map a document straight to
/// their own types without building a ``JSONValue`` tree.
///
/// The caller drives it in document order: ``peekKind()`` says what the next value is,
/// `read*` consume scalars, ``beginObject()``/``nextMember()`` and
/// ``beginArray()``/``nextElement()`` walk containers, ``skipValue()`` passes over a value
/// the caller does not need, and ``finish()`` checks that nothing follows the document.
///
/// Rules it keeps:
/// - it accepts exactly the texts ``JSONReader/parse(_:maxDepth:)`` accepts with the same
///   `maxDepth`, given the same UTF-8 validation up front (its caller's job, once per
///   document): every value it reads or skips is checked against the grammar, escapes
///   included, and containers nest at most `maxDepth` levels;
/// - it is total: every read is bounds-checked, malformed text throws, nothing traps, and
///   it never recurses;
/// - strings are not copied: ``JSONStringToken`` is a range of the input, unescaped on
///   demand (``appendUnescaped(_:to:)``) only when it has escapes.
///
/// Its errors carry the offset where the scanner stopped, but their messages are not
/// kept in step with ``JSONReader``'s. A decoder that must report exactly what the tree
/// parser reports for malformed text (as the OTLP/JSON and Zipkin decoders do) reparses
/// the document with ``JSONReader`` once it has failed; see ``JSONDocument``.
struct JSONScanner {
    enum Kind: Equatable {
        case object, array, string, number, bool, null

        /// As ``JSONValue/kindDescription`` says it.
        var description: String {
            switch self {
            case .null: "null"
            case .bool: "a boolean"
            case .number: "a number"
            case .string: "a string"
            case .array: "an array"
            case .object: "an object"
            }
        }
    }

    let base: UnsafePointer<UInt8>
    let count: Int
    let maxDepth: Int
    /// The offset of the next byte to read.
    private(set) var index = 0
    /// How many containers are open.
    private(set) var depth = 0
    /// The key that ``beginObject()`` or ``nextMember()`` read last.
    private(set) var key = JSONStringToken(start: 0, end: 0, hasEscapes: false)
    /// Whether each container ``skipValue()`` has open is an object; reused.
    private var skipping: [Bool] = []
    /// Unescaped keys that had escapes; reused.
    private var keyScratch: [UInt8] = []

    /// A scanner over `buffer`, which must stay valid while the scanner is used.
    init(_ buffer: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
        // An empty buffer may have no base address; nothing is read from it then.
        base = buffer.baseAddress ?? UnsafePointer(bitPattern: 1)!
        count = buffer.count
        self.maxDepth = max(0, maxDepth)
    }

    // MARK: Values

    /// Skips whitespace and says what kind of value starts there, without consuming it.
    @inline(__always)
    mutating func peekKind() throws(WireError) -> Kind {
        skipWhitespace()
        guard index < count else { throw invalid("expected a value, found the end of the input") }
        switch base[index] {
        case UInt8(ascii: "\""): return .string
        case UInt8(ascii: "{"): return .object
        case UInt8(ascii: "["): return .array
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool
        case UInt8(ascii: "n"): return .null
        default: throw invalid("expected a value, found \(describe(base[index]))")
        }
    }

    /// Reads the string that starts at the current offset (after ``peekKind()`` said `.string`).
    @inline(__always)
    mutating func readString() throws(WireError) -> JSONStringToken {
        let start = index + 1
        var position = start
        var hasEscapes = false
        while true {
            position = Self.plainRunEnd(base, from: position, to: count)
            guard position < count else {
                index = count
                throw invalid("the string starting at byte \(start - 1) is not terminated")
            }
            let byte = base[position]
            if byte == UInt8(ascii: "\"") {
                index = position + 1
                return JSONStringToken(start: start, end: position, hasEscapes: hasEscapes)
            }
            guard byte == UInt8(ascii: "\\") else {
                index = position
                throw invalid("control character \(hexByte(byte)) must be escaped in a string")
            }
            hasEscapes = true
            position = try escapeEnd(at: position)
        }
    }

    /// The offset of the first quote, backslash or control character at or after `start`,
    /// or `end`.
    ///
    /// Hot path: eight bytes at a time. In a word that holds one, the lowest flagged byte
    /// is exact (bytes above it may be flagged by borrows, and are not looked at).
    @inline(__always)
    static func plainRunEnd(_ base: UnsafePointer<UInt8>, from start: Int, to end: Int) -> Int {
        var position = start
        let raw = UnsafeRawPointer(base)
        while position + 8 <= end {
            let word = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: position, as: UInt64.self))
            let quotes = word ^ 0x2222_2222_2222_2222
            let backslashes = word ^ 0x5C5C_5C5C_5C5C_5C5C
            let flagged = ((quotes &- 0x0101_0101_0101_0101) & ~quotes)
                | ((backslashes &- 0x0101_0101_0101_0101) & ~backslashes)
                | ((word &- 0x2020_2020_2020_2020) & ~word)
            let special = flagged & 0x8080_8080_8080_8080
            if special != 0 { return position + special.trailingZeroBitCount >> 3 }
            position += 8
        }
        while position < end {
            let byte = base[position]
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 { return position }
            position += 1
        }
        return end
    }

    /// Checks the escape whose backslash is at `position` and returns the offset after it.
    private mutating func escapeEnd(at position: Int) throws(WireError) -> Int {
        guard position + 1 < count else {
            index = position
            throw invalid("the input ends inside an escape sequence")
        }
        switch base[position + 1] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
             UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            return position + 2
        case UInt8(ascii: "u"):
            guard let unit = hex4(at: position + 2) else {
                index = position
                throw invalid("\\u must be followed by four hexadecimal digits")
            }
            switch unit {
            case 0xD800...0xDBFF:
                guard position + 7 < count,
                      base[position + 6] == UInt8(ascii: "\\"), base[position + 7] == UInt8(ascii: "u"),
                      let low = hex4(at: position + 8), (0xDC00...0xDFFF).contains(low)
                else {
                    index = position
                    throw invalid("a high surrogate escape without a low surrogate escape after it")
                }
                return position + 12
            case 0xDC00...0xDFFF:
                index = position
                throw invalid("a low surrogate escape without a high surrogate before it")
            default:
                return position + 6
            }
        default:
            index = position
            throw invalid("invalid escape sequence")
        }
    }

    private func hex4(at offset: Int) -> UInt16? {
        Self.hex4(base, at: offset, end: count)
    }

    private static func hex4(_ base: UnsafePointer<UInt8>, at offset: Int, end: Int) -> UInt16? {
        guard offset >= 0, offset + 4 <= end else { return nil }
        var value: UInt16 = 0
        for position in offset..<(offset + 4) {
            guard let digit = Hex.digitValue(base[position]) else { return nil }
            value = value << 4 | UInt16(digit)
        }
        return value
    }

    /// Reads the number that starts at the current offset and returns its text's range.
    @inline(__always)
    mutating func readNumber() throws(WireError) -> Range<Int> {
        let start = index
        var position = index
        if position < count && base[position] == UInt8(ascii: "-") { position += 1 }
        // Hot path: a plain integer that is not a lone leading zero.
        if position < count, base[position] >= UInt8(ascii: "1"), base[position] <= UInt8(ascii: "9") {
            position += 1
            while position < count, JSONNumberText.isDigit(base[position]) { position += 1 }
            if position == count || (base[position] != UInt8(ascii: ".") && base[position] | 0x20 != UInt8(ascii: "e")) {
                index = position
                return start..<position
            }
        }
        return try readNumberSlow(start: start)
    }

    private mutating func readNumberSlow(start: Int) throws(WireError) -> Range<Int> {
        var position = start
        func fail(_ message: String) -> WireError {
            WireError(.invalidJSON, field: "", offset: position, message)
        }
        if position < count && base[position] == UInt8(ascii: "-") { position += 1 }
        guard position < count, JSONNumberText.isDigit(base[position]) else { throw fail("expected a digit") }
        if base[position] == UInt8(ascii: "0") {
            position += 1
            if position < count && JSONNumberText.isDigit(base[position]) { throw fail("a number must not have leading zeros") }
        } else {
            while position < count && JSONNumberText.isDigit(base[position]) { position += 1 }
        }
        if position < count && base[position] == UInt8(ascii: ".") {
            position += 1
            guard position < count, JSONNumberText.isDigit(base[position]) else { throw fail("expected a digit after the decimal point") }
            while position < count && JSONNumberText.isDigit(base[position]) { position += 1 }
        }
        if position < count && (base[position] == UInt8(ascii: "e") || base[position] == UInt8(ascii: "E")) {
            position += 1
            if position < count && (base[position] == UInt8(ascii: "+") || base[position] == UInt8(ascii: "-")) { position += 1 }
            guard position < count, JSONNumberText.isDigit(base[position]) else { throw fail("expected a digit in the exponent") }
            while position < count && JSONNumberText.isDigit(base[position]) { position += 1 }
        }
        index = position
        return start..<position
    }

    /// Reads `true` or `false` (after ``peekKind()`` said `.bool`).
    mutating func readBool() throws(WireError) -> Bool {
        if index < count && base[index] == UInt8(ascii: "t") {
            try readLiteral("true")
            return true
        }
        try readLiteral("false")
        return false
    }

    /// Reads `null` (after ``peekKind()`` said `.null`).
    mutating func readNull() throws(WireError) {
        try readLiteral("null")
    }

    private mutating func readLiteral(_ literal: StaticString) throws(WireError) {
        let length = literal.utf8CodeUnitCount
        guard index + length <= count else { throw invalid("expected \(literal)") }
        for offset in 0..<length where base[index + offset] != literal.utf8Start[offset] {
            throw invalid("expected \(literal)")
        }
        index += length
    }

    // MARK: Containers

    /// Opens the object at the current offset (after ``peekKind()`` said `.object`) and
    /// reads its first key into ``key``; false for `{}`, which it consumes whole.
    mutating func beginObject() throws(WireError) -> Bool {
        guard index < count, base[index] == UInt8(ascii: "{") else { throw invalid("expected '{'") }
        guard depth < maxDepth else {
            throw WireError(.nestingTooDeep, field: "", offset: index, "arrays and objects nest deeper than \(maxDepth) levels")
        }
        index += 1
        skipWhitespace()
        if index < count && base[index] == UInt8(ascii: "}") {
            index += 1
            return false
        }
        depth += 1
        try readKey()
        return true
    }

    /// After a member's value: reads the next key into ``key``, or consumes the closing
    /// brace and returns false.
    @inline(__always)
    mutating func nextMember() throws(WireError) -> Bool {
        skipWhitespace()
        if index < count {
            if base[index] == UInt8(ascii: ",") {
                index += 1
                skipWhitespace()
                try readKey()
                return true
            }
            if base[index] == UInt8(ascii: "}") {
                index += 1
                depth -= 1
                return false
            }
        }
        throw invalid("expected ',' or '}'")
    }

    /// Opens the array at the current offset (after ``peekKind()`` said `.array`); false
    /// for `[]`, which it consumes whole.
    mutating func beginArray() throws(WireError) -> Bool {
        guard index < count, base[index] == UInt8(ascii: "[") else { throw invalid("expected '['") }
        guard depth < maxDepth else {
            throw WireError(.nestingTooDeep, field: "", offset: index, "arrays and objects nest deeper than \(maxDepth) levels")
        }
        index += 1
        skipWhitespace()
        if index < count && base[index] == UInt8(ascii: "]") {
            index += 1
            return false
        }
        depth += 1
        return true
    }

    /// After an element: moves to the next one, or consumes the closing bracket and
    /// returns false.
    @inline(__always)
    mutating func nextElement() throws(WireError) -> Bool {
        skipWhitespace()
        if index < count {
            if base[index] == UInt8(ascii: ",") {
                index += 1
                return true
            }
            if base[index] == UInt8(ascii: "]") {
                index += 1
                depth -= 1
                return false
            }
        }
        throw invalid("expected ',' or ']'")
    }

    /// Reads `"key"` and the `:` after it.
    @inline(__always)
    private mutating func readKey() throws(WireError) {
        guard index < count, base[index] == UInt8(ascii: "\"") else { throw invalid("expected a string key") }
        key = try readString()
        skipWhitespace()
        guard index < count, base[index] == UInt8(ascii: ":") else { throw invalid("expected ':'") }
        index += 1
    }

    /// Calls `body` with the bytes of ``key`` (unescaped).
    @inline(__always)
    mutating func withKey<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        if !key.hasEscapes {
            return body(UnsafeRawBufferPointer(start: base + key.start, count: key.count))
        }
        keyScratch.removeAll(keepingCapacity: true)
        appendUnescaped(key, to: &keyScratch)
        return keyScratch.withUnsafeBytes(body)
    }

    /// Skips the value at the current offset, whatever it is, checking it all the same.
    mutating func skipValue() throws(WireError) {
        let outer = skipping.count
        readValue: while true {
            switch try peekKind() {
            case .object:
                if try beginObject() {
                    skipping.append(true)
                    continue readValue
                }
            case .array:
                if try beginArray() {
                    skipping.append(false)
                    continue readValue
                }
            case .string: _ = try readString()
            case .number: _ = try readNumber()
            case .bool: _ = try readBool()
            case .null: try readNull()
            }
            // A value is complete: close every container that ends right after it.
            while skipping.count > outer {
                let more = skipping[skipping.count - 1] ? try nextMember() : try nextElement()
                if more { continue readValue }
                skipping.removeLast()
            }
            return
        }
    }

    /// Moves back to `index`, where a value the scanner read before starts, at nesting
    /// `depth`: for a decoder that reads part of the text again (to skip it, or to hand it
    /// to ``JSONReader``).
    mutating func reset(to index: Int, depth: Int) {
        self.index = min(max(0, index), count)
        self.depth = depth
    }

    /// Checks that only whitespace follows the document.
    mutating func finish() throws(WireError) {
        skipWhitespace()
        if index < count { throw invalid("unexpected \(describe(base[index])) after the JSON value") }
    }

    @inline(__always)
    mutating func skipWhitespace() {
        // Hot path: compact JSON has no whitespace at all.
        if index < count && base[index] > 0x20 { return }
        while index < count {
            let byte = base[index]
            // Space, tab, newline and carriage return are the only bytes ≤ 0x20 allowed here.
            guard byte <= 0x20, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 else { return }
            index += 1
        }
    }

    // MARK: Strings

    /// Calls `body` with the bytes of `token` (unescaped).
    @inline(__always)
    func withBytes<R>(_ token: JSONStringToken, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        if !token.hasEscapes {
            return body(UnsafeRawBufferPointer(start: base + token.start, count: token.count))
        }
        var unescaped: [UInt8] = []
        appendUnescaped(token, to: &unescaped)
        return unescaped.withUnsafeBytes(body)
    }

    /// The text of `token`, unescaped.
    func string(_ token: JSONStringToken) -> String {
        withBytes(token) { String(decoding: $0, as: UTF8.self) }
    }

    /// The text at `range` of the input, as it is.
    func text(_ range: Range<Int>) -> String {
        guard range.lowerBound >= 0, range.upperBound <= count, !range.isEmpty else { return "" }
        return String(decoding: UnsafeBufferPointer(start: base + range.lowerBound, count: range.count), as: UTF8.self)
    }

    /// Appends the UTF-8 of `token`'s text, escapes decoded, to `output`, which must not
    /// be the buffer the scanner reads.
    ///
    /// Hot path: `output` grows once by the raw length (decoding only shrinks text), runs
    /// between escapes are copied whole through a pointer, and the rest is trimmed.
    func appendUnescaped(_ token: JSONStringToken, to output: inout [UInt8]) {
        var runs: [JSONTextRun] = []
        appendUnescaped(token, to: &output, runs: &runs, recordingRuns: false)
    }

    /// ``appendUnescaped(_:to:)``, also appending to `runs`, for each run of the text
    /// copied as it is (no escape inside), where it is in `output` and in the input.
    func appendUnescaped(_ token: JSONStringToken, to output: inout [UInt8], runs: inout [JSONTextRun]) {
        appendUnescaped(token, to: &output, runs: &runs, recordingRuns: true)
    }

    private func appendUnescaped(_ token: JSONStringToken, to output: inout [UInt8], runs: inout [JSONTextRun], recordingRuns: Bool) {
        let start = max(0, token.start)
        let end = min(count, token.end)
        guard start < end else { return }
        let source = base
        let first = output.count
        if !token.hasEscapes {
            if recordingRuns { runs.append(JSONTextRun(output: first, input: start, count: end - start)) }
            output.append(contentsOf: UnsafeBufferPointer(start: source + start, count: end - start))
            return
        }
        // Room for the raw text (copied as is, then overwritten: the decoded text is no longer).
        output.append(contentsOf: UnsafeBufferPointer(start: source + start, count: end - start))
        let written = output.withUnsafeMutableBufferPointer { buffer in
            buffer.baseAddress.map {
                Self.unescape(source, from: start, to: end, into: $0 + first, runs: &runs, runOffset: recordingRuns ? first : nil)
            } ?? 0
        }
        output.truncate(to: first + written)
    }

    /// Writes the text of `source[start..<end]` with escapes decoded to `target`, which has
    /// room for `end - start` bytes, and returns how many it wrote; with a `runOffset`,
    /// records each run copied as it is in `runs`, its output offset counted from
    /// `runOffset`. The text was checked when it was read, so every escape is well-formed;
    /// the loop still stops at `end` whatever it finds.
    private static func unescape(
        _ source: UnsafePointer<UInt8>, from start: Int, to end: Int, into target: UnsafeMutablePointer<UInt8>,
        runs: inout [JSONTextRun], runOffset: Int?
    ) -> Int {
        var written = 0
        var position = start
        while position < end {
            // A run up to the next backslash, copied whole.
            var runEnd = position
            while runEnd < end && source[runEnd] != UInt8(ascii: "\\") { runEnd += 1 }
            if runEnd > position {
                if let runOffset { runs.append(JSONTextRun(output: runOffset + written, input: position, count: runEnd - position)) }
                copy(from: source + position, to: target + written, count: runEnd - position)
                written += runEnd - position
            }
            position = runEnd
            guard position + 1 < end else { break }
            let simple: UInt8
            switch source[position + 1] {
            case UInt8(ascii: "b"): simple = 0x08
            case UInt8(ascii: "f"): simple = 0x0C
            case UInt8(ascii: "n"): simple = 0x0A
            case UInt8(ascii: "r"): simple = 0x0D
            case UInt8(ascii: "t"): simple = 0x09
            case UInt8(ascii: "u"):
                guard let unit = hex4(source, at: position + 2, end: end) else { return written }
                var scalar = UInt32(unit)
                position += 6
                if (0xD800...0xDBFF).contains(unit), let low = hex4(source, at: position + 2, end: end) {
                    scalar = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) &- 0xDC00)
                    position += 6
                }
                // At most four bytes, from at least six of escape: the room is there.
                if let scalar = Unicode.Scalar(scalar) {
                    for unit in scalar.utf8 {
                        target[written] = unit
                        written += 1
                    }
                }
                continue
            default: simple = source[position + 1] // `"`, `\` and `/` stand for themselves.
            }
            target[written] = simple
            written += 1
            position += 2
        }
        return written
    }

    /// Copies bytes between buffers that do not overlap. Hot path: runs between escapes
    /// are short, so up to 16 bytes are two overlapping words instead of a `memcpy` call.
    @inline(__always)
    private static func copy(from source: UnsafePointer<UInt8>, to target: UnsafeMutablePointer<UInt8>, count: Int) {
        let from = UnsafeRawPointer(source), to = UnsafeMutableRawPointer(target)
        if count >= 8 && count <= 16 {
            to.storeBytes(of: from.loadUnaligned(as: UInt64.self), as: UInt64.self)
            to.storeBytes(of: from.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self), toByteOffset: count - 8, as: UInt64.self)
        } else if count >= 4 && count < 8 {
            to.storeBytes(of: from.loadUnaligned(as: UInt32.self), as: UInt32.self)
            to.storeBytes(of: from.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self), toByteOffset: count - 4, as: UInt32.self)
        } else if count < 4 {
            for offset in 0..<count { target[offset] = source[offset] }
        } else {
            target.update(from: source, count: count)
        }
    }

    // MARK: Errors

    /// `.invalidJSON` at the current offset.
    func invalid(_ message: String) -> WireError {
        WireError(.invalidJSON, field: "", offset: index, message)
    }

    private func describe(_ byte: UInt8) -> String {
        byte >= 0x20 && byte < 0x7F ? "'\(Character(Unicode.Scalar(byte)))'" : "byte \(hexByte(byte))"
    }

    private func hexByte(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return "0x" + String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 0xF)])
    }
}

extension Array {
    /// Appends `source[start...]`. Hot path: one element at a time, because appending a
    /// slice of `source` keeps a second reference to its buffer alive, and the caller's
    /// next change to `source` (its stack shrinking) would then copy the whole buffer.
    @inline(__always)
    mutating func append(elementsOf source: [Element], from start: Int) {
        var index = start
        while index < source.count {
            append(source[index])
            index += 1
        }
    }

    /// Drops the elements after the first `count`. Hot path: decoders' stacks shrink by a
    /// few elements at a time, which `removeLast(_:)` does through a generic range
    /// replacement that costs more than removing them one by one.
    @inline(__always)
    mutating func truncate(to count: Int) {
        if count == 0 {
            removeAll(keepingCapacity: true)
        } else {
            while self.count > count { removeLast() }
        }
    }
}

/// A run of decoded text that is a copy of input bytes: `count` bytes at `output` in the
/// decoded text are those at `input` in the input.
struct JSONTextRun {
    var output: Int
    var input: Int
    var count: Int
}

/// A string in the input: the bytes between its quotes, escapes not yet decoded.
struct JSONStringToken {
    /// The offset of the first byte after the opening quote.
    var start: Int
    /// The offset of the closing quote.
    var end: Int
    var hasEscapes: Bool

    /// The byte count of the raw text, escapes not decoded.
    @inline(__always)
    var count: Int { end - start }
}

extension UnsafeRawBufferPointer {
    /// True when these bytes are `literal`'s UTF-8. Hot path for matching object keys:
    /// compares whole words, the last one overlapping, without a byte loop.
    @inline(__always)
    func equals(_ literal: StaticString) -> Bool {
        let length = literal.utf8CodeUnitCount
        guard count == length else { return false }
        guard length > 0, let bytes = baseAddress else { return length == 0 }
        let expected = UnsafeRawPointer(literal.utf8Start)
        if length >= 8 {
            var offset = 0
            while offset + 8 < length {
                guard bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self) == expected.loadUnaligned(fromByteOffset: offset, as: UInt64.self) else { return false }
                offset += 8
            }
            return bytes.loadUnaligned(fromByteOffset: length - 8, as: UInt64.self) == expected.loadUnaligned(fromByteOffset: length - 8, as: UInt64.self)
        }
        if length >= 4 {
            return bytes.loadUnaligned(fromByteOffset: 0, as: UInt32.self) == expected.loadUnaligned(fromByteOffset: 0, as: UInt32.self)
                && bytes.loadUnaligned(fromByteOffset: length - 4, as: UInt32.self) == expected.loadUnaligned(fromByteOffset: length - 4, as: UInt32.self)
        }
        for offset in 0..<length where bytes.load(fromByteOffset: offset, as: UInt8.self) != expected.load(fromByteOffset: offset, as: UInt8.self) {
            return false
        }
        return true
    }
}
