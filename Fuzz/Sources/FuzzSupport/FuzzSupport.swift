public import SpindleModel

/// Reports a broken property of the code under test and stops the process, so that
/// libFuzzer records the input as a crash. The message goes to stderr with the trap.
public func finding(_ message: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line) -> Never {
    fatalError("FINDING: \(message())", file: file, line: line)
}

/// How doubles in attribute values must match after a round trip.
public enum DoubleMatch: Sendable {
    /// Bit for bit: protobuf carries a double's 8 bytes unchanged, NaN payloads included.
    case bitwise
    /// Bit for bit, except that any NaN matches any NaN: OTLP/JSON writes every NaN as
    /// `"NaN"`, so a payload cannot survive it.
    case anyNaN
}

/// Compares two batches as OTLP values, treating doubles as `doubles` says (plain `==`
/// would call a batch holding NaN unequal to itself). Returns nil when they match, else
/// the path of the first difference and both values there.
public func firstDifference(_ lhs: SpanBatch, _ rhs: SpanBatch, doubles: DoubleMatch) -> String? {
    BatchComparison(doubles: doubles).resourceSpans(lhs.resourceSpans, rhs.resourceSpans)
}

struct BatchComparison {
    var doubles: DoubleMatch

    func resourceSpans(_ lhs: [ResourceSpans], _ rhs: [ResourceSpans]) -> String? {
        if lhs.count != rhs.count { return "resourceSpans: \(lhs.count) groups vs \(rhs.count)" }
        for (index, (a, b)) in zip(lhs, rhs).enumerated() {
            let path = "resourceSpans[\(index)]"
            if let difference = resource(a.resource, b.resource, path + ".resource") { return difference }
            if a.scopeSpans.count != b.scopeSpans.count {
                return "\(path).scopeSpans: \(a.scopeSpans.count) groups vs \(b.scopeSpans.count)"
            }
            for (scopeIndex, (x, y)) in zip(a.scopeSpans, b.scopeSpans).enumerated() {
                if let difference = scopeSpans(x, y, "\(path).scopeSpans[\(scopeIndex)]") { return difference }
            }
        }
        return nil
    }

    func resource(_ a: Resource, _ b: Resource, _ path: String) -> String? {
        var plainA = a, plainB = b
        plainA.attributes = []
        plainB.attributes = []
        if plainA != plainB { return "\(path): \(plainA) vs \(plainB)" }
        return attributes(a.attributes, b.attributes, path + ".attributes")
    }

    func scopeSpans(_ a: ScopeSpans, _ b: ScopeSpans, _ path: String) -> String? {
        var scopeA = a.scope, scopeB = b.scope
        scopeA.attributes = []
        scopeB.attributes = []
        if scopeA != scopeB { return "\(path).scope: \(scopeA) vs \(scopeB)" }
        if let difference = attributes(a.scope.attributes, b.scope.attributes, path + ".scope.attributes") { return difference }
        if a.spans.count != b.spans.count { return "\(path).spans: \(a.spans.count) spans vs \(b.spans.count)" }
        for (index, (x, y)) in zip(a.spans, b.spans).enumerated() {
            if let difference = span(x, y, "\(path).spans[\(index)]") { return difference }
        }
        return nil
    }

    func span(_ a: SpanRecord, _ b: SpanRecord, _ path: String) -> String? {
        // Everything but attribute values compares with ==; attributes go through
        // `attributes` so that doubles follow `doubles`.
        func plain(_ span: SpanRecord) -> SpanRecord {
            var span = span
            span.attributes = []
            span.events = span.events.map { var event = $0; event.attributes = []; return event }
            span.links = span.links.map { var link = $0; link.attributes = []; return link }
            return span
        }
        let plainA = plain(a), plainB = plain(b)
        if plainA != plainB { return "\(path): \(plainA) vs \(plainB)" }
        if let difference = attributes(a.attributes, b.attributes, path + ".attributes") { return difference }
        for (index, (x, y)) in zip(a.events, b.events).enumerated() {
            if let difference = attributes(x.attributes, y.attributes, "\(path).events[\(index)].attributes") { return difference }
        }
        for (index, (x, y)) in zip(a.links, b.links).enumerated() {
            if let difference = attributes(x.attributes, y.attributes, "\(path).links[\(index)].attributes") { return difference }
        }
        return nil
    }

    func attributes(_ a: [Attribute], _ b: [Attribute], _ path: String) -> String? {
        if a.count != b.count { return "\(path): \(a.count) attributes vs \(b.count)" }
        for (index, (x, y)) in zip(a, b).enumerated() {
            if x.key != y.key { return "\(path)[\(index)].key: \(x.key.debugDescription) vs \(y.key.debugDescription)" }
            if !value(x.value, y.value) { return "\(path)[\(index)] (\(x.key.debugDescription)): \(x.value) vs \(y.value)" }
        }
        return nil
    }

    func value(_ a: AttributeValue, _ b: AttributeValue) -> Bool {
        switch (a, b) {
        case (.double(let x), .double(let y)):
            return x.bitPattern == y.bitPattern || (doubles == .anyNaN && x.isNaN && y.isNaN)
        case (.array(let x), .array(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { value($0, $1) }
        case (.keyValueList(let x), .keyValueList(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && value($0.value, $1.value) }
        default:
            return a == b
        }
    }
}
