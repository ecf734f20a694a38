// Structural facts about syntax trees: how tall they are (the parser bounds it, so
// that evaluation recursion is bounded too) and which fields they read.

extension FieldExpression {
    /// Levels of nodes: 1 for a literal or field.
    var height: Int {
        switch self {
        case .literal, .field: 1
        case .arithmetic(_, let lhs, let rhs), .comparison(_, let lhs, let rhs): 1 + max(lhs.height, rhs.height)
        case .negate(let operand), .not(let operand), .match(let operand, _, _): 1 + operand.height
        case .and(let operands), .or(let operands): 1 + operands.reduce(0) { max($0, $1.height) }
        }
    }

    /// True when some field read by the expression satisfies `predicate`.
    func reads(where predicate: (Field) -> Bool) -> Bool {
        switch self {
        case .literal: false
        case .field(let field): predicate(field)
        case .arithmetic(_, let lhs, let rhs), .comparison(_, let lhs, let rhs):
            lhs.reads(where: predicate) || rhs.reads(where: predicate)
        case .negate(let operand), .not(let operand), .match(let operand, _, _): operand.reads(where: predicate)
        case .and(let operands), .or(let operands): operands.contains { $0.reads(where: predicate) }
        }
    }
}

extension Field {
    /// Read from the span's events (one value per event).
    var isEventLevel: Bool {
        switch self {
        case .intrinsic(let intrinsic): intrinsic.meaning.isEventLevel
        case .attribute(let scope, _): scope == .event
        }
    }

    /// Read from the span's links (one value per link).
    var isLinkLevel: Bool {
        switch self {
        case .intrinsic(let intrinsic): intrinsic.meaning.isLinkLevel
        case .attribute(let scope, _): scope == .link
        }
    }

    /// Needs other spans of the trace (its root, its extent, the span's children).
    var needsWholeTrace: Bool {
        if case .intrinsic(let intrinsic) = self { return intrinsic.meaning.isTraceLevel }
        return false
    }

    /// A construct this engine does not evaluate, described for ``QueryError/unsupported(_:)``.
    var unsupportedReason: String? {
        if case .attribute(.parent, _) = self { return "the parent scope (\(self))" }
        return nil
    }
}

extension ScalarExpression {
    var height: Int {
        switch self {
        case .literal: 1
        case .aggregate(_, let argument): 1 + (argument?.height ?? 0)
        case .arithmetic(_, let lhs, let rhs): 1 + max(lhs.height, rhs.height)
        case .negate(let operand): 1 + operand.height
        }
    }
}

extension SpansetExpression {
    var height: Int {
        switch self {
        case .filter(let expression): 1 + (expression?.height ?? 0)
        case .and(let operands), .or(let operands): 1 + operands.reduce(0) { max($0, $1.height) }
        case .structural(_, let lhs, let rhs): 1 + max(lhs.height, rhs.height)
        case .pipeline(let pipeline): 1 + pipeline.height
        }
    }
}

extension PipelineStage {
    var height: Int {
        switch self {
        case .spanset(let expression): expression.height
        case .scalarFilter(_, let lhs, let rhs): 1 + max(lhs.height, rhs.height)
        case .by(let fields), .select(let fields): 1 + fields.reduce(0) { max($0, $1.height) }
        case .coalesce: 1
        }
    }
}

extension Pipeline {
    var height: Int { stages.reduce(0) { max($0, $1.height) } }
}

// MARK: Walking every field expression

extension SpansetExpression {
    /// Calls `body` with every field expression in the tree (filters, aggregates, by, select).
    func forEachExpression(_ body: (FieldExpression) -> Void) {
        switch self {
        case .filter(let expression): if let expression { body(expression) }
        case .and(let operands), .or(let operands): for operand in operands { operand.forEachExpression(body) }
        case .structural(_, let lhs, let rhs):
            lhs.forEachExpression(body)
            rhs.forEachExpression(body)
        case .pipeline(let pipeline): pipeline.forEachExpression(body)
        }
    }
}

extension ScalarExpression {
    func forEachExpression(_ body: (FieldExpression) -> Void) {
        switch self {
        case .literal: break
        case .aggregate(_, let argument): if let argument { body(argument) }
        case .arithmetic(_, let lhs, let rhs):
            lhs.forEachExpression(body)
            rhs.forEachExpression(body)
        case .negate(let operand): operand.forEachExpression(body)
        }
    }
}

extension Pipeline {
    func forEachExpression(_ body: (FieldExpression) -> Void) {
        for stage in stages {
            switch stage {
            case .spanset(let expression): expression.forEachExpression(body)
            case .scalarFilter(_, let lhs, let rhs):
                lhs.forEachExpression(body)
                rhs.forEachExpression(body)
            case .by(let fields), .select(let fields): fields.forEach(body)
            case .coalesce: break
            }
        }
    }

    /// The `select()` fields of every stage, nested pipelines included, without repeats.
    var selectedFields: [FieldExpression] {
        var fields: [FieldExpression] = []
        func visitPipeline(_ pipeline: Pipeline) {
            for stage in pipeline.stages {
                switch stage {
                case .select(let selected): for field in selected where !fields.contains(field) { fields.append(field) }
                case .spanset(let expression): visitExpression(expression)
                default: break
                }
            }
        }
        func visitExpression(_ expression: SpansetExpression) {
            switch expression {
            case .filter: break
            case .and(let operands), .or(let operands): operands.forEach(visitExpression)
            case .structural(_, let lhs, let rhs):
                visitExpression(lhs)
                visitExpression(rhs)
            case .pipeline(let pipeline): visitPipeline(pipeline)
            }
        }
        visitPipeline(self)
        return fields
    }
}

extension Pipeline {
    /// Whether a structural operator runs on the several spansets a `by()` made (until
    /// a `coalesce()` merges them), in this pipeline or one nested in it.
    var hasStructuralOverGroups: Bool {
        var grouped = false
        for stage in stages {
            switch stage {
            case .by: grouped = true
            case .coalesce: grouped = false
            case .spanset(let expression):
                if expression.hasStructuralOverGroups { return true }
                if grouped, expression.containsStructural { return true }
            case .scalarFilter, .select: break
            }
        }
        return false
    }
}

extension SpansetExpression {
    var containsStructural: Bool {
        switch self {
        case .filter: false
        case .structural: true
        case .and(let operands), .or(let operands): operands.contains { $0.containsStructural }
        case .pipeline(let pipeline): pipeline.stages.contains { stage in
            if case .spanset(let expression) = stage { return expression.containsStructural }
            return false
        }
        }
    }

    var hasStructuralOverGroups: Bool {
        switch self {
        case .filter: false
        case .structural(_, let lhs, let rhs): lhs.hasStructuralOverGroups || rhs.hasStructuralOverGroups
        case .and(let operands), .or(let operands): operands.contains { $0.hasStructuralOverGroups }
        case .pipeline(let pipeline): pipeline.hasStructuralOverGroups
        }
    }
}

extension QueryRoot {
    func forEachExpression(_ body: (FieldExpression) -> Void) {
        pipeline.forEachExpression(body)
        guard let metrics else { return }
        metrics.by.forEach(body)
        switch metrics.function {
        case .minOverTime(let field), .maxOverTime(let field), .avgOverTime(let field), .sumOverTime(let field),
             .quantileOverTime(let field, _), .histogramOverTime(let field):
            body(field)
        case .rate, .countOverTime, .unsupported: break
        }
    }

    /// The first construct of the query this engine cannot evaluate, described.
    var unsupportedPart: String? {
        if pipeline.hasStructuralOverGroups {
            // Tempo refuses these too: each spanset would walk the whole trace again.
            return "a structural operator after by(): it would run once per group over the whole trace; add | coalesce() before it"
        }
        var reason: String?
        forEachExpression { expression in
            if reason != nil { return }
            _ = expression.reads { field in
                if let why = field.unsupportedReason { reason = why }
                return false
            }
        }
        if let reason { return reason }
        guard let metrics else { return nil }
        if case .unsupported(let name) = metrics.function { return "the metrics function \(name)()" }
        if let name = metrics.unsupported.first { return "\(name)()" }
        return nil
    }
}
