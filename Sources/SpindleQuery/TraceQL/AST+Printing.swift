// The canonical text of a query: every binary operation in parentheses, so that the
// printed form shows how the parser grouped it, and reads back to the same tree.

extension Literal: CustomStringConvertible {
    var description: String {
        switch self {
        case .string(let value): Self.quote(value)
        case .int(let value): String(value)
        case .float(let value): value.description
        case .bool(let value): value ? "true" : "false"
        case .duration(let value): DurationLiteral.format(value)
        case .status(let value): value.name
        case .kind(let value): value.name
        case .nil: "nil"
        }
    }

    /// `value` in double quotes with `"`, `\` and control characters escaped.
    static func quote(_ value: String) -> String {
        var result = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    result += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }
}

extension Field: CustomStringConvertible {
    var description: String {
        switch self {
        case .intrinsic(let intrinsic):
            return intrinsic.rawValue
        case .attribute(let scope, let name):
            let prefix = scope == .any ? "." : scope.rawValue + "."
            return prefix + (Self.needsQuotes(name, unscoped: scope == .any) ? Literal.quote(name) : name)
        }
    }

    private static func needsQuotes(_ name: String, unscoped: Bool) -> Bool {
        guard let first = name.unicodeScalars.first else { return true }
        if first == "\"" || first == "`" { return true }
        if unscoped && Lexer.isDigit(first) { return true }
        return !name.unicodeScalars.allSatisfy(Lexer.isAttributeScalar)
    }
}

extension FieldExpression: CustomStringConvertible {
    var description: String {
        switch self {
        case .literal(let literal): literal.description
        case .field(let field): field.description
        case .arithmetic(let op, let lhs, let rhs): "(\(lhs) \(op.rawValue) \(rhs))"
        case .negate(let operand): "-\(operand)"
        case .comparison(let op, let lhs, let rhs): "(\(lhs) \(op.rawValue) \(rhs))"
        case .match(let lhs, let regex, let negated): "(\(lhs) \(negated ? "!~" : "=~") \(Literal.quote(regex.pattern)))"
        case .and(let operands): "(" + operands.map(\.description).joined(separator: " && ") + ")"
        case .or(let operands): "(" + operands.map(\.description).joined(separator: " || ") + ")"
        case .not(let operand): "!\(operand)"
        }
    }
}

extension SpansetExpression: CustomStringConvertible {
    var description: String {
        switch self {
        case .filter(nil): "{}"
        case .filter(let expression?): "{ \(expression) }"
        case .and(let operands): "(" + operands.map(\.description).joined(separator: " && ") + ")"
        case .or(let operands): "(" + operands.map(\.description).joined(separator: " || ") + ")"
        case .structural(let op, let lhs, let rhs): "(\(lhs) \(op.rawValue) \(rhs))"
        case .pipeline(let pipeline): "(\(pipeline))"
        }
    }
}

extension ScalarExpression: CustomStringConvertible {
    var description: String {
        switch self {
        case .literal(let literal): literal.description
        case .aggregate(let function, let argument): "\(function.rawValue)(\(argument?.description ?? ""))"
        case .arithmetic(let op, let lhs, let rhs): "(\(lhs) \(op.rawValue) \(rhs))"
        case .negate(let operand): "-\(operand)"
        }
    }
}

extension PipelineStage: CustomStringConvertible {
    var description: String {
        switch self {
        case .spanset(let expression): expression.description
        case .scalarFilter(let op, let lhs, let rhs): "\(lhs) \(op.rawValue) \(rhs)"
        case .by(let fields): "by(\(fields.map(\.description).joined(separator: ", ")))"
        case .select(let fields): "select(\(fields.map(\.description).joined(separator: ", ")))"
        case .coalesce: "coalesce()"
        }
    }
}

extension Pipeline: CustomStringConvertible {
    var description: String { stages.map(\.description).joined(separator: " | ") }
}

extension MetricsFunction: CustomStringConvertible {
    var description: String {
        switch self {
        case .rate: "rate()"
        case .countOverTime: "count_over_time()"
        case .minOverTime(let field): "min_over_time(\(field))"
        case .maxOverTime(let field): "max_over_time(\(field))"
        case .avgOverTime(let field): "avg_over_time(\(field))"
        case .sumOverTime(let field): "sum_over_time(\(field))"
        case .quantileOverTime(let field, let quantiles):
            "quantile_over_time(\(field), \(quantiles.map(\.description).joined(separator: ", ")))"
        case .histogramOverTime(let field): "histogram_over_time(\(field))"
        case .unsupported(let name): "\(name)(…)"
        }
    }
}

extension MetricsStage: CustomStringConvertible {
    var description: String {
        var text = function.description
        if !by.isEmpty { text += " by (\(by.map(\.description).joined(separator: ", ")))" }
        for name in unsupported { text += " \(name)(…)" }
        return text
    }
}

extension QueryRoot: CustomStringConvertible {
    var description: String {
        guard let metrics else { return pipeline.description }
        return "\(pipeline) | \(metrics)"
    }
}
