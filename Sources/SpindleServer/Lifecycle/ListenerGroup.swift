import Logging
import ServiceLifecycle

/// Every listener in one service, so a graceful shutdown reaches them all at once (each
/// child task inherits the shutdown signal): none accepts while another drains.
struct ListenerGroup: Service, CustomStringConvertible {
    let listeners: [(ListenerName, any Service)]
    let host: String
    let configuration: SpindleServerConfiguration
    let readiness: ListenerReadiness
    let logger: Logger
    /// Starts the whole server's graceful shutdown.
    let requestShutdown: @Sendable () async -> Void

    var description: String { "listeners" }

    /// Runs every listener until a graceful shutdown has stopped them all. When one fails
    /// (typically: its port is taken), the others are shut down gracefully too, and the
    /// failure is thrown once they have finished.
    func run() async throws {
        let logger = self.logger
        let failure = try await withGracefulShutdownHandler {
            try await withThrowingTaskGroup(of: SpindleServerError?.self) { group in
                for (name, listener) in listeners {
                    group.addTask {
                        do {
                            try await listener.run()
                            return nil
                        } catch {
                            let failure = SpindleServerError(
                                .bindFailed,
                                "the \(name.rawValue) listener on \(host):\(port(of: name)) failed; if the port is taken, choose another with \(name.flag) (0 picks any free port)",
                                underlying: error
                            )
                            readiness.failed(failure)
                            await requestShutdown()
                            return failure
                        }
                    }
                }
                var first: SpindleServerError?
                while let result = try await group.next() {
                    if first == nil { first = result }
                }
                return first
            }
        } onGracefulShutdown: {
            logger.info("shutting down: no longer accepting; finishing the requests in progress")
        }
        if let failure { throw failure }
    }

    private func port(of name: ListenerName) -> Int {
        switch name {
        case .otlpGRPC: configuration.otlpGRPCPort
        case .otlpHTTP: configuration.otlpHTTPPort
        case .zipkin: configuration.zipkinPort
        case .http: configuration.httpPort
        case .tempo: configuration.tempoPort
        }
    }
}
