/// A parsed TraceQL query: a search (`{ … } | …`) or a metrics query (`… | rate()`).
///
/// Parsing checks everything that can be checked without data: syntax, intrinsic
/// names, literal types against intrinsics (`status = "error"` is refused, as in Tempo),
/// and regular expressions, which are compiled here once for the whole query.
/// ``description`` is the canonical text: every binary operation parenthesized, so it
/// shows how the query was grouped; it parses back to the same query.
public struct TraceQLQuery: Sendable, CustomStringConvertible {
    let root: QueryRoot
    /// Compiled patterns, indexed by ``RegexLiteral/index``.
    let regexes: [QueryRegex]

    /// Parses `text`; throws with the line and column of the first problem.
    public static func parse(_ text: String) throws(TraceQLError) -> TraceQLQuery {
        let (root, regexes) = try Parser.parse(text)
        return TraceQLQuery(root: root, regexes: regexes)
    }

    /// True when the query ends with a metrics function such as `rate()`: answer it with
    /// ``TraceQLEngine/metrics(_:timeRange:step:)``, not a search.
    public var isMetrics: Bool { root.metrics != nil }

    public var description: String { root.description }
}
