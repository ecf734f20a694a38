/// Escapes and bracketed classes, as RE2 reads them.
extension RegexParser {
    // MARK: Escapes

    /// A `\` outside brackets: an assertion (`\A \z \b \B`), quoted text (`\Q…\E`), a
    /// class (`\d`, `\pL`) or one escaped scalar.
    mutating func parseEscapeOutsideClass() throws(QueryRegexError) {
        let start = position
        if start + 1 < scalars.count {
            let assertion: RegexAssertion? = switch scalars[start + 1] {
            case "A": .beginText
            case "z": .endText
            case "b": .wordBoundary
            case "B": .notWordBoundary
            default: nil
            }
            if let assertion {
                append(.assertion(assertion))
                position += 2
                return
            }
            switch scalars[start + 1] {
            case "C":
                throw error(at: start, "invalid escape sequence: \\C")
            case "Q":
                // Everything up to `\E` (or the end) is literal.
                var cursor = start + 2
                while cursor < scalars.count {
                    if scalars[cursor] == "\\", cursor + 1 < scalars.count, scalars[cursor + 1] == "E" {
                        position = cursor + 2
                        return
                    }
                    appendLiteral(scalars[cursor].value)
                    cursor += 1
                }
                position = cursor
                return
            case "p", "P":
                var cursor = start
                let set = try unicodeClass(&cursor)
                position = cursor
                appendSet(set)
                return
            default:
                if let named = RegexClasses.perl(scalars[start + 1]) {
                    appendSet(resolved(named))
                    position += 2
                    return
                }
            }
        }
        var cursor = start
        let value = try escapedScalar(&cursor)
        position = cursor
        appendLiteral(value)
    }

    /// The scalar an escape at `cursor` (a `\`) stands for; moves `cursor` past it.
    /// Octal `\0`…`\377` (a lone `\1`…`\9` is a backreference, refused), hex `\x41`
    /// and `\x{263a}`, C escapes `\a \f \n \r \t \v`, and any escaped ASCII punctuation.
    func escapedScalar(_ cursor: inout Int) throws(QueryRegexError) -> UInt32 {
        let start = cursor
        guard start + 1 < scalars.count else {
            throw error(at: start, "trailing backslash at end of expression")
        }
        let character = scalars[start + 1]
        cursor = start + 2
        func invalid(_ end: Int) -> QueryRegexError {
            error(at: start, "invalid escape sequence: \(text(start..<end))")
        }
        if character.value < 0x80, !Self.isAlphanumeric(character) {
            return character.value
        }
        switch character {
        case "1"..."7", "0":
            let followedByOctal = cursor < scalars.count && ("0"..."7").contains(scalars[cursor])
            if character != "0", !followedByOctal { throw invalid(cursor) }
            var value = character.value - 0x30
            for _ in 1..<3 {
                guard cursor < scalars.count, ("0"..."7").contains(scalars[cursor]) else { break }
                value = value * 8 + scalars[cursor].value - 0x30
                cursor += 1
            }
            return value
        case "x":
            guard cursor < scalars.count else { throw invalid(cursor) }
            let first = scalars[cursor]
            cursor += 1
            if first == "{" {
                var value: UInt32 = 0
                var digits = 0
                while true {
                    guard cursor < scalars.count else { throw invalid(cursor) }
                    let digit = scalars[cursor]
                    cursor += 1
                    if digit == "}" { break }
                    guard let nibble = Self.hexValue(digit) else { throw invalid(cursor) }
                    value = value * 16 + nibble
                    guard value <= ScalarSet.maxCodePoint else { throw invalid(cursor) }
                    digits += 1
                }
                guard digits > 0 else { throw invalid(cursor) }
                return value
            }
            guard let high = Self.hexValue(first), cursor < scalars.count else { throw invalid(min(cursor + 1, scalars.count)) }
            let second = scalars[cursor]
            cursor += 1
            guard let low = Self.hexValue(second) else { throw invalid(cursor) }
            return high * 16 + low
        case "a": return 0x07
        case "f": return 0x0C
        case "n": return 0x0A
        case "r": return 0x0D
        case "t": return 0x09
        case "v": return 0x0B
        default:
            throw invalid(cursor)
        }
    }

    /// `\pL`, `\p{Lu}`, `\PL`, `\p{^L}` at `cursor` (a `\`); moves `cursor` past it.
    func unicodeClass(_ cursor: inout Int) throws(QueryRegexError) -> ScalarSet {
        let start = cursor
        var negated = scalars[start + 1] == "P"
        var end = start + 2
        var name: String
        if end < scalars.count, scalars[end] == "{" {
            guard let close = scalars[end...].firstIndex(of: "}") else {
                throw error(at: start, "invalid or unsupported Unicode class: \(text(start..<scalars.count))")
            }
            name = text((end + 1)..<close)
            end = close + 1
        } else {
            name = text(end..<(end + 1))
            end = min(end + 1, scalars.count)
        }
        if name.hasPrefix("^") {
            negated.toggle()
            name.removeFirst()
        }
        guard let set = RegexClasses.unicode(name) else {
            throw error(at: start, "invalid or unsupported Unicode class: \(text(start..<end))")
        }
        cursor = end
        return resolved(RegexClasses.Named(set: set, negated: negated))
    }

    /// A named class under the current flags: case-folded first under `(?i)`, then
    /// negated, as RE2 does (`(?i)\W` leaves out the Kelvin sign, a case of `k`).
    func resolved(_ named: RegexClasses.Named) -> ScalarSet {
        let set = flags.foldCase ? named.set.caseFolded() : named.set
        return named.negated ? set.inverted() : set
    }

    // MARK: Bracketed classes

    /// `[…]` or `[^…]` at ``position``. `]` and `-` are literal first; `-` is literal
    /// last too. A negated class matches `\n` unless it lists it, as in RE2.
    mutating func parseClass() throws(QueryRegexError) {
        let start = position
        var cursor = start + 1
        var negated = false
        if cursor < scalars.count, scalars[cursor] == "^" {
            negated = true
            cursor += 1
        }
        var ranges: [ClosedRange<UInt32>] = []
        func add(_ set: ScalarSet) { ranges += set.ranges }
        var first = true
        while cursor >= scalars.count || scalars[cursor] != "]" || first {
            first = false
            guard cursor < scalars.count else {
                throw error(at: start, "missing closing ]: \(text(start..<scalars.count))")
            }
            if scalars[cursor] == "[", cursor + 2 < scalars.count, scalars[cursor + 1] == ":",
                let close = posixClassEnd(from: cursor + 2)
            {
                let name = text((cursor + 2)..<close)
                guard let named = RegexClasses.posix(name) else {
                    throw error(at: cursor, "invalid character class range: \(text(cursor..<(close + 2)))")
                }
                add(resolved(named))
                cursor = close + 2
                continue
            }
            if scalars[cursor] == "\\", cursor + 1 < scalars.count {
                let letter = scalars[cursor + 1]
                if letter == "p" || letter == "P" {
                    add(try unicodeClass(&cursor))
                    continue
                }
                if let named = RegexClasses.perl(letter) {
                    add(resolved(named))
                    cursor += 2
                    continue
                }
            }
            let rangeStart = cursor
            let low = try classScalar(&cursor, classStart: start)
            var high = low
            if cursor + 1 < scalars.count, scalars[cursor] == "-", scalars[cursor + 1] != "]" {
                cursor += 1
                high = try classScalar(&cursor, classStart: start)
                if high < low {
                    throw error(at: rangeStart, "invalid character class range: \(text(rangeStart..<cursor))")
                }
            }
            let range = ScalarSet([low...high])
            add(flags.foldCase ? range.caseFolded() : range)
        }
        position = cursor + 1
        let set = ScalarSet(ranges)
        appendSet(negated ? set.inverted() : set)
    }

    /// The index of the `:` of the `:]` closing a POSIX class name that starts at
    /// `from`, if there is one.
    private func posixClassEnd(from: Int) -> Int? {
        var index = from
        while index + 1 < scalars.count {
            if scalars[index] == ":", scalars[index + 1] == "]" { return index }
            index += 1
        }
        return nil
    }

    /// One scalar of a class, escaped or not; moves `cursor` past it.
    private func classScalar(_ cursor: inout Int, classStart: Int) throws(QueryRegexError) -> UInt32 {
        guard cursor < scalars.count else {
            throw error(at: classStart, "missing closing ]: \(text(classStart..<scalars.count))")
        }
        if scalars[cursor] == "\\" { return try escapedScalar(&cursor) }
        defer { cursor += 1 }
        return scalars[cursor].value
    }

    static func hexValue(_ scalar: Unicode.Scalar) -> UInt32? {
        switch scalar {
        case "0"..."9": scalar.value - 0x30
        case "a"..."f": scalar.value - 0x61 + 10
        case "A"..."F": scalar.value - 0x41 + 10
        default: nil
        }
    }
}
