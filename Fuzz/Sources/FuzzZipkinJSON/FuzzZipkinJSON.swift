import FuzzSupport
import SpindleModel
import SpindleWire

/// Zipkin v2 JSON decoding.
///
/// Properties: decoding any input returns or throws (never traps); a decoded batch keeps
/// every ``SpanTables`` invariant; its Zipkin encoding decodes again, to the same spans by
/// trace ID, span ID, parent ID, name and start and end times. Zipkin is lossy (resource
/// and scope grouping may change), so full equality is not required, and the spans are
/// compared as a multiset.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTest(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let batch = try? ZipkinJSON.decode(bytes) else { return 0 }
    do {
        try batch.tables.validate()
    } catch {
        finding("decoded batch breaks an invariant: \(error)")
    }
    let encoded = ZipkinJSON.encode(batch)
    let decoded: SpanBatch
    do {
        decoded = try ZipkinJSON.decode(encoded)
    } catch {
        finding("re-encoded Zipkin JSON does not decode: \(error)\n\(String(decoding: encoded, as: UTF8.self))")
    }
    let before = batch.spans.map(SpanKey.init).sorted()
    let after = decoded.spans.map(SpanKey.init).sorted()
    if before != after {
        let lost = before.filter { !after.contains($0) }
        let gained = after.filter { !before.contains($0) }
        finding("round trip changed the spans (\(before.count) before, \(after.count) after): lost \(lost), gained \(gained)\n\(String(decoding: encoded, as: UTF8.self))")
    }
    return 0
}

/// What Zipkin carries exactly for every span.
struct SpanKey: Comparable, CustomStringConvertible {
    var traceID: TraceID
    var spanID: SpanID
    var parentSpanID: SpanID
    var name: String
    var startTimeUnixNano: UInt64
    var endTimeUnixNano: UInt64

    init(_ span: SpanRecord) {
        traceID = span.traceID
        spanID = span.spanID
        parentSpanID = span.parentSpanID
        name = span.name
        startTimeUnixNano = span.startTimeUnixNano
        endTimeUnixNano = span.endTimeUnixNano
    }

    static func < (lhs: SpanKey, rhs: SpanKey) -> Bool {
        (lhs.traceID, lhs.spanID, lhs.parentSpanID, lhs.startTimeUnixNano, lhs.endTimeUnixNano)
            < (rhs.traceID, rhs.spanID, rhs.parentSpanID, rhs.startTimeUnixNano, rhs.endTimeUnixNano)
            || (lhs.traceID, lhs.spanID, lhs.parentSpanID, lhs.startTimeUnixNano, lhs.endTimeUnixNano)
            == (rhs.traceID, rhs.spanID, rhs.parentSpanID, rhs.startTimeUnixNano, rhs.endTimeUnixNano)
            && lhs.name < rhs.name
    }

    var description: String {
        "\(traceID)/\(spanID) parent \(parentSpanID) \(name.debugDescription) \(startTimeUnixNano)–\(endTimeUnixNano)"
    }
}
