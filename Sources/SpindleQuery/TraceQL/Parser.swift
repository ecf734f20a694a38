/// A recursive-descent parser for TraceQL: spanset expressions, pipelines and metrics.
///
/// Precedence, loosest first: `|` between pipeline stages; `||` between spansets; `&&`
/// between spansets; the structural operators (`>`, `<`, `>>`, `<<`, `~` and their `!`
/// and `&` forms, left-associative). Inside `{ }`: `||`, `&&`, comparisons (not
/// chained), `+ -`, `* / %`, unary `- !`, `^` (right-associative).
///
/// Total on any input: text longer than ``maxLength`` bytes or nesting deeper than
/// ``maxDepth`` levels (parentheses, braces, operators) is refused with an error, so
/// neither parsing nor evaluation recursion can run away.
struct Parser {
    static let maxLength = 64 * 1024
    static let maxDepth = 64

    var tokens: [Token]
    var index = 0
    /// Current recursion depth of the descent.
    var depth = 0
    /// Regexes compiled so far, in order of appearance.
    var regexes: [QueryRegex] = []

    static func parse(_ text: String) throws(TraceQLError) -> (root: QueryRoot, regexes: [QueryRegex]) {
        let length = text.utf8.count
        guard length <= maxLength else {
            throw TraceQLError(line: 1, column: 1, message: "the query is \(length) bytes long; the limit is \(maxLength) bytes")
        }
        var parser = Parser(tokens: try Lexer.tokenize(text))
        let root = try parser.parseRoot()
        return (root, parser.regexes)
    }

    // MARK: Tokens

    var current: Token { tokens[min(index, tokens.count - 1)] }
    var previous: Token? { index > 0 ? tokens[index - 1] : nil }

    func peek(_ offset: Int) -> Token { tokens[min(index + offset, tokens.count - 1)] }

    @discardableResult
    mutating func advance() -> Token {
        let token = current
        if index < tokens.count - 1 { index += 1 }
        return token
    }

    func isWord(_ word: String) -> Bool {
        if case .word(let text) = current.kind { return text == word }
        return false
    }

    func error(_ message: String, at token: Token) -> TraceQLError {
        TraceQLError(line: token.position.line, column: token.position.column, message: message)
    }

    /// "expected X after "<previous token>", found <current token>".
    func expected(_ what: String) -> TraceQLError {
        if let previous {
            return error("expected \(what) after \(previous.quoted), found \(current.quoted)", at: current)
        }
        return error("expected \(what), found \(current.quoted)", at: current)
    }

    mutating func expect(_ kind: Token.Kind, _ what: String) throws(TraceQLError) {
        guard current.kind == kind else { throw expected(what) }
        advance()
    }

    /// Enters one level of nesting; pair with `depth -= 1`.
    mutating func enter() throws(TraceQLError) {
        depth += 1
        if depth > Self.maxDepth { throw tooDeep(at: current) }
    }

    func tooDeep(at token: Token) -> TraceQLError {
        error("the query nests more than \(Self.maxDepth) levels deep (parentheses, braces or operators); simplify it", at: token)
    }

    func checkHeight(_ height: Int, at token: Token) throws(TraceQLError) {
        if height > Self.maxDepth { throw tooDeep(at: token) }
    }

    // MARK: Query

    mutating func parseRoot() throws(TraceQLError) -> QueryRoot {
        if case .end = current.kind {
            throw error("expected a spanset filter such as \"{ }\", found the end of the query", at: current)
        }
        let (pipeline, metrics) = try parsePipeline(topLevel: true)
        guard case .end = current.kind else {
            if metrics != nil {
                throw error("expected the end of the query after the metrics function, found \(current.quoted)", at: current)
            }
            throw error("expected \"|\" or the end of the query, found \(current.quoted)", at: current)
        }
        return QueryRoot(pipeline: pipeline, metrics: metrics)
    }

    /// A spanset expression followed by `| stage`s; at the top level, optionally ending
    /// with a metrics function.
    mutating func parsePipeline(topLevel: Bool) throws(TraceQLError) -> (Pipeline, MetricsStage?) {
        var stages = [PipelineStage.spanset(try parseSpansetExpression())]
        var metrics: MetricsStage?
        while case .pipe = current.kind {
            advance()
            if var stage = metrics {
                // Only Tempo's second-stage functions may follow a metrics function.
                guard let name = Self.secondStageFunctions.first(where: isWord) else {
                    throw error("only topk() or bottomk() may follow a metrics function, found \(current.quoted)", at: current)
                }
                try skipCall(name)
                stage.unsupported.append(name)
                metrics = stage
                continue
            }
            if Self.metricsFunctionNames.contains(where: isWord) {
                guard topLevel else {
                    throw error("a metrics function such as \(current.text)() can only end the whole query, not a parenthesized part", at: current)
                }
                metrics = try parseMetricsStage()
                continue
            }
            stages.append(try parseStage())
            try checkHeight(Pipeline(stages: stages).height, at: current)
        }
        return (Pipeline(stages: stages), metrics)
    }

    // MARK: Spanset expressions

    mutating func parseSpansetExpression() throws(TraceQLError) -> SpansetExpression {
        let start = current
        var operands = [try parseSpansetAnd()]
        while case .or = current.kind {
            advance()
            operands.append(try parseSpansetAnd())
        }
        if operands.count == 1 { return operands[0] }
        let expression = SpansetExpression.or(operands)
        try checkHeight(expression.height, at: start)
        return expression
    }

    mutating func parseSpansetAnd() throws(TraceQLError) -> SpansetExpression {
        let start = current
        var operands = [try parseStructural()]
        while case .and = current.kind {
            advance()
            operands.append(try parseStructural())
        }
        if operands.count == 1 { return operands[0] }
        let expression = SpansetExpression.and(operands)
        try checkHeight(expression.height, at: start)
        return expression
    }

    static func structuralOperator(_ kind: Token.Kind) -> SpansetOperator? {
        switch kind {
        case .greater: .child
        case .less: .parent
        case .descendant: .descendant
        case .ancestor: .ancestor
        case .tilde: .sibling
        case .notChild: .notChild
        case .notParent: .notParent
        case .notDescendant: .notDescendant
        case .notAncestor: .notAncestor
        case .notRegex: .notSibling
        case .unionChild: .unionChild
        case .unionParent: .unionParent
        case .unionDescendant: .unionDescendant
        case .unionAncestor: .unionAncestor
        case .unionSibling: .unionSibling
        default: nil
        }
    }

    mutating func parseStructural() throws(TraceQLError) -> SpansetExpression {
        var lhs = try parseSpansetPrimary()
        while let op = Self.structuralOperator(current.kind) {
            let opToken = advance()
            let rhs = try parseSpansetPrimary()
            lhs = .structural(op, lhs, rhs)
            try checkHeight(lhs.height, at: opToken)
        }
        return lhs
    }

    mutating func parseSpansetPrimary() throws(TraceQLError) -> SpansetExpression {
        let open = current
        switch current.kind {
        case .leftBrace:
            try enter()
            defer { depth -= 1 }
            advance()
            if case .rightBrace = current.kind {
                advance()
                return .filter(nil)
            }
            let expression = try parseFieldExpression()
            guard case .rightBrace = current.kind else {
                throw unclosed("\"}\" to close the spanset filter", opened: open)
            }
            advance()
            let filter = SpansetExpression.filter(expression)
            try checkHeight(filter.height, at: open)
            return filter
        case .leftParen:
            try enter()
            defer { depth -= 1 }
            advance()
            let (pipeline, _) = try parsePipeline(topLevel: false)
            guard case .rightParen = current.kind else {
                throw unclosed("\")\" to close the parenthesis", opened: open)
            }
            advance()
            if pipeline.stages.count == 1, case .spanset(let expression) = pipeline.stages[0] { return expression }
            return .pipeline(pipeline)
        default:
            throw expected("a spanset filter such as \"{ }\"")
        }
    }

    /// "expected "}" to close the spanset filter opened at line 1, column 1, found …".
    func unclosed(_ what: String, opened: Token) -> TraceQLError {
        let cause: String
        switch current.kind {
        case .end: cause = "found the end of the query"
        default: cause = "found \(current.quoted)"
        }
        return error("expected \(what) opened at line \(opened.position.line), column \(opened.position.column), \(cause)", at: current)
    }
}
