import SpindleModel
import SpindleStorage

/// The conditions of a ``TraceQuery`` that a span row decides before its attributes:
/// start time, service, name, kind, status, duration. A trace can only match when one
/// of its spans passes them all (the query's filters apply to one span), so a page
/// reader drops every other trace without building it.
struct SpanConditions {
    var timeRange: TimeRange
    let service: String?
    let operation: String?
    let kind: SpanKind?
    let status: StatusCode?
    let minDuration: UInt64?
    let maxDuration: UInt64?
    /// True when the query has no other condition (no attribute filter): a span that
    /// passes these matches.
    let areComplete: Bool

    init(_ query: TraceQuery) {
        timeRange = query.timeRange
        service = query.service
        operation = query.operation
        kind = query.kind
        status = query.status
        minDuration = query.minDuration
        maxDuration = query.maxDuration
        areComplete = query.attributes.isEmpty
    }

    /// True when no span can fail them (so skimming a page first would only cost).
    var testNothing: Bool {
        timeRange == .all && service == nil && operation == nil && kind == nil && status == nil
            && (minDuration ?? 0) == 0 && maxDuration == nil
    }

    /// The same conditions for a page whose spans all start in `[minStart, maxStart]`:
    /// without the time range when it covers the page.
    func forPage(minStart: UInt64, maxStart: UInt64) -> SpanConditions {
        guard timeRange.contains(minStart), timeRange.contains(maxStart) else { return self }
        var conditions = self
        conditions.timeRange = .all
        return conditions
    }
}

/// A page read for a search: the traces known to match, and those that may match,
/// decoded for an exact matcher.
struct SiftedPage {
    /// Traces with a span passing every condition of a query that has no other.
    var matching: [TraceID]
    /// The traces decoded: those whose match the caller must still decide (attribute
    /// filters; duplicate span IDs, whose surviving copy decides), and those of
    /// ``matching`` that started at or after the sift's `decodingMatchesFrom`.
    var decoded: SpanBatch
    /// True when ``decoded`` holds traces whose match is undecided.
    var hasUndecided: Bool
}

extension PageCodec {
    /// Reads a page for a search: each trace is skimmed first, and only a trace with a
    /// span passing all of `conditions` is decoded — or, when those are all the query
    /// has, reported as matching, and decoded only if its first span starts at or after
    /// `decodingMatchesFrom` (nil: always), the bound a search's results must beat.
    ///
    /// Drops only traces that cannot match: ``SiftedPage/matching`` plus the traces of
    /// ``SiftedPage/decoded`` that match the query are exactly the traces of the fully
    /// decoded page that match it. Total, like ``decode(_:wanted:)``: the same bytes
    /// throw the same ``FormatError``.
    static func sift(_ page: [UInt8], _ conditions: SpanConditions, decodingMatchesFrom bound: UInt64? = nil) throws(FormatError) -> SiftedPage {
        var decoder = try Decoder(page)
        if conditions.testNothing { return SiftedPage(matching: [], decoded: try decoder.decode(wanted: nil), hasUndecided: true) }
        let pageStart = decoder
        var sieve = SpanSieve(conditions, decoder)
        var matching: [TraceID] = []
        var hasUndecided = false
        var seen = Set<TraceID>()
        // Reused for every trace: no allocation per trace once they are large enough.
        var mark = Decoder.Mark()
        var spanIDs: [SpanID] = []
        while !decoder[.traces].isAtEnd {
            let (traceID, count) = try decoder.traceHeader()
            guard seen.insert(traceID).inserted else {
                // A trace twice in one page (a writer never does this): which copy of a
                // span counts is decided across both, so the page is read in full.
                var whole = pageStart
                return SiftedPage(matching: [], decoded: try whole.decode(wanted: nil), hasUndecided: true)
            }
            decoder.mark(&mark)
            spanIDs.removeAll(keepingCapacity: true)
            var passed = false
            var traceStart: UInt64?
            try decoder.skimTrace(count: count) { head in
                if traceStart == nil { traceStart = head.start }
                spanIDs.append(head.spanID)
                if !passed { passed = sieve.passes(head) }
            }
            guard passed else { continue }
            // Two rows with one span ID: the exact matcher keeps one copy, so it decides.
            if conditions.areComplete, count == 1 || Set(spanIDs).count == count {
                matching.append(traceID)
                if let bound, let traceStart, traceStart < bound { continue }
            } else {
                hasUndecided = true
            }
            decoder.rewind(to: mark)
            try decoder.decodeTrace(traceID, count: count)
        }
        return SiftedPage(matching: matching, decoded: try decoder.batch(), hasUndecided: hasUndecided)
    }
}

/// ``SpanConditions`` for one page: the query's strings turned into verdicts on the
/// page's string indexes, so no row's string is compared twice.
struct SpanSieve {
    let conditions: SpanConditions
    let strings: PageStrings
    /// Per group of the page: whether its resource has the query's service.
    let groupHasService: [Bool]
    private var operation: PageStringMatcher?

    init(_ conditions: SpanConditions, _ decoder: PageCodec.Decoder) {
        self.conditions = conditions
        strings = decoder.strings
        if let service = conditions.service {
            var matcher = PageStringMatcher(service, strings: decoder.strings)
            groupHasService = decoder.serviceOfGroup.map { id in id.map { matcher.matches($0, in: decoder.strings) } ?? false }
        } else {
            groupHasService = decoder.serviceOfGroup.map { _ in true }
        }
        operation = conditions.operation.map { PageStringMatcher($0, strings: decoder.strings) }
    }

    /// True when the row passes every condition (the checks of the in-memory matcher,
    /// cheapest first).
    mutating func passes(_ row: RowHead) -> Bool {
        guard conditions.timeRange.contains(row.start) else { return false }
        if let kind = conditions.kind, row.kind != kind.rawValue { return false }
        if let status = conditions.status, row.status != status.rawValue { return false }
        if let minDuration = conditions.minDuration, row.duration < minDuration { return false }
        if let maxDuration = conditions.maxDuration, row.duration > maxDuration { return false }
        guard row.group < groupHasService.count, groupHasService[row.group] else { return false }
        if operation != nil, operation?.matches(row.name, in: strings) != true { return false }
        return true
    }
}
