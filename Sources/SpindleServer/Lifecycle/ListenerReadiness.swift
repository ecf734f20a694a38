import Synchronization

/// The ports the server's listeners bound; 0 for a listener its role does not run.
public struct BoundPorts: Sendable, Hashable, CustomStringConvertible {
    /// The interface they are bound on, as configured.
    public var host: String
    public var otlpGRPC: Int
    public var otlpHTTP: Int
    public var zipkin: Int
    public var http: Int
    public var tempo: Int

    public init(host: String, otlpGRPC: Int, otlpHTTP: Int, zipkin: Int, http: Int, tempo: Int) {
        self.host = host
        self.otlpGRPC = otlpGRPC
        self.otlpHTTP = otlpHTTP
        self.zipkin = zipkin
        self.http = http
        self.tempo = tempo
    }

    /// `otlp-grpc 127.0.0.1:4317, otlp-http 127.0.0.1:4318, ...`
    public var description: String {
        let hostPart = host.contains(":") ? "[\(host)]" : host
        return [
            ("otlp-grpc", otlpGRPC), ("otlp-http", otlpHTTP), ("zipkin", zipkin), ("http", http), ("tempo", tempo),
        ].filter { $0.1 != 0 }.map { "\($0.0) \(hostPart):\($0.1)" }.joined(separator: ", ")
    }
}

/// The listeners of a server, by the name used in logs and errors.
enum ListenerName: String, Sendable, CaseIterable {
    case otlpGRPC = "otlp-grpc"
    case otlpHTTP = "otlp-http"
    case zipkin
    case http
    case tempo

    /// The flag that sets its port, for error messages.
    var flag: String {
        switch self {
        case .otlpGRPC: "--otlp-grpc-port"
        case .otlpHTTP: "--otlp-http-port"
        case .zipkin: "--zipkin-port"
        case .http: "--http-port"
        case .tempo: "--tempo-port"
        }
    }
}

/// Collects the ports as listeners bind and lets callers wait for all of them.
///
/// A plain state machine behind a lock: `bound`, `failed` and `wait` move it; waiters
/// are resumed outside the lock.
final class ListenerReadiness: Sendable {
    private enum State {
        case starting(ports: [ListenerName: Int], waiters: [CheckedContinuation<BoundPorts, any Error>])
        case listening(BoundPorts)
        case failed(SpindleServerError)
    }

    private let host: String
    /// The listeners the server runs; the others report port 0.
    private let expected: Set<ListenerName>
    private let state: Mutex<State>
    private let onListening: @Sendable (BoundPorts) -> Void

    init(host: String, expected: Set<ListenerName> = Set(ListenerName.allCases), onListening: @escaping @Sendable (BoundPorts) -> Void) {
        self.host = host
        self.expected = expected
        self.state = Mutex(.starting(ports: [:], waiters: []))
        self.onListening = onListening
    }

    /// Records that `listener` is serving on `port`.
    func bound(_ listener: ListenerName, port: Int) {
        let resumed: (BoundPorts, [CheckedContinuation<BoundPorts, any Error>])? = state.withLock { state in
            guard case .starting(var ports, let waiters) = state else { return nil }
            ports[listener] = port
            guard expected.allSatisfy({ ports[$0] != nil }) else {
                state = .starting(ports: ports, waiters: waiters)
                return nil
            }
            let bound = BoundPorts(
                host: host, otlpGRPC: ports[.otlpGRPC] ?? 0, otlpHTTP: ports[.otlpHTTP] ?? 0, zipkin: ports[.zipkin] ?? 0,
                http: ports[.http] ?? 0, tempo: ports[.tempo] ?? 0
            )
            state = .listening(bound)
            return (bound, waiters)
        }
        if let (bound, waiters) = resumed {
            onListening(bound)
            for waiter in waiters { waiter.resume(returning: bound) }
        }
    }

    /// Records that the server cannot (or no longer) listen; waiters get `error`.
    func failed(_ error: SpindleServerError) {
        let waiters: [CheckedContinuation<BoundPorts, any Error>] = state.withLock { state in
            switch state {
            case .starting(_, let waiters):
                state = .failed(error)
                return waiters
            case .listening, .failed:
                return []
            }
        }
        for waiter in waiters { waiter.resume(throwing: error) }
    }

    /// The bound ports once every listener is serving, or the error that stopped one.
    func wait() async throws -> BoundPorts {
        try await withCheckedThrowingContinuation { continuation in
            let immediate: Result<BoundPorts, SpindleServerError>? = state.withLock { state in
                switch state {
                case .starting(let ports, var waiters):
                    waiters.append(continuation)
                    state = .starting(ports: ports, waiters: waiters)
                    return nil
                case .listening(let ports):
                    return .success(ports)
                case .failed(let error):
                    return .failure(error)
                }
            }
            if let immediate { continuation.resume(with: immediate.mapError { $0 as any Error }) }
        }
    }
}
