// Guards SpindleWire: what decoding and encoding an export request costs, per batch.
//
// Every benchmark runs on the same batch, `Samples.realisticBatch(spans: 100,
// attributes: 10, events: 2)`, and one measured iteration is one whole batch
// (`scalingFactor: .one`), so each reported figure is per batch of `spansPerBatch`
// spans: divide by 100 for per-span numbers (p50 30 000 ns → 300 ns per span;
// 16 mallocs → 0.16 per span; 28 000 batches/s → 2.8 M spans/s). README.md lists the
// targets these figures are held to.

import Benchmark
import SpindleModel
import SpindleSamples
import SpindleWire

/// Spans in the benchmarked batch; the divisor that turns a reported figure into a per-span one.
let spansPerBatch = 100

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        // Left out on purpose (README.md, "Metrics"): `cpuTotal` moves in 10 ms ticks on
        // Linux, so a batch of tens of microseconds reads 0 or 10 000 µs;
        // `peakMemoryResident` reads /proc inside the measured window and adds 16 mallocs
        // to every sample, which would swamp a decoder that makes 16; `instructions` needs
        // hardware counters these VMs do not have.
        metrics: [
            .wallClock,
            .throughput,
            .mallocCountTotal,
            .mallocBytesCount,
        ],
        // Whole nanoseconds and whole counts, so dividing by `spansPerBatch` loses nothing
        // to the table's rounding (it would otherwise print "40 µs" or "10 K mallocs").
        timeUnits: .nanoseconds,
        units: [.mallocCountTotal: .count, .mallocBytesCount: .count, .throughput: .count],
        warmupIterations: 10,
        scalingFactor: .one,
        // Seven benchmarks at ≤ 5 s each keep the whole suite well under two minutes
        // (a batch takes tens of microseconds, so 5 s still gives thousands of samples).
        maxDuration: .seconds(5),
        maxIterations: 20_000
    )

    // Built once per process, outside every measurement.
    let batch = Samples.realisticBatch(spans: spansPerBatch, attributes: 10, events: 2)
    let protobufBytes = OTLPProtobuf.encodeExportRequest(batch)
    let otlpJSONBytes = OTLPJSON.encodeExportRequest(batch)
    let zipkinJSONBytes = ZipkinJSON.encode(batch)

    // Figures for a codec that does not round-trip would mean nothing: each decode
    // benchmark checks its input in `setup`, outside the measurement, and fails if the
    // decoded batch is not the one encoded (Zipkin's mapping regroups resources, so only
    // its span count is compared).
    func expectRoundTrip(_ codec: String, _ decoded: SpanBatch, exact: Bool = true) throws(RoundTripFailure) {
        guard exact ? decoded == batch : decoded.spanCount == batch.spanCount else {
            throw RoundTripFailure(description: "\(codec) did not round-trip: encoded \(batch), decoded \(decoded)")
        }
    }

    // MARK: OTLP protobuf (the collector's hot path: OTLP/gRPC and OTLP/HTTP protobuf)

    Benchmark("OTLP protobuf decode (100 spans)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try OTLPProtobuf.decodeExportRequest(protobufBytes))
        }
    } setup: {
        try expectRoundTrip("OTLP protobuf", OTLPProtobuf.decodeExportRequest(protobufBytes))
    }

    Benchmark("OTLP protobuf encode (100 spans)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(OTLPProtobuf.encodeExportRequest(batch))
        }
    }

    // The plain-value form (`[SpanRecord]`, with a `String` and an array per field) for
    // comparison with the arena form that decode returns.
    Benchmark("OTLP protobuf decode + materialize (100 spans)") { benchmark in
        for _ in benchmark.scaledIterations {
            let decoded = try OTLPProtobuf.decodeExportRequest(protobufBytes)
            blackHole(decoded.spans)
        }
    }

    // MARK: OTLP JSON (OTLP/HTTP with Content-Type: application/json)

    Benchmark("OTLP JSON decode (100 spans)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try OTLPJSON.decodeExportRequest(otlpJSONBytes))
        }
    } setup: {
        try expectRoundTrip("OTLP JSON", OTLPJSON.decodeExportRequest(otlpJSONBytes))
    }

    Benchmark("OTLP JSON encode (100 spans)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(OTLPJSON.encodeExportRequest(batch))
        }
    }

    // MARK: Zipkin v2 JSON (POST /api/v2/spans)

    Benchmark("Zipkin JSON decode (100 spans)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try ZipkinJSON.decode(zipkinJSONBytes))
        }
    } setup: {
        try expectRoundTrip("Zipkin JSON", ZipkinJSON.decode(zipkinJSONBytes), exact: false)
    }

    Benchmark("Zipkin JSON encode (100 spans)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(ZipkinJSON.encode(batch))
        }
    }
}

struct RoundTripFailure: Error, CustomStringConvertible {
    var description: String
}
