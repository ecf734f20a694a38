import SpindleModel
import Synchronization
import Testing
@testable import SpindleCollector

/// A wall clock that moves only when told: the time since the Unix epoch that
/// ``SpanMetrics`` and the alert tests read.
final class MetricsClock: Sendable {
    private let time: Mutex<Duration>

    init(_ start: Duration = .seconds(1_700_000_000)) {
        time = Mutex(start)
    }

    var now: Duration { time.withLock { $0 } }

    func advance(by duration: Duration) {
        time.withLock { $0 += duration }
    }

    func set(_ value: Duration) {
        time.withLock { $0 = value }
    }

    /// The closure ``SpanMetrics`` takes.
    var function: @Sendable () -> Duration { { self.now } }
}

let metricsTrace = TraceID(high: 0xA, low: 0xB)

/// A span of `name` lasting `duration`.
func metricsSpan(
    _ name: String,
    kind: SpanKind = .server,
    duration: Duration = .milliseconds(3),
    status: StatusCode = .unset,
    trace: TraceID = metricsTrace,
    id: UInt64 = 1,
    parent: UInt64 = 0,
    attributes: [Attribute] = []
) -> SpanRecord {
    let start: UInt64 = 1_700_000_000_000_000_000
    return SpanRecord(
        traceID: trace,
        spanID: SpanID(id),
        parentSpanID: SpanID(parent),
        name: name,
        kind: kind,
        startTimeUnixNano: start,
        endTimeUnixNano: start + UInt64(duration.spanMetricsNanoseconds),
        attributes: attributes,
        status: SpanStatus(code: status)
    )
}

/// The spans under one resource of `service` (none: no `service.name`).
func metricsBatch(service: String?, _ spans: [SpanRecord]) -> SpanBatch {
    let attributes = service.map { [Attribute("service.name", .string($0))] } ?? []
    return SpanBatch([ResourceSpans(resource: Resource(attributes: attributes), scopeSpans: [ScopeSpans(spans: spans)])])
}

/// Several resources in one batch.
func metricsBatch(_ groups: [(service: String?, spans: [SpanRecord])]) -> SpanBatch {
    SpanBatch(groups.map { group in
        let attributes = group.service.map { [Attribute("service.name", .string($0))] } ?? []
        return ResourceSpans(resource: Resource(attributes: attributes), scopeSpans: [ScopeSpans(spans: group.spans)])
    })
}

/// Span metrics on `clock` with 10 s slots over 10 minutes and buckets 2, 4, 8 ms.
func smallMetrics(_ clock: MetricsClock, maxSeries: Int = 100, maxEdges: Int = 100, maxPendingEdges: Int = 100) -> SpanMetrics {
    SpanMetrics(
        configuration: SpanMetricsConfiguration(
            histogramBuckets: [.milliseconds(2), .milliseconds(4), .milliseconds(8)],
            maxSeries: maxSeries,
            maxEdges: maxEdges,
            resolution: .seconds(10),
            retention: .seconds(600),
            serviceGraphWait: .seconds(10),
            maxPendingEdges: maxPendingEdges
        ),
        now: clock.function
    )
}

// MARK: - A checker of the Prometheus text exposition format

/// One sample line.
struct ExpositionSample: Hashable, CustomStringConvertible {
    var name: String
    var labels: [String: String]
    var value: Double

    var description: String { "\(name)\(labels.sorted { $0.key < $1.key }) \(value)" }
}

struct ExpositionError: Error, CustomStringConvertible {
    var line: Int
    var message: String
    var description: String { "line \(line): \(message)" }
}

/// Parses the text exposition format (0.0.4) strictly: every line is `# HELP`, `# TYPE` or
/// a sample; names match `[a-zA-Z_:][a-zA-Z0-9_:]*`; label values are quoted with only
/// `\\`, `\"` and `\n` escapes; every sample belongs to a family whose TYPE came before
/// it (histograms through `_bucket`, `_sum`, `_count`); a family is declared once;
/// histogram buckets are cumulative and end with `le="+Inf"` equal to `_count`.
enum PrometheusExposition {
    static func parse(_ text: String) throws -> [ExpositionSample] {
        guard text.isEmpty || text.hasSuffix("\n") else { throw ExpositionError(line: 0, message: "text must end with a newline") }
        var types: [String: String] = [:]
        var helped: Set<String> = []
        var samples: [ExpositionSample] = []
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        for (number, line) in lines.enumerated() {
            let line = String(line)
            if line.hasPrefix("# HELP ") {
                let rest = line.dropFirst(7)
                let name = String(rest.prefix { $0 != " " })
                guard isMetricName(name), helped.insert(name).inserted else { throw ExpositionError(line: number + 1, message: "bad or repeated HELP: \(line)") }
            } else if line.hasPrefix("# TYPE ") {
                let parts = line.dropFirst(7).split(separator: " ")
                guard parts.count == 2, isMetricName(String(parts[0])), ["counter", "gauge", "histogram", "summary", "untyped"].contains(parts[1]) else {
                    throw ExpositionError(line: number + 1, message: "bad TYPE: \(line)")
                }
                guard types[String(parts[0])] == nil else { throw ExpositionError(line: number + 1, message: "repeated TYPE: \(line)") }
                types[String(parts[0])] = String(parts[1])
            } else if line.hasPrefix("#") {
                continue
            } else {
                let sample = try parseSample(line, number: number + 1)
                guard family(of: sample.name, types) != nil else {
                    throw ExpositionError(line: number + 1, message: "sample before its TYPE: \(line)")
                }
                samples.append(sample)
            }
        }
        try checkHistograms(samples, types)
        return samples
    }

    static func isMetricName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first.isASCIILetterOrUnderscoreOrColon else { return false }
        return name.unicodeScalars.allSatisfy { $0.isASCIILetterOrUnderscoreOrColon || ("0"..."9").contains($0) }
    }

    static func family(of sampleName: String, _ types: [String: String]) -> String? {
        if types[sampleName] != nil { return sampleName }
        for suffix in ["_bucket", "_sum", "_count"] where sampleName.hasSuffix(suffix) {
            let base = String(sampleName.dropLast(suffix.count))
            if types[base] == "histogram" { return base }
        }
        return nil
    }

    static func parseSample(_ line: String, number: Int) throws -> ExpositionSample {
        let scalars = Array(line.unicodeScalars)
        var index = 0
        var name = ""
        while index < scalars.count, scalars[index] != "{", scalars[index] != " " {
            name.unicodeScalars.append(scalars[index])
            index += 1
        }
        guard isMetricName(name) else { throw ExpositionError(line: number, message: "bad metric name in \(line)") }
        var labels: [String: String] = [:]
        if index < scalars.count, scalars[index] == "{" {
            index += 1
            while index < scalars.count, scalars[index] != "}" {
                var label = ""
                while index < scalars.count, scalars[index] != "=" {
                    label.unicodeScalars.append(scalars[index])
                    index += 1
                }
                guard isMetricName(label), !label.contains(":"), index + 1 < scalars.count, scalars[index + 1] == "\"" else {
                    throw ExpositionError(line: number, message: "bad label in \(line)")
                }
                index += 2
                var value = ""
                while true {
                    guard index < scalars.count else { throw ExpositionError(line: number, message: "unterminated label value in \(line)") }
                    let scalar = scalars[index]
                    if scalar == "\"" { break }
                    if scalar == "\\" {
                        guard index + 1 < scalars.count else { throw ExpositionError(line: number, message: "dangling escape") }
                        switch scalars[index + 1] {
                        case "\\": value += "\\"
                        case "\"": value += "\""
                        case "n": value += "\n"
                        default: throw ExpositionError(line: number, message: "bad escape in \(line)")
                        }
                        index += 2
                        continue
                    }
                    value.unicodeScalars.append(scalar)
                    index += 1
                }
                index += 1
                guard labels.updateValue(value, forKey: label) == nil else { throw ExpositionError(line: number, message: "repeated label \(label)") }
                if index < scalars.count, scalars[index] == "," { index += 1 }
            }
            guard index < scalars.count else { throw ExpositionError(line: number, message: "unterminated labels in \(line)") }
            index += 1
        }
        guard index < scalars.count, scalars[index] == " " else { throw ExpositionError(line: number, message: "no value in \(line)") }
        var valueText = ""
        for scalar in scalars[(index + 1)...] { valueText.unicodeScalars.append(scalar) }
        let value: Double
        switch valueText {
        case "+Inf": value = .infinity
        case "-Inf": value = -.infinity
        case "NaN": value = .nan
        default:
            guard let parsed = Double(valueText) else { throw ExpositionError(line: number, message: "bad value \(valueText)") }
            value = parsed
        }
        return ExpositionSample(name: name, labels: labels, value: value)
    }

    static func checkHistograms(_ samples: [ExpositionSample], _ types: [String: String]) throws {
        for (family, type) in types where type == "histogram" {
            var bySeries: [[String: String]: [(le: Double, count: Double)]] = [:]
            for sample in samples where sample.name == family + "_bucket" {
                guard let leText = sample.labels["le"] else { throw ExpositionError(line: 0, message: "bucket without le") }
                let le = leText == "+Inf" ? Double.infinity : Double(leText) ?? .nan
                var labels = sample.labels
                labels["le"] = nil
                bySeries[labels, default: []].append((le, sample.value))
            }
            for (labels, buckets) in bySeries {
                guard buckets.last?.le == .infinity else { throw ExpositionError(line: 0, message: "\(family)\(labels) does not end with +Inf") }
                for index in buckets.indices.dropFirst() {
                    guard buckets[index].le > buckets[index - 1].le, buckets[index].count >= buckets[index - 1].count else {
                        throw ExpositionError(line: 0, message: "\(family)\(labels) buckets are not cumulative and ascending")
                    }
                }
                let count = samples.first { $0.name == family + "_count" && $0.labels == labels }
                guard count?.value == buckets.last?.count, samples.contains(where: { $0.name == family + "_sum" && $0.labels == labels }) else {
                    throw ExpositionError(line: 0, message: "\(family)\(labels): _count differs from the +Inf bucket, or _sum is missing")
                }
            }
        }
    }
}

extension Unicode.Scalar {
    fileprivate var isASCIILetterOrUnderscoreOrColon: Bool {
        ("a"..."z").contains(self) || ("A"..."Z").contains(self) || self == "_" || self == ":"
    }
}

extension [ExpositionSample] {
    /// The value of the one sample named `name` whose labels include `labels`.
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        let matching = filter { sample in
            sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value }
        }
        return matching.count == 1 ? matching[0].value : nil
    }
}
