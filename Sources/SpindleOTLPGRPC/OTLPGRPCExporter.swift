import GRPCCore
import GRPCNIOTransportHTTP2
public import Spindle
import Synchronization

/// Sends spans to an OTLP/gRPC collector: a unary call of
/// `opentelemetry.proto.collector.trace.v1.TraceService/Export` whose message is the bytes
/// of ``OTLPSpanEncoder`` (no generated code), with the configured headers as metadata and
/// gzip (`grpc-encoding`) when asked.
///
/// Failures follow the OTLP specification ("OTLP/gRPC Response"): CANCELLED,
/// DEADLINE_EXCEEDED, ABORTED, OUT_OF_RANGE, UNAVAILABLE and DATA_LOSS are retried with
/// exponential backoff and jitter, and RESOURCE_EXHAUSTED only when the status carries a
/// `google.rpc.RetryInfo`; a `RetryInfo`'s `retry_delay` replaces the backoff. Retries stop
/// after `maxAttempts` calls, or when the next would start after the export's `timeout`
/// (each call's deadline is the time left): the export throws ``ExportError/failed(_:)``.
/// Every other code (INVALID_ARGUMENT, UNIMPLEMENTED, UNAUTHENTICATED, …) throws
/// ``ExportError/rejected(_:)`` at once with the status's message. A partial success is a
/// success. An endpoint that is not an `http` or `https` URL with a host makes every export
/// fail with ``ExportError/failed(_:)`` naming it.
///
/// The exporter owns a grpc-swift client whose connections run in a task started by
/// `init`. ``shutdown()`` closes the client gracefully, giving a call in flight up to the
/// export `timeout` to finish, then ends that task; later exports throw
/// ``ExportError/shutDown``. Shut the exporter down before dropping it (its span processor
/// does on shutdown): dropping it cuts the connections at once.
///
/// The exporter's calls are never traced: grpc-swift traces a client's calls only through
/// a tracing interceptor, and this client has no interceptors.
public final class OTLPGRPCExporter: SpanExporter {
    static let exportMethod = MethodDescriptor(
        fullyQualifiedService: "opentelemetry.proto.collector.trace.v1.TraceService", method: "Export"
    )

    private let configuration: Configuration
    private let timing: RetryTiming
    private let metadata: Metadata
    private let connection: Connection
    private let isShutDown = Atomic<Bool>(false)

    /// - Parameter clock: Measures the export timeout and performs the waits between
    ///   attempts; tests pass one that records the waits instead of sleeping.
    public init<C: Clock>(configuration: Configuration, clock: C) where C.Duration == Duration {
        self.configuration = configuration
        timing = RetryTiming(clock)
        metadata = Self.metadata(configuration.headers)
        connection = Connection(configuration)
    }

    /// An exporter that waits on the continuous clock.
    public convenience init(configuration: Configuration) {
        self.init(configuration: configuration, clock: ContinuousClock())
    }

    deinit {
        if case .running(_, let connections) = connection { connections.cancel() }
    }

    public func export(_ spans: [FinishedSpan]) async throws(ExportError) {
        guard !isShutDown.load(ordering: .relaxed) else { throw .shutDown }
        guard !spans.isEmpty else { return }
        let client: GRPCClient<HTTP2ClientTransport.Posix>
        switch connection {
        case .running(let running, _): client = running
        case .unusable(let problem): throw .failed(problem)
        }
        let request = ClientRequest(message: OTLPSpanEncoder.encode(spans), metadata: metadata)
        try await configuration.retryPolicy.run(timing: timing) { timeLeft in
            await Self.call(client, request, timeLeft: timeLeft)
        }
    }

    public func shutdown() async {
        guard !isShutDown.exchange(true, ordering: .relaxed), case .running(let client, let connections) = connection else { return }
        client.beginGracefulShutdown()
        // A collector that stops answering would hold a graceful close open forever: after
        // the grace period (wall-clock time, like the calls' deadlines), or when the caller
        // is cancelled, the connections are cut.
        let gracePeriod = configuration.timeout
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await connections.value }
            group.addTask { try? await Task.sleep(for: gracePeriod) }
            await group.next()
            connections.cancel()
            group.cancelAll()
        }
    }

    /// One call, given the time left before the export's timeout as its deadline.
    private static func call(
        _ client: GRPCClient<HTTP2ClientTransport.Posix>, _ request: ClientRequest<[UInt8]>, timeLeft: Duration
    ) async -> ExportRetryPolicy.Outcome {
        guard timeLeft > .zero else { return .transportError("no time is left before the export timeout") }
        var options = CallOptions.defaults
        options.timeout = timeLeft
        do {
            try await client.unary(
                request: request, descriptor: exportMethod, serializer: RawMessageSerializer(),
                deserializer: IgnoredMessageDeserializer(), options: options
            ) { response in
                try response.message
            }
            return .success
        } catch let error as RPCError {
            return outcome(of: error)
        } catch {
            return .transportError("the gRPC client failed: \(error)")
        }
    }

    /// The headers as metadata, and the exporter's `user-agent` unless they name one.
    static func metadata(_ headers: [String: String]) -> Metadata {
        var metadata = Metadata()
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) {
            metadata.addString(value, forKey: name.lowercased())
        }
        if !headers.keys.contains(where: { $0.lowercased() == "user-agent" }) {
            metadata.addString("\(SpindleSDK.name)-\(SpindleSDK.language)/\(SpindleSDK.version)", forKey: "user-agent")
        }
        return metadata
    }
}
