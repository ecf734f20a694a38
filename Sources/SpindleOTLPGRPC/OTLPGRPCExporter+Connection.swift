import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2

extension OTLPGRPCExporter {
    /// The exporter's client and the task running its connections, or why there is none.
    enum Connection: Sendable {
        case running(GRPCClient<HTTP2ClientTransport.Posix>, connections: Task<Void, Never>)
        case unusable(String)

        /// Starts a client for the configured endpoint. The task is detached so that it
        /// carries none of the creating task's context.
        init(_ configuration: Configuration) {
            switch Self.transport(configuration) {
            case .success(let transport):
                let client = GRPCClient(transport: transport)
                // `runConnections` throws only when called twice (this task is its one caller) or
                // when the transport's `connect()` throws, which the Posix transport's never does.
                self = .running(client, connections: Task.detached { _ = try? await client.runConnections() })
            case .failure(let problem):
                self = .unusable(problem.description)
            }
        }

        struct Problem: Error, CustomStringConvertible {
            var description: String
        }

        /// An HTTP/2 transport to the endpoint: plaintext for `http`, TLS for `https`,
        /// compressing with the configured algorithm and accepting gzip responses.
        static func transport(_ configuration: Configuration) -> Result<HTTP2ClientTransport.Posix, Problem> {
            let endpoint = configuration.endpoint
            guard let scheme = endpoint.scheme?.lowercased(), scheme == "http" || scheme == "https",
                  let host = endpoint.host, !host.isEmpty
            else {
                return .failure(Problem(description: "the endpoint \(endpoint.absoluteString) is not an http:// or https:// URL with a host"))
            }
            let isSecure = scheme == "https"
            let port = endpoint.port ?? (isSecure ? 443 : 80)
            let config = HTTP2ClientTransport.Posix.Config.defaults { config in
                config.compression = .init(algorithm: configuration.compression == .gzip ? .gzip : .none, enabledAlgorithms: .gzip)
            }
            // An IPv6 literal comes bracketed from some URL parsers.
            let bareHost = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
            do {
                return .success(try HTTP2ClientTransport.Posix(
                    target: .dns(host: bareHost, port: port), transportSecurity: isSecure ? .tls : .plaintext, config: config
                ))
            } catch {
                return .failure(Problem(description: "cannot set up a gRPC connection to \(endpoint.absoluteString): \(error)"))
            }
        }
    }
}
