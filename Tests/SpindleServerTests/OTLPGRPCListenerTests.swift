import GRPCCore
import GRPCNIOTransportHTTP2
import SpindleCollector
import SpindleModel
import SpindleTesting
import SpindleWire
import Testing

@testable import SpindleServer

/// OTLP/gRPC on a live server with grpc-swift-2's client (the official Python exporter is
/// exercised by the end-to-end suite).
@Suite struct OTLPGRPCListenerTests {
    @Test(arguments: [false, true])
    func export_isStored(gzip: Bool) async throws {
        let batch = Samples.realisticBatch(spans: 30, seed: 61)
        try await withServer { server in
            let response = try await export(OTLPProtobuf.encodeExportRequest(batch), port: server.ports.otlpGRPC, gzip: gzip)
            #expect(try OTLPProtobuf.decodeExportResponse(response) == ExportTraceResponse())
            #expect(try await readBack(batch, from: server.reader) == canonicalSpans(batch))
        }
    }

    @Test func garbage_isInvalidArgument() async throws {
        try await withServer { server in
            await #expect {
                _ = try await export([0xFF, 0xFF, 0xFF, 0x07, 0x01], port: server.ports.otlpGRPC, gzip: false)
            } throws: { error in
                (error as? RPCError)?.code == .invalidArgument
            }
            let ready = try await get(server.otlpHTTP + "/ready")
            #expect(ready.status == 200)
        }
    }

    /// A message over the cap is RESOURCE_EXHAUSTED naming the cap, compressed or not;
    /// nothing of it is stored, and the server keeps serving.
    @Test(arguments: [false, true])
    func anOversizedMessage_isResourceExhausted(gzip: Bool) async throws {
        let batch = Samples.realisticBatch(spans: 400, seed: 62)
        let message = OTLPProtobuf.encodeExportRequest(batch)
        let cap = message.count * 4 / 5
        try await withServer({ $0.maxBodyBytes = cap }) { server in
            await #expect {
                _ = try await export(message, port: server.ports.otlpGRPC, gzip: gzip)
            } throws: { error in
                guard let error = error as? RPCError else { return false }
                return error.code == .resourceExhausted && error.message.hasPrefix("a message of \(message.count) bytes (after decompression) is over this collector's cap of \(cap) bytes")
            }
            let small = Samples.realisticBatch(spans: 5, seed: 63)
            let response = try await export(OTLPProtobuf.encodeExportRequest(small), port: server.ports.otlpGRPC, gzip: gzip)
            #expect(try OTLPProtobuf.decodeExportResponse(response) == ExportTraceResponse())
            let stored = try await readBack(batch, from: server.reader)
            #expect(stored.isEmpty)
        }
    }

    /// Far over the cap (past twice it), grpc-swift-nio-transport 2.9.2 resets the stream
    /// before buffering more — the client sees UNAVAILABLE "Stream unexpectedly closed" —
    /// which also stops decompression bombs; the server keeps serving.
    @Test(arguments: [false, true])
    func aMessageFarOverTheCap_isRefusedByTheTransport(gzip: Bool) async throws {
        let batch = Samples.realisticBatch(spans: 400, seed: 64)
        try await withServer({ $0.maxBodyBytes = 64 << 10 }) { server in
            await #expect(throws: RPCError.self) {
                _ = try await export(OTLPProtobuf.encodeExportRequest(batch), port: server.ports.otlpGRPC, gzip: gzip)
            }
            let small = Samples.realisticBatch(spans: 5, seed: 65)
            let response = try await export(OTLPProtobuf.encodeExportRequest(small), port: server.ports.otlpGRPC, gzip: gzip)
            #expect(try OTLPProtobuf.decodeExportResponse(response) == ExportTraceResponse())
            let stored = try await readBack(batch, from: server.reader)
            #expect(stored.isEmpty)
        }
    }

    @Test func retryableFailures_carryRetryInformation() throws {
        let error = OTLPTraceService.rpcError(for: .resourceExhausted("pipeline full", retryAfterSeconds: 3))
        #expect(error.code == .resourceExhausted)
        #expect(error.message == "pipeline full")
        let retryInfo = error.metadata[binaryValues: "google.rpc.retryinfo-bin"].map { $0 }
        // RetryInfo { retry_delay (1): Duration { seconds (1): 3 } }
        #expect(retryInfo == [[0x0A, 0x02, 0x08, 0x03]])
        let details = error.metadata[binaryValues: "grpc-status-details-bin"].map { $0 }
        #expect(details.count == 1)
        #expect(try decodeRPCStatus(details[0]).code == 8)
        #expect(try decodeRPCStatus(details[0]).message == "pipeline full")

        #expect(OTLPTraceService.rpcError(for: .unavailable("shutting down", retryAfterSeconds: 1)).code == .unavailable)
        #expect(OTLPTraceService.rpcError(for: .invalidArgument("bad")).code == .invalidArgument)
        #expect(OTLPTraceService.rpcError(for: .internalError("disk")).code == .internalError)
    }

    private func export(_ message: [UInt8], port: Int, gzip: Bool) async throws -> [UInt8] {
        try await withUpperBound {
            try await withGRPCClient(
                transport: .http2NIOPosix(
                    target: .ipv4(address: "127.0.0.1", port: port),
                    transportSecurity: .plaintext,
                    config: .defaults { $0.compression.enabledAlgorithms = .all }
                )
            ) { client in
                var options = CallOptions.defaults
                if gzip { options.compression = .gzip }
                return try await client.unary(
                    request: ClientRequest(message: message),
                    descriptor: OTLPTraceService.export,
                    serializer: RawMessageSerializer(),
                    deserializer: RawMessageDeserializer(),
                    options: options
                ) { response in
                    try response.message
                }
            }
        }
    }
}
