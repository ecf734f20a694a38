import Spindle
import SpindleModel
import Testing

@Suite struct ProcessorSimpleTests {
    @Test func exportsEachSpanAlone_inOrder() async {
        let exporter = GatedExporter()
        let processor = SimpleSpanProcessor(exporter: exporter)
        for number in 0..<5 { processor.onEnd(TestSpans.span(number)) }
        await processor.forceFlush()
        #expect(exporter.batches.map(TestSpans.names) == (0..<5).map { ["span-\($0)"] })
        #expect(exporter.maxInFlight == 1)
        await processor.shutdown()
        #expect(exporter.isShutDown)
        processor.onEnd(TestSpans.span(5))
        await processor.forceFlush()
        #expect(exporter.batches.count == 5)
    }

    @Test func worksWithTheInMemoryExporter() async {
        let exporter = InMemorySpanExporter()
        let processor = SimpleSpanProcessor(exporter: exporter)
        processor.onEnd(TestSpans.span(0))
        processor.onEnd(TestSpans.span(1))
        await processor.forceFlush()
        #expect(TestSpans.names(exporter.finishedSpans) == ["span-0", "span-1"])
        exporter.reset()
        #expect(exporter.finishedSpans.isEmpty)
        await processor.shutdown()
        await #expect(throws: ExportError.shutDown) { try await exporter.export([TestSpans.span(2)]) }
    }
}
