import SpindleModel

/// A value during evaluation. An absent attribute is Swift's `nil`, not a case.
///
/// Rules, as in Tempo:
/// - strings compare with strings (byte-wise for `<`, `>`), booleans, statuses and
///   kinds only with their own type and only by `=` and `!=`;
/// - ints, floats and durations compare numerically with each other (exactly, without
///   rounding); durations are nanoseconds;
/// - any other pairing, and anything compared with an absent value, is false, `!=`
///   included (`span.x != "a"` does not match spans without `span.x`);
/// - bytes, arrays, key-value lists and empty values are present (`!= nil` holds) but
///   compare false with everything.
enum Value: Sendable {
    case string(String)
    case int(Int64)
    case float(Double)
    case bool(Bool)
    /// Nanoseconds.
    case duration(Int64)
    case status(StatusCode)
    case kind(SpanKind)
    case other(AttributeValue)

    init?(_ literal: Literal) {
        switch literal {
        case .string(let value): self = .string(value)
        case .int(let value): self = .int(value)
        case .float(let value): self = .float(value)
        case .bool(let value): self = .bool(value)
        case .duration(let value): self = .duration(value)
        case .status(let value): self = .status(value)
        case .kind(let value): self = .kind(value)
        case .nil: return nil
        }
    }

    /// The value as an attribute value for results: durations as integer nanoseconds,
    /// statuses and kinds by name.
    var attributeValue: AttributeValue {
        switch self {
        case .string(let value): .string(value)
        case .int(let value): .int(value)
        case .float(let value): .double(value)
        case .bool(let value): .bool(value)
        case .duration(let value): .int(value)
        case .status(let value): .string(value.name)
        case .kind(let value): .string(value.name)
        case .other(let value): value
        }
    }

    var isDuration: Bool {
        if case .duration = self { return true }
        return false
    }

    /// The value as a double for aggregation (durations in nanoseconds); nil when not numeric.
    var number: Double? {
        switch self {
        case .int(let value): Double(value)
        case .float(let value): value
        case .duration(let value): Double(value)
        default: nil
        }
    }

    // MARK: Comparison

    static func compare(_ op: ComparisonOperator, _ lhs: Value?, _ rhs: Value?) -> Bool {
        guard let lhs, let rhs else { return false }
        switch (lhs, rhs) {
        case (.string(let a), .string(let b)):
            if op == .equal { return a == b }
            if op == .notEqual { return a != b }
            return holds(op, order(a, b))
        case (.bool(let a), .bool(let b)): return equality(op, a == b)
        case (.status(let a), .status(let b)): return equality(op, a == b)
        case (.kind(let a), .kind(let b)): return equality(op, a == b)
        default:
            guard let ordering = numericOrder(lhs, rhs) else { return false }
            return holds(op, ordering)
        }
    }

    private static func equality(_ op: ComparisonOperator, _ equal: Bool) -> Bool {
        switch op {
        case .equal: equal
        case .notEqual: !equal
        default: false
        }
    }

    private static func holds(_ op: ComparisonOperator, _ ordering: Int) -> Bool {
        switch op {
        case .equal: ordering == 0
        case .notEqual: ordering != 0
        case .greater: ordering > 0
        case .greaterEqual: ordering >= 0
        case .less: ordering < 0
        case .lessEqual: ordering <= 0
        }
    }

    /// -1, 0, 1 comparing UTF-8 bytes (Tempo compares Go strings byte-wise).
    private static func order(_ a: String, _ b: String) -> Int {
        if a == b { return 0 }
        return a.utf8.lexicographicallyPrecedes(b.utf8) ? -1 : 1
    }

    /// -1, 0, 1 for two numeric values, exactly; nil when either is not numeric or is NaN.
    static func numericOrder(_ lhs: Value, _ rhs: Value) -> Int? {
        switch (lhs.exactNumber, rhs.exactNumber) {
        case (.integer(let a)?, .integer(let b)?): return a == b ? 0 : (a < b ? -1 : 1)
        case (.integer(let a)?, .double(let b)?): return compare(a, b)
        case (.double(let a)?, .integer(let b)?): return compare(b, a).map { -$0 }
        case (.double(let a)?, .double(let b)?):
            if a.isNaN || b.isNaN { return nil }
            return a == b ? 0 : (a < b ? -1 : 1)
        default: return nil
        }
    }

    private enum ExactNumber {
        case integer(Int64)
        case double(Double)
    }

    private var exactNumber: ExactNumber? {
        switch self {
        case .int(let value), .duration(let value): .integer(value)
        case .float(let value): .double(value)
        default: nil
        }
    }

    /// Compares an integer with a double without rounding the integer.
    private static func compare(_ a: Int64, _ b: Double) -> Int? {
        if b.isNaN { return nil }
        if b >= 0x1p63 { return -1 }
        if b < -0x1p63 { return 1 }
        let floor = b.rounded(.down)
        let whole = Int64(floor)
        if a < whole { return -1 }
        if a > whole { return 1 }
        return b > floor ? -1 : 0
    }
}

// MARK: Arithmetic

extension Value {
    /// `lhs op rhs` on numbers; nil (which compares false) for non-numbers, overflow,
    /// and division or remainder by zero.
    ///
    /// Result types: int with int gives int, except `/` which gives a float; a float
    /// operand gives a float; a duration with a number gives a duration (the number
    /// read as nanoseconds), except `number / duration`; duration `/` duration and
    /// duration `*` duration give floats; `^` always gives a float.
    static func arithmetic(_ op: ArithmeticOperator, _ lhs: Value?, _ rhs: Value?) -> Value? {
        guard let lhs, let rhs, let a = lhs.number, let b = rhs.number else { return nil }
        if op == .power {
            let result = Math.power(a, b)
            return result.isFinite ? .float(result) : nil
        }
        let lhsDuration = lhs.isDuration
        let rhsDuration = rhs.isDuration
        if lhsDuration || rhsDuration {
            let durationResult: Bool
            switch op {
            case .add, .subtract, .remainder: durationResult = true
            case .multiply: durationResult = !(lhsDuration && rhsDuration)
            case .divide: durationResult = lhsDuration && !rhsDuration
            case .power: durationResult = false
            }
            if durationResult, case .int(let x)? = lhs.integerView, case .int(let y)? = rhs.integerView {
                return integerArithmetic(op, x, y).map { .duration($0) }
            }
            guard let result = doubleArithmetic(op, a, b) else { return nil }
            if !durationResult { return .float(result) }
            guard result.isFinite, result > -0x1p63, result < 0x1p63 else { return nil }
            return .duration(Int64(result.rounded(.towardZero)))
        }
        if case .int(let x) = lhs, case .int(let y) = rhs, op != .power {
            // Integer division truncates, as Tempo's does.
            return integerArithmetic(op, x, y).map { .int($0) }
        }
        return doubleArithmetic(op, a, b).map { .float($0) }
    }

    /// Ints and durations as `.int`, for exact duration arithmetic.
    private var integerView: Value? {
        switch self {
        case .int(let value), .duration(let value): .int(value)
        default: nil
        }
    }

    private static func integerArithmetic(_ op: ArithmeticOperator, _ a: Int64, _ b: Int64) -> Int64? {
        let (result, overflow): (Int64, Bool)
        switch op {
        case .add: (result, overflow) = a.addingReportingOverflow(b)
        case .subtract: (result, overflow) = a.subtractingReportingOverflow(b)
        case .multiply: (result, overflow) = a.multipliedReportingOverflow(by: b)
        case .divide:
            if b == 0 { return nil }
            (result, overflow) = a.dividedReportingOverflow(by: b)
        case .remainder:
            if b == 0 { return nil }
            (result, overflow) = a.remainderReportingOverflow(dividingBy: b)
        case .power: return nil
        }
        return overflow ? nil : result
    }

    private static func doubleArithmetic(_ op: ArithmeticOperator, _ a: Double, _ b: Double) -> Double? {
        let result: Double
        switch op {
        case .add: result = a + b
        case .subtract: result = a - b
        case .multiply: result = a * b
        case .divide:
            if b == 0 { return nil }
            result = a / b
        case .remainder:
            if b == 0 { return nil }
            result = a.truncatingRemainder(dividingBy: b)
        case .power: result = Math.power(a, b)
        }
        return result.isNaN ? nil : result
    }

    static func negate(_ value: Value?) -> Value? {
        switch value {
        case .int(let x)?: x == .min ? nil : .int(-x)
        case .float(let x)?: .float(-x)
        case .duration(let x)?: x == .min ? nil : .duration(-x)
        default: nil
        }
    }
}

/// The values of `by()` fields that put a span in a group or a series. Equal when each
/// value is identical, so that every NaN falls in one group (with `==`, NaN differs
/// from itself and each NaN-valued span would make a group or series of its own).
struct GroupKey: Hashable {
    let values: [AttributeValue]

    static func == (lhs: GroupKey, rhs: GroupKey) -> Bool {
        lhs.values.count == rhs.values.count && zip(lhs.values, rhs.values).allSatisfy { $0.isIdentical(to: $1) }
    }

    func hash(into hasher: inout Hasher) {
        for value in values {
            if case .double(let double) = value, double.isNaN {
                hasher.combine(0x7FF8_0000_0000_0000 as UInt64)
            } else {
                hasher.combine(value)
            }
        }
    }
}
