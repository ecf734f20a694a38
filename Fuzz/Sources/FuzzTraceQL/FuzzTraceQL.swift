import FuzzSupport
import SpindleModel
import SpindleQuery
import SpindleStorage

/// TraceQL text, parsed and then evaluated over a small fixed trace as the engine would.
///
/// Properties: any text either parses or is refused with a ``TraceQLError`` whose line
/// and column lie inside the text (never a trap); a parsed query prints as text that
/// parses back to the same printed form; evaluation and planning never trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTest(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let query: TraceQLQuery
    do {
        query = try TraceQLQuery.parse(text)
    } catch {
        // Lines are counted by "\n" scalars, as the lexer counts them ("\r\n" is one
        // Character, so splitting the String would undercount).
        let lines = text.unicodeScalars.reduce(1) { $0 + ($1 == "\n" ? 1 : 0) }
        guard error.line >= 1, error.line <= lines, error.column >= 1 else {
            finding("error position line \(error.line), column \(error.column) outside the text: \(error)")
        }
        return 0
    }
    let printed = query.description
    guard let reparsed = try? TraceQLQuery.parse(printed), reparsed.description == printed else {
        finding("\(text.debugDescription) prints as \(printed.debugDescription), which does not parse back to itself")
    }
    _ = query.storageQuery(timeRange: .all, limit: 20)
    if !query.isMetrics {
        _ = try? query.spanSets(in: FuzzTrace.batch, spansPerSpanSet: 3)
    }
    return 0
}

/// A trace with every kind of value a query can read: nested spans, events, links, an
/// orphan, arrays, maps, bytes, NaN.
enum FuzzTrace {
    static let batch: SpanBatch = {
        let trace = TraceID(high: 1, low: 2)
        func span(_ id: UInt64, _ parent: UInt64, _ name: String, _ kind: SpanKind, _ start: UInt64, _ end: UInt64, _ attributes: [Attribute], status: StatusCode = .unset) -> SpanRecord {
            SpanRecord(
                traceID: trace, spanID: SpanID(id), parentSpanID: SpanID(parent), name: name, kind: kind,
                startTimeUnixNano: start, endTimeUnixNano: end, attributes: attributes,
                events: [SpanEvent(timeUnixNano: start + 1, name: "event", attributes: [Attribute("attempt", .int(1))])],
                links: [SpanLink(traceID: trace, spanID: SpanID(9), attributes: [Attribute("reason", "retry")])],
                status: SpanStatus(code: status, message: status == .error ? "boom" : "")
            )
        }
        var builder = SpanBatchBuilder()
        let frontend = Resource(attributes: [Attribute("service.name", "frontend"), Attribute("region", "eu")])
        let database = Resource(attributes: [Attribute("service.name", "db"), Attribute("weight", .double(.nan))])
        let scope = InstrumentationScope(name: "fuzz", version: "1")
        builder.append(span(1, 0, "GET /", .server, 1_000, 9_000, [Attribute("http.status_code", .int(200)), Attribute("tags", .array(["a", .int(1)]))]), resource: frontend, scope: scope)
        builder.append(span(2, 1, "query", .client, 2_000, 5_000, [Attribute("db.rows", .int(10)), Attribute("ratio", .double(0.5))], status: .error), resource: database, scope: scope)
        builder.append(span(3, 2, "fetch", .internal, 3_000, 4_000, [Attribute("meta", .keyValueList([Attribute("k", .bool(true))])), Attribute("digest", .bytes([0, 255]))]), resource: database, scope: scope)
        builder.append(span(4, 1, "cache", .client, 6_000, 6_500, [Attribute("cache.hit", .bool(false))], status: .ok), resource: frontend, scope: scope)
        builder.append(span(5, 77, "orphan", .consumer, 7_000, 8_000, [Attribute("", "")]), resource: Resource(), scope: scope)
        return builder.build()
    }()
}
