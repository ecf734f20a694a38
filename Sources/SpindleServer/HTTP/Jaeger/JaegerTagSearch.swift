import SpindleModel
import SpindleStorage

/// How a Jaeger tag search becomes ``TraceQuery``s that answer it exactly.
///
/// Jaeger matches `key=value` against a span's tags and its process's tags by their text,
/// and every tag of a search must hold on the same span. Spindle shows a span's
/// attributes, its resource's attributes and a few tags it derives from OTLP fields (see
/// ``JaegerTraceJSON``), so a tag holds on a span when any of these holds:
/// - a span attribute or a resource attribute named `key` is the string `value`;
/// - `value` is `true` or `false` and that attribute is that bool;
/// - `value` is written as a decimal number (`-?(0|[1-9][0-9]*)(.[0-9]+)?`) and that
///   attribute is an int or double numerically equal to it (`200` matches 200 and 200.0);
/// - derived tags: `error=true` matches status error, `otel.status_code` `OK` and `ERROR`
///   match those statuses, `span.kind` (`server`, `client`, `producer`, `consumer`,
///   `internal`) matches that kind.
///
/// The other derived tags (`otel.scope.name`, `otel.scope.version`,
/// `otel.status_description`, `w3c.tracestate`) cannot be searched: ``TraceQuery`` has no
/// filter for them, so a search naming one is refused rather than answered partly.
/// Jaeger also matches log (event) fields; Spindle does not.
///
/// A ``TraceQuery`` filter has one scope and one typed value, so each tag becomes a list
/// of alternatives, and the search the union of one query per combination. Alternatives
/// that cannot match (an attribute key that no span or resource in the range has) are
/// pruned first; a search that still needs more than ``maxQueries`` queries is refused.
enum JaegerTagSearch {
    /// One way a tag can hold on a span.
    enum Alternative: Hashable, Sendable {
        case attribute(AttributeFilter)
        case status(StatusCode)
        case kind(SpanKind)

        var attributeScope: AttributeScope? {
            if case .attribute(let filter) = self { filter.scope } else { nil }
        }
    }

    /// The most queries one search runs.
    static let maxQueries = 64

    /// Derived tags that no ``TraceQuery`` filter expresses, and what they come from.
    static let unsearchable: [String: String] = [
        "otel.scope.name": "instrumentation scope",
        "otel.scope.version": "instrumentation scope",
        "otel.status_description": "status message",
        "w3c.tracestate": "trace state",
    ]

    /// Every way `tag` can hold on a span, in both attribute scopes; refuses the derived
    /// tags search cannot filter on.
    static func alternatives(for tag: JaegerTag) throws(APIError) -> [Alternative] {
        if let source = unsearchable[tag.key] {
            throw APIError(
                status: .badRequest,
                message: "tag '\(tag.key)' cannot be searched: Spindle derives it from the span's \(source), which search does not filter on"
            )
        }
        var alternatives: [Alternative] = []
        switch tag.key {
        case "error" where tag.value == "true":
            alternatives.append(.status(.error))
        case "otel.status_code" where tag.value == "OK":
            alternatives.append(.status(.ok))
        case "otel.status_code" where tag.value == "ERROR":
            alternatives.append(.status(.error))
        case "span.kind":
            if let kind = derivedKind(tag.value) { alternatives.append(.kind(kind)) }
        default:
            break
        }
        for scope in [AttributeScope.span, .resource] {
            for value in typedValues(tag.value) {
                alternatives.append(.attribute(AttributeFilter(scope: scope, key: tag.key, .equals(value))))
            }
        }
        return alternatives
    }

    /// The `span.kind` tag values Spindle derives (unspecified gets none).
    private static func derivedKind(_ text: String) -> SpanKind? {
        switch text {
        case "server": .server
        case "client": .client
        case "producer": .producer
        case "consumer": .consumer
        case "internal": .internal
        default: nil
        }
    }

    /// The attribute values whose text `text` is: the string itself, plus a bool or a
    /// number when it reads as one.
    static func typedValues(_ text: String) -> [AttributeValue] {
        var values: [AttributeValue] = [.string(text)]
        if text == "true" {
            values.append(.bool(true))
        } else if text == "false" {
            values.append(.bool(false))
        } else if isDecimal(text) {
            if let int = Int64(text) {
                values.append(.int(int))
            } else if let double = Double(text), double.isFinite {
                values.append(.double(double))
            }
        }
        return values
    }

    /// `-?(0|[1-9][0-9]*)(.[0-9]+)?`: no exponent, no leading zeros, no `inf` or `nan`.
    static func isDecimal(_ text: String) -> Bool {
        var bytes = text.utf8[...]
        if bytes.first == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
        let integer = bytes.prefix { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
        guard !integer.isEmpty, integer.count <= 40, !(integer.count > 1 && integer.first == UInt8(ascii: "0")) else { return false }
        bytes = bytes.dropFirst(integer.count)
        if bytes.isEmpty { return true }
        guard bytes.first == UInt8(ascii: ".") else { return false }
        let fraction = bytes.dropFirst()
        return !fraction.isEmpty && fraction.count <= 40 && fraction.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }

    /// Drops the attribute alternatives of `scope` whose key is not in `keys` (the keys
    /// seen in that scope in the search's range: such a filter cannot match).
    static func prune(_ alternatives: [[Alternative]], scope: AttributeScope, keys: Set<String>) -> [[Alternative]] {
        alternatives.map { list in
            list.filter { alternative in
                guard case .attribute(let filter) = alternative, filter.scope == scope else { return true }
                return keys.contains(filter.key)
            }
        }
    }

    /// How many queries the combinations of `alternatives` make, saturating at
    /// `Int.max`.
    static func combinationCount(_ alternatives: [[Alternative]]) -> Int {
        var count = 1
        for list in alternatives {
            let (product, overflow) = count.multipliedReportingOverflow(by: list.count)
            count = overflow ? .max : product
        }
        return count
    }

    /// One query per combination of one alternative from each list, on top of `base`;
    /// combinations that contradict themselves (two statuses, two kinds) are left out,
    /// as are duplicates. Empty when some tag has no alternative left: nothing matches.
    static func queries(base: TraceQuery, alternatives: [[Alternative]]) -> [TraceQuery] {
        var partial: [TraceQuery] = [base]
        for list in alternatives {
            var next: [TraceQuery] = []
            for query in partial {
                for alternative in list {
                    var extended = query
                    switch alternative {
                    case .attribute(let filter):
                        extended.attributes.append(filter)
                    case .status(let status):
                        if let existing = extended.status, existing != status { continue }
                        extended.status = status
                    case .kind(let kind):
                        if let existing = extended.kind, existing != kind { continue }
                        extended.kind = kind
                    }
                    next.append(extended)
                }
            }
            partial = next
        }
        var seen = Set<TraceQuery>()
        return partial.filter { seen.insert($0).inserted }
    }
}
