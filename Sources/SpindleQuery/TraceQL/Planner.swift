import SpindleModel
public import SpindleStorage

// What storage can filter on: conditions every matching trace satisfies on one span.
//
// For every spanset expression the planner derives
// - `every`: conditions that every span the expression returns satisfies, and
// - `some`: conjunctions of conditions, each satisfied by some span of any trace the
//   expression matches.
// A trace the query matches therefore has a span satisfying each conjunction of `some`;
// the planner pushes the largest one into a ``TraceQuery``. Conditions come only from
// `==`-style comparisons joined by `&&` (an `||` keeps what all its sides share), so a
// pushed query never loses a trace the query would match. Search evaluates only spans
// that start in the time range, so every such span starts in the pushed range too.

/// One condition a span can be asked to satisfy by ``TraceQuery``.
enum SpanCondition: Hashable {
    case service(String)
    case operation(String)
    case kind(SpanKind)
    case status(StatusCode)
    /// Inclusive nanosecond bounds.
    case minDuration(UInt64)
    case maxDuration(UInt64)
    case attribute(AttributeFilter)
}

struct ImpliedConditions {
    var every: Set<SpanCondition>
    var some: [Set<SpanCondition>]
}

extension TraceQLQuery {
    /// The storage query whose results include every trace this query can match in
    /// `timeRange`: the time range plus the span conditions implied by every way the
    /// query can match (service, name, kind, status, duration bounds, attribute
    /// equality, ranges and existence), all on one span. The engine evaluates the rest.
    public func storageQuery(timeRange: TimeRange, limit: Int) -> TraceQuery {
        let implied = Planner.implied(by: root.pipeline)
        let best = implied.some.enumerated().max { lhs, rhs in
            // The likeliest to be selective wins, then the most conditions, then the first.
            let (left, right) = (Planner.selectivity(lhs.element), Planner.selectivity(rhs.element))
            if left != right { return left < right }
            return lhs.element.count != rhs.element.count ? lhs.element.count < rhs.element.count : lhs.offset > rhs.offset
        }?.element ?? []
        return Planner.traceQuery(best, timeRange: timeRange, limit: max(1, limit))
    }
}

enum Planner {
    /// The most conjunctions kept per `||` (see ``implied(by:)``).
    static let maxAlternatives = 8

    /// How much a conjunction is expected to narrow a search, without statistics: an
    /// attribute value or an error status singles out few spans, a name or a duration
    /// bound fewer than a service or a kind. Only the choice among correct pushdowns
    /// depends on it (a structural query's sides, say), never which traces match.
    static func selectivity(_ conditions: Set<SpanCondition>) -> Int {
        conditions.reduce(0) { total, condition in
            switch condition {
            case .attribute(let filter):
                if case .equals = filter.condition { total + 4 } else { total + 1 }
            case .status(let code): total + (code == .error ? 4 : 1)
            case .operation: total + 3
            case .minDuration, .maxDuration: total + 2
            case .service, .kind: total + 1
            }
        }
    }

    static func implied(by pipeline: Pipeline) -> ImpliedConditions {
        guard case .spanset(let first)? = pipeline.stages.first else { return ImpliedConditions(every: [], some: []) }
        var result = implied(by: first)
        for stage in pipeline.stages.dropFirst() {
            // Filters narrow the spans; scalar filters, by, select and coalesce keep or
            // regroup spans that passed the stages before.
            guard case .spanset(let expression) = stage else { continue }
            let stageResult = implied(by: expression)
            result.every.formUnion(stageResult.every)
            result.some += stageResult.some + [result.every]
        }
        return result
    }

    static func implied(by expression: SpansetExpression) -> ImpliedConditions {
        switch expression {
        case .filter(nil):
            return ImpliedConditions(every: [], some: [])
        case .filter(let condition?):
            let (span, root) = conditions(condition)
            return ImpliedConditions(every: span, some: [span, root].filter { !$0.isEmpty })
        case .and(let operands):
            let parts = operands.map(implied(by:))
            return ImpliedConditions(every: intersection(parts.map(\.every)), some: parts.flatMap(\.some))
        case .or(let operands):
            let parts = operands.map(implied(by:))
            var some = parts.first?.some ?? []
            for part in parts.dropFirst() {
                // Some span satisfies a conjunction of each side: only what a pair shares
                // is sure. Keeping only the largest few bounds the work on long chains of
                // alternatives; dropping implied conjunctions never loses a match.
                let pairs = Set(some.flatMap { lhs in part.some.map { lhs.intersection($0) } }.filter { !$0.isEmpty })
                some = Array(pairs.sorted(by: isPreferred).prefix(maxAlternatives))
            }
            return ImpliedConditions(every: intersection(parts.map(\.every)), some: some)
        case .structural(let op, let lhs, let rhs):
            let left = implied(by: lhs)
            let right = implied(by: rhs)
            switch op {
            case .child, .parent, .descendant, .ancestor, .sibling:
                // The result is B spans related to A spans: both sides have matches.
                return ImpliedConditions(every: right.every, some: left.some + right.some + [right.every])
            case .notChild, .notParent, .notDescendant, .notAncestor, .notSibling:
                return ImpliedConditions(every: right.every, some: right.some + [right.every])
            case .unionChild, .unionParent, .unionDescendant, .unionAncestor, .unionSibling:
                return ImpliedConditions(every: left.every.intersection(right.every), some: left.some + right.some)
            }
        case .pipeline(let pipeline):
            return implied(by: pipeline)
        }
    }

    /// Larger conjunctions first; equal sizes in a fixed order.
    private static func isPreferred(_ lhs: Set<SpanCondition>, _ rhs: Set<SpanCondition>) -> Bool {
        if lhs.count != rhs.count { return lhs.count > rhs.count }
        return text(lhs) < text(rhs)
    }

    private static func text(_ conditions: Set<SpanCondition>) -> String {
        conditions.map { "\($0)" }.sorted().joined(separator: "\u{0}")
    }

    private static func intersection(_ sets: [Set<SpanCondition>]) -> Set<SpanCondition> {
        guard var result = sets.first else { return [] }
        for set in sets.dropFirst() { result.formIntersection(set) }
        return result
    }

    // MARK: Conditions of a filter

    /// Conditions on every span the condition accepts, and on the trace's root span.
    static func conditions(_ expression: FieldExpression) -> (span: Set<SpanCondition>, root: Set<SpanCondition>) {
        switch expression {
        case .and(let operands):
            var span = Set<SpanCondition>()
            var root = Set<SpanCondition>()
            for operand in operands {
                let part = conditions(operand)
                span.formUnion(part.span)
                root.formUnion(part.root)
            }
            return (span, root)
        case .or(let operands):
            let parts = operands.map(conditions)
            return (intersection(parts.map(\.span)), intersection(parts.map(\.root)))
        case .comparison(let op, .field(let field), .literal(let literal)):
            return comparison(op, field, literal)
        case .comparison(let op, .literal(let literal), .field(let field)):
            return comparison(op.flipped, field, literal)
        default:
            return ([], [])
        }
    }

    private static func comparison(_ op: ComparisonOperator, _ field: Field, _ literal: Literal) -> (span: Set<SpanCondition>, root: Set<SpanCondition>) {
        switch field {
        case .intrinsic(let intrinsic):
            switch (intrinsic.meaning, op, literal) {
            case (.spanName, .equal, .string(let name)): return ([.operation(name)], [])
            case (.spanKind, .equal, .kind(let kind)): return ([.kind(kind)], [])
            case (.spanStatus, .equal, .status(let status)): return ([.status(status)], [])
            case (.spanDuration, _, .duration(let nanos)), (.spanDuration, _, .int(let nanos)):
                return (durationBounds(op, nanos), [])
            case (.traceRootName, .equal, .string(let name)): return ([], [.operation(name)])
            case (.traceRootService, .equal, .string(let name)): return ([], [.service(name)])
            default: return ([], [])
            }
        case .attribute(let selector, let key):
            let scope: AttributeScope
            switch selector {
            case .span: scope = .span
            case .resource: scope = .resource
            default: return ([], [])
            }
            if scope == .resource, key == "service.name", op == .equal, case .string(let name) = literal {
                return ([.service(name)], [])
            }
            guard let condition = attributeCondition(op, literal) else { return ([], []) }
            return ([.attribute(AttributeFilter(scope: scope, key: key, condition))], [])
        }
    }

    /// Inclusive duration bounds equivalent to `duration op nanos`.
    private static func durationBounds(_ op: ComparisonOperator, _ nanos: Int64) -> Set<SpanCondition> {
        switch op {
        case .greater: nanos >= 0 && nanos < .max ? [.minDuration(UInt64(nanos) + 1)] : []
        case .greaterEqual: nanos > 0 ? [.minDuration(UInt64(nanos))] : []
        case .less: nanos > 0 ? [.maxDuration(UInt64(nanos) - 1)] : []
        case .lessEqual: nanos >= 0 ? [.maxDuration(UInt64(nanos))] : []
        case .equal: nanos >= 0 ? [.minDuration(UInt64(nanos)), .maxDuration(UInt64(nanos))] : []
        case .notEqual: []
        }
    }

    /// The storage condition implied by `attribute op literal`: equality for scalars,
    /// an inclusive numeric range (a superset of a strict one) for orderings, existence
    /// for `!= nil`. Bounds that a double cannot hold exactly are not pushed.
    private static func attributeCondition(_ op: ComparisonOperator, _ literal: Literal) -> AttributeFilter.Condition? {
        if case .nil = literal { return op == .notEqual ? .exists : nil }
        if op == .equal {
            switch literal {
            case .string(let value): return .equals(.string(value))
            case .int(let value), .duration(let value): return .equals(.int(value))
            case .float(let value): return value.isNaN ? nil : .equals(.double(value))
            case .bool(let value): return .equals(.bool(value))
            default: return nil
            }
        }
        let bound: Double
        switch literal {
        case .int(let value), .duration(let value):
            guard let exact = Double(exactly: value) else { return nil }
            bound = exact
        case .float(let value):
            guard !value.isNaN else { return nil }
            bound = value
        default:
            return nil
        }
        switch op {
        case .greater, .greaterEqual: return .range(min: bound, max: nil)
        case .less, .lessEqual: return .range(min: nil, max: bound)
        case .equal, .notEqual: return nil
        }
    }

    // MARK: Building the TraceQuery

    static func traceQuery(_ conditions: Set<SpanCondition>, timeRange: TimeRange, limit: Int) -> TraceQuery {
        var query = TraceQuery(timeRange: timeRange, limit: limit)
        var attributes: [AttributeFilter] = []
        // Contradictory conditions (two names) are all implied; any one may be pushed.
        // Choose deterministically.
        for condition in conditions.sorted(by: { "\($0)" < "\($1)" }) {
            switch condition {
            case .service(let name): query.service = min(query.service ?? name, name)
            case .operation(let name): query.operation = min(query.operation ?? name, name)
            case .kind(let kind): if query.kind.map({ kind.rawValue < $0.rawValue }) ?? true { query.kind = kind }
            case .status(let status): if query.status.map({ status.rawValue < $0.rawValue }) ?? true { query.status = status }
            case .minDuration(let nanos): query.minDuration = max(query.minDuration ?? nanos, nanos)
            case .maxDuration(let nanos): query.maxDuration = min(query.maxDuration ?? nanos, nanos)
            case .attribute(let filter): attributes.append(filter)
            }
        }
        query.attributes = attributes
        return query
    }
}

extension ComparisonOperator {
    /// The operator with its operands swapped: `5 < x` is `x > 5`.
    var flipped: ComparisonOperator {
        switch self {
        case .equal, .notEqual: self
        case .greater: .less
        case .greaterEqual: .lessEqual
        case .less: .greater
        case .lessEqual: .greaterEqual
        }
    }
}

// MARK: Span-local queries

extension QueryRoot {
    /// True when every condition, `by()` field and metrics field reads only the span
    /// itself (its attributes, resource, scope, events, links and own intrinsics), so
    /// that spans can be judged one by one in any batch, without their traces: a single
    /// filter, then only filters and `select()`s.
    var isSpanLocal: Bool {
        var stages = pipeline.stages[...]
        guard case .spanset(.filter(let first))? = stages.popFirst(), first.map(Self.isLocal) ?? true else { return false }
        for stage in stages {
            switch stage {
            case .spanset(.filter(let condition)):
                if let condition, !Self.isLocal(condition) { return false }
            case .select:
                continue
            default:
                return false
            }
        }
        var local = true
        if let metrics {
            for field in metrics.by where !Self.isLocal(field) { local = false }
            switch metrics.function {
            case .minOverTime(let field), .maxOverTime(let field), .avgOverTime(let field), .sumOverTime(let field),
                 .quantileOverTime(let field, _), .histogramOverTime(let field):
                if !Self.isLocal(field) { local = false }
            case .rate, .countOverTime, .unsupported: break
            }
        }
        return local
    }

    private static func isLocal(_ expression: FieldExpression) -> Bool {
        !expression.reads(where: \.needsWholeTrace)
    }
}
