import ServiceLifecycle
import Spindle
import SpindleModel
import Testing
import Tracing

@Suite struct TracerBootstrapTests {
    @Test func withTracer_installsTheTracerForTheTaskAndShutsProcessorsDown() async {
        let processor = RecordingProcessor()
        let traceID = await SpindleSDK.withTracer(configuration: SpindleConfiguration(environment: [:]), processors: [processor]) { tracer in
            InstrumentationSystem.tracer.withAnySpan("via-global-api") { span in
                span.context.spanContext?.traceID
            }
        }
        #expect(processor.spans.map(\.name) == ["via-global-api"])
        #expect(processor.spans.first?.context.traceID == traceID)
        #expect(processor.shutdowns == 1)
    }

    @Test func service_flushesAndShutsDownOnGracefulShutdown() async throws {
        let processor = RecordingProcessor()
        let tracer = SpindleTracer(configuration: SpindleConfiguration(environment: [:]), processors: [processor])
        let service = SpindleService(tracer: tracer)
        let group = ServiceGroup(configuration: .init(services: [service], logger: .init(label: "test")))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            tracer.withSpan("work") { _ in }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        #expect(processor.shutdowns == 1)
        #expect(processor.spans.map(\.name) == ["work"])
    }
}
