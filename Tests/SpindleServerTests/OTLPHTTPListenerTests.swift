import Foundation
import NIOHTTP1
import SpindleModel
import SpindleStorage
import SpindleTesting
import SpindleWire
import Testing

@testable import SpindleServer

/// OTLP/HTTP on a live server: real requests with AsyncHTTPClient, read back from the store.
@Suite struct OTLPHTTPListenerTests {
    static let protobuf = [("Content-Type", "application/x-protobuf")]
    static let json = [("Content-Type", "application/json")]

    @Test func protobuf_isStoredAndAnsweredWithAnEmptyExportResponse() async throws {
        let batch = Samples.realisticBatch(spans: 30, seed: 11)
        try await withServer { server in
            let response = try await send(.POST, server.otlpHTTP + "/v1/traces", headers: Self.protobuf, body: OTLPProtobuf.encodeExportRequest(batch))
            #expect(response.status == 200)
            #expect(response.headers["Content-Type"].first == "application/x-protobuf")
            #expect(try OTLPProtobuf.decodeExportResponse(response.body) == ExportTraceResponse())
            #expect(try await readBack(batch, from: server.reader) == canonicalSpans(batch))
        }
    }

    @Test func json_isStoredAndAnsweredInJSON() async throws {
        let batch = Samples.realisticBatch(spans: 20, seed: 12)
        try await withServer { server in
            let response = try await send(.POST, server.otlpHTTP + "/v1/traces", headers: Self.json, body: OTLPJSON.encodeExportRequest(batch))
            #expect(response.status == 200)
            #expect(response.headers["Content-Type"].first?.hasPrefix("application/json") == true)
            #expect(try OTLPJSON.decodeExportResponse(response.body) == ExportTraceResponse())
            #expect(try await readBack(batch, from: server.reader) == canonicalSpans(batch))
        }
    }

    @Test func everyFieldOfTheRichSample_survivesTheTrip() async throws {
        let batch = SpanBatch(Samples.richResourceSpans())
        try await withServer { server in
            let response = try await send(.POST, server.otlpHTTP + "/v1/traces", headers: Self.protobuf, body: OTLPProtobuf.encodeExportRequest(batch))
            #expect(response.status == 200)
            #expect(try await readBack(batch, from: server.reader) == canonicalSpans(batch))
        }
    }

    @Test(arguments: ["gzip", "x-gzip", "deflate", "deflate-raw", "identity"])
    func compressedBodies_areDecompressed(encoding: String) async throws {
        let batch = Samples.realisticBatch(spans: 25, seed: 13)
        let plain = OTLPProtobuf.encodeExportRequest(batch)
        let (header, body): (String, [UInt8]) =
            switch encoding {
            case "gzip", "x-gzip": (encoding, try gzip(plain))
            case "deflate": ("deflate", try zlibDeflate(plain))
            case "deflate-raw": ("deflate", try rawDeflate(plain))
            default: ("identity", plain)
            }
        try await withServer { server in
            let response = try await send(
                .POST, server.otlpHTTP + "/v1/traces",
                headers: Self.protobuf + [("Content-Encoding", header)], body: body
            )
            #expect(response.status == 200, "\(response.text)")
            #expect(try await readBack(batch, from: server.reader) == canonicalSpans(batch))
        }
    }

    @Test func anUnknownContentEncoding_is415NamingIt() async throws {
        try await withServer { server in
            let body = OTLPProtobuf.encodeExportRequest(Samples.realisticBatch(spans: 2))
            let response = try await send(.POST, server.otlpHTTP + "/v1/traces", headers: Self.protobuf + [("Content-Encoding", "br")], body: body)
            #expect(response.status == 415)
            let status = try decodeRPCStatus(response.body)
            #expect(status.message.contains("\"br\""))
            #expect(status.code == 3)
        }
    }

    @Test func aWrongContentType_is415() async throws {
        try await withServer { server in
            let body = OTLPProtobuf.encodeExportRequest(Samples.realisticBatch(spans: 2))
            let response = try await send(.POST, server.otlpHTTP + "/v1/traces", headers: [("Content-Type", "text/plain")], body: body)
            #expect(response.status == 415)
        }
    }

    @Test(arguments: [HTTPMethod.GET, .PUT, .DELETE, .PATCH])
    func otherMethods_are405WithAllow(method: HTTPMethod) async throws {
        try await withServer { server in
            let response = try await send(method, server.otlpHTTP + "/v1/traces", headers: Self.protobuf, body: method == .GET ? nil : [1, 2, 3])
            #expect(response.status == 405)
            #expect(response.headers["Allow"] == ["POST"])
        }
    }

    @Test func anOversizedBody_is413SayingTheLimit() async throws {
        let batch = Samples.realisticBatch(spans: 400, seed: 14)
        let body = OTLPProtobuf.encodeExportRequest(batch)
        try await withServer({ $0.maxBodyBytes = 64 << 10 }) { server in
            #expect(body.count > 64 << 10)
            let response = try await send(.POST, server.otlpHTTP + "/v1/traces", headers: Self.protobuf, body: body)
            #expect(response.status == 413)
            let status = try decodeRPCStatus(response.body)
            #expect(status.message.contains("64 KiB"), "\(status.message)")
            #expect(try await readBack(batch, from: server.reader).isEmpty)
            #expect(try await get(server.otlpHTTP + "/ready").status == 200)
        }
    }

    @Test func anOversizedBodyOnceDecompressed_is413() async throws {
        let batch = Samples.realisticBatch(spans: 400, seed: 15)
        let plain = OTLPProtobuf.encodeExportRequest(batch)
        let compressed = try gzip(plain)
        try await withServer({ $0.maxBodyBytes = 64 << 10 }) { server in
            #expect(compressed.count < 64 << 10 && plain.count > 64 << 10)
            let response = try await send(.POST, server.otlpHTTP + "/v1/traces", headers: Self.protobuf + [("Content-Encoding", "gzip")], body: compressed)
            #expect(response.status == 413)
            #expect(try await readBack(batch, from: server.reader).isEmpty)
        }
    }

    @Test func aGzipBomb_isStoppedAtTheCap() async throws {
        // 200 MiB of zeros is about 200 KiB of gzip; the default 64 MiB cap stops it.
        let bomb = try gzipOfZeros(count: 200 << 20)
        try await withServer { server in
            let before = try await acceptedBatch(server)
            let response = try await send(.POST, server.otlpHTTP + "/v1/traces", headers: Self.protobuf + [("Content-Encoding", "gzip")], body: bomb)
            #expect(response.status == 413)
            #expect(try decodeRPCStatus(response.body).message.contains("64 MiB"))
            let metrics = try await get(server.http + "/metrics")
            #expect(sample(metrics.text, "spindle_refused_bodies_total", protocol: "otlp_http", reason: "too_large") == 1)
            try await expectStillServing(server, holding: before)
        }
    }

    @Test func garbage_is400WithAGoogleRPCStatus() async throws {
        try await withServer { server in
            let before = try await acceptedBatch(server)
            var generator = SplitMix64(seed: 99)
            let garbage = (0..<4096).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            let response = try await send(.POST, server.otlpHTTP + "/v1/traces", headers: Self.protobuf, body: garbage)
            #expect(response.status == 400)
            #expect(response.headers["Content-Type"].first == "application/x-protobuf")
            let status = try decodeRPCStatus(response.body)
            #expect(status.code == 3)
            #expect(!status.message.isEmpty)
            try await expectStillServing(server, holding: before)
        }
    }

    @Test func truncatedProtobuf_is400() async throws {
        try await withServer { server in
            let before = try await acceptedBatch(server)
            let body = OTLPProtobuf.encodeExportRequest(Samples.realisticBatch(spans: 10, seed: 16))
            let response = try await send(.POST, server.otlpHTTP + "/v1/traces", headers: Self.protobuf, body: Array(body.prefix(body.count - 7)))
            #expect(response.status == 400)
            #expect(try decodeRPCStatus(response.body).code == 3)
            try await expectStillServing(server, holding: before)
        }
    }

    @Test func jsonWithWrongTypes_is400InJSON() async throws {
        try await withServer { server in
            let before = try await acceptedBatch(server)
            let body = Array(#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":42,"spanId":true,"name":["x"]}]}]}]}"#.utf8)
            let response = try await send(.POST, server.otlpHTTP + "/v1/traces", headers: Self.json, body: body)
            #expect(response.status == 400)
            #expect(response.headers["Content-Type"].first?.hasPrefix("application/json") == true)
            let object = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
            #expect(object?["code"] as? Int == 3)
            #expect((object?["message"] as? String)?.isEmpty == false)
            try await expectStillServing(server, holding: before)
        }
    }

    @Test func aCorruptGzipBody_is400() async throws {
        try await withServer { server in
            var body = try gzip(OTLPProtobuf.encodeExportRequest(Samples.realisticBatch(spans: 5)))
            body[body.count / 2] ^= 0xFF
            body[body.count / 2 + 1] ^= 0xFF
            let response = try await send(.POST, server.otlpHTTP + "/v1/traces", headers: Self.protobuf + [("Content-Encoding", "gzip")], body: body)
            #expect(response.status == 400)
        }
    }

    @Test func everyListener_answersReady() async throws {
        try await withServer { server in
            for base in [server.otlpHTTP, server.zipkin, server.http, server.tempo] {
                let response = try await get(base + "/ready")
                #expect(response.status == 200, "\(base)")
            }
        }
    }
}

// MARK: - Helpers shared by the listener tests

/// Stores a batch through OTLP/HTTP and returns it, so a test can check it survives.
func acceptedBatch(_ server: RunningServer, seed: UInt64 = 1) async throws -> SpanBatch {
    let batch = Samples.realisticBatch(spans: 10, seed: seed)
    let response = try await send(.POST, server.otlpHTTP + "/v1/traces", headers: OTLPHTTPListenerTests.protobuf, body: OTLPProtobuf.encodeExportRequest(batch))
    #expect(response.status == 200)
    return batch
}

/// The server answers `/ready` on every listener and still holds `batch`.
func expectStillServing(_ server: RunningServer, holding batch: SpanBatch) async throws {
    for base in [server.otlpHTTP, server.zipkin, server.http, server.tempo] {
        #expect(try await get(base + "/ready").status == 200)
    }
    #expect(try await readBack(batch, from: server.reader) == canonicalSpans(batch))
}

/// `google.rpc.Status` as the server writes it: code (field 1) and message (field 2).
func decodeRPCStatus(_ bytes: [UInt8]) throws -> (code: Int, message: String) {
    var index = 0
    var code = 0
    var message = ""
    func varint() throws -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return value }
            shift += 7
            if shift > 63 { break }
        }
        throw DecodeFailure()
    }
    while index < bytes.count {
        let key = try varint()
        switch (key >> 3, key & 7) {
        case (1, 0): code = Int(truncatingIfNeeded: try varint())
        case (_, 0): _ = try varint()
        case (let field, 2):
            let length = Int(try varint())
            guard index + length <= bytes.count else { throw DecodeFailure() }
            if field == 2 { message = String(decoding: bytes[index..<index + length], as: UTF8.self) }
            index += length
        default: throw DecodeFailure()
        }
    }
    return (code, message)
}

struct DecodeFailure: Error {}
