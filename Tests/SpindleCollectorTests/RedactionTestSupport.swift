import SpindleModel
import Testing
@testable import SpindleCollector

/// A batch of one span (in one resource and scope) with these parts.
func redactionBatch(
    name: String = "GET /api/orders",
    status: SpanStatus = SpanStatus(),
    attributes: [Attribute] = [],
    events: [SpanEvent] = [],
    links: [SpanLink] = [],
    resource: [Attribute] = [Attribute("service.name", "checkout")],
    scope: [Attribute] = []
) -> SpanBatch {
    let span = SpanRecord(
        traceID: traceA, spanID: SpanID(1), name: name, kind: .server, startTimeUnixNano: 1000, endTimeUnixNano: 2000,
        attributes: attributes, events: events, links: links, status: status
    )
    return SpanBatch([
        ResourceSpans(
            resource: Resource(attributes: resource),
            scopeSpans: [ScopeSpans(scope: InstrumentationScope(name: "tests", version: "1", attributes: scope), spans: [span])]
        )
    ])
}

/// The only span of `batch`.
func onlySpan(_ batch: SpanBatch) throws -> SpanRecord {
    try #require(batch.spanCount == 1)
    return batch.span(at: 0)
}

/// A hash key for tests (32 bytes).
let testHashKey = Array("spindle-redaction-test-key-0001!".utf8)

/// A redactor for `configuration`; records the error and returns the default one if it is invalid.
func redactor(_ configuration: RedactionConfiguration, sourceLocation: SourceLocation = #_sourceLocation) -> Redactor {
    do {
        return try Redactor(configuration: configuration)
    } catch {
        Issue.record("invalid configuration: \(error)", sourceLocation: sourceLocation)
        return Redactor()
    }
}

/// True when both batches hold exactly the same tables and arena bytes.
func sameTables(_ lhs: SpanBatch, _ rhs: SpanBatch) -> Bool {
    let (a, b) = (lhs.tables, rhs.tables)
    return a.arena == b.arena && a.resources == b.resources && a.scopes == b.scopes && a.spans == b.spans
        && a.events == b.events && a.links == b.links && a.resourceAttributes == b.resourceAttributes
        && a.scopeAttributes == b.scopeAttributes && a.spanAttributes == b.spanAttributes
        && a.eventAttributes == b.eventAttributes && a.linkAttributes == b.linkAttributes
        && a.nestedValues == b.nestedValues && a.nestedAttributes == b.nestedAttributes
}
