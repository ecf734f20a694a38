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
