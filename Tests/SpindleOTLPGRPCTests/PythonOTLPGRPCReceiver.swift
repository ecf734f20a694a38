import Foundation
import SpindleTesting

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `otlp_grpc_receiver.py` (grpcio and the official opentelemetry-proto classes) in a
/// child process: records every Export request and answers from a script, then OK.
final class PythonOTLPGRPCReceiver {
    /// How the receiver answers one request (see the script's usage).
    struct Answer: Encodable {
        enum RetryInfoPlace: String, Encodable {
            case statusDetails = "status-details"
            case retryInfoBin = "retryinfo-bin"
        }

        var code: String?
        var message: String?
        /// `[seconds, nanos]` of a `google.rpc.RetryInfo`.
        var retryDelay: [Int]?
        var retryInfoIn: RetryInfoPlace?
        var rejectedSpans: Int?
        var errorMessage: String?

        static func status(_ code: String, _ message: String) -> Answer {
            Answer(code: code, message: message)
        }

        static func status(_ code: String, _ message: String, retryDelay: Duration, in place: RetryInfoPlace) -> Answer {
            let (seconds, attoseconds) = retryDelay.components
            return Answer(code: code, message: message, retryDelay: [Int(seconds), Int(attoseconds / 1_000_000_000)], retryInfoIn: place)
        }

        static func partialSuccess(rejectedSpans: Int, _ message: String) -> Answer {
            Answer(rejectedSpans: rejectedSpans, errorMessage: message)
        }
    }

    /// One Export request as the receiver decoded it.
    struct Request: Decodable {
        /// Every field set, `path = JSON value` (IDs in hex).
        var fields: [String]
        var requestHex: String
        /// Binary values in hex.
        var metadata: [String: String]
    }

    static let script = PythonTools.repositoryRoot.appendingPathComponent("Tests/SpindleOTLPGRPCTests/otlp_grpc_receiver.py").path

    private let server: PythonServer
    /// The gRPC port, and the port of the HTTP listing of requests (0 for a silent one).
    let port: Int
    private let requestsPort: Int

    /// A receiver answering `answers` in order; with `identityOnly` it refuses compressed
    /// requests (UNIMPLEMENTED).
    convenience init(_ answers: [Answer] = [], identityOnly: Bool = false) throws {
        let answersJSON = String(decoding: try JSONEncoder().encode(answers), as: UTF8.self)
        try self.init(arguments: [answersJSON] + (identityOnly ? ["--identity-only"] : []))
    }

    /// A listener that accepts connections and never answers.
    static func silent() throws -> PythonOTLPGRPCReceiver {
        try PythonOTLPGRPCReceiver(arguments: ["--silent"])
    }

    private init(arguments: [String]) throws {
        server = try PythonServer([Self.script] + arguments)
        port = server.ports[0]
        requestsPort = server.ports.count > 1 ? server.ports[1] : 0
    }

    func stop() { server.stop() }

    var endpoint: URL { URL(string: "http://127.0.0.1:\(port)")! }

    func requests() async throws -> [Request] {
        let (data, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(requestsPort)/requests")!)
        return try JSONDecoder().decode([Request].self, from: data)
    }
}
