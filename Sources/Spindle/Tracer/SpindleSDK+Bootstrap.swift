public import ServiceLifecycle
import Tracing

extension SpindleSDK {
    /// Sets up tracing for the process in one call: builds a `SpindleTracer` from
    /// `configuration`, installs it with `InstrumentationSystem.bootstrap` (which may be
    /// called once per process), and returns the service to add to the application's
    /// `ServiceGroup`. The service runs the processors that are services themselves
    /// (`BatchSpanProcessor`); on graceful shutdown it flushes and shuts every processor down.
    ///
    /// With `OTEL_SDK_DISABLED=true` the installed tracer records nothing.
    public static func bootstrap(
        configuration: SpindleConfiguration = SpindleConfiguration(), processors: [any SpanProcessor]
    ) -> SpindleService {
        let tracer = SpindleTracer(configuration: configuration, processors: processors)
        InstrumentationSystem.bootstrap(tracer)
        return SpindleService(tracer: tracer)
    }

    /// Runs `body` with a tracer built from `configuration` as the current tracer of the
    /// task (and its child tasks) instead of a process-wide bootstrap, for tests and
    /// command-line tools. Processors that are services run meanwhile; when `body`
    /// returns or throws, every processor is flushed and shut down before this returns.
    public static func withTracer<Result: Sendable, Failure: Error>(
        configuration: SpindleConfiguration = SpindleConfiguration(),
        processors: [any SpanProcessor],
        _ body: (SpindleTracer) async throws(Failure) -> Result
    ) async throws(Failure) -> Result {
        let tracer = SpindleTracer(configuration: configuration, processors: processors)
        let service = SpindleService(tracer: tracer)
        let outcome: Swift.Result<Result, Failure> = await withTaskGroup(of: Void.self) { group in
            group.addTask { await service.runProcessorServices() }
            let outcome: Swift.Result<Result, Failure>
            do throws(Failure) {
                outcome = .success(try await Tracing.withTracer(tracer) { () async throws(Failure) -> Result in
                    try await body(tracer)
                })
            } catch {
                outcome = .failure(error)
            }
            await tracer.shutdown()
            group.cancelAll()
            return outcome
        }
        return try outcome.get()
    }
}

/// The SDK's lifecycle under swift-service-lifecycle: add it to the `ServiceGroup`.
///
/// `run()` runs the processors that are services (a `BatchSpanProcessor`'s export loop)
/// and waits for graceful shutdown (or cancellation); then it flushes and shuts down
/// every processor, so spans ended before shutdown are exported, and returns.
public struct SpindleService: Service {
    /// The tracer the service belongs to (the one `bootstrap` installed).
    public let tracer: SpindleTracer

    public init(tracer: SpindleTracer) {
        self.tracer = tracer
    }

    public func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await runProcessorServices() }
            try? await gracefulShutdown()
            await tracer.shutdown()
            await group.waitForAll()
        }
    }

    /// Runs every processor that is a `Service` until it returns.
    func runProcessorServices() async {
        await withTaskGroup(of: Void.self) { group in
            for case let service as any Service in tracer.pipeline.processors {
                group.addTask { try? await service.run() }
            }
        }
    }
}
