public import SpindleStorage

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
        }
        return spans
    }
}
