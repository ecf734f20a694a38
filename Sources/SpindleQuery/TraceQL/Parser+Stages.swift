// Pipeline stages after `|`: spanset filters, scalar filters, by(), select(),
// coalesce(), and the metrics function that may end a query.

extension Parser {
    static let metricsFunctionNames = [
        "rate", "count_over_time", "min_over_time", "max_over_time", "avg_over_time", "sum_over_time",
        "quantile_over_time", "histogram_over_time", "compare",
    ]
    /// Tempo functions allowed after a metrics function; parsed, not evaluated.
    static let secondStageFunctions = ["topk", "bottomk"]
    static let aggregateNames = ["count", "avg", "min", "max", "sum"]

    mutating func parseStage() throws(TraceQLError) -> PipelineStage {
        switch current.kind {
        case .leftBrace:
            return .spanset(try parseSpansetExpression())
        case .leftParen:
            // A parenthesized spanset expression or a parenthesized scalar expression:
            // look past the opening parentheses.
            var offset = 0
            while peek(offset).kind == .leftParen { offset += 1 }
            if peek(offset).kind == .leftBrace { return .spanset(try parseSpansetExpression()) }
            return try parseScalarFilter()
        case .word(let word):
            switch word {
            case "by": return .by(try parseFieldList(word))
            case "select": return .select(try parseFieldList(word))
            case "coalesce":
                advance()
                try expect(.leftParen, "\"(\"")
                try expect(.rightParen, "\")\" (coalesce takes no arguments)")
                return .coalesce
            default:
                if Self.aggregateNames.contains(word) || Self.keywordLiteral(word) != nil { return try parseScalarFilter() }
                throw error(
                    "unknown pipeline stage \"\(word)\"; expected a spanset filter, an aggregate (count, avg, min, max, sum), by, select, coalesce or a metrics function",
                    at: current
                )
            }
        case .integer, .float, .duration, .string, .minus:
            return try parseScalarFilter()
        default:
            throw expected("a spanset filter, an aggregate such as count(), by(), select(), coalesce() or a metrics function")
        }
    }

    /// `word(field, …)` with at least one field.
    mutating func parseFieldList(_ word: String) throws(TraceQLError) -> [FieldExpression] {
        advance()
        try expect(.leftParen, "\"(\"")
        var fields = [try parseFieldExpression()]
        while case .comma = current.kind {
            advance()
            fields.append(try parseFieldExpression())
        }
        guard case .rightParen = current.kind else { throw expected("\",\" or \")\" in \(word)()") }
        advance()
        return fields
    }

    // MARK: Scalar filters

    /// `count() > 2`, `avg(duration) >= 1s`, `(sum(span.x) / count()) < 10`.
    mutating func parseScalarFilter() throws(TraceQLError) -> PipelineStage {
        let lhs = try parseScalarAdditive()
        guard let op = Self.comparisonOperator(current.kind) else {
            throw expected("a comparison (=, !=, <, <=, >, >=)")
        }
        advance()
        let rhs = try parseScalarAdditive()
        return .scalarFilter(op, lhs, rhs)
    }

    mutating func parseScalarAdditive() throws(TraceQLError) -> ScalarExpression {
        var lhs = try parseScalarMultiplicative()
        while current.kind == .plus || current.kind == .minus {
            let opToken = advance()
            let rhs = try parseScalarMultiplicative()
            lhs = .arithmetic(opToken.kind == .plus ? .add : .subtract, lhs, rhs)
            try checkHeight(lhs.height, at: opToken)
        }
        return lhs
    }

    mutating func parseScalarMultiplicative() throws(TraceQLError) -> ScalarExpression {
        var lhs = try parseScalarUnary()
        while let op = Self.multiplicativeOperator(current.kind) {
            let opToken = advance()
            let rhs = try parseScalarUnary()
            lhs = .arithmetic(op, lhs, rhs)
            try checkHeight(lhs.height, at: opToken)
        }
        return lhs
    }

    mutating func parseScalarUnary() throws(TraceQLError) -> ScalarExpression {
        guard case .minus = current.kind else { return try parseScalarPower() }
        try enter()
        defer { depth -= 1 }
        advance()
        let operand = try parseScalarUnary()
        if case .literal(let literal) = operand, let negated = literal.negated { return .literal(negated) }
        return .negate(operand)
    }

    mutating func parseScalarPower() throws(TraceQLError) -> ScalarExpression {
        let base = try parseScalarPrimary()
        guard case .caret = current.kind else { return base }
        let opToken = advance()
        let expression = ScalarExpression.arithmetic(.power, base, try parseScalarUnary())
        try checkHeight(expression.height, at: opToken)
        return expression
    }

    mutating func parseScalarPrimary() throws(TraceQLError) -> ScalarExpression {
        let token = current
        switch token.kind {
        case .leftParen:
            try enter()
            defer { depth -= 1 }
            advance()
            let expression = try parseScalarAdditive()
            guard case .rightParen = current.kind else { throw unclosed("\")\" to close the parenthesis", opened: token) }
            advance()
            return expression
        case .word(let word):
            if let literal = Self.keywordLiteral(word) {
                advance()
                return .literal(literal)
            }
            guard let function = AggregateFunction(rawValue: word) else {
                throw error("unknown aggregate \"\(word)\"; expected count(), avg(), min(), max() or sum()", at: token)
            }
            advance()
            try expect(.leftParen, "\"(\"")
            if function == .count {
                try expect(.rightParen, "\")\" (count takes no arguments)")
                return .aggregate(.count, nil)
            }
            let argument = try parseFieldExpression()
            try expect(.rightParen, "\")\"")
            return .aggregate(function, argument)
        default:
            if let literal = Self.numericOrStringLiteral(token.kind) {
                advance()
                return .literal(literal)
            }
            throw expected("a value or an aggregate such as count()")
        }
    }

    // MARK: Metrics

    mutating func parseMetricsStage() throws(TraceQLError) -> MetricsStage {
        let nameToken = advance()
        let name = nameToken.text
        let function: MetricsFunction
        switch name {
        case "rate", "count_over_time":
            try expect(.leftParen, "\"(\"")
            try expect(.rightParen, "\")\" (\(name) takes no arguments)")
            function = name == "rate" ? .rate : .countOverTime
        case "min_over_time", "max_over_time", "avg_over_time", "sum_over_time", "histogram_over_time":
            try expect(.leftParen, "\"(\"")
            let field = try parseFieldExpression()
            try expect(.rightParen, "\")\"")
            switch name {
            case "min_over_time": function = .minOverTime(field)
            case "max_over_time": function = .maxOverTime(field)
            case "avg_over_time": function = .avgOverTime(field)
            case "sum_over_time": function = .sumOverTime(field)
            default: function = .histogramOverTime(field)
            }
        case "quantile_over_time":
            try expect(.leftParen, "\"(\"")
            let field = try parseFieldExpression()
            var quantiles: [Double] = []
            while case .comma = current.kind {
                advance()
                quantiles.append(try parseQuantile())
            }
            if quantiles.isEmpty { throw expected("\",\" and at least one quantile such as 0.9") }
            try expect(.rightParen, "\",\" or \")\"")
            function = .quantileOverTime(field, quantiles)
        default:
            // compare(…): Tempo's, not evaluated here.
            index -= 1
            try skipCall(name)
            function = .unsupported(name)
        }
        var by: [FieldExpression] = []
        if isWord("by") { by = try parseFieldList("by") }
        var unsupported: [String] = []
        if isWord("with") {
            try skipCall("with")
            unsupported.append("with")
        }
        return MetricsStage(function: function, by: by, unsupported: unsupported)
    }

    /// A quantile: a number in [0, 1].
    mutating func parseQuantile() throws(TraceQLError) -> Double {
        let token = current
        let value: Double
        switch token.kind {
        case .float(let number): value = number
        case .integer(let number): value = Double(number)
        default: throw expected("a quantile such as 0.9")
        }
        advance()
        guard value >= 0, value <= 1 else {
            throw error("quantile \(token.text) is outside 0...1", at: token)
        }
        return value
    }

    /// Skips `name(…)` with balanced parentheses: a Tempo construct that is parsed
    /// only to be reported as unsupported.
    mutating func skipCall(_ name: String) throws(TraceQLError) {
        advance()
        let open = current
        try expect(.leftParen, "\"(\" after \(name)")
        var nesting = 1
        while nesting > 0 {
            switch current.kind {
            case .leftParen: nesting += 1
            case .rightParen: nesting -= 1
            case .end: throw unclosed("\")\" to close the parenthesis", opened: open)
            default: break
            }
            advance()
        }
    }
}
