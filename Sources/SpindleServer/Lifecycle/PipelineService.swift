import ServiceLifecycle
import SpindleCollector

/// The pipeline as a service: runs its writer loop; on graceful shutdown (which comes
/// after the listeners have finished) stops it taking more and lets it drain.
struct PipelineService: Service, CustomStringConvertible {
    let pipeline: IngestPipeline
    var description: String { "ingest-pipeline" }

    func run() async {
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await pipeline.run()
            } onGracefulShutdown: {
                pipeline.shutdown()
            }
        } onCancel: {
            pipeline.shutdown()
        }
    }
}

/// The store as a service: nothing to run; on graceful shutdown (after the pipeline has
/// drained) it closes the store, making everything written durable.
struct StoreService: Service, CustomStringConvertible {
    let close: (@Sendable () async -> Void)?
    var description: String { "store" }

    func run() async {
        // Returns at this service's turn to shut down, or when cancelled.
        try? await gracefulShutdown()
        await close?()
    }
}
