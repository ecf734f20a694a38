import SpindleModel

// Field expressions: what goes inside `{ }`, `by()`, `select()` and aggregates.

extension Parser {
    mutating func parseFieldExpression() throws(TraceQLError) -> FieldExpression {
        let start = current
        var operands = [try parseFieldAnd()]
        while case .or = current.kind {
            advance()
            operands.append(try parseFieldAnd())
        }
        if operands.count == 1 { return operands[0] }
        let expression = FieldExpression.or(operands)
        try checkHeight(expression.height, at: start)
        return expression
    }

    mutating func parseFieldAnd() throws(TraceQLError) -> FieldExpression {
        let start = current
        var operands = [try parseComparison()]
        while case .and = current.kind {
            advance()
            operands.append(try parseComparison())
        }
        if operands.count == 1 { return operands[0] }
        let expression = FieldExpression.and(operands)
        try checkHeight(expression.height, at: start)
        return expression
    }

    static func comparisonOperator(_ kind: Token.Kind) -> ComparisonOperator? {
        switch kind {
        case .equal: .equal
        case .notEqual: .notEqual
        case .greater: .greater
        case .greaterEqual: .greaterEqual
        case .less: .less
        case .lessEqual: .lessEqual
        default: nil
        }
    }

    mutating func parseComparison() throws(TraceQLError) -> FieldExpression {
        let lhs = try parseAdditive()
        let opToken = current
        let expression: FieldExpression
        if let op = Self.comparisonOperator(current.kind) {
            advance()
            let rhs = try parseAdditive()
            try checkTypes(op, lhs, rhs, at: opToken)
            expression = .comparison(op, lhs, rhs)
        } else if current.kind == .regex || current.kind == .notRegex {
            advance()
            guard case .string(let pattern) = current.kind else {
                throw expected("a string with a regular expression")
            }
            let patternToken = advance()
            let regex: QueryRegex
            do {
                regex = try QueryRegex(pattern)
            } catch let problem {
                throw error("invalid regular expression \(Literal.quote(pattern)): \(problem)", at: patternToken)
            }
            regexes.append(regex)
            expression = .match(lhs, RegexLiteral(pattern: pattern, index: regexes.count - 1), negated: opToken.kind == .notRegex)
        } else {
            return lhs
        }
        try checkHeight(expression.height, at: opToken)
        if Self.comparisonOperator(current.kind) != nil || current.kind == .regex || current.kind == .notRegex {
            throw error("comparisons cannot be chained; join them with \"&&\" or use parentheses", at: current)
        }
        return expression
    }

    mutating func parseAdditive() throws(TraceQLError) -> FieldExpression {
        var lhs = try parseMultiplicative()
        while current.kind == .plus || current.kind == .minus {
            let opToken = advance()
            let rhs = try parseMultiplicative()
            lhs = .arithmetic(opToken.kind == .plus ? .add : .subtract, lhs, rhs)
            try checkHeight(lhs.height, at: opToken)
        }
        return lhs
    }

    mutating func parseMultiplicative() throws(TraceQLError) -> FieldExpression {
        var lhs = try parseUnary()
        while let op = Self.multiplicativeOperator(current.kind) {
            let opToken = advance()
            let rhs = try parseUnary()
            lhs = .arithmetic(op, lhs, rhs)
            try checkHeight(lhs.height, at: opToken)
        }
        return lhs
    }

    static func multiplicativeOperator(_ kind: Token.Kind) -> ArithmeticOperator? {
        switch kind {
        case .star: .multiply
        case .slash: .divide
        case .percent: .remainder
        default: nil
        }
    }

    mutating func parseUnary() throws(TraceQLError) -> FieldExpression {
        switch current.kind {
        case .minus:
            try enter()
            defer { depth -= 1 }
            advance()
            let operand = try parseUnary()
            if case .literal(let literal) = operand, let negated = literal.negated { return .literal(negated) }
            return .negate(operand)
        case .not:
            try enter()
            defer { depth -= 1 }
            advance()
            return .not(try parseUnary())
        default:
            return try parsePower()
        }
    }

    mutating func parsePower() throws(TraceQLError) -> FieldExpression {
        let base = try parseFieldPrimary()
        guard case .caret = current.kind else { return base }
        let opToken = advance()
        let exponent = try parseUnary()
        let expression = FieldExpression.arithmetic(.power, base, exponent)
        try checkHeight(expression.height, at: opToken)
        return expression
    }

    mutating func parseFieldPrimary() throws(TraceQLError) -> FieldExpression {
        let token = current
        switch token.kind {
        case .leftParen:
            try enter()
            defer { depth -= 1 }
            advance()
            let expression = try parseFieldExpression()
            guard case .rightParen = current.kind else { throw unclosed("\")\" to close the parenthesis", opened: token) }
            advance()
            return expression
        case .attribute(let scope, let name):
            advance()
            return .field(.attribute(scope, name))
        case .word(let word):
            if let literal = Self.keywordLiteral(word) {
                advance()
                return .literal(literal)
            }
            if let intrinsic = Intrinsic(rawValue: word) {
                advance()
                return .field(.intrinsic(intrinsic))
            }
            if word.contains(":") {
                throw error("unknown intrinsic \"\(word)\"; expected one of \(Intrinsic.spellings)", at: token)
            }
            throw error("unknown intrinsic \"\(word)\"; attributes need a scope, such as span.\(word), resource.\(word) or .\(word)", at: token)
        default:
            if let literal = Self.numericOrStringLiteral(token.kind) {
                advance()
                return .literal(literal)
            }
            throw expected("a value")
        }
    }

    /// `true`, `nil`, `error`, `server` and the other value words.
    static func keywordLiteral(_ word: String) -> Literal? {
        switch word {
        case "true": .bool(true)
        case "false": .bool(false)
        case "nil": .nil
        case "ok": .status(.ok)
        case "error": .status(.error)
        case "unset": .status(.unset)
        default: SpanKind(name: word).flatMap { $0.name == word ? .kind($0) : nil }
        }
    }

    static func numericOrStringLiteral(_ kind: Token.Kind) -> Literal? {
        switch kind {
        case .string(let value): .string(value)
        case .integer(let value): .int(value)
        case .float(let value): .float(value)
        case .duration(let value): .duration(value)
        default: nil
        }
    }

    // MARK: Static type checks

    /// What a literal or intrinsic holds, for refusing comparisons that can never hold.
    private enum StaticType: String {
        case string = "a string", number = "a number", bool = "a boolean", status = "a status", kind = "a kind"
    }

    private static func staticType(_ expression: FieldExpression) -> StaticType? {
        switch expression {
        case .literal(.string): .string
        case .literal(.int), .literal(.float), .literal(.duration): .number
        case .literal(.bool): .bool
        case .literal(.status): .status
        case .literal(.kind): .kind
        case .field(.intrinsic(let intrinsic)):
            switch intrinsic.meaning {
            case .spanDuration, .traceDuration, .spanChildCount, .eventTimeSinceStart: .number
            case .spanStatus: .status
            case .spanKind: .kind
            default: .string
            }
        default: nil
        }
    }

    /// Refuses `status = "error"` and the like, which Tempo refuses too: a literal
    /// compared with an intrinsic (or literal) of another type.
    private func checkTypes(_ op: ComparisonOperator, _ lhs: FieldExpression, _ rhs: FieldExpression, at token: Token) throws(TraceQLError) {
        guard let left = Self.staticType(lhs), let right = Self.staticType(rhs), left != right else { return }
        // Only intrinsic-against-literal pairs are checked; two literals compare to false.
        guard case .field = lhs, case .literal = rhs else {
            guard case .literal = lhs, case .field = rhs else { return }
            throw error("cannot compare \(left.rawValue) with \(rhs) (\(right.rawValue))", at: token)
        }
        throw error("cannot compare \(lhs) (\(left.rawValue)) with \(right.rawValue)\(Self.hint(for: lhs))", at: token)
    }

    private static func hint(for field: FieldExpression) -> String {
        switch staticType(field) {
        case .status: "; write status = error, ok or unset"
        case .kind: "; write kind = server, client, producer, consumer, internal or unspecified"
        default: ""
        }
    }
}

extension Literal {
    /// The literal with its sign flipped, for folding `-5`; nil when not numeric or
    /// when the result does not fit.
    var negated: Literal? {
        switch self {
        case .int(let value): value == .min ? nil : .int(-value)
        case .float(let value): .float(-value)
        case .duration(let value): value == .min ? nil : .duration(-value)
        default: nil
        }
    }
}
