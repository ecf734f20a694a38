public import SpindleStorage
import SpindleModel

/// The engine's decoders, reachable from outside the module so the fuzz targets
/// (`Fuzz/`) can hand them arbitrary bytes exactly as the store would read them.
public enum StoreFormatChecks {
    /// Parses a WAL segment as replay does: the valid records, the length they span, and
    /// whether reading stopped at damage. Never traps.
    public static func walSegment(_ bytes: [UInt8]) -> (records: [ArraySlice<UInt8>], validLength: Int, damaged: Bool) {
        let contents = WALFormat.parseSegment(bytes)
        return (contents.records.map(\.payload), contents.validLength, contents.damage != nil)
    }

    /// A WAL segment holding `payloads` as span records (seeds for the fuzzer).
    public static func walSegment(payloads: [[UInt8]]) -> [UInt8] {
        payloads.reduce(WALFormat.header()) { $0 + WALFormat.record(.spans, payload: $1) }
    }

    /// Opens the block file at `path` and reads all of it as queries would: every page,
    /// every page's attribute filter, a lookup of every indexed trace.
    /// Returns the spans read; throws ``StorageError`` (`.corrupt` for bad bytes).
    public static func readBlock(at path: String) throws(StorageError) -> Int {
        let block = try Block(path: path)
        var spans = 0
        for index in block.meta.pages.indices {
            let page = try block.page(index)
            do {
                try page.tables.validate()
            } catch {
                throw StorageError(.corrupt, "page \(index) decodes to invalid tables: \(error)")
            }
            spans += page.spanCount
            _ = try block.filter(ofPage: index)
            for row in page.tables.spans { _ = block.locate(row.traceID) }
            try checkPrefilter(block, page: index, decoded: page)
        }
        return spans
    }

    /// Search's page prefilter must agree with matching on the fully decoded page: for
    /// queries built from the page's own spans (so that some match), the traces it says
    /// match are exactly those the decoded page matches. Traps on disagreement, which
    /// the fuzzer reports.
    static func checkPrefilter(_ block: Block, page index: Int, decoded: SpanBatch) throws(StorageError) {
        let tables = decoded.tables
        guard let first = tables.spans.first else { return }
        let last = tables.spans[tables.spans.count - 1]
        let firstService = decoded.resource(ofSpanAt: 0).serviceName
        let queries = [
            TraceQuery(limit: .max),
            TraceQuery(service: firstService, operation: tables.string(first.name), limit: .max),
            TraceQuery(operation: tables.string(last.name), kind: last.kind, status: last.statusCode, limit: .max),
            TraceQuery(
                timeRange: TimeRange(start: first.startTimeUnixNano, end: first.startTimeUnixNano &+ 1_000_000),
                minDuration: last.endTimeUnixNano >= last.startTimeUnixNano ? last.endTimeUnixNano - last.startTimeUnixNano : 0,
                limit: .max
            ),
        ]
        let scratch = InMemoryTraceStore(maxSpans: .max)
        scratch.insert(decoded)
        for query in queries {
            let sifted = try block.page(index) { raw throws(FormatError) in try PageCodec.sift(raw, SpanConditions(query)) }
            // Traces left undecided are matched exactly by the caller; the prefilter's
            // own verdicts must be right.
            guard !sifted.hasUndecided else { continue }
            let expected: Set<TraceID>
            expected = try scratch.matchingTraces(query)
            guard Set(sifted.matching) == expected else {
                fatalError("prefilter of page \(index) disagrees with the decoded page for \(query): \(Set(sifted.matching).symmetricDifference(expected).count) traces differ")
            }
        }
    }
}
