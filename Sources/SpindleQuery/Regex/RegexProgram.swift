/// One instruction of a compiled pattern: a state of a Thompson NFA.
///
/// Instructions that consume a scalar (`scalar`, `range`, `set`) and `assertion`
/// continue at the next instruction; `split` and `jump` name their targets.
struct RegexInstruction: Sendable {
    enum Opcode: UInt8, Sendable {
        /// Consumes scalar `x`.
        case scalar
        /// Consumes a scalar in `x...y`.
        case range
        /// Consumes a scalar in `sets[x]`.
        case set
        /// Continues at both `x` and `y`.
        case split
        /// Continues at `x`.
        case jump
        /// Continues when `RegexAssertion(rawValue: x)` holds here.
        case assertion
        /// The whole pattern matched (it only counts at the end of the text).
        case match
        /// Matches nothing (an empty class).
        case fail
    }

    var opcode: Opcode
    var x: UInt32 = 0
    var y: UInt32 = 0

    var consumes: Bool { opcode == .scalar || opcode == .range || opcode == .set }
}

/// A compiled pattern: instructions from index 0, ending in `match`.
struct RegexProgram: Sendable {
    /// The most instructions a pattern may compile to. Matching costs up to this much
    /// per input scalar, so it bounds the worst case of every `matches` call.
    static let maxInstructions = 10_000

    private(set) var instructions: [RegexInstruction] = []
    /// Classes of `set` instructions, shared by equal classes.
    private(set) var sets: [ScalarSet] = []
    /// Which context the assertions need: the previous and next scalar's being a word
    /// character (`\b`, `\B`), a `\n` (`(?m)^`, `(?m)$`), the start or end of the text.
    private(set) var usesWordBoundaries = false
    private(set) var usesLineAnchors = false
    private(set) var usesTextAnchors = false

    private var setIndex: [ScalarSet: UInt32] = [:]

    init(compiling tree: RegexTree) throws(QueryRegexError) {
        try compile(tree)
        try emit(RegexInstruction(opcode: .match))
    }

    var count: Int { instructions.count }

    /// Whether instruction `pc`, which consumes, accepts `value`.
    @inline(__always)
    func accepts(_ pc: Int, _ value: UInt32) -> Bool {
        let instruction = instructions[pc]
        switch instruction.opcode {
        case .scalar: return instruction.x == value
        case .range: return instruction.x <= value && value <= instruction.y
        case .set: return sets[Int(instruction.x)].contains(value)
        default: return false
        }
    }

    /// Every class boundary the program distinguishes: scalars in the same interval
    /// between two boundaries are accepted by exactly the same instructions.
    func classBoundaries() -> [UInt32] {
        var boundaries: [UInt32] = [0]
        func add(_ range: ClosedRange<UInt32>) {
            boundaries.append(range.lowerBound)
            if range.upperBound < ScalarSet.maxCodePoint { boundaries.append(range.upperBound + 1) }
        }
        for instruction in instructions {
            switch instruction.opcode {
            case .scalar: add(instruction.x...instruction.x)
            case .range: add(instruction.x...instruction.y)
            default: break
            }
        }
        for set in sets { set.ranges.forEach(add) }
        // Assertions read whether a scalar is `\n` or a word character.
        add(0x0A...0x0A)
        RegexClasses.word.ranges.forEach(add)
        return Array(Set(boundaries)).sorted()
    }

    // MARK: Compiling

    @discardableResult
    private mutating func emit(_ instruction: RegexInstruction) throws(QueryRegexError) -> Int {
        guard instructions.count < Self.maxInstructions else {
            throw QueryRegexError(
                offset: 0,
                message: "expression too large: it compiles to more than \(Self.maxInstructions) instructions"
            )
        }
        instructions.append(instruction)
        return instructions.count - 1
    }

    private mutating func patch(_ pc: Int, x: Int? = nil, y: Int? = nil) {
        if let x { instructions[pc].x = UInt32(x) }
        if let y { instructions[pc].y = UInt32(y) }
    }

    /// A step of compiling: a node to expand, or the bookkeeping that wires its code
    /// together once the code after it is known. Labels and exit groups name
    /// instructions whose targets are patched later.
    private enum Step {
        case node(Int)
        /// `split` to the next instruction and to a place patched by `patchSecond`.
        case splitForward(label: Int)
        case patchSecond(label: Int)
        /// `jump` to the end of an alternation, patched by `patchExits`.
        case jumpToExit(group: Int)
        case patchExits(group: Int)
        /// Remembers where a loop starts, for `jumpBack` or `splitBack`.
        case mark(label: Int)
        case jumpBack(label: Int)
        /// `split` back to a marked place and on to the next instruction.
        case splitBack(label: Int)
    }

    /// Compiles with an explicit work list rather than recursion, so nesting depth
    /// never costs call stack. Steps run in order: expanding a node pushes its steps.
    private mutating func compile(_ tree: RegexTree) throws(QueryRegexError) {
        var work: [Step] = [.node(tree.root)]
        var labels: [Int] = []
        var exits: [[Int]] = []
        func newLabel() -> Int {
            labels.append(0)
            return labels.count - 1
        }
        func schedule(_ steps: [Step]) { work.append(contentsOf: steps.reversed()) }

        while let step = work.popLast() {
            switch step {
            case .splitForward(let label):
                labels[label] = try emit(RegexInstruction(opcode: .split, x: UInt32(count + 1)))
            case .patchSecond(let label):
                patch(labels[label], y: count)
            case .jumpToExit(let group):
                exits[group].append(try emit(RegexInstruction(opcode: .jump)))
            case .patchExits(let group):
                for exit in exits[group] { patch(exit, x: count) }
            case .mark(let label):
                labels[label] = count
            case .jumpBack(let label):
                try emit(RegexInstruction(opcode: .jump, x: UInt32(labels[label])))
            case .splitBack(let label):
                try emit(RegexInstruction(opcode: .split, x: UInt32(labels[label]), y: UInt32(count + 1)))
            case .node(let index):
                switch tree[index] {
                case .empty:
                    continue
                case .atom(let atom):
                    try emit(atom)
                case .assertion(let assertion):
                    switch assertion {
                    case .beginText, .endText: usesTextAnchors = true
                    case .beginLine, .endLine: usesLineAnchors = true
                    case .wordBoundary, .notWordBoundary: usesWordBoundaries = true
                    }
                    try emit(RegexInstruction(opcode: .assertion, x: UInt32(assertion.rawValue)))
                case .concat(let items):
                    schedule(items.map { .node($0) })
                case .alternate(let branches):
                    // split b1, next; b1; jump end; next: split b2, … ; bn; end:
                    exits.append([])
                    let group = exits.count - 1
                    var steps: [Step] = []
                    for branch in branches.dropLast() {
                        let label = newLabel()
                        steps += [.splitForward(label: label), .node(branch), .jumpToExit(group: group), .patchSecond(label: label)]
                    }
                    if let last = branches.last { steps.append(.node(last)) }
                    steps.append(.patchExits(group: group))
                    schedule(steps)
                case .repetition(let sub, let min, let max):
                    schedule(repetitionSteps(sub, min: min, max: max, newLabel: newLabel))
                case .literals(let trie):
                    try compile(trie)
                }
            }
        }
    }

    private func repetitionSteps(_ sub: Int, min: Int, max: Int?, newLabel: () -> Int) -> [Step] {
        guard let max else {
            let label = newLabel()
            if min == 0 {
                // loop: split body, exit; body; jump loop; exit:
                return [.splitForward(label: label), .node(sub), .jumpBack(label: label), .patchSecond(label: label)]
            }
            // x{n,} = x{n-1} then x+ (body; split body, exit)
            return Array(repeating: .node(sub), count: min - 1) + [.mark(label: label), .node(sub), .splitBack(label: label)]
        }
        // x{n,m} = x{n} then m-n nested optional copies: (x(x(x)?)?)?
        var steps = Array(repeating: Step.node(sub), count: min)
        var skips: [Int] = []
        for _ in 0..<(max - min) {
            let label = newLabel()
            skips.append(label)
            steps += [.splitForward(label: label), .node(sub)]
        }
        return steps + skips.map { .patchSecond(label: $0) }
    }

    /// Emits the trie without recursion: a chain of single edges is inlined; a node
    /// with several ways on tries each (`split`), and each edge jumps to its child's
    /// code, emitted later from a work list.
    private mutating func compile(_ trie: RegexLiteralTrie) throws(QueryRegexError) {
        var exits: [Int] = []
        var work: [(node: Int, entry: Int?)] = [(0, nil)]
        while let item = work.popLast() {
            if let entry = item.entry { patch(entry, x: count) }
            var current = item.node
            while true {
                let node = trie.nodes[current]
                if node.edges.count == 1, !node.isTerminal {
                    try emit(node.edges[0].atom)
                    current = node.edges[0].child
                    continue
                }
                let ways = node.edges.count + (node.isTerminal ? 1 : 0)
                if ways == 0 { try emit(RegexInstruction(opcode: .fail)) }
                for way in 0..<ways {
                    let split = way < ways - 1 ? try emit(RegexInstruction(opcode: .split, x: UInt32(count + 1))) : nil
                    if way < node.edges.count {
                        try emit(node.edges[way].atom)
                        work.append((node.edges[way].child, try emit(RegexInstruction(opcode: .jump))))
                    } else {
                        exits.append(try emit(RegexInstruction(opcode: .jump)))
                    }
                    if let split { patch(split, y: count) }
                }
                break
            }
        }
        for exit in exits { patch(exit, x: count) }
    }

    private mutating func emit(_ atom: RegexAtom) throws(QueryRegexError) {
        switch atom {
        case .scalar(let value):
            try emit(RegexInstruction(opcode: .scalar, x: value))
        case .set(let set):
            if set.isEmpty {
                try emit(RegexInstruction(opcode: .fail))
            } else if set.ranges.count == 1, let only = set.ranges.first {
                try emit(RegexInstruction(opcode: .range, x: only.lowerBound, y: only.upperBound))
            } else {
                let index: UInt32
                if let known = setIndex[set] {
                    index = known
                } else {
                    index = UInt32(sets.count)
                    sets.append(set)
                    setIndex[set] = index
                }
                try emit(RegexInstruction(opcode: .set, x: index))
            }
        }
    }
}
