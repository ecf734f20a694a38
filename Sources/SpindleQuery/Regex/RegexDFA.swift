/// The program's view of the alphabet: scalars split into intervals ("classes") that
/// every instruction and assertion treats alike, so a DFA row needs one cell per class
/// rather than per scalar.
struct RegexScalarClasses: Sendable {
    /// `starts[k]` is the first scalar of class `k`; `starts[0]` is 0.
    let starts: [UInt32]
    /// The class of each ASCII scalar, looked up directly.
    private let ascii: [Int32]
    /// What a scalar of each class tells assertions, before and after a position.
    let before: [RegexContext]
    let after: [RegexContext]

    init(_ program: RegexProgram) {
        starts = program.classBoundaries()
        before = starts.map { RegexContext.before($0) }
        after = starts.map { RegexContext.after($0) }
        var ascii: [Int32] = []
        var index = 0
        for value in UInt32(0)..<128 {
            while index + 1 < starts.count, starts[index + 1] <= value { index += 1 }
            ascii.append(Int32(index))
        }
        self.ascii = ascii
    }

    var count: Int { starts.count }

    @inline(__always)
    func index(of value: UInt32) -> Int {
        if value < 128 { return Int(ascii[Int(value)]) }
        // The last class starting at or before `value`.
        var low = 0
        var high = starts.count
        while low < high {
            let middle = (low + high) / 2
            if starts[middle] <= value { low = middle + 1 } else { high = middle }
        }
        return low - 1
    }
}

/// A DFA built lazily from a program, as RE2 does: a state is the set of NFA
/// instructions a thread could be at (before following empty transitions, which
/// depend on the next scalar) plus what the previous scalar was; a transition is
/// computed by one simulation step the first time some input takes it, then cached.
///
/// Once warm, matching is a table lookup per scalar with no allocation. Building a
/// state costs one simulation step, so even a cold or thrashing cache keeps the
/// simulation's bound of program size × input length. The cache is bounded by
/// ``memoryBudget``; past it every state is dropped and building starts again from
/// the current one. When that happens within ten scalars per state dropped, caching
/// does not pay for this input (each state costs a row as wide as the alphabet's
/// classes), so the rest of it is simulated instead, as RE2 does.
struct RegexDFA: Sendable {
    /// Cells (4 bytes each) the cache holds at most by default, transition rows plus
    /// state keys: 8 MB.
    static let defaultMemoryBudget = 1 << 21

    private struct Key: Hashable, Sendable {
        /// Sorted instruction indices.
        var heads: [Int32]
        var context: RegexContext
    }

    private struct State: Sendable {
        var key: Key
        /// Whether the text may end here: -1 not computed yet, 0 no, 1 yes.
        var acceptsAtEnd: Int8 = -1
    }

    private static let unknown: Int32 = -1
    private static let dead: Int32 = -2

    let program: RegexProgram
    let classes: RegexScalarClasses
    /// The previous-scalar bits some assertion reads; the rest are dropped from keys
    /// so they do not split states.
    private let contextMask: RegexContext
    private var scratch: RegexScratch
    private var states: [State] = []
    private var lookup: [Key: Int32] = [:]
    /// `transitions[state * classes.count + class]`: a state index, ``unknown`` or
    /// ``dead`` (no thread survives: the text cannot match).
    private var transitions: [Int32] = []
    private var memoryUsed = 0
    let memoryBudget: Int
    private var start: Int32?
    /// How often the cache was dropped, how many states the last drop discarded, and
    /// how often a match went on by simulation; tests read them.
    private(set) var resets = 0
    private(set) var statesDropped = 0
    private(set) var bailouts = 0

    init(program: RegexProgram, memoryBudget: Int = defaultMemoryBudget) {
        self.program = program
        self.memoryBudget = memoryBudget
        classes = RegexScalarClasses(program)
        var mask: RegexContext = []
        if program.usesTextAnchors || program.usesLineAnchors { mask.insert(.atStart) }
        if program.usesLineAnchors { mask.insert(.previousIsNewline) }
        if program.usesWordBoundaries { mask.insert(.previousIsWord) }
        contextMask = mask
        scratch = RegexScratch(capacity: program.count)
    }

    /// Whether the whole of `text` matches.
    mutating func matches(_ text: String) -> Bool {
        var state = startState()
        let width = classes.count
        var scalars = text.unicodeScalars.makeIterator()
        var scalarsSinceReset = 0
        while let scalar = scalars.next() {
            let symbol = classes.index(of: scalar.value)
            var next = transitions[Int(state) * width + symbol]
            if next == Self.unknown {
                let resetsBefore = resets
                next = computeTransition(from: state, symbol: symbol)
                if resets != resetsBefore {
                    if scalarsSinceReset < 10 * statesDropped {
                        bailouts += 1
                        let key = states[Int(next)].key
                        return program.simulate(&scalars, from: key.heads, previous: key.context)
                    }
                    scalarsSinceReset = 0
                }
            }
            if next == Self.dead { return false }
            state = next
            scalarsSinceReset += 1
        }
        return acceptsAtEnd(state)
    }

    private mutating func startState() -> Int32 {
        if let start { return start }
        let state = index(of: Key(heads: [0], context: RegexContext.atStart.intersection(contextMask)))
        start = state
        return state
    }

    /// One simulation step from `state` over a scalar of class `symbol`; records it
    /// unless building the target dropped the cache (and with it `state`).
    private mutating func computeTransition(from state: Int32, symbol: Int) -> Int32 {
        let key = states[Int(state)].key
        let value = classes.starts[symbol]
        let context = key.context.union(classes.after[symbol])
        scratch.reached.removeAll()
        for pc in key.heads { _ = scratch.follow(pc, in: program, context: context) }
        scratch.advance(over: value, in: program)
        let slot = Int(state) * classes.count + symbol
        if scratch.next.isEmpty {
            transitions[slot] = Self.dead
            return Self.dead
        }
        let target = Key(heads: scratch.next.sorted(), context: classes.before[symbol].intersection(contextMask))
        let resetsBefore = resets
        let next = index(of: target)
        if resets == resetsBefore { transitions[slot] = next }
        return next
    }

    private mutating func acceptsAtEnd(_ state: Int32) -> Bool {
        let cached = states[Int(state)].acceptsAtEnd
        if cached >= 0 { return cached == 1 }
        let key = states[Int(state)].key
        let context = key.context.union(.atEnd)
        scratch.reached.removeAll()
        var matched = false
        for pc in key.heads where scratch.follow(pc, in: program, context: context) { matched = true }
        states[Int(state)].acceptsAtEnd = matched ? 1 : 0
        return matched
    }

    /// The state named by `key`, added (after dropping the cache if it is full) when new.
    private mutating func index(of key: Key) -> Int32 {
        if let known = lookup[key] { return known }
        // Row, key (shared by the state list and the dictionary), and a rough
        // allowance for the entries.
        let cost = classes.count + key.heads.count + 8
        if memoryUsed + cost > memoryBudget, !states.isEmpty {
            statesDropped = states.count
            states.removeAll(keepingCapacity: true)
            lookup.removeAll(keepingCapacity: true)
            transitions.removeAll(keepingCapacity: true)
            memoryUsed = 0
            start = nil
            resets += 1
        }
        let index = Int32(states.count)
        states.append(State(key: key))
        lookup[key] = index
        transitions.append(contentsOf: repeatElement(Self.unknown, count: classes.count))
        memoryUsed += cost
        return index
    }
}
