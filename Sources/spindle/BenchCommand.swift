import ArgumentParser
import SpindleModel
import SpindleSamples
import SpindleWire

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure Spindle's hot paths on this machine.",
        subcommands: [WireBench.self, IngestBench.self, StoreBench.self, CompareBench.self, PipelineBench.self]
    )
}

/// A quick wall-clock measurement of the codecs; the Benchmarks/ package adds
/// allocation counts and percentiles across runs.
struct WireBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wire",
        abstract: "Time OTLP protobuf, OTLP/JSON and Zipkin decode and encode of a realistic batch."
    )

    @Option(help: "Spans per batch.")
    var spans = 100

    @Option(help: "Attributes per span.")
    var attributes = 10

    @Option(help: "Events per span.")
    var events = 2

    @Option(help: "Timed repetitions of each measurement (the median is reported).")
    var rounds = 15

    @Option(help: "Batches per repetition.")
    var iterations = 2_000

    func run() throws {
        let batch = Samples.realisticBatch(spans: spans, attributes: attributes, events: events)
        print("batch: \(spans) spans, \(attributes) attributes and \(events) events each; median of \(rounds) rounds of \(iterations) batches")
        for format in PayloadFormat.allCases {
            let bytes = format.encode(batch)
            let decode = try measure {
                _ = try format.decode(bytes)
            }
            let encode = try measure {
                _ = format.encode(batch)
            }
            print("\(format.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0)) \(bytes.count / spans) B/span   decode \(format1(decode)) ns/span   encode \(format1(encode)) ns/span")
        }
    }

    /// Median nanoseconds per span over `rounds` rounds.
    private func measure(_ body: () throws -> Void) throws -> Double {
        let clock = ContinuousClock()
        for _ in 0..<max(1, iterations / 10) { try body() }  // warm up
        var perSpan: [Double] = []
        for _ in 0..<rounds {
            let elapsed = try clock.measure {
                for _ in 0..<iterations { try body() }
            }
            let nanos = Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9
            perSpan.append(nanos / Double(iterations * spans))
        }
        perSpan.sort()
        return perSpan[perSpan.count / 2]
    }

    private func format1(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }
}
