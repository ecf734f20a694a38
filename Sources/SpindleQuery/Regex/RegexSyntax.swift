/// A zero-width assertion: `^`, `$`, `\A`, `\z`, `\b`, `\B`.
enum RegexAssertion: UInt8, Sendable {
    /// `\A`, or `^` without `(?m)`.
    case beginText
    /// `\z`, or `$` without `(?m)` (RE2's `$` never matches before a final `\n`).
    case endText
    /// `^` with `(?m)`: at the start or after `\n`.
    case beginLine
    /// `$` with `(?m)`: at the end or before `\n`.
    case endLine
    /// `\b`: between an ASCII word character and a non-word character or an end.
    case wordBoundary
    /// `\B`: anywhere `\b` does not hold.
    case notWordBoundary
}

/// What matches exactly one scalar.
enum RegexAtom: Hashable, Sendable {
    case scalar(UInt32)
    /// Any scalar in the set: a class, `.`, or a letter under `(?i)`.
    case set(ScalarSet)
}

/// A parsed pattern: nodes in an arena, children named by index. Captures, names and
/// greediness are gone: ``QueryRegex`` only asks whether the whole text matches, and
/// every match order gives the same answer.
///
/// Because nodes do not own their children, neither building, walking nor freeing a
/// tree recurses, however deeply the pattern nests: a hostile pattern cannot exhaust a
/// thread's stack (a secondary thread may have only 512 KB).
struct RegexTree: Sendable {
    enum Node: Sendable {
        /// Matches the empty string.
        case empty
        case atom(RegexAtom)
        case assertion(RegexAssertion)
        case concat([Int])
        case alternate([Int])
        /// `min` to `max` copies (`max` nil: unbounded). `*` is (0, nil), `+` (1, nil),
        /// `?` (0, 1).
        case repetition(Int, min: Int, max: Int?)
        /// Alternatives that are plain strings of atoms (`GET|POST|PUT`), merged on
        /// their common prefixes.
        case literals(RegexLiteralTrie)
    }

    private(set) var nodes: [Node] = []
    /// The whole pattern.
    var root = 0

    subscript(index: Int) -> Node { nodes[index] }

    /// Adds `node` and returns its index.
    mutating func add(_ node: Node) -> Int {
        nodes.append(node)
        return nodes.count - 1
    }

    /// The atoms of a node that is a plain string (`.empty`, one atom, or a
    /// concatenation of atoms); nil otherwise.
    func atomString(_ index: Int) -> [RegexAtom]? {
        switch nodes[index] {
        case .empty: return []
        case .atom(let atom): return [atom]
        case .concat(let items):
            var atoms: [RegexAtom] = []
            atoms.reserveCapacity(items.count)
            for item in items {
                guard case .atom(let atom) = nodes[item] else { return nil }
                atoms.append(atom)
            }
            return atoms
        default: return nil
        }
    }

    /// Whether the counted repetitions in the subtree at `index` multiply to at most
    /// `limit` copies of anything, RE2's rule for `x{n,m}`: `(a{500}){3}` is refused
    /// even though each count is below 1000. The parser checks each repetition whose
    /// count is at least 2 as it is built; since such counts multiply, a node lies
    /// under at most ten of them, so the checks stay linear in the pattern.
    func repetitionsFit(_ index: Int, within limit: Int) -> Bool {
        var pending = [(index: index, limit: limit)]
        while let next = pending.popLast() {
            switch nodes[next.index] {
            case .repetition(let sub, let min, let max):
                if max == 0 { continue }
                let count = max ?? min
                if count > next.limit { return false }
                pending.append((sub, count > 0 ? next.limit / count : next.limit))
            case .concat(let items), .alternate(let items):
                for item in items { pending.append((item, next.limit)) }
            case .empty, .atom, .assertion, .literals:
                continue
            }
        }
        return true
    }
}

/// Strings of atoms merged on common prefixes: `svc-1|svc-2` shares `svc-`. Compiles
/// to about one instruction per distinct prefix instead of one per character of every
/// alternative, which keeps a long list of alternatives (a dashboard's multi-value
/// variable) within the program size limit and cheap to match.
struct RegexLiteralTrie: Sendable {
    struct Node: Sendable {
        /// Outgoing edges in insertion order.
        var edges: [(atom: RegexAtom, child: Int)] = []
        var lookup: [RegexAtom: Int] = [:]
        /// Whether a string ends here.
        var isTerminal = false
    }

    /// `nodes[0]` is the root.
    private(set) var nodes = [Node()]

    mutating func insert(_ atoms: [RegexAtom]) {
        var current = 0
        for atom in atoms {
            if let next = nodes[current].lookup[atom] {
                current = next
            } else {
                nodes.append(Node())
                let child = nodes.count - 1
                nodes[current].edges.append((atom, child))
                nodes[current].lookup[atom] = child
                current = child
            }
        }
        nodes[current].isTerminal = true
    }
}
