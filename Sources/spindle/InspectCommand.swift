import ArgumentParser
import SpindleModel

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Print the spans of a payload file as a table, grouped by trace."
    )

    @Option(help: "Input format (default: from the file name).")
    var from: PayloadFormat?

    @Argument(help: "Input file, or - for standard input.")
    var input: String

    func run() throws {
        let batch = try decodeFile(input, format: try resolveFormat(from, path: input, role: "input"))
        print(Self.render(batch), terminator: "")
    }

    /// One line per span, traces in order of first appearance, children indented under
    /// their parents.
    static func render(_ batch: SpanBatch) -> String {
        var out = "\(batch.spanCount) spans in \(batch.tables.resources.count) resources\n"
        var traceOrder: [TraceID] = []
        var byTrace: [TraceID: [Int]] = [:]
        for index in 0..<batch.spanCount {
            let traceID = batch.tables.spans[index].traceID
            if byTrace[traceID] == nil { traceOrder.append(traceID) }
            byTrace[traceID, default: []].append(index)
        }
        for traceID in traceOrder {
            out += "trace \(traceID)\n"
            let indices = byTrace[traceID] ?? []
            let spans = indices.map { ($0, batch.span(at: $0)) }
            let ids = Set(spans.map(\.1.spanID))
            var children: [SpanID: [(Int, SpanRecord)]] = [:]
            var roots: [(Int, SpanRecord)] = []
            for entry in spans {
                if entry.1.parentSpanID.isValid, ids.contains(entry.1.parentSpanID) {
                    children[entry.1.parentSpanID, default: []].append(entry)
                } else {
                    roots.append(entry)
                }
            }
            func line(_ entry: (Int, SpanRecord), depth: Int, visited: inout Set<SpanID>) {
                let (index, span) = entry
                guard visited.insert(span.spanID).inserted else { return }
                let service = batch.resource(ofSpanAt: index).serviceName ?? "?"
                let status = span.status.code == .error ? " ERROR \(span.status.message)" : ""
                let indent = String(repeating: "  ", count: depth + 1)
                out += "\(indent)\(span.spanID) \(service): \(span.name) [\(span.kind)] \(formatDuration(span.durationNanos))\(status)\n"
                for child in children[span.spanID] ?? [] { line(child, depth: depth + 1, visited: &visited) }
            }
            var visited: Set<SpanID> = []
            for root in roots { line(root, depth: 0, visited: &visited) }
        }
        return out
    }

    static func formatDuration(_ nanos: UInt64) -> String {
        switch nanos {
        case ..<1_000: "\(nanos)ns"
        case ..<1_000_000: "\(formatFraction(nanos, 1_000))µs"
        case ..<1_000_000_000: "\(formatFraction(nanos, 1_000_000))ms"
        default: "\(formatFraction(nanos, 1_000_000_000))s"
        }
    }

    private static func formatFraction(_ value: UInt64, _ unit: UInt64) -> String {
        let whole = value / unit
        let tenths = (value % unit) * 10 / unit
        return "\(whole).\(tenths)"
    }
}
