import SpindleModel
import SpindleWire

/// The Server-Sent Events of the live tail (docs/api.md, "Live tail"). Every `data:` is
/// one line of JSON: JSONWriter escapes line breaks (and U+2028/U+2029) in strings, so
/// nothing in a span can end an event early.
enum LiveTailEvents {
    /// `event: span` with the span in the shape of Spindle's API: IDs in hex (`parentSpanID`
    /// empty for a root), the resource's `service.name`, kind and status by name, times
    /// as Unix-nanosecond strings, duration in nanoseconds, span attributes as OTLP/JSON.
    static func span(at index: Int, of batch: SpanBatch) -> [UInt8] {
        let tables = batch.tables
        let row = tables.spans[index]
        var writer = JSONWriter(reservingCapacity: 512)
        writer.object { writer in
            writer.member("traceID", row.traceID.hexString)
            writer.member("spanID", row.spanID.hexString)
            writer.member("parentSpanID", row.parentSpanID.isValid ? row.parentSpanID.hexString : "")
            writer.member("service", service(ofSpanAt: index, in: tables))
            writer.member("name", tables.string(row.name))
            writer.member("kind", row.kind.name)
            writer.member("startTimeUnixNano", String(row.startTimeUnixNano))
            writer.member("durationNanos", row.endTimeUnixNano >= row.startTimeUnixNano ? row.endTimeUnixNano - row.startTimeUnixNano : 0)
            writer.member("status", row.statusCode.name)
            writer.member("statusMessage", tables.string(row.statusMessage))
            writer.key("attributes")
            OTLPJSON.writeAttributes(tables.attributes(row.attributes, in: tables.spanAttributes), into: &writer)
        }
        return event("span", data: writer.bytes)
    }

    /// `event: dropped`, `data: {"dropped":N}`: N spans matched but were dropped because
    /// the client fell behind.
    static func dropped(_ count: Int) -> [UInt8] {
        event("dropped", data: JSONWriter.object { $0.member("dropped", count) })
    }

    /// The stream's first bytes: the reconnection delay. It also sends the response head
    /// at once, so a client knows it is subscribed.
    static func preamble(retry: Duration) -> [UInt8] {
        let (seconds, attoseconds) = retry.components
        let (millis, overflow) = seconds.multipliedReportingOverflow(by: 1_000)
        let total = overflow ? Int64.max : millis &+ attoseconds / 1_000_000_000_000_000
        return Array("retry: \(max(0, total))\n\n".utf8)
    }

    /// A comment line: ignored by clients, keeps the connection visibly alive.
    static let heartbeat: [UInt8] = Array(": keep-alive\n\n".utf8)

    private static func event(_ name: String, data: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(name.utf8.count + data.count + 16)
        bytes += "event: ".utf8
        bytes += name.utf8
        bytes += "\ndata: ".utf8
        bytes += data
        bytes += "\n\n".utf8
        return bytes
    }

    /// The string `service.name` of the span's resource, or "".
    private static func service(ofSpanAt index: Int, in tables: SpanTables) -> String {
        let resource = tables.resources[Int(tables.scopes[Int(tables.spans[index].scopeIndex)].resourceIndex)]
        for slotIndex in resource.attributes.indices where tables.equals(tables.resourceAttributes[slotIndex].key, "service.name") {
            let value = tables.resourceAttributes[slotIndex].value
            return value.kind == .string ? tables.string(value.byteRef) : ""
        }
        return ""
    }
}
