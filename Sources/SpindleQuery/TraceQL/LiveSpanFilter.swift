public import SpindleModel

/// A TraceQL query reduced to a condition on one span, for filtering spans as they
/// arrive (the server's live tail), when the rest of their trace is not known.
///
/// **What it takes.** Spanset filters `{ … }` with everything a filter may hold about one
/// span: span, resource, scope, event and link attributes, intrinsics (`name`, `status`,
/// `kind`, `duration`, `span:id`, `trace:id` …), `&&`, `||`, `!`, arithmetic and regular
/// expressions; and spansets joined by `&&` and `||`. An empty query and `{}` match every
/// span. Conditions are evaluated by the same code as searches (the internal `Evaluator`).
///
/// **`&&` between spansets** (`{ a } && { b }`) is decided on the one span: it matches when
/// it satisfies both sides, as `{ a && b }` does. Over a whole trace, `&&` asks for an
/// `a` span and a `b` span somewhere in it, which cannot be known while spans arrive; the
/// single-span reading never shows a span the trace-level query would not return.
/// `{ a } || { b }` matches a span satisfying either side, as over a trace.
///
/// **What it refuses**, with a ``TraceQLError`` naming the construct and where it is:
/// structural operators (`>`, `>>`, `~` …), pipeline stages after `|` (aggregates such as
/// `count()`, `by()`, `select()`, `coalesce()`, further spanset stages), metrics functions,
/// trace-level intrinsics (`trace:duration`, `trace:rootName`, `trace:rootService`,
/// `span:childCount`) and the `parent.` scope: each needs other spans of the trace.
public struct LiveSpanFilter: Sendable, CustomStringConvertible {
    /// The condition a span must satisfy; nil matches every span.
    let condition: FieldExpression?
    let regexes: [QueryRegex]

    /// Parses `text` and reduces it to a span condition. Blank text matches every span.
    /// Error positions point into `text`.
    public init(_ text: String) throws(TraceQLError) {
        if text.unicodeScalars.allSatisfy(\.properties.isWhitespace) {
            self.init(condition: nil, regexes: [])
            return
        }
        try self.init(query: try TraceQLQuery.parse(text), text: text)
    }

    /// Reduces a parsed query. Error positions point into the query's canonical text
    /// (``TraceQLQuery/description``).
    public init(_ query: TraceQLQuery) throws(TraceQLError) {
        try self.init(query: query, text: query.description)
    }

    private init(condition: FieldExpression?, regexes: [QueryRegex]) {
        self.condition = condition
        self.regexes = regexes
    }

    private init(query: TraceQLQuery, text: String) throws(TraceQLError) {
        if let refusal = Self.refusal(of: query.root) {
            let position = refusal.position(in: text)
            throw TraceQLError(
                line: position.line, column: position.column,
                message: "\(refusal.what); live tail filters single spans as they arrive, so it takes { } conditions joined by && and ||"
            )
        }
        guard case .spanset(let expression) = query.root.pipeline.stages.first else {
            // The parser always starts a pipeline with a spanset; refusal() checked the rest.
            throw TraceQLError(line: 1, column: 1, message: "expected a spanset filter such as \"{ }\"")
        }
        self.init(condition: Self.condition(expression), regexes: query.regexes)
    }

    /// True when every span matches (an empty query, `{}`, `{} || { … }`).
    public var matchesEverySpan: Bool { condition == nil }

    /// The indices (`0..<batch.spanCount`, ascending) of the spans of `batch` that match.
    public func matchingSpans(in batch: SpanBatch) -> [Int] {
        guard let condition else { return Array(0..<batch.spanCount) }
        let evaluator = Evaluator(TraceView(batch), regexes: regexes)
        return (0..<batch.spanCount).filter { evaluator.holds(condition, span: $0, .none) }
    }

    /// Whether the span at `index` (`0..<batch.spanCount`) of `batch` matches.
    public func matches(spanAt index: Int, in batch: SpanBatch) -> Bool {
        guard let condition else { return true }
        guard batch.spanCount > index, index >= 0 else { return false }
        return Evaluator(TraceView(batch), regexes: regexes).holds(condition, span: index, .none)
    }

    /// The span condition in TraceQL's canonical form: `{}` for every span.
    public var description: String {
        guard let condition else { return "{}" }
        return SpansetExpression.filter(condition).description
    }

    // MARK: Reduction

    /// One condition on a span for a spanset expression of filters joined by `&&`/`||`;
    /// nil when every span matches. Only called on expressions `refusal` accepted.
    private static func condition(_ expression: SpansetExpression) -> FieldExpression? {
        switch expression {
        case .filter(let condition):
            return condition
        case .and(let operands):
            let conditions = operands.compactMap(condition)
            if conditions.isEmpty { return nil }
            return conditions.count == 1 ? conditions[0] : .and(conditions)
        case .or(let operands):
            var conditions: [FieldExpression] = []
            for operand in operands {
                // `{}` on one side: every span matches.
                guard let condition = condition(operand) else { return nil }
                conditions.append(condition)
            }
            return conditions.count == 1 ? conditions[0] : .or(conditions)
        case .structural, .pipeline:
            return nil
        }
    }

    // MARK: Refusals

    /// A construct that needs more than one span, and where to find it in the text.
    struct Refusal: Equatable {
        enum Place: Equatable {
            /// The first `|` outside braces.
            case pipe
            /// The first structural operator outside braces.
            case structuralOperator
            /// The first of these words inside braces.
            case word(Set<String>)
            /// The first `parent.` attribute.
            case parentScope
        }

        var what: String
        var place: Place

        /// Where the construct is in `text` (line 1, column 1 if it cannot be found).
        func position(in text: String) -> SourcePosition {
            let start = SourcePosition(line: 1, column: 1)
            guard let tokens = try? Lexer.tokenize(text) else { return start }
            var braces = 0
            for token in tokens {
                switch token.kind {
                case .leftBrace: braces += 1
                case .rightBrace: braces -= 1
                case .pipe where place == .pipe && braces == 0:
                    return token.position
                case .word(let word):
                    if case .word(let words) = place, braces > 0, words.contains(word) { return token.position }
                case .attribute(.parent, _) where place == .parentScope:
                    return token.position
                default:
                    if place == .structuralOperator, braces == 0, Parser.structuralOperator(token.kind) != nil { return token.position }
                }
            }
            return start
        }
    }

    static func refusal(of root: QueryRoot) -> Refusal? {
        if let refusal = refusal(of: root.pipeline) { return refusal }
        if let metrics = root.metrics {
            return Refusal(what: "the metrics function \(metrics.function) aggregates spans over time", place: .pipe)
        }
        return nil
    }

    private static func refusal(of pipeline: Pipeline) -> Refusal? {
        for (position, stage) in pipeline.stages.enumerated() {
            switch stage {
            case .spanset(let expression):
                if position > 0 {
                    return Refusal(what: "a second spanset stage after \"|\" filters spansets of a whole trace (write { a && b } instead of { a } | { b })", place: .pipe)
                }
                if let refusal = refusal(of: expression) { return refusal }
            case .scalarFilter(_, let lhs, let rhs):
                let function = lhs.firstAggregate ?? rhs.firstAggregate
                let what = function.map { "the aggregate \($0.rawValue)()" } ?? "a scalar filter"
                return Refusal(what: "\(what) needs a whole spanset", place: .pipe)
            case .by:
                return Refusal(what: "by() groups the spans of a whole trace", place: .pipe)
            case .select:
                return Refusal(what: "select() picks fields for search results (live tail sends every span whole)", place: .pipe)
            case .coalesce:
                return Refusal(what: "coalesce() merges the spansets of a whole trace", place: .pipe)
            }
        }
        return nil
    }

    private static func refusal(of expression: SpansetExpression) -> Refusal? {
        switch expression {
        case .filter(nil):
            return nil
        case .filter(let condition?):
            return refusal(of: condition)
        case .and(let operands), .or(let operands):
            for operand in operands {
                if let refusal = refusal(of: operand) { return refusal }
            }
            return nil
        case .structural(let op, let lhs, _):
            if let refusal = refusal(of: lhs) { return refusal }
            return Refusal(what: "the structural operator \"\(op.rawValue)\" relates spans of a whole trace", place: .structuralOperator)
        case .pipeline(let pipeline):
            return refusal(of: pipeline)
        }
    }

    private static func refusal(of condition: FieldExpression) -> Refusal? {
        var found: Refusal?
        _ = condition.reads { field in
            guard found == nil else { return true }
            switch field {
            case .intrinsic(let intrinsic) where intrinsic.meaning.isTraceLevel:
                let spellings = Set(Intrinsic.allCases.filter { $0.meaning == intrinsic.meaning }.map(\.rawValue))
                found = Refusal(what: "the intrinsic \(intrinsic.rawValue) needs the other spans of the trace", place: .word(spellings))
            case .attribute(.parent, _):
                found = Refusal(what: "the parent scope (\(field)) needs the span's parent", place: .parentScope)
            default:
                break
            }
            return found != nil
        }
        return found
    }
}

extension ScalarExpression {
    /// The first aggregate function in the expression, left to right.
    var firstAggregate: AggregateFunction? {
        switch self {
        case .literal: nil
        case .aggregate(let function, _): function
        case .arithmetic(_, let lhs, let rhs): lhs.firstAggregate ?? rhs.firstAggregate
        case .negate(let operand): operand.firstAggregate
        }
    }
}
