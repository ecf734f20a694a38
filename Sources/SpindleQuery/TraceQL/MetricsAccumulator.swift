import SpindleModel

/// Turns matching spans into time series for one metrics function.
///
/// Each span falls in the step holding its start time: step *i* covers
/// `[start + i·step, start + (i+1)·step)` and its sample is stamped `start + i·step`.
///
/// - `rate()`: spans per second in each step (count ÷ step in seconds);
///   `count_over_time()`: spans per step; both give every step, zeros included.
/// - `min/max/avg/sum_over_time(f)`: over the numeric values of `f` (durations in
///   seconds); only steps with values give samples.
/// - `histogram_over_time(f)`: spans per step in power-of-two buckets, one series per
///   bucket seen, labelled `__bucket` with the upper bound: 2^k nanoseconds expressed in
///   seconds for durations (values of 0 and 1 ns fall in the 1 ns bucket), 2^k for
///   other numbers (rounded up first; negative values are skipped); every step.
/// - `quantile_over_time(f, q…)`: Tempo's estimate from those buckets: the bucket
///   holding the ⌈q·n⌉-th value, interpolated exponentially from the previous bucket's
///   bound (or half the bucket's own); one series per quantile, labelled `p`; only
///   steps with values.
struct MetricsAccumulator {
    let function: MetricsFunction
    let by: [FieldExpression]
    let start: UInt64
    let step: UInt64
    let intervals: Int
    let maxSeries: Int

    /// Per series (keyed by `by()` values), per step.
    private var series: [GroupKey: Cells] = [:]

    private enum Cells {
        case counts([Double])
        case extremes([Double?])
        case sums([Double], [Int])
        case buckets([[Double: Int]])
    }

    init(_ stage: MetricsStage, start: UInt64, step: UInt64, intervals: Int, maxSeries: Int) {
        function = stage.function
        by = stage.by
        self.start = start
        self.step = step
        self.intervals = intervals
        self.maxSeries = maxSeries
    }

    /// Adds span `index` of the evaluator's view.
    mutating func add(span index: Int, of evaluator: Evaluator) throws(QueryError) {
        let spanStart = evaluator.view.tables.spans[index].startTimeUnixNano
        guard spanStart >= start else { return }
        let offset = (spanStart - start) / step
        guard offset < UInt64(intervals) else { return }
        let interval = Int(offset)
        var measurement: Double?
        var bucket: Double?
        switch function {
        case .rate, .countOverTime, .unsupported:
            break
        case .minOverTime(let field), .maxOverTime(let field), .avgOverTime(let field), .sumOverTime(let field):
            guard let value = evaluator.value(field, span: index, .none), let number = Self.measure(value) else { return }
            measurement = number
        case .quantileOverTime(let field, _), .histogramOverTime(let field):
            guard let value = evaluator.value(field, span: index, .none), let upper = Self.bucket(value) else { return }
            bucket = upper
        }
        let key = GroupKey(values: by.map { evaluator.value($0, span: index, .none)?.attributeValue ?? .empty })
        if series[key] == nil {
            guard series.count < maxSeries else {
                throw .tooExpensive("the query makes more than \(maxSeries) series (QueryLimits.maxSeries); group by fewer or coarser fields")
            }
            series[key] = emptyCells()
        }
        switch series[key] {
        case .counts(var counts)?:
            series[key] = nil
            counts[interval] += 1
            series[key] = .counts(counts)
        case .extremes(var values)?:
            guard let measurement else { return }
            series[key] = nil
            let isMin: Bool
            if case .minOverTime = function { isMin = true } else { isMin = false }
            if let current = values[interval] {
                values[interval] = isMin ? min(current, measurement) : max(current, measurement)
            } else {
                values[interval] = measurement
            }
            series[key] = .extremes(values)
        case .sums(var sums, var counts)?:
            guard let measurement else { return }
            series[key] = nil
            sums[interval] += measurement
            counts[interval] += 1
            series[key] = .sums(sums, counts)
        case .buckets(var buckets)?:
            guard let bucket else { return }
            series[key] = nil
            buckets[interval][bucket, default: 0] += 1
            series[key] = .buckets(buckets)
        case nil:
            break
        }
    }

    private func emptyCells() -> Cells {
        switch function {
        case .rate, .countOverTime, .unsupported: .counts([Double](repeating: 0, count: intervals))
        case .minOverTime, .maxOverTime: .extremes([Double?](repeating: nil, count: intervals))
        case .avgOverTime, .sumOverTime: .sums([Double](repeating: 0, count: intervals), [Int](repeating: 0, count: intervals))
        case .quantileOverTime, .histogramOverTime: .buckets([[Double: Int]](repeating: [:], count: intervals))
        }
    }

    /// A value as a metric: durations in seconds, other numbers as they are.
    static func measure(_ value: Value) -> Double? {
        switch value {
        case .duration(let nanos): Double(nanos) / 1e9
        case .int(let number): Double(number)
        case .float(let number): number.isNaN ? nil : number
        default: nil
        }
    }

    /// The upper bound of the power-of-two bucket holding `value` (see the type's notes).
    static func bucket(_ value: Value) -> Double? {
        switch value {
        case .duration(let nanos):
            guard nanos >= 0 else { return nil }
            return Double(powerOfTwoCeiling(UInt64(nanos))) / 1e9
        case .int(let number):
            guard number >= 0 else { return nil }
            return Double(powerOfTwoCeiling(UInt64(number)))
        case .float(let number):
            guard number >= 0, number < 0x1p63 else { return nil }
            return Double(powerOfTwoCeiling(UInt64(number.rounded(.up))))
        default:
            return nil
        }
    }

    /// The least power of two at or above `value` (1 for 0 and 1); 2^63 at most.
    static func powerOfTwoCeiling(_ value: UInt64) -> UInt64 {
        if value <= 1 { return 1 }
        let exponent = UInt64.bitWidth - (value - 1).leadingZeroBitCount
        return exponent >= 63 ? 1 << 63 : 1 << UInt64(exponent)
    }

    // MARK: Results

    /// The series, sorted by labels.
    func result() -> [MetricSeries] {
        var output: [MetricSeries] = []
        for (key, cells) in series {
            let labels = zip(by, key.values).map { Attribute($0.description, $1) }
            switch cells {
            case .counts(let counts):
                let divisor: Double
                if case .rate = function { divisor = Double(step) / 1e9 } else { divisor = 1 }
                output.append(MetricSeries(labels: labels, samples: counts.indices.map { sample($0, counts[$0] / divisor) }))
            case .extremes(let values):
                output.append(MetricSeries(labels: labels, samples: values.indices.compactMap { index in values[index].map { sample(index, $0) } }))
            case .sums(let sums, let counts):
                let average: Bool
                if case .avgOverTime = function { average = true } else { average = false }
                let samples = sums.indices.compactMap { index -> MetricSample? in
                    guard counts[index] > 0 else { return nil }
                    return sample(index, average ? sums[index] / Double(counts[index]) : sums[index])
                }
                output.append(MetricSeries(labels: labels, samples: samples))
            case .buckets(let buckets):
                if case .quantileOverTime(_, let quantiles) = function {
                    for quantile in quantiles {
                        let samples = buckets.indices.compactMap { index -> MetricSample? in
                            guard !buckets[index].isEmpty else { return nil }
                            return sample(index, Self.quantile(quantile, buckets[index]))
                        }
                        output.append(MetricSeries(labels: labels + [Attribute("p", .double(quantile))], samples: samples))
                    }
                } else {
                    let bounds = Set(buckets.flatMap(\.keys)).sorted()
                    for bound in bounds {
                        let samples = buckets.indices.map { sample($0, Double(buckets[$0][bound] ?? 0)) }
                        output.append(MetricSeries(labels: labels + [Attribute("__bucket", .double(bound))], samples: samples))
                    }
                }
            }
        }
        return output.sorted { LabelOrder.precedes($0.labels, $1.labels) }
    }

    private func sample(_ interval: Int, _ value: Double) -> MetricSample {
        MetricSample(timestampUnixNano: start + UInt64(interval) * step, value: value)
    }

    /// Tempo's quantile estimate over power-of-two buckets (bound → count).
    static func quantile(_ q: Double, _ buckets: [Double: Int]) -> Double {
        let sorted = buckets.sorted { $0.key < $1.key }
        let total = sorted.reduce(0) { $0 + $1.value }
        guard total > 0 else { return 0 }
        let wanted = max(1, Int((q * Double(total)).rounded(.up)))
        var consumed = 0
        var index = 0
        for (position, bucket) in sorted.enumerated() {
            index = position
            if consumed + bucket.value > wanted { break }
            consumed += bucket.value
            if consumed == wanted { return bucket.key }
        }
        let fraction = Double(wanted - consumed) / Double(sorted[index].value)
        let upper = log2(sorted[index].key)
        let lower = index > 0 ? log2(sorted[index - 1].key) : upper - 1
        return Math.exp2(lower + (upper - lower) * fraction)
    }

    private static func log2(_ value: Double) -> Double { Math.log2(value) }
}

/// A total order on label lists, for stable output.
enum LabelOrder {
    static func precedes(_ lhs: [Attribute], _ rhs: [Attribute]) -> Bool {
        for (a, b) in zip(lhs, rhs) {
            if a.key != b.key { return a.key < b.key }
            let order = compare(a.value, b.value)
            if order != 0 { return order < 0 }
        }
        return lhs.count < rhs.count
    }

    private static func rank(_ value: AttributeValue) -> Int {
        switch value {
        case .empty: 0
        case .bool: 1
        case .int, .double: 2
        case .string: 3
        case .bytes, .array, .keyValueList: 4
        }
    }

    private static func compare(_ a: AttributeValue, _ b: AttributeValue) -> Int {
        let (rankA, rankB) = (rank(a), rank(b))
        if rankA != rankB { return rankA < rankB ? -1 : 1 }
        switch (a, b) {
        case (.bool(let x), .bool(let y)): return x == y ? 0 : (!x ? -1 : 1)
        case (.string(let x), .string(let y)): return x == y ? 0 : (x < y ? -1 : 1)
        default:
            if let x = number(a), let y = number(b), x != y { return x < y ? -1 : 1 }
            let (x, y) = ("\(a)", "\(b)")
            return x == y ? 0 : (x < y ? -1 : 1)
        }
    }

    private static func number(_ value: AttributeValue) -> Double? {
        switch value {
        case .int(let x): Double(x)
        case .double(let x): x
        default: nil
        }
    }
}
