import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import SpindleModel
import SpindleWire

/// `spindle query`: asks a running Spindle for a trace by ID or for traces matching a
/// TraceQL query, through its own API, and prints a readable tree or table (or the JSON).
struct QueryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Print a trace by ID, or the traces matching a TraceQL query, from a running Spindle.",
        discussion: """
        Examples:
          spindle query 4bf92f3577b34da6a3ce929d0e0e4736
          spindle query '{ resource.service.name = "checkout" && duration > 100ms }' --since 1h
          spindle query '{ status = error } | rate() by (resource.service.name)' --since 30m --step 1m
        """
    )

    @Argument(help: "A trace ID (hex) or a TraceQL query.")
    var query: String

    @Option(help: "The Spindle UI/API address.")
    var server = "http://127.0.0.1:16686"

    @Option(help: "Look back this far for TraceQL (e.g. 15m, 1h, 7d); all stored data when omitted.")
    var since: String?

    @Option(help: "The most traces to list.")
    var limit = 20

    @Option(help: "The step of a metrics query (e.g. 30s, 1m).")
    var step: String?

    @Flag(help: "Print the API's JSON instead of text.")
    var json = false

    func run() async throws {
        print(try await output(), terminator: "")
    }

    /// What `run` prints.
    func output() async throws -> String {
        let base = server.hasSuffix("/") ? String(server.dropLast()) : server
        let trimmed = query.trimmingCharacters(in: .whitespaces)
        let isTraceID = !trimmed.isEmpty && trimmed.count <= 32 && trimmed.allSatisfy(\.isHexDigit)
        var url: String
        var sinceNanos: UInt64?
        if let since {
            guard let nanos = Self.parseLookback(since) else {
                throw ValidationError("--since: expected a duration such as 15m, 1h or 7d, got \"\(since)\"")
            }
            sinceNanos = nanos
        }
        if isTraceID {
            url = "\(base)/api/spindle/traces/\(trimmed)"
        } else {
            let metrics = Self.looksLikeMetrics(trimmed)
            var items = [URLQueryItem(name: "q", value: trimmed)]
            let now = UInt64(Date().timeIntervalSince1970 * 1e9)
            if let sinceNanos {
                items.append(URLQueryItem(name: "start", value: String(now > sinceNanos ? now - sinceNanos : 0)))
                items.append(URLQueryItem(name: "end", value: String(now)))
            }
            if metrics {
                if let step { items.append(URLQueryItem(name: "step", value: step)) }
            } else {
                items.append(URLQueryItem(name: "limit", value: String(limit)))
            }
            var components = URLComponents(string: base + (metrics ? "/api/spindle/metrics/query_range" : "/api/spindle/traceql"))
            components?.queryItems = items
            guard let built = components?.url?.absoluteString else {
                throw ValidationError("--server: \"\(server)\" is not a URL")
            }
            url = built
        }

        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup)
        let outcome: Result<(Int, [UInt8]), any Error>
        do {
            let response = try await client.execute(HTTPClientRequest(url: url), timeout: .seconds(120))
            let body = try await response.body.collect(upTo: 512 << 20)
            outcome = .success((Int(response.status.code), Array(body.readableBytesView)))
        } catch {
            outcome = .failure(error)
        }
        try await client.shutdown()
        let (status, body) = try outcome.get()

        guard status == 200 else {
            let message = (try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])
                .flatMap { $0["error"] as? [String: Any] }
                .flatMap { $0["message"] as? String } ?? String(decoding: body, as: UTF8.self)
            throw QueryFailure(message: "the server answered \(status): \(message)")
        }
        if json { return String(decoding: body, as: UTF8.self) + "\n" }
        if isTraceID { return InspectCommand.render(try OTLPJSON.decodeExportRequest(body)) }
        if Self.looksLikeMetrics(trimmed) { return try Self.renderSeries(body) }
        return try Self.renderTraces(body)
    }

    struct QueryFailure: Error, Equatable, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    /// A metrics query ends in a metrics function (the server decides for certain).
    static func looksLikeMetrics(_ query: String) -> Bool {
        ["rate(", "count_over_time(", "quantile_over_time(", "histogram_over_time(", "min_over_time(",
         "max_over_time(", "avg_over_time(", "sum_over_time("].contains { query.contains($0) }
    }

    static func parseLookback(_ text: String) -> UInt64? {
        let units: [(String, UInt64)] = [("ms", 1_000_000), ("s", 1_000_000_000), ("m", 60_000_000_000), ("h", 3_600_000_000_000), ("d", 86_400_000_000_000)]
        for (unit, nanos) in units where text.hasSuffix(unit) {
            let number = text.dropLast(unit.count)
            guard !number.isEmpty, number.allSatisfy(\.isNumber), let value = UInt64(number) else { continue }
            let (total, overflow) = value.multipliedReportingOverflow(by: nanos)
            return overflow ? nil : total
        }
        return nil
    }

    /// The TraceQL search result as a table: one line per trace, then its matched spans.
    static func renderTraces(_ body: [UInt8]) throws -> String {
        guard let root = try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
              let traces = root["traces"] as? [[String: Any]]
        else { throw QueryFailure(message: "the server's answer is not a TraceQL result") }
        if traces.isEmpty { return "no traces matched\n" }
        var out = ""
        for trace in traces {
            let id = trace["traceID"] as? String ?? "?"
            let service = trace["rootService"] as? String ?? ""
            let operation = trace["rootOperation"] as? String ?? ""
            let duration = (trace["durationNanos"] as? NSNumber)?.uint64Value ?? 0
            let spans = (trace["spanCount"] as? NSNumber)?.intValue ?? 0
            let errors = (trace["errorCount"] as? NSNumber)?.intValue ?? 0
            let start = UInt64(trace["startTimeUnixNano"] as? String ?? "") ?? 0
            out += "\(id)  \(QueryText.timestamp(start))  \(InspectCommand.formatDuration(duration).padding(toLength: 10, withPad: " ", startingAt: 0))  \(service): \(operation)  (\(spans) spans\(errors > 0 ? ", \(errors) errors" : ""))\n"
            for set in trace["spanSets"] as? [[String: Any]] ?? [] {
                for span in set["spans"] as? [[String: Any]] ?? [] {
                    let spanDuration = (span["durationNanos"] as? NSNumber)?.uint64Value ?? 0
                    out += "    \(span["spanID"] as? String ?? "?")  \(InspectCommand.formatDuration(spanDuration))  \(span["service"] as? String ?? ""): \(span["name"] as? String ?? "")\n"
                }
            }
        }
        return out
    }

    /// A metrics result: one block per series, one line per sample.
    static func renderSeries(_ body: [UInt8]) throws -> String {
        guard let root = try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
              let series = root["series"] as? [[String: Any]]
        else { throw QueryFailure(message: "the server's answer is not a metrics result") }
        if series.isEmpty { return "no series\n" }
        var out = ""
        for one in series {
            let labels = (one["labels"] as? [[String: Any]] ?? []).map { label -> String in
                let value = label["value"] as? [String: Any] ?? [:]
                let text = value.values.first.map { "\($0)" } ?? ""
                return "\(label["key"] as? String ?? "")=\(text)"
            }
            out += "{\(labels.joined(separator: ", "))}\n"
            for sample in one["samples"] as? [[String: Any]] ?? [] {
                let time = UInt64(sample["timestampUnixNano"] as? String ?? "") ?? 0
                out += "  \(QueryText.timestamp(time))  \(sample["value"].map { "\($0)" } ?? "")\n"
            }
        }
        return out
    }
}

/// Times in `spindle query`'s text output.
enum QueryText {
    static func timestamp(_ nanos: UInt64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date(timeIntervalSince1970: Double(nanos) / 1e9))
    }
}
