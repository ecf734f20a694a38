import SpindleModel

// The syntax tree of a TraceQL query. Every node prints in a canonical form (see
// AST+Printing.swift) that parses back to the same tree.

/// Where an attribute is looked up.
enum AttributeSelector: String, Hashable, Sendable {
    /// `.x`: the span's attributes, then its resource's.
    case any = ""
    case span
    case resource
    /// `event.x`: the attributes of the span's events.
    case event
    /// `link.x`: the attributes of the span's links.
    case link
    /// `instrumentation.x`: the attributes of the span's instrumentation scope.
    case instrumentation
    /// `parent.x`: Tempo's parent scope; parsed, answered with `unsupported`.
    case parent

    init?(scopeWord: String) {
        switch scopeWord {
        case "span": self = .span
        case "resource": self = .resource
        case "event": self = .event
        case "link": self = .link
        case "instrumentation": self = .instrumentation
        case "parent": self = .parent
        default: return nil
        }
    }
}

/// A value written in the query.
enum Literal: Hashable, Sendable {
    case string(String)
    case int(Int64)
    case float(Double)
    case bool(Bool)
    /// Nanoseconds.
    case duration(Int64)
    case status(StatusCode)
    case kind(SpanKind)
    case `nil`
}

/// Something a span has: an intrinsic or an attribute.
enum Field: Hashable, Sendable {
    case intrinsic(Intrinsic)
    case attribute(AttributeSelector, String)
}

enum ComparisonOperator: String, Hashable, Sendable {
    case equal = "="
    case notEqual = "!="
    case greater = ">"
    case greaterEqual = ">="
    case less = "<"
    case lessEqual = "<="
}

enum ArithmeticOperator: String, Hashable, Sendable {
    case add = "+"
    case subtract = "-"
    case multiply = "*"
    case divide = "/"
    case remainder = "%"
    case power = "^"
}

/// A regular expression written in the query; `index` points into
/// ``TraceQLQuery``'s compiled regexes.
struct RegexLiteral: Hashable, Sendable {
    var pattern: String
    var index: Int
}

/// An expression about one span: inside `{ }`, in `by()`, `select()` and aggregates.
indirect enum FieldExpression: Hashable, Sendable {
    case literal(Literal)
    case field(Field)
    case arithmetic(ArithmeticOperator, FieldExpression, FieldExpression)
    case negate(FieldExpression)
    case comparison(ComparisonOperator, FieldExpression, FieldExpression)
    /// `=~` (negated false) or `!~` (negated true) against a pattern.
    case match(FieldExpression, RegexLiteral, negated: Bool)
    case and([FieldExpression])
    case or([FieldExpression])
    case not(FieldExpression)
}

/// Structural operators between spansets.
enum SpansetOperator: String, Hashable, Sendable, CaseIterable {
    case child = ">"
    case parent = "<"
    case descendant = ">>"
    case ancestor = "<<"
    case sibling = "~"
    case notChild = "!>"
    case notParent = "!<"
    case notDescendant = "!>>"
    case notAncestor = "!<<"
    case notSibling = "!~"
    case unionChild = "&>"
    case unionParent = "&<"
    case unionDescendant = "&>>"
    case unionAncestor = "&<<"
    case unionSibling = "&~"
}

/// An expression whose value is a list of spansets.
indirect enum SpansetExpression: Hashable, Sendable {
    /// `{ … }`; nil for `{}`, which matches every span.
    case filter(FieldExpression?)
    /// `&&`: every operand has matches; the result is all of their spans.
    case and([SpansetExpression])
    /// `||`: the spans of every operand that has matches.
    case or([SpansetExpression])
    case structural(SpansetOperator, SpansetExpression, SpansetExpression)
    /// A parenthesized pipeline used as an operand: `({…} | count() > 1) && {…}`.
    case pipeline(Pipeline)
}

/// An aggregate over the spans of a spanset.
enum AggregateFunction: String, Hashable, Sendable {
    case count, avg, min, max, sum
}

/// An expression over a spanset's aggregates, for scalar filters.
indirect enum ScalarExpression: Hashable, Sendable {
    case literal(Literal)
    /// `count()` has no argument.
    case aggregate(AggregateFunction, FieldExpression?)
    case arithmetic(ArithmeticOperator, ScalarExpression, ScalarExpression)
    case negate(ScalarExpression)
}

/// One `|` stage of a spanset pipeline.
enum PipelineStage: Hashable, Sendable {
    case spanset(SpansetExpression)
    case scalarFilter(ComparisonOperator, ScalarExpression, ScalarExpression)
    case by([FieldExpression])
    case select([FieldExpression])
    case coalesce
}

/// Stages applied in order to the spansets of a trace; the first is always `.spanset`.
struct Pipeline: Hashable, Sendable {
    var stages: [PipelineStage]
}

/// The metrics function ending a metrics query.
enum MetricsFunction: Hashable, Sendable {
    case rate
    case countOverTime
    case minOverTime(FieldExpression)
    case maxOverTime(FieldExpression)
    case avgOverTime(FieldExpression)
    case sumOverTime(FieldExpression)
    case quantileOverTime(FieldExpression, [Double])
    case histogramOverTime(FieldExpression)
    /// A Tempo function this engine parses but does not evaluate (`compare()` ...), by name.
    case unsupported(String)
}

/// `| rate() by (…)` and friends.
struct MetricsStage: Hashable, Sendable {
    var function: MetricsFunction
    var by: [FieldExpression]
    /// Tempo constructs written after the function that this engine does not evaluate
    /// (`with(…)`, `| topk(…)` ...), by name.
    var unsupported: [String]
}

/// A whole query.
struct QueryRoot: Hashable, Sendable {
    var pipeline: Pipeline
    var metrics: MetricsStage?
}
