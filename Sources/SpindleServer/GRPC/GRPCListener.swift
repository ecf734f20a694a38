import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import NIOCore
import ServiceLifecycle
import SpindleCollector

/// OTLP/gRPC on 4317 as a swift-service-lifecycle service. `GRPCServer` is not a
/// `Service`; this runs `serve()` and turns a graceful shutdown into
/// `beginGracefulShutdown()` (stop accepting, let running RPCs finish).
struct GRPCListener: Service, CustomStringConvertible {
    let server: GRPCServer<HTTP2ServerTransport.Posix>

    var description: String { "otlp-grpc" }

    init(host: String, port: Int, maxMessageBytes: Int, receiver: OTLPGRPCReceiver, logger: Logger, onBound: @escaping @Sendable (Int) -> Void) {
        let address: GRPCNIOTransportCore.SocketAddress =
            host.contains(":") ? .ipv6(host: host, port: port) : .ipv4(host: host, port: port)
        let transport = HTTP2ServerTransport.Posix(
            address: address,
            transportSecurity: .plaintext,
            config: .defaults { config in
                // Limits apply to the decompressed message: grpc-swift checks the declared
                // length and stops decompression at its limit, which sits past the cap
                // so that the service can answer RESOURCE_EXHAUSTED (OTLPTraceService).
                config.rpc.maxRequestPayloadSize = OTLPTraceService.transportLimit(forCap: maxMessageBytes)
                // OTel exporters send gzip when asked (and the Collector's by default).
                config.compression.enabledAlgorithms = [.gzip, .deflate]
                // The listening socket reports its port once bound (port 0 picks one).
                config.channelDebuggingCallbacks.onBindTCPListener = { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(BoundPortReporter(onBound: onBound))
                    }
                }
            }
        )
        self.server = GRPCServer(transport: transport, services: [OTLPTraceService(receiver: receiver, logger: logger, maxMessageBytes: maxMessageBytes)])
    }

    func run() async throws {
        let server = self.server
        try await withGracefulShutdownHandler {
            do {
                try await server.serve()
            } catch let error as RuntimeError where error.code == .serverIsStopped {
                // Shut down before it started serving: nothing to do.
            }
        } onGracefulShutdown: {
            server.beginGracefulShutdown()
        }
    }
}

/// Tells the port of a listening socket once it is bound (when it becomes active).
final class BoundPortReporter: ChannelInboundHandler, Sendable {
    typealias InboundIn = any Channel
    let onBound: @Sendable (Int) -> Void

    init(onBound: @escaping @Sendable (Int) -> Void) {
        self.onBound = onBound
    }

    func channelActive(context: ChannelHandlerContext) {
        onBound(context.channel.localAddress?.port ?? 0)
        context.fireChannelActive()
    }
}
