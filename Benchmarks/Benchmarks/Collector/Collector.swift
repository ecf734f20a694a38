// Guards SpindleCollector's redaction: what `Redactor.redact(_:)` costs per batch, with
// redaction on and off, next to the OTLP protobuf decode it follows in the ingest
// pipeline (issue 8 item 7, "redaction on versus off").
//
// Every benchmark runs on the batch WireCodecs uses, `Samples.realisticBatch(spans: 100,
// attributes: 10, events: 2)`, or on that batch with secrets added, and one measured
// iteration is one whole batch (`scalingFactor: .one`): divide every reported figure by
// `spansPerBatch` for per-span numbers. README.md ("Collector") says how to read them
// against WireCodecs' `OTLP protobuf decode (100 spans)`.

import Benchmark
import SpindleCollector
import SpindleModel
import SpindleSamples
import SpindleWire

/// Spans in the benchmarked batch; the divisor that turns a reported figure into a per-span one.
let spansPerBatch = 100

let benchmarks: @Sendable () -> Void = {
    // The same configuration as WireCodecs (README.md, "Metrics, and why these").
    Benchmark.defaultConfiguration = .init(
        metrics: [
            .wallClock,
            .throughput,
            .mallocCountTotal,
            .mallocBytesCount,
        ],
        // Whole nanoseconds and whole counts, so dividing by `spansPerBatch` loses nothing
        // to the table's rounding.
        timeUnits: .nanoseconds,
        units: [.mallocCountTotal: .count, .mallocBytesCount: .count, .throughput: .count],
        warmupIterations: 10,
        scalingFactor: .one,
        maxDuration: .seconds(5),
        maxIterations: 20_000
    )

    // Built once per process, outside every measurement.
    let batch = Samples.realisticBatch(spans: spansPerBatch, attributes: 10, events: 2)
    let protobufBytes = OTLPProtobuf.encodeExportRequest(batch)
    let redactor = Redactor()
    let disabledRedactor = Redactor.disabled

    /// `plain` as the collector hands it to the redactor: encoded to OTLP protobuf and
    /// decoded, so its arena is the request body. An empty batch if it does not decode,
    /// which every `setup` below rejects.
    func asReceived(_ plain: SpanBatch) -> SpanBatch {
        (try? OTLPProtobuf.decodeExportRequest(OTLPProtobuf.encodeExportRequest(plain))) ?? SpanBatch()
    }

    /// The batch with one `authorization: Bearer …` attribute added to its last span, so
    /// the scan reads the whole batch before it finds the secret, and the batch is then
    /// copied: the most one secret costs.
    func withOneSecret() -> SpanBatch {
        var groups = batch.resourceSpans
        let last = groups[0].scopeSpans[0].spans.count - 1
        groups[0].scopeSpans[0].spans[last].attributes.append(
            Attribute("authorization", "Bearer 7f9c6d5b8e2a4c1d9b3f0e6a"))
        return SpanBatch(groups)
    }

    /// The batch with an email address in every span's status message: every span has
    /// something to redact.
    func withEmailInEveryStatus() -> SpanBatch {
        var groups = batch.resourceSpans
        for index in groups[0].scopeSpans[0].spans.indices {
            groups[0].scopeSpans[0].spans[index].status = SpanStatus(
                code: .error, message: "payment declined for customer alice.smith@example.com")
        }
        return SpanBatch(groups)
    }

    let plainInput = asReceived(batch)
    let oneSecretInput = asReceived(withOneSecret())
    let emailInput = asReceived(withEmailInEveryStatus())

    // Figures for a redactor that misses a secret, or redacts what it should leave alone,
    // would mean nothing: each benchmark's `setup` runs it once on its input, outside the
    // measurement, and fails the run unless the result is exactly the expected one.
    func expectUnchanged(_ what: String, _ input: SpanBatch, _ result: RedactionResult) throws(RedactionCheckFailure) {
        guard input.spanCount == spansPerBatch, result.counts.isEmpty, result.batch == input else {
            throw RedactionCheckFailure(description: """
                \(what): expected \(spansPerBatch) spans and no redaction, got \(input.spanCount) spans, \
                \(result.counts.total) redactions \(result.counts.nonzero), batch unchanged: \(result.batch == input)
                """)
        }
    }

    func expectRedactions(_ what: String, _ input: SpanBatch, _ result: RedactionResult, rule: RedactionRule, place: RedactionPlace, count: Int) throws(RedactionCheckFailure) {
        guard input.spanCount == spansPerBatch, result.counts.total == count, result.counts[rule, place] == count,
              result.batch.spanCount == spansPerBatch, result.batch != input
        else {
            throw RedactionCheckFailure(description: """
                \(what): expected \(count) \(rule.rawValue) redactions in \(place.rawValue) of \(spansPerBatch) spans, \
                got \(result.counts.total) \(result.counts.nonzero) in \(input.spanCount) spans
                """)
        }
    }

    // MARK: Redaction on, the collector's default (`Redactor()`: built-in rules, mask)

    // What ingest costs with redaction on, from request bytes to the batch that is stored;
    // WireCodecs' `OTLP protobuf decode (100 spans)` is the same without the redaction.
    Benchmark("decode + redact, nothing to redact (100 spans)") { benchmark in
        for _ in benchmark.scaledIterations {
            let decoded = try OTLPProtobuf.decodeExportRequest(protobufBytes)
            blackHole(redactor.redact(decoded))
        }
    } setup: {
        let decoded = try OTLPProtobuf.decodeExportRequest(protobufBytes)
        guard decoded == batch else {
            throw RedactionCheckFailure(description: "OTLP protobuf did not round-trip: encoded \(batch), decoded \(decoded)")
        }
        try expectUnchanged("decode + redact", decoded, redactor.redact(decoded))
    }

    // The common case: one read-only scan, the batch comes back as it was (no copy).
    Benchmark("redact only, nothing to redact (100 spans)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(redactor.redact(plainInput))
        }
    } setup: {
        try expectUnchanged("nothing to redact", plainInput, redactor.redact(plainInput))
    }

    // One secret anywhere means the whole batch is copied into fresh tables and arena.
    Benchmark("redact only, one secret per batch (100 spans)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(redactor.redact(oneSecretInput))
        }
    } setup: {
        try expectRedactions("one secret", oneSecretInput, redactor.redact(oneSecretInput),
                             rule: .secretKey, place: .spanAttribute, count: 1)
    }

    // Every span redacted: the copy, plus a value rule's match in every span.
    Benchmark("redact only, every span with an email in its status message (100 spans)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(redactor.redact(emailInput))
        }
    } setup: {
        try expectRedactions("email in every status", emailInput, redactor.redact(emailInput),
                             rule: .email, place: .statusMessage, count: spansPerBatch)
    }

    // MARK: Redaction off (`--redaction off`)

    // The floor: what calling a disabled redactor costs (the batch is passed through).
    Benchmark("redaction off (disabled redactor), 100 spans") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(disabledRedactor.redact(plainInput))
        }
    } setup: {
        try expectUnchanged("redaction off", plainInput, disabledRedactor.redact(plainInput))
        // Off means off: the batch that has 100 emails to redact comes through untouched too.
        try expectUnchanged("redaction off, emails", emailInput, disabledRedactor.redact(emailInput))
    }
}

struct RedactionCheckFailure: Error, CustomStringConvertible {
    var description: String
}
