// Scalar filters: aggregates over the spans of a spanset.

extension Evaluator {
    /// The value of a scalar expression for one spanset.
    ///
    /// `count()` counts spans. `sum`, `avg`, `min` and `max` read their argument on each
    /// span and use the numeric values (ints, floats, durations), skipping others; with
    /// none they are absent, so the filter is false. `min`/`max` keep the value's type;
    /// `sum` of ints is an int (a float when it overflows), of durations a duration;
    /// `avg` is a float, or a duration (truncated to whole nanoseconds) when every
    /// value is a duration.
    func scalar(_ expression: ScalarExpression, over set: SpanSet) -> Value? {
        switch expression {
        case .literal(let literal):
            return Value(literal)
        case .arithmetic(let op, let lhs, let rhs):
            return Value.arithmetic(op, scalar(lhs, over: set), scalar(rhs, over: set))
        case .negate(let operand):
            return Value.negate(scalar(operand, over: set))
        case .aggregate(.count, _):
            return .int(Int64(set.spans.count))
        case .aggregate(let function, let argument?):
            let values = set.spans.compactMap { span -> Value? in
                guard let value = value(argument, span: span, .none), value.number != nil else { return nil }
                return value
            }
            return Self.aggregate(function, values)
        case .aggregate(_, nil):
            return nil
        }
    }

    /// Aggregates numeric values (every one has a ``Value/number``).
    static func aggregate(_ function: AggregateFunction, _ values: [Value]) -> Value? {
        guard let first = values.first else { return nil }
        let allDurations = values.allSatisfy(\.isDuration)
        switch function {
        case .count:
            return .int(Int64(values.count))
        case .min, .max:
            var best = first
            for value in values.dropFirst() {
                guard let order = Value.numericOrder(value, best) else { continue }
                if function == .min ? order < 0 : order > 0 { best = value }
            }
            return best
        case .sum:
            let allInts = values.allSatisfy { if case .int = $0 { true } else { false } }
            if allDurations || allInts, let total = integerSum(values) {
                return allDurations ? .duration(total) : .int(total)
            }
            if allDurations { return nil }
            return .float(values.reduce(0) { $0 + ($1.number ?? 0) })
        case .avg:
            if allDurations {
                guard let total = integerSum(values) else { return nil }
                return .duration(total / Int64(values.count))
            }
            return .float(values.reduce(0) { $0 + ($1.number ?? 0) } / Double(values.count))
        }
    }

    /// The exact sum of int or duration values; nil on overflow.
    private static func integerSum(_ values: [Value]) -> Int64? {
        var total: Int64 = 0
        for value in values {
            let x: Int64
            switch value {
            case .int(let v), .duration(let v): x = v
            default: return nil
            }
            let (sum, overflow) = total.addingReportingOverflow(x)
            if overflow { return nil }
            total = sum
        }
        return total
    }
}
