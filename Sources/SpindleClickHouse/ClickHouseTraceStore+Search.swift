import SpindleModel
public import SpindleStorage

extension ClickHouseTraceStore {
    /// Trace IDs named per `span_index` query.
    static let idsPerQuery = 1_000

    /// Traces with a span matching every filter of `query`, most recent first (by trace
    /// start over all their stored spans; equal starts by trace ID), at most `query.limit`.
    ///
    /// Matching spans are read newest first, a page at a time, from `spans`; the traces of
    /// each page are ranked by their start, read from `span_index`. A trace not yet seen
    /// starts no later than the last span read, so the search stops as soon as the
    /// `limit`-th best start is later than that: usually after the first page.
    /// Filters that SQL cannot decide exactly are narrowed in SQL and finished in Swift on
    /// the first attribute with the key (``SearchPlan``).
    public func search(_ query: TraceQuery) async throws(StorageError) -> [TraceSummary] {
        guard query.limit >= 1 else {
            throw StorageError(.invalidArgument, "search limit must be at least 1, got \(query.limit)")
        }
        for filter in query.attributes {
            if case .range(let min, let max) = filter.condition, min?.isNaN == true || max?.isNaN == true {
                throw StorageError(.invalidArgument, "range filter on \(filter.scope.rawValue) attribute '\(filter.key)' has a NaN bound; use nil for an open end")
            }
        }
        let plan = SearchPlan(query)
        guard !plan.matchesNothing else { return [] }

        var best: [(id: TraceID, start: UInt64)] = []
        var bestIDs = Set<TraceID>()
        var cursor: (start: UInt64, trace: TraceID, span: SpanID)?
        while true {
            let answer = try await self.query(plan.pageQuery(spans: spansTable, after: cursor, pageSize: paging.searchPage))
            var reader = RowBinaryReader(answer, what: "the spans matching a search")
            var rows = 0
            var found = Set<TraceID>()
            while !reader.isAtEnd {
                let trace = try reader.traceID("trace_id")
                let span = try reader.spanID("span_id")
                let start = try reader.uint64("start_unix_nano")
                var matches = true
                for check in plan.swiftChecks {
                    let type = try reader.uint8("attribute type")
                    let text = try reader.string("attribute value")
                    if matches, !check.matches(type: type, text: text) { matches = false }
                }
                rows += 1
                cursor = (start, trace, span)
                if matches, !bestIDs.contains(trace) { found.insert(trace) }
            }
            if !found.isEmpty {
                for (id, start) in try await traceStarts(Array(found)) { best.append((id, start)) }
                best.sort { ($0.start, $1.id) > ($1.start, $0.id) }
                if best.count > query.limit { best.removeLast(best.count - query.limit) }
                bestIDs = Set(best.map(\.id))
            }
            guard rows == paging.searchPage, let last = cursor else { break }
            // Traces not seen yet start at or before `last.start`.
            if best.count == query.limit, let worst = best.last, worst.start > last.start { break }
        }
        let summaries = try await summaries(of: best.map(\.id))
        return best.compactMap { summaries[$0.id] }
    }

    /// The earliest start of each trace of `ids`, over all its stored spans.
    func traceStarts(_ ids: [TraceID]) async throws(StorageError) -> [(TraceID, UInt64)] {
        var out: [(TraceID, UInt64)] = []
        for first in stride(from: 0, to: ids.count, by: Self.idsPerQuery) {
            let chunk = ids[first..<min(first + Self.idsPerQuery, ids.count)]
            let answer = try await query("""
                SELECT trace_id, min(start_unix_nano) FROM \(spanIndexTable)
                WHERE trace_id IN (\(chunk.map(Self.literal).joined(separator: ", ")))
                GROUP BY trace_id FORMAT RowBinary
                """)
            var reader = RowBinaryReader(answer, what: "trace starts")
            while !reader.isAtEnd {
                out.append((try reader.traceID("trace_id"), try reader.uint64("start")))
            }
        }
        return out
    }

    /// Summaries of the traces `ids` (those with stored spans), from `span_index`.
    func summaries(of ids: [TraceID]) async throws(StorageError) -> [TraceID: TraceSummary] {
        var out: [TraceID: TraceSummary] = [:]
        let isRoot = "parent_span_id = unhex('0000000000000000')"
        for first in stride(from: 0, to: ids.count, by: Self.idsPerQuery) {
            let chunk = ids[first..<min(first + Self.idsPerQuery, ids.count)]
            // The inner LIMIT BY drops copies of re-written spans before counting.
            let answer = try await query("""
                SELECT trace_id, min(start_unix_nano), max(end_unix_nano), count(), countIf(status_code = \(StatusCode.error.rawValue)),
                    groupUniqArrayIf(service_name, has_service = 1),
                    countIf(\(isRoot)),
                    argMinIf(service_name, (start_unix_nano, span_id), \(isRoot)), argMinIf(has_service, (start_unix_nano, span_id), \(isRoot)),
                    argMinIf(name, (start_unix_nano, span_id), \(isRoot)),
                    argMin(service_name, (start_unix_nano, span_id)), argMin(has_service, (start_unix_nano, span_id)),
                    argMin(name, (start_unix_nano, span_id))
                FROM (
                    SELECT trace_id, span_id, parent_span_id, service_name, has_service, name, start_unix_nano, end_unix_nano, status_code
                    FROM \(spanIndexTable) WHERE trace_id IN (\(chunk.map(Self.literal).joined(separator: ", ")))
                    LIMIT 1 BY trace_id, span_id
                )
                GROUP BY trace_id FORMAT RowBinary
                """)
            var reader = RowBinaryReader(answer, what: "trace summaries")
            while !reader.isAtEnd {
                let id = try reader.traceID("trace_id")
                let start = try reader.uint64("start")
                let end = try reader.uint64("end")
                let spanCount = try reader.uint64("count")
                let errorCount = try reader.uint64("errors")
                let services = try reader.array("services") { (r: inout RowBinaryReader) throws(StorageError) in try r.string("service") }
                let roots = try reader.uint64("roots")
                let rootService = try reader.string("root service")
                let rootHasService = try reader.uint8("root has_service")
                let rootName = try reader.string("root name")
                let earliestService = try reader.string("earliest service")
                let earliestHasService = try reader.uint8("earliest has_service")
                let earliestName = try reader.string("earliest name")
                let (service, hasService, name) = roots > 0
                    ? (rootService, rootHasService, rootName)
                    : (earliestService, earliestHasService, earliestName)
                out[id] = TraceSummary(
                    traceID: id, rootService: hasService == 1 ? service : "", rootOperation: name,
                    startTimeUnixNano: start, endTimeUnixNano: end,
                    spanCount: Int(spanCount), errorCount: Int(errorCount),
                    services: Set(services).sorted()
                )
            }
        }
        return out
    }
}

/// How a ``TraceQuery`` becomes SQL over `spans`: conditions ClickHouse decides exactly,
/// and, for filters it cannot (``AttributeFilter/Condition/range(min:max:)`` over
/// doubles, whose text ClickHouse 18.16 may parse a unit in the last place off and reads
/// as 0 below 2.2e-308; `.equals` of arrays and key-value lists, which compare by value),
/// a wider SQL condition plus a check in Swift on the first attribute with the key.
struct SearchPlan {
    /// One filter finished in Swift on the type tag and text of the first attribute with
    /// its key (the page query selects them).
    struct SwiftCheck {
        var filter: AttributeFilter

        func matches(type: UInt8, text: String) -> Bool {
            guard let value = ClickHouseValueText.value(type: type, text: text) else { return false }
            switch filter.condition {
            case .exists: return true
            case .equals(let expected): return Self.value(value, equals: expected)
            case .range(let min, let max):
                switch value {
                case .int(let int):
                    return (min.map { NumericComparison.int(int, isAtLeast: $0) } ?? true) && (max.map { NumericComparison.int(int, isAtMost: $0) } ?? true)
                case .double(let double):
                    return !double.isNaN && (min.map { double >= $0 } ?? true) && (max.map { double <= $0 } ?? true)
                default:
                    return false
                }
            }
        }

        /// `.equals` as ``AttributeFilter`` documents it.
        static func value(_ value: AttributeValue, equals expected: AttributeValue) -> Bool {
            switch (expected, value) {
            case (.int(let int), .double(let double)): Int64(exactly: double) == int
            case (.double(let double), .int(let int)): Int64(exactly: double) == int
            default: value == expected
            }
        }
    }

    var conditions: [String] = []
    var swiftChecks: [SwiftCheck] = []
    /// Projections selecting the type tag and text of each Swift check's attribute.
    var projections: [String] = []
    /// True when some filter can match no span at all.
    var matchesNothing = false

    init(_ query: TraceQuery) {
        if let time = ClickHouseTraceStore.startCondition(query.timeRange) {
            if time == "0" { matchesNothing = true }
            conditions.append(time)
        }
        if let service = query.service {
            conditions.append("service_name = \(ClickHouseSQL.literal(service))")
            // "" is also what a resource without a string `service.name` stores.
            if service.isEmpty { conditions.append(Self.hasService) }
        }
        if let operation = query.operation { conditions.append("name = \(ClickHouseSQL.literal(operation))") }
        if let kind = query.kind { conditions.append("kind = \(kind.rawValue)") }
        if let status = query.status { conditions.append("status_code = \(status.rawValue)") }
        if let minDuration = query.minDuration { conditions.append("duration_nano >= \(minDuration)") }
        if let maxDuration = query.maxDuration { conditions.append("duration_nano <= \(maxDuration)") }
        for filter in query.attributes {
            add(filter)
        }
    }

    static let hasService = "resource_attribute_types[indexOf(resource_attribute_keys, 'service.name')] = 1"

    private mutating func add(_ filter: AttributeFilter) {
        let prefix = filter.scope == .span ? "attribute" : "resource_attribute"
        let key = ClickHouseSQL.literal(filter.key)
        let position = "indexOf(\(prefix)_keys, \(key))"
        // The first attribute with the key: indexOf finds the first (1-based, 0 if none).
        let type = "\(prefix)_types[\(position)]"
        let text = "\(prefix)_values[\(position)]"
        let present = "has(\(prefix)_keys, \(key))"
        switch filter.condition {
        case .exists:
            conditions.append(present)
        case .equals(let value):
            let typeIs = { (kind: ValueSlot.Kind) in "\(type) = \(kind.rawValue)" }
            switch value {
            case .empty:
                conditions.append("\(present) AND \(typeIs(.empty))")
            case .string(let string):
                conditions.append("\(present) AND \(typeIs(.string)) AND \(text) = \(ClickHouseSQL.literal(string))")
            case .bool(let bool):
                conditions.append("\(present) AND \(typeIs(.bool)) AND \(text) = '\(bool)'")
            case .bytes(let bytes):
                let hex = bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
                conditions.append("\(present) AND \(typeIs(.bytes)) AND \(text) = '\(hex)'")
            case .int(let int):
                // Texts are canonical: an int's decimal, a double's shortest round-trip text.
                var alternatives = ["(\(typeIs(.int)) AND \(text) = '\(int)')"]
                let doubles = Self.doubleTexts(equalTo: int)
                if !doubles.isEmpty { alternatives.append("(\(typeIs(.double)) AND \(text) IN (\(doubles.map { "'\($0)'" }.joined(separator: ", "))))") }
                conditions.append("\(present) AND (\(alternatives.joined(separator: " OR ")))")
            case .double(let double):
                var alternatives: [String] = []
                let texts = Self.doubleTexts(equalTo: double)
                if !texts.isEmpty { alternatives.append("(\(typeIs(.double)) AND \(text) IN (\(texts.map { "'\($0)'" }.joined(separator: ", "))))") }
                if let int = Int64(exactly: double) { alternatives.append("(\(typeIs(.int)) AND \(text) = '\(int)')") }
                if alternatives.isEmpty { matchesNothing = true; return }
                conditions.append("\(present) AND (\(alternatives.joined(separator: " OR ")))")
            case .array, .keyValueList:
                let kind: ValueSlot.Kind = if case .array = value { .array } else { .keyValueList }
                conditions.append("\(present) AND \(typeIs(kind))")
                addSwiftCheck(filter, type: type, text: text)
            }
        case .range(let min, let max):
            // Ints exactly in SQL; doubles with bounds widened by a margin far above
            // 18.16's parsing error, then exactly in Swift.
            var intConditions: [String] = []
            if let min {
                if min >= 0x1p63 { intConditions.append("0") } else if min > -0x1p63 { intConditions.append("toInt64OrZero(\(text)) >= \(Int64(min.rounded(.up)))") }
            }
            if let max {
                if max < -0x1p63 { intConditions.append("0") } else if max < 0x1p63 { intConditions.append("toInt64OrZero(\(text)) <= \(Int64(max.rounded(.down)))") }
            }
            var doubleConditions = ["\(text) != 'nan'"]
            if let min, min.isFinite { doubleConditions.append("toFloat64OrZero(\(text)) >= \(ClickHouseSQL.literal(Self.widened(min, down: true)))") }
            if let max, max.isFinite { doubleConditions.append("toFloat64OrZero(\(text)) <= \(ClickHouseSQL.literal(Self.widened(max, down: false)))") }
            if min == .infinity { doubleConditions.append("\(text) = 'inf'") }
            if max == -.infinity { doubleConditions.append("\(text) = '-inf'") }
            let intPart = ([ "\(type) = \(ValueSlot.Kind.int.rawValue)"] + intConditions).joined(separator: " AND ")
            let doublePart = (["\(type) = \(ValueSlot.Kind.double.rawValue)"] + doubleConditions).joined(separator: " AND ")
            conditions.append("\(present) AND ((\(intPart)) OR (\(doublePart)))")
            addSwiftCheck(filter, type: type, text: text)
        }
    }

    private mutating func addSwiftCheck(_ filter: AttributeFilter, type: String, text: String) {
        swiftChecks.append(SwiftCheck(filter: filter))
        projections.append(type)
        projections.append(text)
    }

    /// `bound` moved outwards by a relative 1e-9 and an absolute 1e-300 (ClickHouse reads
    /// values below 2.2e-308 as 0), so the SQL condition never excludes a value that holds.
    static func widened(_ bound: Double, down: Bool) -> Double {
        let margin = Swift.max(abs(bound) * 1e-9, 1e-300)
        let moved = down ? bound - margin : bound + margin
        return moved.isFinite ? moved : (down ? -Double.greatestFiniteMagnitude : .greatestFiniteMagnitude)
    }

    /// The texts of the doubles equal to `int` (none when no double is).
    static func doubleTexts(equalTo int: Int64) -> [String] {
        guard let double = Double(exactly: int) else { return [] }
        return doubleTexts(equalTo: double)
    }

    /// The texts of the doubles equal to `double`: itself, and both zeros for zero; none
    /// for NaN, which equals nothing.
    static func doubleTexts(equalTo double: Double) -> [String] {
        if double.isNaN { return [] }
        if double == 0 { return ["0.0", "-0.0"] }
        return [ClickHouseValueText.doubleText(double)]
    }

    /// One page of matching spans, newest first, after `cursor`: trace ID, span ID, start,
    /// then the type and text of each Swift check's attribute.
    func pageQuery(spans: String, after cursor: (start: UInt64, trace: TraceID, span: SpanID)?, pageSize: Int) -> String {
        var all = conditions
        if let cursor {
            let trace = ClickHouseTraceStore.literal(cursor.trace)
            let span = "unhex('\(cursor.span.hexString)')"
            all.append("start_unix_nano < \(cursor.start) OR (start_unix_nano = \(cursor.start) AND (trace_id < \(trace) OR (trace_id = \(trace) AND span_id < \(span))))")
            // The same bound on the partition column, so later pages skip the days
            // already read (within DateTime's 32-bit seconds, where it does not wrap).
            let seconds = cursor.start / 1_000_000_000
            if seconds <= UInt64(UInt32.max) { all.append("start_time <= toDateTime(\(seconds), 'UTC')") }
        }
        let selected = (["trace_id", "span_id", "start_unix_nano"] + projections).joined(separator: ", ")
        return """
            SELECT \(selected) FROM \(spans)
            WHERE \(ClickHouseTraceStore.whereClause(all))
            ORDER BY start_unix_nano DESC, trace_id DESC, span_id DESC
            LIMIT \(pageSize) FORMAT RowBinary
            """
    }
}
