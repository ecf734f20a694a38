/// Parses RE2 syntax (Go's `regexp/syntax` with Perl flags, what Tempo accepts) into a
/// ``RegexTree``, or throws the first error with its byte offset in the pattern and
/// RE2's wording (`missing closing )`, `invalid escape sequence: \1`, …).
///
/// The parser is iterative: groups live on an explicit stack, at most
/// ``maxNesting`` deep, and the tree it builds names children by index, so no pass
/// over a pattern recurses.
struct RegexParser {
    /// RE2's limit on a counted repetition and on the product of nested ones.
    static let maxRepeat = 1000
    /// The deepest nesting of groups accepted.
    static let maxNesting = 1000

    struct Flags: Sendable {
        /// `(?i)`
        var foldCase = false
        /// `(?s)`: `.` matches `\n`.
        var dotMatchesNewline = false
        /// `(?m)`: `^` and `$` match at line breaks.
        var multiLine = false
    }

    /// One open group (or the whole pattern, at the bottom of the stack).
    struct Group {
        /// Finished alternatives before the current one (tree indices).
        var alternatives: [Int] = []
        /// Items of the current alternative (tree indices).
        var items: [Int] = []
        /// Flags to restore when the group closes.
        var flagsBefore: Flags
        /// Scalar index of the `(`; nil for the whole pattern.
        var open: Int?
    }

    let scalars: [Unicode.Scalar]
    /// `byteOffsets[i]` is the UTF-8 offset of `scalars[i]`; one extra entry for the end.
    let byteOffsets: [Int]
    var position = 0
    var flags = Flags()
    var groups: [Group]
    var tree = RegexTree()
    /// Where the previous token began, when it was a repetition operator (RE2 refuses
    /// `a**` and `a{2}*`).
    var previousRepetition: Int?

    static func parse(_ pattern: String) throws(QueryRegexError) -> RegexTree {
        var parser = RegexParser(pattern)
        return try parser.parseAll()
    }

    private init(_ pattern: String) {
        scalars = Array(pattern.unicodeScalars)
        var offsets: [Int] = []
        offsets.reserveCapacity(scalars.count + 1)
        var offset = 0
        for scalar in scalars {
            offsets.append(offset)
            offset += UTF8.width(scalar)
        }
        offsets.append(offset)
        byteOffsets = offsets
        groups = [Group(flagsBefore: Flags(), open: nil)]
    }

    private mutating func parseAll() throws(QueryRegexError) -> RegexTree {
        while position < scalars.count {
            var repetition: Int?
            let start = position
            switch scalars[position] {
            case "(":
                if position + 1 < scalars.count, scalars[position + 1] == "?" {
                    try parseGroupOptions()
                } else {
                    try openGroup(at: position)
                    position += 1
                }
            case "|":
                let branch = concatenation(groups[groups.count - 1].items)
                groups[groups.count - 1].alternatives.append(branch)
                groups[groups.count - 1].items = []
                position += 1
            case ")":
                try closeGroup()
                position += 1
            case "^":
                append(.assertion(flags.multiLine ? .beginLine : .beginText))
                position += 1
            case "$":
                append(.assertion(flags.multiLine ? .endLine : .endText))
                position += 1
            case ".":
                append(.atom(.set(flags.dotMatchesNewline ? .all : .allButNewline)))
                position += 1
            case "[":
                try parseClass()
            case "*", "+", "?":
                let bounds: (Int, Int?) = switch scalars[position] {
                case "*": (0, nil)
                case "+": (1, nil)
                default: (0, 1)
                }
                position += 1
                try applyRepetition(min: bounds.0, max: bounds.1, operatorAt: start, counted: false)
                repetition = start
            case "{":
                if let counts = repetitionCounts(at: position) {
                    position = counts.end
                    let tooBig = counts.min < 0 || counts.min > Self.maxRepeat || (counts.max ?? 0) > Self.maxRepeat
                    if tooBig || (counts.max.map { counts.min > $0 } ?? false) {
                        throw error(at: start, "invalid repeat count: \(text(start..<counts.end))")
                    }
                    try applyRepetition(min: counts.min, max: counts.max, operatorAt: start, counted: true)
                    repetition = start
                } else {
                    appendLiteral(scalars[position].value)  // not a repetition: `{` is literal
                    position += 1
                }
            case "\\":
                try parseEscapeOutsideClass()
            default:
                appendLiteral(scalars[position].value)
                position += 1
            }
            previousRepetition = repetition
        }
        if groups.count > 1, let open = groups[groups.count - 1].open {
            throw error(at: open, "missing closing )")
        }
        tree.root = finish(groups[0])
        return tree
    }

    // MARK: Groups

    mutating func openGroup(at index: Int) throws(QueryRegexError) {
        // The stack holds the whole pattern plus one entry per open group.
        guard groups.count <= Self.maxNesting else {
            throw error(at: index, "expression nests too deeply: more than \(Self.maxNesting) nested groups")
        }
        groups.append(Group(flagsBefore: flags, open: index))
    }

    private mutating func closeGroup() throws(QueryRegexError) {
        guard groups.count > 1, let group = groups.popLast() else {
            throw error(at: position, "unexpected )")
        }
        flags = group.flagsBefore
        groups[groups.count - 1].items.append(finish(group))
    }

    /// `(?flags)`, `(?flags:…)`, `(?:…)`, `(?P<name>…)`, `(?<name>…)`. Lookarounds
    /// and other Perl groups are refused, as in RE2.
    private mutating func parseGroupOptions() throws(QueryRegexError) {
        let start = position
        let remaining = scalars.count - start
        let pythonName = remaining > 4 && scalars[start + 2] == "P" && scalars[start + 3] == "<"
        let perlName = remaining > 3 && scalars[start + 2] == "<"
        if perlName, remaining > 3, scalars[start + 3] == "=" || scalars[start + 3] == "!" {
            throw error(at: start, "invalid or unsupported Perl syntax: \(text(start..<(start + 4)))")
        }
        if pythonName || perlName {
            let nameStart = start + (pythonName ? 4 : 3)
            guard let close = scalars[nameStart...].firstIndex(of: ">") else {
                throw error(at: start, "invalid named capture: \(text(start..<scalars.count))")
            }
            let name = scalars[nameStart..<close]
            guard !name.isEmpty, name.allSatisfy({ $0 == "_" || Self.isAlphanumeric($0) }) else {
                throw error(at: start, "invalid named capture: \(text(start..<(close + 1)))")
            }
            try openGroup(at: start)
            position = close + 1
            return
        }

        var next = start + 2
        var updated = flags
        var negated = false
        var sawFlag = false
        scan: while next < scalars.count {
            let character = scalars[next]
            next += 1
            switch character {
            case "i": updated.foldCase = !negated; sawFlag = true
            case "m": updated.multiLine = !negated; sawFlag = true
            case "s": updated.dotMatchesNewline = !negated; sawFlag = true
            case "U": sawFlag = true  // ungreedy: no effect on whether the text matches
            case "-":
                if negated { break scan }
                negated = true
                sawFlag = false
            case ":", ")":
                if negated && !sawFlag { break scan }
                if character == ":" { try openGroup(at: start) }
                flags = updated
                position = next
                return
            default:
                break scan
            }
        }
        throw error(at: start, "invalid or unsupported Perl syntax: \(text(start..<next))")
    }

    // MARK: Repetition

    /// `{n}`, `{n,}` or `{n,m}` at `index`: the counts (-1 for a number too large to
    /// read) and the index after `}`; nil when the text has another shape, in which
    /// case RE2 reads the `{` as a literal.
    private func repetitionCounts(at index: Int) -> (min: Int, max: Int?, end: Int)? {
        var cursor = index + 1
        guard let min = readCount(&cursor), cursor < scalars.count else { return nil }
        var max: Int? = min
        if scalars[cursor] == "," {
            cursor += 1
            guard cursor < scalars.count else { return nil }
            if scalars[cursor] == "}" {
                max = nil
            } else {
                guard let upper = readCount(&cursor) else { return nil }
                max = upper
            }
        }
        guard cursor < scalars.count, scalars[cursor] == "}" else { return nil }
        if let max, max < 0 { return (-1, max, cursor + 1) }
        return (min, max, cursor + 1)
    }

    /// A decimal count without leading zeros; -1 when it is too large to matter.
    private func readCount(_ cursor: inout Int) -> Int? {
        let start = cursor
        while cursor < scalars.count, ("0"..."9").contains(scalars[cursor]) { cursor += 1 }
        guard cursor > start else { return nil }
        if cursor - start > 1, scalars[start] == "0" { return nil }
        var value = 0
        for index in start..<cursor {
            if value >= 100_000_000 { return -1 }
            value = value * 10 + Int(scalars[index].value - 0x30)
        }
        return value
    }

    /// Wraps the last item in a repetition; `operatorAt` is where the operator began
    /// and ``position`` is just past it. A `?` after it (lazy) is read and ignored.
    private mutating func applyRepetition(min: Int, max: Int?, operatorAt start: Int, counted: Bool) throws(QueryRegexError) {
        if position < scalars.count, scalars[position] == "?" { position += 1 }
        if let previous = previousRepetition {
            throw error(at: previous, "invalid nested repetition operator: \(text(previous..<position))")
        }
        guard let item = groups[groups.count - 1].items.popLast() else {
            throw error(at: start, "missing argument to repetition operator: \(text(start..<position))")
        }
        let node = tree.add(.repetition(item, min: min, max: max))
        if counted, min >= 2 || (max ?? 0) >= 2, !tree.repetitionsFit(node, within: Self.maxRepeat) {
            throw error(at: start, "invalid repeat count: \(text(start..<position))")
        }
        // `x{0}` matches only the empty string; dropping it keeps `(?:a{0}b{0}…){1000}`
        // from costing compile time without producing a single instruction.
        groups[groups.count - 1].items.append(max == 0 ? tree.add(.empty) : node)
    }

    // MARK: Building nodes

    mutating func append(_ node: RegexTree.Node) {
        groups[groups.count - 1].items.append(tree.add(node))
    }

    /// A literal scalar; under `(?i)` the set of its case variants.
    mutating func appendLiteral(_ value: UInt32) {
        if flags.foldCase {
            let orbit = CaseFolding.table.orbit(of: value)
            if orbit.count > 1 {
                append(.atom(.set(ScalarSet(orbit.map { $0...$0 }))))
                return
            }
        }
        append(.atom(.scalar(value)))
    }

    mutating func appendSet(_ set: ScalarSet) {
        if let single = set.single {
            append(.atom(.scalar(single)))
        } else {
            append(.atom(.set(set)))
        }
    }

    private mutating func finish(_ group: Group) -> Int {
        let branches = group.alternatives + [concatenation(group.items)]
        return branches.count == 1 ? branches[0] : alternation(branches)
    }

    /// Items in sequence; nested sequences (from groups) are spliced in and empty items
    /// dropped, so literal strings show up as one flat list of atoms.
    mutating func concatenation(_ items: [Int]) -> Int {
        var flat: [Int] = []
        flat.reserveCapacity(items.count)
        for item in items {
            switch tree[item] {
            case .concat(let inner): flat += inner
            case .empty: continue
            default: flat.append(item)
            }
        }
        switch flat.count {
        case 0: return tree.add(.empty)
        case 1: return flat[0]
        default: return tree.add(.concat(flat))
        }
    }

    /// Branches in alternation; nested alternations are spliced in and branches that
    /// are plain strings are merged into one ``RegexLiteralTrie`` when there are two
    /// or more (order does not matter for a yes/no match).
    private mutating func alternation(_ branches: [Int]) -> Int {
        var flat: [Int] = []
        for branch in branches {
            if case .alternate(let inner) = tree[branch] { flat += inner } else { flat.append(branch) }
        }
        var trie = RegexLiteralTrie()
        var others: [Int] = []
        var stringCount = 0
        for branch in flat {
            if let string = tree.atomString(branch) {
                trie.insert(string)
                stringCount += 1
            } else {
                others.append(branch)
            }
        }
        guard stringCount >= 2 else { return tree.add(.alternate(flat)) }
        let literals = tree.add(.literals(trie))
        return others.isEmpty ? literals : tree.add(.alternate([literals] + others))
    }

    // MARK: Errors and text

    func error(at index: Int, _ message: String) -> QueryRegexError {
        QueryRegexError(offset: byteOffsets[min(index, byteOffsets.count - 1)], message: message)
    }

    /// The pattern's text over a range of scalar indices, clipped to the pattern.
    func text(_ range: Range<Int>) -> String {
        var result = ""
        result.unicodeScalars.append(contentsOf: scalars[min(range.lowerBound, scalars.count)..<min(range.upperBound, scalars.count)])
        return result
    }

    static func isAlphanumeric(_ scalar: Unicode.Scalar) -> Bool {
        ("0"..."9").contains(scalar) || ("A"..."Z").contains(scalar) || ("a"..."z").contains(scalar)
    }
}
