import GRPCCore
import Logging
import SpindleCollector

/// `opentelemetry.proto.collector.trace.v1.TraceService`, registered by hand: its one
/// method, `Export`, takes the request's bytes as they are and gives them to
/// ``OTLPGRPCReceiver``, so no generated code and no SwiftProtobuf are involved.
///
/// Errors become gRPC statuses as the OTLP specification asks ("OTLP/gRPC Response"):
/// INVALID_ARGUMENT for an undecodable request (not retryable), RESOURCE_EXHAUSTED and
/// UNAVAILABLE with retry information when the pipeline is full or shutting down,
/// INTERNAL for storage failures. Retry information travels twice, for the two ways
/// clients read it: as a `google.rpc.RetryInfo` detail of the `google.rpc.Status` in
/// `grpc-status-details-bin` (Go, Java, the Collector), and alone in
/// `google.rpc.retryinfo-bin` (the Python SDK).
struct OTLPTraceService: RegistrableRPCService {
    static let export = MethodDescriptor(
        fullyQualifiedService: "opentelemetry.proto.collector.trace.v1.TraceService",
        method: "Export"
    )

    let receiver: OTLPGRPCReceiver
    let logger: Logger
    /// `--max-body-size`: a larger message (after decompression) is RESOURCE_EXHAUSTED.
    let maxMessageBytes: Int

    /// What the transport itself accepts: past the cap, so that messages somewhat over
    /// it reach the handler and get RESOURCE_EXHAUSTED naming the cap; far past it the
    /// transport resets the stream (UNAVAILABLE) before buffering more, which also
    /// stops decompression bombs.
    static func transportLimit(forCap cap: Int) -> Int {
        min(Int(Int32.max), cap + max(cap, 1 << 20))
    }

    func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
        let receiver = self.receiver
        let logger = self.logger
        let maxMessageBytes = self.maxMessageBytes
        router.registerHandler(
            forMethod: Self.export,
            deserializer: RawMessageDeserializer(),
            serializer: RawMessageSerializer()
        ) { streamingRequest, context in
            let request = try await ServerRequest(stream: streamingRequest)
            if request.message.count > maxMessageBytes {
                throw RPCError(
                    code: .resourceExhausted,
                    message: "a message of \(request.message.count) bytes (after decompression) is over this collector's cap of \(maxMessageBytes) bytes (--max-body-size); send smaller batches"
                )
            }
            let start = ContinuousClock.now
            do throws(OTLPGRPCReceiver.Failure) {
                let response = try await receiver.export(request.message)
                if logger.logLevel <= .debug {
                    logger.debug("request", metadata: [
                        "listener": "otlp-grpc", "peer": .string(context.remotePeer),
                        "request_bytes": .stringConvertible(request.message.count), "status": "OK",
                        "duration": .string("\(ContinuousClock.now - start)"),
                    ])
                }
                return StreamingServerResponse(single: ServerResponse(message: response))
            } catch {
                let rpcError = Self.rpcError(for: error)
                if logger.logLevel <= .debug {
                    logger.debug("request", metadata: [
                        "listener": "otlp-grpc", "peer": .string(context.remotePeer),
                        "request_bytes": .stringConvertible(request.message.count), "status": .string("\(rpcError.code)"),
                        "error": .string(rpcError.message), "duration": .string("\(ContinuousClock.now - start)"),
                    ])
                }
                throw rpcError
            }
        }
    }

    /// The gRPC status for a receiver failure.
    static func rpcError(for failure: OTLPGRPCReceiver.Failure) -> RPCError {
        switch failure {
        case .invalidArgument(let message):
            return RPCError(code: .invalidArgument, message: message)
        case .resourceExhausted(let message, let retryAfterSeconds):
            return RPCError(
                code: .resourceExhausted, message: message,
                metadata: retryMetadata(code: RPCStatus.resourceExhausted, message: message, seconds: retryAfterSeconds)
            )
        case .unavailable(let message, let retryAfterSeconds):
            return RPCError(
                code: .unavailable, message: message,
                metadata: retryMetadata(code: RPCStatus.unavailable, message: message, seconds: retryAfterSeconds)
            )
        case .internalError(let message):
            return RPCError(code: .internalError, message: message)
        }
    }

    private static func retryMetadata(code: Int32, message: String, seconds: Int) -> Metadata {
        var metadata = Metadata()
        let status = RPCStatus(code: code, message: message, retryAfterSeconds: max(0, seconds))
        metadata.addBinary(status.protobuf, forKey: "grpc-status-details-bin")
        metadata.addBinary(RPCStatus.retryInfo(seconds: max(0, seconds)), forKey: "google.rpc.retryinfo-bin")
        return metadata
    }
}

/// A message is its bytes: the receiver decodes them.
struct RawMessageDeserializer: MessageDeserializer {
    func deserialize<Bytes: GRPCContiguousBytes>(_ serializedMessageBytes: Bytes) throws -> [UInt8] {
        serializedMessageBytes.withUnsafeBytes { Array($0) }
    }
}

/// The receiver encodes the response; this passes its bytes on.
struct RawMessageSerializer: MessageSerializer {
    func serialize<Bytes: GRPCContiguousBytes>(_ message: [UInt8]) throws -> Bytes {
        Bytes(message)
    }
}
