import SpindleModel

// Structural operators. `A` and `B` are the spans of the left and right operands.
//
// | operator | result |
// |---|---|
// | `A > B`  | B spans whose parent is in A |
// | `A < B`  | B spans that are the parent of an A span |
// | `A >> B` | B spans with an ancestor in A |
// | `A << B` | B spans that are an ancestor of an A span |
// | `A ~ B`  | B spans with the same parent ID as an A span other than themselves |
// | `A !> B` (and `!<`, `!>>`, `!<<`, `!~`) | B spans for which the relation does not hold |
// | `A &> B` (and `&<`, `&>>`, `&<<`, `&~`) | the B spans of `A > B` and the A spans they relate to |
//
// Every operator runs in time linear in the trace's spans (plus sorting the result),
// whatever its depth or width.

extension Evaluator {
    func structural(_ op: SpansetOperator, _ a: [Int], _ b: [Int]) -> [Int] {
        switch op {
        case .child: childrenIn(b, ofAny: a)
        case .parent: parentsIn(b, ofAny: a)
        case .descendant: descendantsIn(b, ofAny: a)
        case .ancestor: ancestorsIn(b, ofAny: a)
        case .sibling: siblingsIn(b, ofAny: a)
        case .notChild: Self.subtract(childrenIn(b, ofAny: a), from: b)
        case .notParent: Self.subtract(parentsIn(b, ofAny: a), from: b)
        case .notDescendant: Self.subtract(descendantsIn(b, ofAny: a), from: b)
        case .notAncestor: Self.subtract(ancestorsIn(b, ofAny: a), from: b)
        case .notSibling: Self.subtract(siblingsIn(b, ofAny: a), from: b)
        case .unionChild: Self.union([childrenIn(b, ofAny: a), parentsIn(a, ofAny: b)])
        case .unionParent: Self.union([parentsIn(b, ofAny: a), childrenIn(a, ofAny: b)])
        case .unionDescendant: Self.union([descendantsIn(b, ofAny: a), ancestorsIn(a, ofAny: b)])
        case .unionAncestor: Self.union([ancestorsIn(b, ofAny: a), descendantsIn(a, ofAny: b)])
        case .unionSibling: Self.union([siblingsIn(b, ofAny: a), siblingsIn(a, ofAny: b)])
        }
    }

    private func mask(_ spans: [Int]) -> [Bool] {
        var mask = [Bool](repeating: false, count: view.count)
        for span in spans { mask[span] = true }
        return mask
    }

    /// Spans of `candidates` whose parent is in `others`.
    func childrenIn(_ candidates: [Int], ofAny others: [Int]) -> [Int] {
        if candidates.isEmpty || others.isEmpty { return [] }
        let isOther = mask(others)
        let parent = view.parent
        return candidates.filter { parent[$0] >= 0 && isOther[parent[$0]] }
    }

    /// Spans of `candidates` that are the parent of a span in `others`.
    func parentsIn(_ candidates: [Int], ofAny others: [Int]) -> [Int] {
        if candidates.isEmpty || others.isEmpty { return [] }
        var isParent = [Bool](repeating: false, count: view.count)
        let parent = view.parent
        for other in others where parent[other] >= 0 { isParent[parent[other]] = true }
        return candidates.filter { isParent[$0] }
    }

    /// Spans of `candidates` below a span of `others`: a breadth-first walk down from
    /// `others` that visits each span once (so loops in corrupt data end).
    func descendantsIn(_ candidates: [Int], ofAny others: [Int]) -> [Int] {
        if candidates.isEmpty || others.isEmpty { return [] }
        var below = [Bool](repeating: false, count: view.count)
        var queue: [Int] = []
        for other in others {
            for child in view.children(of: other) where !below[child] {
                below[child] = true
                queue.append(child)
            }
        }
        var next = 0
        while next < queue.count {
            let span = queue[next]
            next += 1
            for child in view.children(of: span) where !below[child] {
                below[child] = true
                queue.append(child)
            }
        }
        return candidates.filter { below[$0] }
    }

    /// Spans of `candidates` above a span of `others`: walks up from each of `others`,
    /// stopping at spans already marked, so the whole pass is linear.
    func ancestorsIn(_ candidates: [Int], ofAny others: [Int]) -> [Int] {
        if candidates.isEmpty || others.isEmpty { return [] }
        var above = [Bool](repeating: false, count: view.count)
        let parent = view.parent
        for other in others {
            var span = parent[other]
            while span >= 0, !above[span] {
                above[span] = true
                span = parent[span]
            }
        }
        return candidates.filter { above[$0] }
    }

    /// Spans of `candidates` that share a (non-empty) parent ID with a span of `others`
    /// other than themselves. The parent need not be stored.
    func siblingsIn(_ candidates: [Int], ofAny others: [Int]) -> [Int] {
        if candidates.isEmpty || others.isEmpty { return [] }
        let spans = view.tables.spans
        var counts: [SpanID: Int] = [:]
        for other in others where spans[other].parentSpanID.isValid {
            counts[spans[other].parentSpanID, default: 0] += 1
        }
        let isOther = mask(others)
        return candidates.filter { candidate in
            let parentID = spans[candidate].parentSpanID
            guard parentID.isValid, var count = counts[parentID] else { return false }
            if isOther[candidate] { count -= 1 }
            return count > 0
        }
    }

    /// `all` without `removed` (both sorted, `removed` a subset of `all`).
    static func subtract(_ removed: [Int], from all: [Int]) -> [Int] {
        if removed.isEmpty { return all }
        var result: [Int] = []
        result.reserveCapacity(all.count - removed.count)
        var cursor = 0
        for span in all {
            if cursor < removed.count, removed[cursor] == span {
                cursor += 1
            } else {
                result.append(span)
            }
        }
        return result
    }
}
