import Dispatch
import Foundation
import SpindleModel
import SpindleStorage
import SpindleTesting
import Testing

/// The official OpenTelemetry Python SDK's own exporters (OTLP/HTTP, OTLP/gRPC, Zipkin)
/// send a trace through three services to a running server; the test reads the trace
/// back from storage and checks every field against what the client says it sent.
@Suite struct PythonClientTests {
    enum Client: String, CaseIterable, Sendable {
        case otlpHTTP = "otlp-http", otlpHTTPGzip = "otlp-http+gzip", otlpGRPC = "otlp-grpc", otlpGRPCGzip = "otlp-grpc+gzip"
        case zipkin = "zipkin", otlpJSON = "otlp-json"

        var protocolName: String { rawValue.replacingOccurrences(of: "+gzip", with: "") }
        var gzip: Bool { rawValue.hasSuffix("+gzip") }
        var isZipkin: Bool { self == .zipkin }

        func endpoint(_ server: RunningServer) -> String {
            switch self {
            case .otlpHTTP, .otlpHTTPGzip, .otlpJSON: server.otlpHTTP + "/v1/traces"
            case .otlpGRPC, .otlpGRPCGzip: "127.0.0.1:\(server.ports.otlpGRPC)"
            case .zipkin: server.zipkin + "/api/v2/spans"
            }
        }
    }

    /// One span as the Python script reports it.
    struct SentSpan: Decodable {
        var trace_id: String
        var span_id: String
        var parent_span_id: String
        var name: String
        var kind: String
        var service: String
        var start: String
        var end: String
        var attributes: [String: SentValue]
        var events: [SentEvent]
        var links: [SentLink]
        var status: SentStatus
    }

    struct SentEvent: Decodable { var name: String; var time: String; var attributes: [String: SentValue] }
    struct SentLink: Decodable { var trace_id: String; var span_id: String; var attributes: [String: SentValue] }
    struct SentStatus: Decodable { var code: String; var message: String }

    indirect enum SentValue: Decodable {
        case value(AttributeValue)

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Key.self)
            if let s = try container.decodeIfPresent(String.self, forKey: .string) { self = .value(.string(s)) }
            else if let b = try container.decodeIfPresent(Bool.self, forKey: .bool) { self = .value(.bool(b)) }
            else if let i = try container.decodeIfPresent(String.self, forKey: .int), let int = Int64(i) { self = .value(.int(int)) }
            else if let d = try container.decodeIfPresent(Double.self, forKey: .double) { self = .value(.double(d)) }
            else if let a = try container.decodeIfPresent([SentValue].self, forKey: .array) { self = .value(.array(a.map(\.attributeValue))) }
            else { throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "unknown value")) }
        }

        enum Key: String, CodingKey { case string, bool, int, double, array }

        var attributeValue: AttributeValue { if case .value(let v) = self { v } else { .empty } }
    }

    /// Runs the client off the concurrency pool, which the server needs.
    func send(_ client: Client, to server: RunningServer) async throws -> [SentSpan] {
        var arguments = ["--protocol", client.protocolName, "--endpoint", client.endpoint(server)]
        if client.gzip { arguments.append("--gzip") }
        let scriptArguments = arguments
        let output = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<PythonTools.Output, any Error>) in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try PythonTools.runScript("scripts/clients/send_traces.py", scriptArguments) })
            }
        }
        try #require(output.status == 0, "send_traces.py failed: \(output.stderr)")
        return try JSONDecoder().decode([SentSpan].self, from: Data(output.stdout.utf8))
    }

    @Test(arguments: Client.allCases)
    func officialPythonExporter_tracesArriveWithEveryField(_ client: Client) async throws {
        try await withServer { server in
            let sent = try await send(client, to: server)
            try #require(sent.count == 6)
            let traceID = try #require(TraceID(hex: sent[0].trace_id))
            let stored = try #require(try await server.reader.trace(id: traceID, timeRange: nil), "trace \(traceID) was not stored")
            #expect(stored.spanCount == 6)
            for expected in sent {
                let index = try #require((0..<stored.spanCount).first { stored.span(at: $0).spanID.hexString == expected.span_id }, "span \(expected.span_id) \(expected.name) missing")
                let span = stored.span(at: index)
                #expect(span.traceID.hexString == expected.trace_id)
                #expect(span.parentSpanID == (expected.parent_span_id.isEmpty ? .zero : SpanID(hex: expected.parent_span_id)))
                #expect(span.name == expected.name)
                #expect(stored.resource(ofSpanAt: index).serviceName == expected.service)
                #expect(span.status.code.name == (expected.status.code == "unset" ? "unset" : expected.status.code))
                #expect(span.events.map(\.name) == expected.events.map(\.name))
                if client.isZipkin {
                    // Zipkin carries microseconds, string tags, no links, and writes no
                    // kind for internal spans.
                    #expect(span.startTimeUnixNano == (UInt64(expected.start)! + 500) / 1000 * 1000)
                    #expect(span.kind.name == (expected.kind == "internal" ? "unspecified" : expected.kind))
                    for (key, value) in expected.attributes where value.attributeValue.stringValue != nil {
                        #expect(span.attributes[key] == value.attributeValue, "attribute \(key)")
                    }
                    continue
                }
                #expect(span.kind.name == expected.kind)
                #expect(span.startTimeUnixNano == UInt64(expected.start))
                #expect(span.endTimeUnixNano == UInt64(expected.end))
                #expect(span.status.message == expected.status.message)
                #expect(span.attributes.count == expected.attributes.count)
                for (key, value) in expected.attributes {
                    #expect(span.attributes[key] == value.attributeValue, "attribute \(key) of \(expected.name)")
                }
                #expect(span.events.map { String($0.timeUnixNano) } == expected.events.map(\.time))
                for (event, expectedEvent) in zip(span.events, expected.events) {
                    #expect(event.attributes.count == expectedEvent.attributes.count)
                    for (key, value) in expectedEvent.attributes { #expect(event.attributes[key] == value.attributeValue) }
                }
                #expect(span.links.map(\.spanID.hexString) == expected.links.map(\.span_id))
                #expect(span.links.map(\.traceID.hexString) == expected.links.map(\.trace_id))
                for (link, expectedLink) in zip(span.links, expected.links) {
                    for (key, value) in expectedLink.attributes { #expect(link.attributes[key] == value.attributeValue) }
                }
            }
            let services = try await server.reader.services(timeRange: nil)
            #expect(services == ["api", "db", "frontend"].map { "\(client.protocolName)-\($0)" })
        }
    }
}
