import Foundation
import SpindleModel
import Synchronization

/// Writes one readable line per span, for development:
///
///     2025-03-01T12:00:00.123456Z checkout 4bf92f3577b34da6a3ce929d0e0e4736 00f067aa0ba902b7 server "GET /cart" 12.345ms ok http.method="GET" http.status_code=200
///
/// Fields: the start time (UTC), `service.name` (`-` if unset), trace ID, span ID, kind,
/// name, duration in milliseconds, status (with its message after a colon), then the
/// attributes as `key=value`. Events and links are summarized as counts when present.
public final class ConsoleSpanExporter: SpanExporter {
    private let write: @Sendable (String) -> Void
    private let isShutDown = Atomic<Bool>(false)

    /// Writes to standard output.
    public convenience init() {
        self.init { line in FileHandle.standardOutput.write(Data(line.utf8)) }
    }

    /// Writes each line, ending in `\n`, to `write`.
    public init(write: @escaping @Sendable (String) -> Void) {
        self.write = write
    }

    public func export(_ spans: [FinishedSpan]) async throws(ExportError) {
        guard !isShutDown.load(ordering: .relaxed) else { throw .shutDown }
        var text = ""
        for span in spans {
            text += Self.line(for: span)
            text += "\n"
        }
        write(text)
    }

    public func shutdown() async {
        isShutDown.store(true, ordering: .relaxed)
    }

    /// The line for `span`, without its newline.
    static func line(for span: FinishedSpan) -> String {
        var line = UTCTimestamp.string(unixNano: span.startTimeUnixNano)
        line += " \(span.resource.serviceName ?? "-") \(span.context.traceID.hexString) \(span.context.spanID.hexString)"
        line += " \(span.kind.name) \(quoted(span.name)) \(milliseconds(span))ms \(span.status.code.name)"
        if !span.status.message.isEmpty { line += ":\(quoted(span.status.message))" }
        for attribute in span.attributes { line += " \(attribute.key)=\(describe(attribute.value))" }
        if !span.events.isEmpty { line += " events=\(span.events.count)" }
        if !span.links.isEmpty { line += " links=\(span.links.count)" }
        return line
    }

    private static func milliseconds(_ span: FinishedSpan) -> String {
        let nanos = span.endTimeUnixNano >= span.startTimeUnixNano ? span.endTimeUnixNano - span.startTimeUnixNano : 0
        let fraction = String(nanos % 1_000_000 / 1000)
        return "\(nanos / 1_000_000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
    }

    private static func describe(_ value: AttributeValue) -> String {
        switch value {
        case .string(let string): quoted(string)
        case .bool(let bool): String(bool)
        case .int(let int): String(int)
        case .double(let double): String(double)
        case .bytes(let bytes): "0x" + Hex.string(bytes)
        case .array(let values): "[" + values.map(describe).joined(separator: ",") + "]"
        case .keyValueList(let attributes): "{" + attributes.map { "\($0.key)=\(describe($0.value))" }.joined(separator: ",") + "}"
        case .empty: "null"
        }
    }

    private static func quoted(_ string: String) -> String {
        var out = "\""
        for character in string.unicodeScalars {
            switch character {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(character)
            }
        }
        return out + "\""
    }
}
