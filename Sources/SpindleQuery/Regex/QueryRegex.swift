import Synchronization

/// A regular expression for TraceQL's `=~` and `!~`, in RE2 syntax (what Tempo accepts),
/// matched against the whole text in time linear in its length: a hostile pattern or
/// input cannot run away.
///
/// - **Syntax** is Go's `regexp/syntax` with Perl extensions, as Tempo uses it: classes
///   (`[a-z]`, `[^…]`, `[[:alpha:]]`, `\d \w \s`, `\pL \p{Lu}`), escapes (`\x41`,
///   `\x{263a}`, `\Q…\E`), groups (`(…)`, `(?:…)`, `(?P<name>…)`, `(?<name>…)`),
///   quantifiers (`* + ?`, `{n}`, `{n,}`, `{n,m}`, lazy forms), anchors and flags
///   `(?i)`, `(?s)`, `(?m)`, `(?U)`. Backreferences and lookarounds are refused, as in
///   RE2. `\p` knows the general categories, not scripts (`\p{Greek}` is refused).
/// - **Matching** is on Unicode scalars, and always of the whole text: `a|b` matches
///   exactly "a" or "b". Case folding is simple (one scalar to one scalar).
/// - **Cost.** A pattern compiles to at most ``RegexProgram/maxInstructions``
///   instructions and repetition counts stay within 1000 (their product too, as in
///   RE2). Matching never backtracks: a lazily built DFA, shared by every caller and
///   bounded in memory, answers in one table lookup per scalar once warm; when
///   another caller holds it, an NFA simulation answers instead, at most program
///   size × input length. A pattern that is one plain literal (`checkout`,
///   `^GET /api$`) is compared byte for byte instead, with no size limit.
/// - **Thread safety.** A value is immutable and safe to share; concurrent `matches`
///   calls never block each other.
public struct QueryRegex: Sendable, Hashable, CustomStringConvertible {
    /// The pattern as written.
    public let pattern: String
    private let matcher: Matcher

    /// Compiles `pattern`; throws when it is malformed or too large, with the byte
    /// offset of the problem in the pattern.
    public init(_ pattern: String) throws(QueryRegexError) {
        self.pattern = pattern
        let tree = try RegexParser.parse(pattern)
        let parts = Self.literalParts(of: tree)
        if let literal = parts.whole {
            matcher = .literal(literal)
        } else {
            let program = try RegexProgram(compiling: tree)
            matcher = .automaton(RegexAutomaton(program: program, prefix: parts.prefix))
        }
    }

    /// Whether the whole of `text` matches (the pattern is fully anchored, as in Tempo).
    public func matches(_ text: String) -> Bool {
        switch matcher {
        case .literal(let bytes):
            return text.utf8.count == bytes.count && text.utf8.elementsEqual(bytes)
        case .automaton(let automaton):
            return automaton.matches(text)
        }
    }

    public var description: String { pattern }

    public static func == (lhs: QueryRegex, rhs: QueryRegex) -> Bool { lhs.pattern == rhs.pattern }
    public func hash(into hasher: inout Hasher) { hasher.combine(pattern) }

    /// The answer of the NFA simulation alone, without the literal fast path or the
    /// DFA: tests compare both engines on every case.
    func simulates(_ text: String) -> Bool {
        switch matcher {
        case .literal: matches(text)
        case .automaton(let automaton): automaton.program.simulate(text)
        }
    }

    /// The answer of a private DFA bounded to `memoryBudget` cells, how often it
    /// dropped its cache and how often it gave up on it: tests force the cache to thrash.
    func matchesWithFreshDFA(_ text: String, memoryBudget: Int) -> (matches: Bool, resets: Int, bailouts: Int)? {
        guard case .automaton(let automaton) = matcher else { return nil }
        var dfa = RegexDFA(program: automaton.program, memoryBudget: memoryBudget)
        let matches = dfa.matches(text)
        return (matches, dfa.resets, dfa.bailouts)
    }

    private enum Matcher: Sendable {
        /// The UTF-8 of the only text that matches.
        case literal([UInt8])
        case automaton(RegexAutomaton)
    }

    /// The literal the whole pattern reduces to, if any (`abc`, `^abc$`), and the
    /// literal every match starts with (`abc` for `abc\d+`), both as UTF-8.
    private static func literalParts(of tree: RegexTree) -> (whole: [UInt8]?, prefix: [UInt8]) {
        let items: [RegexTree.Node] = switch tree[tree.root] {
        case .empty: []
        case .concat(let items): items.map { tree[$0] }
        case let node: [node]
        }
        // Assertions are zero-width: the scalars after them still begin every match.
        var prefix: [UInt8] = []
        for item in items {
            if case .atom(.scalar(let value)) = item, let scalar = Unicode.Scalar(value) {
                UTF8.encode(scalar) { prefix.append($0) }
            } else if case .assertion = item {
                continue
            } else {
                break
            }
        }
        // Anchors at the very start and end always hold in a whole-text match.
        var index = 0
        while index < items.count, case .assertion(let assertion) = items[index],
            assertion == .beginText || assertion == .beginLine
        {
            index += 1
        }
        var whole: [UInt8] = []
        while index < items.count, case .atom(.scalar(let value)) = items[index], let scalar = Unicode.Scalar(value) {
            UTF8.encode(scalar) { whole.append($0) }
            index += 1
        }
        while index < items.count, case .assertion(let assertion) = items[index],
            assertion == .endText || assertion == .endLine
        {
            index += 1
        }
        return (index == items.count ? whole : nil, prefix)
    }
}

/// A compiled program with its shared DFA cache.
final class RegexAutomaton: Sendable {
    let program: RegexProgram
    /// UTF-8 every matching text starts with, checked before running the automaton.
    let prefix: [UInt8]
    private let dfa: Mutex<RegexDFA>

    init(program: RegexProgram, prefix: [UInt8]) {
        self.program = program
        self.prefix = prefix
        dfa = Mutex(RegexDFA(program: program))
    }

    func matches(_ text: String) -> Bool {
        if !prefix.isEmpty, !text.utf8.starts(with: prefix) { return false }
        // One caller at a time uses (and warms) the shared DFA; a caller that finds it
        // busy simulates the NFA instead of waiting.
        if let answer = dfa.withLockIfAvailable({ $0.matches(text) }) { return answer }
        return program.simulate(text)
    }
}
