import SpindleModel
import SpindleTesting
import SpindleWire
import Testing

@testable import SpindleServer

@Suite struct ZipkinListenerTests {
    static let json = [("Content-Type", "application/json")]

    @Test func zipkinJSON_isAccepted202AndStored() async throws {
        let body = ZipkinJSON.encode(Samples.realisticBatch(spans: 20, seed: 31))
        let expected = try ZipkinJSON.decode(body)
        try await withServer { server in
            let response = try await send(.POST, server.zipkin + "/api/v2/spans", headers: Self.json, body: body)
            #expect(response.status == 202, "\(response.text)")
            #expect(try await readBack(expected, from: server.reader) == canonicalSpans(expected))
        }
    }

    @Test func gzippedZipkin_isAccepted() async throws {
        let body = ZipkinJSON.encode(Samples.realisticBatch(spans: 20, seed: 32))
        let expected = try ZipkinJSON.decode(body)
        try await withServer { server in
            let response = try await send(
                .POST, server.zipkin + "/api/v2/spans",
                headers: Self.json + [("Content-Encoding", "gzip")], body: try gzip(body)
            )
            #expect(response.status == 202, "\(response.text)")
            #expect(try await readBack(expected, from: server.reader) == canonicalSpans(expected))
        }
    }

    @Test func garbage_is400() async throws {
        try await withServer { server in
            let response = try await send(.POST, server.zipkin + "/api/v2/spans", headers: Self.json, body: Array("[{\"traceId\": nope".utf8))
            #expect(response.status == 400)
            #expect(!response.text.isEmpty)
            #expect(try await get(server.zipkin + "/ready").status == 200)
        }
    }

    @Test func otherMethods_are405() async throws {
        try await withServer { server in
            let response = try await get(server.zipkin + "/api/v2/spans")
            #expect(response.status == 405)
            #expect(response.headers["Allow"] == ["POST"])
        }
    }

    @Test func anOversizedBody_is413() async throws {
        let body = ZipkinJSON.encode(Samples.realisticBatch(spans: 300, seed: 33))
        try await withServer({ $0.maxBodyBytes = 32 << 10 }) { server in
            let response = try await send(.POST, server.zipkin + "/api/v2/spans", headers: Self.json, body: body)
            #expect(response.status == 413)
            #expect(response.text.contains("32 KiB"))
        }
    }
}
