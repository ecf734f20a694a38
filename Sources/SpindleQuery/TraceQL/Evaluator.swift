import SpindleModel

/// Spans of a trace that a query stage produced, and the `by()` values that put them
/// together. `spans` are view indices, ascending, without repeats, never empty.
struct SpanSet {
    var spans: [Int]
    var labels: [Attribute]
}

/// Evaluates a query's spanset pipeline over one ``TraceView``, as Tempo does: every
/// stage maps a list of spansets to a list of spansets; the first stage sees one
/// spanset holding every span of the view.
///
/// - `{ … }` keeps the spans for which the condition holds; an empty result is dropped.
/// - `A && B`: both have matches; the result is all of their spans. `A || B`: the
///   spans of whichever have matches. Both evaluate their operands on the same input
///   spanset, and give one spanset per input spanset.
/// - Structural operators return right-hand spans related to left-hand spans (see
///   Evaluator+Structure.swift); parent and child relations come from the whole view.
/// - `| count() > 2` and other scalar filters keep the spansets for which they hold;
///   `| by(f)` splits each spanset by the value of `f` (spans without it form their own
///   group, labelled with an empty value); `| coalesce()` merges all spansets into one;
///   `| select(…)` changes no spanset (the engine adds the fields to returned spans).
struct Evaluator {
    let view: TraceView
    let regexes: [QueryRegex]

    init(_ view: TraceView, regexes: [QueryRegex]) {
        self.view = view
        self.regexes = regexes
    }

    /// The spansets `pipeline` produces for the view.
    func run(_ pipeline: Pipeline) -> [SpanSet] {
        guard view.count > 0 else { return [] }
        return run(pipeline, on: [SpanSet(spans: Array(0..<view.count), labels: [])])
    }

    func run(_ pipeline: Pipeline, on input: [SpanSet]) -> [SpanSet] {
        var sets = input
        for stage in pipeline.stages {
            if sets.isEmpty { break }
            switch stage {
            case .spanset(let expression):
                sets = sets.flatMap { evaluate(expression, on: $0) }
            case .scalarFilter(let op, let lhs, let rhs):
                sets = sets.filter { Value.compare(op, scalar(lhs, over: $0), scalar(rhs, over: $0)) }
            case .by(let fields):
                sets = sets.flatMap { group($0, by: fields) }
            case .select:
                break
            case .coalesce:
                sets = [SpanSet(spans: Self.union(sets.map(\.spans)), labels: [])]
            }
        }
        return sets
    }

    func evaluate(_ expression: SpansetExpression, on input: SpanSet) -> [SpanSet] {
        let spans: [Int]
        switch expression {
        case .filter(nil):
            spans = input.spans
        case .filter(let condition?):
            spans = input.spans.filter { holds(condition, span: $0, .none) }
        case .and(let operands):
            var parts: [[Int]] = []
            for operand in operands {
                let part = Self.union(evaluate(operand, on: input).map(\.spans))
                if part.isEmpty { return [] }
                parts.append(part)
            }
            spans = Self.union(parts)
        case .or(let operands):
            spans = Self.union(operands.flatMap { evaluate($0, on: input).map(\.spans) })
        case .structural(let op, let lhs, let rhs):
            let left = Self.union(evaluate(lhs, on: input).map(\.spans))
            let right = Self.union(evaluate(rhs, on: input).map(\.spans))
            spans = structural(op, left, right)
        case .pipeline(let pipeline):
            return run(pipeline, on: [input])
        }
        return spans.isEmpty ? [] : [SpanSet(spans: spans, labels: input.labels)]
    }

    /// Sorted, duplicate-free union of sorted lists.
    static func union(_ lists: [[Int]]) -> [Int] {
        let nonEmpty = lists.filter { !$0.isEmpty }
        if nonEmpty.count <= 1 { return nonEmpty.first ?? [] }
        var all = nonEmpty.flatMap { $0 }
        all.sort()
        var result: [Int] = []
        result.reserveCapacity(all.count)
        for span in all where result.last != span { result.append(span) }
        return result
    }

    // MARK: by()

    /// The label key of a `by()` field, as Tempo names it: `by(resource.service.name)`.
    static func byLabel(_ field: FieldExpression) -> String { "by(\(field))" }

    private func group(_ set: SpanSet, by fields: [FieldExpression]) -> [SpanSet] {
        var order: [GroupKey] = []
        var groups: [GroupKey: [Int]] = [:]
        for span in view.byStart(set.spans) {
            let key = GroupKey(values: fields.map { value($0, span: span, .none)?.attributeValue ?? .empty })
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(span)
        }
        return order.map { key in
            let labels = zip(fields, key.values).map { Attribute(Self.byLabel($0), $1) }
            return SpanSet(spans: (groups[key] ?? []).sorted(), labels: set.labels + labels)
        }
    }
}
