/// What the assertions between two scalars can see: the scalar before (or the start of
/// the text) and the scalar after (or the end).
struct RegexContext: OptionSet, Hashable, Sendable {
    let rawValue: UInt8

    static let atStart = RegexContext(rawValue: 1 << 0)
    static let previousIsNewline = RegexContext(rawValue: 1 << 1)
    static let previousIsWord = RegexContext(rawValue: 1 << 2)
    static let atEnd = RegexContext(rawValue: 1 << 3)
    static let nextIsNewline = RegexContext(rawValue: 1 << 4)
    static let nextIsWord = RegexContext(rawValue: 1 << 5)

    /// The bits `value` gives as the scalar before a position.
    static func before(_ value: UInt32) -> RegexContext {
        var context: RegexContext = []
        if value == 0x0A { context.insert(.previousIsNewline) }
        if isWord(value) { context.insert(.previousIsWord) }
        return context
    }

    /// The bits `value` gives as the scalar after a position.
    static func after(_ value: UInt32) -> RegexContext {
        var context: RegexContext = []
        if value == 0x0A { context.insert(.nextIsNewline) }
        if isWord(value) { context.insert(.nextIsWord) }
        return context
    }

    /// ASCII letters, digits and `_`: RE2's word characters for `\b`.
    static func isWord(_ value: UInt32) -> Bool {
        (0x30...0x39).contains(value) || (0x41...0x5A).contains(value) || (0x61...0x7A).contains(value) || value == 0x5F
    }

    func satisfies(_ assertion: RegexAssertion) -> Bool {
        switch assertion {
        case .beginText: contains(.atStart)
        case .endText: contains(.atEnd)
        case .beginLine: contains(.atStart) || contains(.previousIsNewline)
        case .endLine: contains(.atEnd) || contains(.nextIsNewline)
        case .wordBoundary: contains(.previousIsWord) != contains(.nextIsWord)
        case .notWordBoundary: contains(.previousIsWord) == contains(.nextIsWord)
        }
    }
}

/// A set of instruction indices with constant-time insert, lookup and clear, iterated
/// in insertion order (a sparse set). Allocated once, sized to the program.
struct RegexThreadSet: Sendable {
    private var sparse: [Int32]
    private var dense: [Int32]
    private(set) var count = 0

    init(capacity: Int) {
        sparse = Array(repeating: 0, count: capacity)
        dense = Array(repeating: 0, count: capacity)
    }

    subscript(index: Int) -> Int32 { dense[index] }

    var isEmpty: Bool { count == 0 }

    func contains(_ pc: Int32) -> Bool {
        let slot = Int(sparse[Int(pc)])
        return slot < count && dense[slot] == pc
    }

    /// Inserts `pc`; false when it was there already.
    @discardableResult
    mutating func insert(_ pc: Int32) -> Bool {
        if contains(pc) { return false }
        sparse[Int(pc)] = Int32(count)
        dense[count] = pc
        count += 1
        return true
    }

    mutating func removeAll() { count = 0 }

    /// The members, sorted: a canonical form for naming a DFA state.
    func sorted() -> [Int32] { dense[0..<count].sorted() }
}

/// Working memory to simulate a program, allocated once per match (or once per DFA)
/// and reused for every scalar: the hot loops below never allocate.
struct RegexScratch: Sendable {
    /// Instructions reached at the current position.
    var reached: RegexThreadSet
    /// Instructions to start from at the next position.
    var next: RegexThreadSet
    private var stack: [Int32]

    init(capacity: Int) {
        reached = RegexThreadSet(capacity: capacity)
        next = RegexThreadSet(capacity: capacity)
        stack = []
        stack.reserveCapacity(capacity)
    }

    /// Adds `pc` and every instruction reachable from it without consuming a scalar
    /// (through `split`, `jump` and assertions that hold in `context`) to ``reached``;
    /// returns whether `match` is among them. Each instruction is visited once per
    /// position however many paths lead to it, which is what makes `(a*)*` and
    /// `(a|a)*` cheap.
    mutating func follow(_ pc: Int32, in program: RegexProgram, context: RegexContext) -> Bool {
        var matched = false
        if reached.insert(pc) { stack.append(pc) }
        while let current = stack.popLast() {
            let instruction = program.instructions[Int(current)]
            switch instruction.opcode {
            case .split:
                if reached.insert(Int32(instruction.x)) { stack.append(Int32(instruction.x)) }
                if reached.insert(Int32(instruction.y)) { stack.append(Int32(instruction.y)) }
            case .jump:
                if reached.insert(Int32(instruction.x)) { stack.append(Int32(instruction.x)) }
            case .assertion:
                if let assertion = RegexAssertion(rawValue: UInt8(truncatingIfNeeded: instruction.x)),
                    context.satisfies(assertion), reached.insert(current + 1)
                {
                    stack.append(current + 1)
                }
            case .match:
                matched = true
            case .scalar, .range, .set, .fail:
                break
            }
        }
        return matched
    }

    /// Fills ``next`` with the instructions after each reached one that accepts `value`.
    mutating func advance(over value: UInt32, in program: RegexProgram) {
        next.removeAll()
        for index in 0..<reached.count {
            let pc = reached[index]
            if program.instructions[Int(pc)].consumes, program.accepts(Int(pc), value) {
                next.insert(pc + 1)
            }
        }
    }
}

extension RegexProgram {
    /// Whether the whole of `text` matches, by simulating the NFA (Thompson's
    /// construction): every live instruction advances together one scalar at a time,
    /// so the cost is at most the program size per scalar, whatever the pattern. Used
    /// when another caller holds the shared DFA, and by the DFA when caching does not
    /// pay.
    func simulate(_ text: String) -> Bool {
        var scalars = text.unicodeScalars.makeIterator()
        return simulate(&scalars, from: [0], previous: .atStart)
    }

    /// Continues a match with the rest of `scalars`, threads at `heads` (before their
    /// empty transitions) and `previous` describing the scalar before.
    func simulate(
        _ scalars: inout String.UnicodeScalarView.Iterator,
        from starts: [Int32],
        previous before: RegexContext
    ) -> Bool {
        var scratch = RegexScratch(capacity: count)
        var heads = RegexThreadSet(capacity: count)
        for pc in starts { heads.insert(pc) }
        var previous = before
        while let scalar = scalars.next() {
            let value = scalar.value
            let context = previous.union(.after(value))
            scratch.reached.removeAll()
            for index in 0..<heads.count {
                _ = scratch.follow(heads[index], in: self, context: context)
            }
            scratch.advance(over: value, in: self)
            if scratch.next.isEmpty { return false }
            swap(&heads, &scratch.next)
            previous = .before(value)
        }
        scratch.reached.removeAll()
        let context = previous.union(.atEnd)
        var matched = false
        for index in 0..<heads.count where scratch.follow(heads[index], in: self, context: context) {
            matched = true
        }
        return matched
    }
}
