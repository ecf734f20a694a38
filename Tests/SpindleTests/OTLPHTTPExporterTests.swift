import Foundation
@testable import Spindle
import SpindleModel
import SpindleTesting
import Synchronization
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Python's `http.server` in a child process: records every POST (gzip bodies
/// decompressed) and answers from a script of responses, then 200.
final class ScriptedOTLPServer {
    struct Response: Encodable {
        var status: Int
        var headers: [String: String] = [:]
        var bodyHex = ""
    }

    struct Request: Decodable {
        var path: String
        var headers: [String: String]
        var rawBody: String
        var body: String

        var bodyBytes: [UInt8] { Array(Data(base64Encoded: body) ?? Data()) }
        var rawBodyBytes: [UInt8] { Array(Data(base64Encoded: rawBody) ?? Data()) }
    }

    static let script = """
        import base64, gzip, json, os, signal, sys
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        # Foundation's Process hands the child its own blocked-signal mask: unblock SIGTERM
        # and restore its default action so that terminate() ends the server.
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        script = json.loads(sys.argv[1])
        received = []
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def log_message(self, *args):
                pass
            def reply(self, status, headers, body):
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            def do_GET(self):
                self.reply(200, {"Content-Type": "application/json"}, json.dumps(received).encode())
            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                body = gzip.decompress(raw) if self.headers.get("Content-Encoding") == "gzip" else raw
                received.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                                 "rawBody": base64.b64encode(raw).decode(), "body": base64.b64encode(body).decode()})
                index = len(received) - 1
                answer = script[index] if index < len(script) else {"status": 200, "headers": {}, "bodyHex": ""}
                headers = {"Content-Type": "application/x-protobuf", **answer["headers"]}
                self.reply(answer["status"], headers, bytes.fromhex(answer["bodyHex"]))
        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        print(server.server_address[1], flush=True)
        server.serve_forever()
        """

    private let server: PythonServer
    let port: Int

    init(_ responses: [Response] = []) throws {
        let scriptJSON = String(decoding: try JSONEncoder().encode(responses), as: UTF8.self)
        server = try PythonServer(["-c", Self.script, scriptJSON])
        port = server.ports[0]
    }

    func stop() { server.stop() }

    var endpoint: URL { URL(string: "http://127.0.0.1:\(port)/v1/traces")! }

    func requests() async throws -> [Request] {
        let (data, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/requests")!)
        return try JSONDecoder().decode([Request].self, from: data)
    }
}

@Suite(.serialized) struct OTLPHTTPExporterTests {
    static let spans = EncoderFixture.spans

    @Test func gzipBody_decodesToTheEncodedRequest_withHeaders() async throws {
        let server = try ScriptedOTLPServer()
        let configuration = OTLPHTTPExporter.Configuration(
            endpoint: server.endpoint, headers: ["Authorization": "Bearer secret", "X-Tenant": "t1"], compression: .gzip
        )
        let exporter = OTLPHTTPExporter(configuration: configuration)
        try await exporter.export(Self.spans)
        let requests = try await server.requests()
        #expect(requests.count == 1)
        let request = try #require(requests.first)
        #expect(request.path == "/v1/traces")
        #expect(request.bodyBytes == OTLPSpanEncoder.encode(Self.spans))
        #expect(request.rawBodyBytes != request.bodyBytes)
        #expect(request.headers["content-type"] == "application/x-protobuf")
        #expect(request.headers["content-encoding"] == "gzip")
        #expect(request.headers["authorization"] == "Bearer secret" && request.headers["x-tenant"] == "t1")
        #expect(request.headers["user-agent"] == "spindle-swift/\(SpindleSDK.version)")
        await exporter.shutdown()
        await #expect(throws: ExportError.shutDown) { try await exporter.export(Self.spans) }
    }

    @Test func uncompressedBody_isTheEncodedRequest() async throws {
        let server = try ScriptedOTLPServer()
        let exporter = OTLPHTTPExporter(configuration: .init(endpoint: server.endpoint))
        try await exporter.export(Self.spans)
        let requests = try await server.requests()
        #expect(requests.map(\.rawBodyBytes) == [OTLPSpanEncoder.encode(Self.spans)])
        #expect(requests.first?.headers["content-encoding"] == nil)
    }

    @Test func status503_isRetriedAfterTheRetryAfterItAsks() async throws {
        let server = try ScriptedOTLPServer([
            .init(status: 503, headers: ["Retry-After": "2"]),
            .init(status: 429, headers: ["Retry-After": "3"]),
        ])
        let clock = RecordingClock()
        let exporter = OTLPHTTPExporter(configuration: .init(endpoint: server.endpoint, compression: .gzip), clock: clock)
        try await exporter.export(Self.spans)
        #expect(clock.sleeps == [.seconds(2), .seconds(3)])
        let requests = try await server.requests()
        #expect(requests.count == 3)
        #expect(requests.allSatisfy { $0.bodyBytes == OTLPSpanEncoder.encode(Self.spans) })
    }

    @Test func status400_isNotRetried_andCarriesTheServersMessage() async throws {
        // google.rpc.Status { code: 3, message: "span 2 has no name" }
        let message = Array("span 2 has no name".utf8)
        let status = [0x08, 0x03, 0x12, UInt8(message.count)] + message
        let server = try ScriptedOTLPServer([.init(status: 400, bodyHex: Hex.string(status))])
        let clock = RecordingClock()
        let exporter = OTLPHTTPExporter(configuration: .init(endpoint: server.endpoint), clock: clock)
        await #expect(throws: ExportError.rejected("HTTP 400: span 2 has no name")) { try await exporter.export(Self.spans) }
        #expect(clock.sleeps.isEmpty)
        #expect(try await server.requests().count == 1)
    }

    @Test func retries_stopAfterMaxAttempts() async throws {
        let server = try ScriptedOTLPServer(Array(repeating: .init(status: 502), count: 5))
        let clock = RecordingClock()
        let exporter = OTLPHTTPExporter(configuration: .init(endpoint: server.endpoint, maxAttempts: 3), clock: clock)
        await #expect(throws: ExportError.failed("HTTP 502 (gave up after 3 attempts)")) { try await exporter.export(Self.spans) }
        #expect(try await server.requests().count == 3)
        // Backoff: 1 s then 2 s, each spread by ±20 % of jitter.
        let sleeps = clock.sleeps
        #expect(sleeps.count == 2)
        #expect(sleeps.count == 2 && sleeps[0] >= .milliseconds(800) && sleeps[0] <= .milliseconds(1200))
        #expect(sleeps.count == 2 && sleeps[1] >= .milliseconds(1600) && sleeps[1] <= .milliseconds(2400))
    }

    @Test func networkErrors_areRetried() async throws {
        let server = try ScriptedOTLPServer()
        let endpoint = server.endpoint
        server.stop()  // nothing listens on the port any more
        let clock = RecordingClock()
        let exporter = OTLPHTTPExporter(configuration: .init(endpoint: endpoint), clock: clock)
        await #expect(throws: ExportError.self) { try await exporter.export(Self.spans) }
        #expect(clock.sleeps.count == 4)
    }
}
