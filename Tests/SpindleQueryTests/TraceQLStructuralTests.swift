import SpindleModel
import SpindleQuery
import Testing

/// Spanset operators: `&&`, `||` and every structural operator, on the small trace and
/// on deep, wide, orphaned and looping ones.
@Suite struct TraceQLStructuralTests {
    typealias T = TestTrace

    static func hex(_ id: UInt64) -> String { SpanID(id).hexString }

    // MARK: The small trace (see TestTrace.small)

    @Test func andOr_betweenSpansets() throws {
        #expect(try T.spanIDs("{ name = \"auth\" } && { name = \"cache\" }") == [[2, 4]])
        #expect(try T.spanIDs("{ name = \"auth\" } && { name = \"nope\" }") == [])
        #expect(try T.spanIDs("{ name = \"auth\" } || { name = \"nope\" }") == [[2]])
        #expect(try T.spanIDs("{ name = \"auth\" } || { kind = client }") == [[2, 3, 4]])
        #expect(try T.spanIDs("{ name = \"nope\" } || { name = \"none\" }") == [])
        // && binds tighter than ||; parentheses regroup.
        #expect(try T.spanIDs("{ name = \"nope\" } && { name = \"auth\" } || { name = \"cache\" }") == [[4]])
        #expect(try T.spanIDs("{ name = \"nope\" } && ({ name = \"auth\" } || { name = \"cache\" })") == [])
    }

    @Test func structuralOperators() throws {
        #expect(try T.spanIDs("{ name = \"GET /\" } > {}") == [[2, 3, 4]])
        #expect(try T.spanIDs("{ name = \"db\" } > { name = \"query\" }") == [[5]])
        #expect(try T.spanIDs("{ name = \"GET /\" } > { name = \"query\" }") == [])
        #expect(try T.spanIDs("{ name = \"query\" } < {}") == [[3]])
        #expect(try T.spanIDs("{ kind = client } < {}") == [[1]])
        #expect(try T.spanIDs("{ name = \"GET /\" } >> {}") == [[2, 3, 5, 4]])
        #expect(try T.spanIDs("{ name = \"GET /\" } >> { name = \"query\" }") == [[5]])
        #expect(try T.spanIDs("{ name = \"query\" } << {}") == [[1, 3]])
        #expect(try T.spanIDs("{ name = \"auth\" } ~ {}") == [[3, 4]])
        #expect(try T.spanIDs("{ name = \"auth\" } ~ { name = \"auth\" }") == [])
        #expect(try T.spanIDs("{ kind = client } ~ { kind = client }") == [[2, 3, 4]])
        #expect(try T.spanIDs("{ name = \"GET /\" } ~ {}") == [])
        // Left-associative chains.
        #expect(try T.spanIDs("{ name = \"GET /\" } > { name = \"db\" } > { name = \"query\" }") == [[5]])
        #expect(try T.spanIDs("{ name = \"GET /\" } > { name = \"auth\" } > {}") == [])
        // Structural operators bind tighter than &&.
        #expect(try T.spanIDs("{ name = \"cache\" } && { name = \"db\" } > { name = \"query\" }") == [[5, 4]])
    }

    @Test func negatedStructuralOperators() throws {
        #expect(try T.spanIDs("{ name = \"GET /\" } !> {}") == [[1, 5]])
        #expect(try T.spanIDs("{ name = \"query\" } !< {}") == [[1, 2, 5, 4]])
        #expect(try T.spanIDs("{ name = \"GET /\" } !>> {}") == [[1]])
        #expect(try T.spanIDs("{ name = \"query\" } !<< {}") == [[2, 5, 4]])
        #expect(try T.spanIDs("{ name = \"auth\" } !~ {}") == [[1, 2, 5]])
        // With nothing on the left, nothing is related: every right-hand span.
        #expect(try T.spanIDs("{ name = \"nope\" } !> { kind = client }") == [[2, 3, 4]])
    }

    @Test func unionStructuralOperators() throws {
        #expect(try T.spanIDs("{ name = \"db\" } &> { name = \"query\" }") == [[3, 5]])
        #expect(try T.spanIDs("{ name = \"GET /\" } &> { kind = client }") == [[1, 2, 3, 4]])
        #expect(try T.spanIDs("{ name = \"query\" } &< { name = \"db\" }") == [[3, 5]])
        #expect(try T.spanIDs("{ name = \"GET /\" } &>> { name = \"query\" }") == [[1, 5]])
        #expect(try T.spanIDs("{ name = \"query\" } &<< { name = \"GET /\" }") == [[1, 5]])
        #expect(try T.spanIDs("{ name = \"auth\" } &~ { name = \"cache\" }") == [[2, 4]])
        #expect(try T.spanIDs("{ name = \"auth\" } &~ { name = \"query\" }") == [])
    }

    // MARK: Missing parents and roots

    static let orphaned = T.batch([
        T.Span(id: 1, name: "root", startMillis: 0),
        T.Span(id: 2, parent: 1, name: "child", startMillis: 1),
        T.Span(id: 3, parent: 99, name: "orphan", startMillis: 2),
        T.Span(id: 4, parent: 99, name: "orphan sibling", startMillis: 3),
    ])

    @Test func spanWithAMissingParent_isNeitherChildNorRoot() throws {
        #expect(try T.spanIDs("{} > { name = \"orphan\" }", in: Self.orphaned) == [])
        #expect(try T.spanIDs("{} !> {}", in: Self.orphaned) == [[1, 3, 4]])
        #expect(try T.spanIDs("{ span:parentID = nil }", in: Self.orphaned) == [[1]])
        #expect(try T.spanIDs("{ trace:rootName = \"root\" && name = \"orphan\" }", in: Self.orphaned) == [[3]])
        // Siblings share a parent ID even when the parent is not stored.
        #expect(try T.spanIDs("{ name = \"orphan\" } ~ {}", in: Self.orphaned) == [[4]])
        let rootless = T.batch([T.Span(id: 3, parent: 99, name: "orphan")])
        #expect(try T.spanIDs("{ trace:rootName != nil }", in: rootless) == [])
        #expect(try T.spanIDs("{ rootServiceName = nil }", in: rootless) == [[3]])
    }

    // MARK: A deep trace: a chain of 60 spans

    static let deep: SpanBatch = {
        var spans: [T.Span] = []
        for depth: UInt64 in 1...60 {
            spans.append(T.Span(
                id: depth, parent: depth - 1, name: "level", startMillis: depth,
                attributes: [Attribute("depth", .int(Int64(depth)))]
            ))
        }
        return T.batch(spans)
    }()

    @Test func deepTrace_everyStructuralOperator() throws {
        let all = Array(UInt64(1)...60)
        #expect(try T.spanIDs("{ span.depth = 1 } >> {}", in: Self.deep) == [Array(all.dropFirst())])
        #expect(try T.spanIDs("{ span.depth = 60 } << {}", in: Self.deep) == [Array(all.dropLast())])
        #expect(try T.spanIDs("{ span.depth = 30 } > {}", in: Self.deep) == [[31]])
        #expect(try T.spanIDs("{ span.depth = 30 } < {}", in: Self.deep) == [[29]])
        #expect(try T.spanIDs("{ span.depth = 30 } ~ {}", in: Self.deep) == [])
        #expect(try T.spanIDs("{ span.depth = 30 } >> { span.depth = 60 }", in: Self.deep) == [[60]])
        #expect(try T.spanIDs("{ span.depth = 60 } >> {}", in: Self.deep) == [])
        #expect(try T.spanIDs("{ span.depth = 1 } !>> {}", in: Self.deep) == [[1]])
        #expect(try T.spanIDs("{ span.depth = 60 } !<< {}", in: Self.deep) == [[60]])
        #expect(try T.spanIDs("{ span.depth = 30 } !> {}", in: Self.deep) == [all.filter { $0 != 31 }])
        #expect(try T.spanIDs("{ span.depth = 30 } !< {}", in: Self.deep) == [all.filter { $0 != 29 }])
        #expect(try T.spanIDs("{ span.depth = 30 } !~ {}", in: Self.deep) == [all])
        #expect(try T.spanIDs("{ span.depth = 1 } &>> { span.depth = 60 }", in: Self.deep) == [[1, 60]])
        #expect(try T.spanIDs("{ span.depth = 60 } &<< { span.depth > 58 }", in: Self.deep) == [[59, 60]])
        #expect(try T.spanIDs("{ span.depth = 30 } &> {}", in: Self.deep) == [[30, 31]])
        #expect(try T.spanIDs("{ span.depth = 30 } &< {}", in: Self.deep) == [[29, 30]])
        #expect(try T.spanIDs("{ span.depth = 30 } &~ {}", in: Self.deep) == [])
        #expect(try T.spanIDs("{ span.depth = 10 } >> { span.depth = 20 } >> { span.depth = 59 }", in: Self.deep) == [[59]])
        #expect(try T.spanIDs("{ childCount = 0 }", in: Self.deep) == [[60]])
    }

    // MARK: A wide trace: a root with 600 children, one of which has a child

    static let wide: SpanBatch = {
        var spans = [T.Span(id: 1, name: "root", startMillis: 0)]
        for index: UInt64 in 0..<600 {
            spans.append(T.Span(id: index + 10, parent: 1, name: "child", startMillis: 1, attributes: [Attribute("i", .int(Int64(index)))]))
        }
        spans.append(T.Span(id: 5_000, parent: 310, name: "grandchild", startMillis: 2))
        return T.batch(spans)
    }()

    @Test func wideTrace_everyStructuralOperator() throws {
        #expect(try T.counts("{ name = \"root\" } > {}", in: Self.wide) == [600])
        #expect(try T.counts("{ name = \"root\" } >> {}", in: Self.wide) == [601])
        #expect(try T.counts("{ span.i = 0 } ~ {}", in: Self.wide) == [599])
        #expect(try T.counts("{ name = \"child\" } ~ { name = \"child\" }", in: Self.wide) == [600])
        #expect(try T.spanIDs("{ name = \"grandchild\" } < {}", in: Self.wide) == [[310]])
        #expect(try T.spanIDs("{ name = \"grandchild\" } << {}", in: Self.wide) == [[1, 310]])
        #expect(try T.spanIDs("{ span.i = 7 } !~ { name = \"child\" }", in: Self.wide) == [[17]])
        #expect(try T.counts("{ name = \"root\" } !> {}", in: Self.wide) == [2])
        #expect(try T.counts("{ name = \"grandchild\" } !<< {}", in: Self.wide) == [600])
        #expect(try T.counts("{ name = \"root\" } !>> {}", in: Self.wide) == [1])
        #expect(try T.counts("{} !< {}", in: Self.wide) == [600])
        #expect(try T.counts("{ name = \"root\" } &> {}", in: Self.wide) == [601])
        #expect(try T.counts("{ span.i < 300 } &~ { span.i >= 300 }", in: Self.wide) == [600])
        #expect(try T.counts("{ name = \"grandchild\" } &< {}", in: Self.wide) == [2])
        #expect(try T.counts("{ name = \"grandchild\" } &<< {}", in: Self.wide) == [3])
        #expect(try T.counts("{ name = \"root\" } &>> { name = \"grandchild\" }", in: Self.wide) == [2])
        #expect(try T.spanIDs("{ childCount = 600 }", in: Self.wide) == [[1]])
        #expect(try T.spanIDs("{ name = \"root\" } > { name = \"child\" } > {}", in: Self.wide) == [[5_000]])
    }

    // MARK: Corrupt data: parent IDs that loop

    static let looping = T.batch([
        T.Span(id: 1, parent: 3, name: "a", startMillis: 0),
        T.Span(id: 2, parent: 1, name: "b", startMillis: 1),
        T.Span(id: 3, parent: 2, name: "c", startMillis: 2),
        T.Span(id: 4, parent: 4, name: "self", startMillis: 3),
    ])

    @Test func loopingParents_endAndRelateWithinTheLoop() throws {
        #expect(try T.spanIDs("{ name = \"a\" } >> {}", in: Self.looping) == [[1, 2, 3]])
        #expect(try T.spanIDs("{ name = \"a\" } << {}", in: Self.looping) == [[1, 2, 3]])
        #expect(try T.spanIDs("{} > {}", in: Self.looping) == [[1, 2, 3]])
        // A span naming itself as parent has no parent in the trace.
        #expect(try T.spanIDs("{ name = \"self\" } >> {}", in: Self.looping) == [])
        #expect(try T.spanIDs("{ trace:rootName != nil }", in: Self.looping) == [])
    }
}
