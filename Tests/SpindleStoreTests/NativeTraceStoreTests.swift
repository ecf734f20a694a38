import Foundation
import SpindleModel
import SpindleSamples
import SpindleStorage
import SpindleTesting
import Synchronization
import Testing

@testable import SpindleStore

/// A span with the resource and scope it was stored under: what must come back exactly.
private struct FullSpan: Hashable {
    var record: SpanRecord
    var resource: Resource
    var scope: InstrumentationScope
}

private func fullSpans(_ batch: SpanBatch) -> Set<FullSpan> {
    Set((0..<batch.spanCount).map { FullSpan(record: batch.span(at: $0), resource: batch.resource(ofSpanAt: $0), scope: batch.scope(ofSpanAt: $0)) })
}

private func traceIDs(_ batch: SpanBatch) -> Set<TraceID> { Set(batch.tables.spans.map(\.traceID)) }

private func allSpans(_ store: NativeTraceStore, _ ids: Set<TraceID>) async throws -> Set<FullSpan> {
    var spans = Set<FullSpan>()
    for id in ids {
        if let trace = try await store.trace(id: id, timeRange: nil) { spans.formUnion(fullSpans(trace)) }
    }
    return spans
}

private func walSegments(_ directory: String) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: directory + "/wal").filter { $0.hasSuffix(".wal") }.sorted()
}

private func blockFiles(_ directory: String, _ folder: String = "blocks") throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: directory + "/" + folder).filter { $0.hasSuffix(".block") }.sorted()
}

/// A batch of `count` one-span traces starting `offset` milliseconds after a base time.
private func simpleBatch(traces: Range<UInt64>, offset: UInt64 = 0, service: String = "svc") -> SpanBatch {
    var builder = SpanBatchBuilder()
    for trace in traces {
        let start = 1_700_000_000_000_000_000 + (offset + trace) * 1_000_000
        builder.append(
            SpanRecord(traceID: TraceID(high: 7, low: trace), spanID: SpanID(trace + 1), name: "op", startTimeUnixNano: start, endTimeUnixNano: start + 1_000),
            resource: Resource(attributes: [Attribute("service.name", .string(service))]), scope: InstrumentationScope(name: "test")
        )
    }
    return builder.build()
}

@Suite struct NativeTraceStoreTests {
    // MARK: Blocks keep everything

    @Test func blocks_keepEveryFieldOfEverySpan() async throws {
        let directory = TemporaryDirectory()
        defer { directory.cleanUp() }
        let store = try NativeTraceStore.open(.testing(directory.path))
        let rich = SpanBatch(Samples.richResourceSpans())
        let realistic = Samples.realisticBatch(spans: 200, seed: 42)
        try await store.write(rich)
        try await store.write(realistic)
        #expect(try store.cutHead() == 1)
        #expect(store.headSpanCount == 0)
        #expect(store.blockCount == 1)
        let ids = traceIDs(rich).union(traceIDs(realistic))
        #expect(try await allSpans(store, ids) == fullSpans(rich).union(fullSpans(realistic)))
        await store.close()
    }

    @Test func cut_dropsTheWALSegmentsItCovered() async throws {
        let directory = TemporaryDirectory()
        defer { directory.cleanUp() }
        let store = try NativeTraceStore.open(.testing(directory.path))
        try await store.write(simpleBatch(traces: 0..<10))
        #expect(try walSegments(directory.path).count == 1)
        try store.cutHead()
        // Only the new, empty segment is left.
        let segments = try walSegments(directory.path)
        #expect(segments.count == 1)
        #expect(Directory.fileSize(directory.path + "/wal/" + segments[0]) == WALFormat.headerSize)
        await store.close()
    }

    // MARK: Restart and replay

    @Test func reopen_servesEverythingStoredBefore() async throws {
        let directory = TemporaryDirectory()
        defer { directory.cleanUp() }
        let first = simpleBatch(traces: 0..<50)
        let second = Samples.realisticBatch(spans: 100, seed: 3)
        var store = try NativeTraceStore.open(.testing(directory.path))
        try await store.write(first)
        try store.cutHead()
        try await store.write(second)
        await store.close()
        store = try NativeTraceStore.open(.testing(directory.path))
        #expect(store.blockCount == 1)
        #expect(store.headSpanCount == 100)
        #expect(try await allSpans(store, traceIDs(first).union(traceIDs(second))) == fullSpans(first).union(fullSpans(second)))
        // Replayed spans are cut like any others, and nothing is duplicated.
        try store.cutHead()
        var scanned = 0
        for try await batch in store.scan(timeRange: .all) { scanned += batch.spanCount }
        #expect(scanned == 150)
        await store.close()
    }

    @Test func replay_dropsATornTail() async throws {
        let directory = TemporaryDirectory()
        defer { directory.cleanUp() }
        var store = try NativeTraceStore.open(.testing(directory.path))
        for part in 0..<3 { try await store.write(simpleBatch(traces: UInt64(part * 10)..<UInt64(part * 10 + 10))) }
        await store.close()
        let segment = directory.path + "/wal/" + (try walSegments(directory.path).last ?? "")
        let size = try #require(Directory.fileSize(segment))
        try #require(truncate(segment, off_t(size - 5)) == 0)

        store = try NativeTraceStore.open(.testing(directory.path))
        #expect(store.headSpanCount == 20)
        #expect(try await store.trace(id: TraceID(high: 7, low: 19), timeRange: nil) != nil)
        #expect(try await store.trace(id: TraceID(high: 7, low: 20), timeRange: nil) == nil)
        // The torn record is cut off the file, so new records follow valid ones.
        let contents = WALFormat.parseSegment(Array(try Data(contentsOf: URL(fileURLWithPath: segment))))
        #expect(contents.damage == nil)
        #expect(contents.records.count == 2)
        await store.close()
    }

    @Test func replay_stopsAtARecordWithABadChecksum() async throws {
        let directory = TemporaryDirectory()
        defer { directory.cleanUp() }
        var store = try NativeTraceStore.open(.testing(directory.path))
        for part in 0..<3 { try await store.write(simpleBatch(traces: UInt64(part * 10)..<UInt64(part * 10 + 10))) }
        await store.close()
        let segment = directory.path + "/wal/" + (try walSegments(directory.path).last ?? "")
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: segment)))
        bytes[bytes.count - 3] ^= 0x40
        try Data(bytes).write(to: URL(fileURLWithPath: segment))

        store = try NativeTraceStore.open(.testing(directory.path))
        #expect(store.headSpanCount == 20)
        await store.close()
    }

    @Test func walSegment_withAForeignHeaderYieldsNoRecords() {
        var bytes = Array("NOTAWAL!".utf8) + [1, 0, 0, 0, 0, 0, 0, 0]
        bytes += WALFormat.record(.spans, payload: [1, 2, 3])
        let contents = WALFormat.parseSegment(bytes)
        #expect(contents.records.isEmpty)
        #expect(contents.damage?.message == "not a Spindle WAL segment (bad magic)")
    }

    @Test func walSegment_everyPrefixParsesWithoutTrapping() {
        var bytes = WALFormat.header()
        for index in 0..<4 { bytes += WALFormat.record(.spans, payload: Array(repeating: UInt8(index), count: 10 + index)) }
        var previous = 0
        for length in 0...bytes.count {
            let contents = WALFormat.parseSegment(Array(bytes.prefix(length)))
            #expect(contents.records.count >= previous)
            previous = contents.records.count
            #expect(contents.validLength <= length)
        }
        #expect(previous == 4)
    }

    // MARK: Corruption

    @Test func corruptPage_isQuarantinedAndTheRestKeepsServing() async throws {
        let directory = TemporaryDirectory()
        defer { directory.cleanUp() }
        let store = try NativeTraceStore.open(.testing(directory.path))
        try await store.write(simpleBatch(traces: 0..<10))
        try store.cutHead()
        try await store.write(simpleBatch(traces: 100..<110, service: "other"))
        try store.cutHead()
        let first = directory.path + "/blocks/" + (try blockFiles(directory.path)[0])
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: first)))
        bytes[BlockFormat.headerSize + 4] ^= 0xFF  // inside the first page
        try Data(bytes).write(to: URL(fileURLWithPath: first))

        #expect(try await store.trace(id: TraceID(high: 7, low: 0), timeRange: nil) == nil)
        #expect(store.blockCount == 1)
        #expect(try blockFiles(directory.path, "quarantine").count == 1)
        #expect(try await store.trace(id: TraceID(high: 7, low: 100), timeRange: nil)?.spanCount == 1)
        #expect(try await store.services(timeRange: nil) == ["other"])
        await store.close()
    }

    @Test func truncatedBlock_isQuarantinedWhenTheStoreOpens() async throws {
        let directory = TemporaryDirectory()
        defer { directory.cleanUp() }
        var store = try NativeTraceStore.open(.testing(directory.path))
        try await store.write(simpleBatch(traces: 0..<10))
        try store.cutHead()
        try await store.write(simpleBatch(traces: 100..<110))
        try store.cutHead()
        await store.close()
        let first = directory.path + "/blocks/" + (try blockFiles(directory.path)[0])
        let size = try #require(Directory.fileSize(first))
        try #require(truncate(first, off_t(size / 2)) == 0)

        store = try NativeTraceStore.open(.testing(directory.path))
        #expect(store.blockCount == 1)
        #expect(try blockFiles(directory.path, "quarantine").count == 1)
        #expect(try await store.trace(id: TraceID(high: 7, low: 105), timeRange: nil)?.spanCount == 1)
        await store.close()
    }

    @Test func block_withFlippedMetaByte_reportsFileAndOffset() async throws {
        let directory = TemporaryDirectory()
        defer { directory.cleanUp() }
        let store = try NativeTraceStore.open(.testing(directory.path))
        try await store.write(simpleBatch(traces: 0..<10))
        try store.cutHead()
        await store.close()
        let path = directory.path + "/blocks/" + (try blockFiles(directory.path)[0])
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[bytes.count - BlockFormat.footerSize - 2] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let error = try #require(throws: StorageError.self) { try Block(path: path) }
        #expect(error.code == .corrupt)
        #expect(error.message.hasPrefix("block \(path) is corrupt at byte "))
        #expect(error.message.hasSuffix("meta checksum mismatch"))
    }

    // MARK: Compaction and retention

    @Test func compaction_mergesBlocksAndServesSplitTracesWhole() async throws {
        let directory = TemporaryDirectory()
        defer { directory.cleanUp() }
        let store = try NativeTraceStore.open(.testing(directory.path))
        let trace = TraceID(high: 9, low: 9)
        let resource = Resource(attributes: [Attribute("service.name", "split")])
        for part in 0..<3 {
            var builder = SpanBatchBuilder()
            for span in 0..<4 {
                let id = UInt64(part * 4 + span + 1)
                builder.append(SpanRecord(traceID: trace, spanID: SpanID(id), parentSpanID: id == 1 ? .zero : SpanID(1), name: "s\(id)", startTimeUnixNano: 1_000 + id, endTimeUnixNano: 2_000), resource: resource, scope: InstrumentationScope())
            }
            let batch = builder.build()
            try await store.write(batch)
            if part == 2 { try await store.write(batch) }  // a duplicate, in the same head
            try store.cutHead()
        }
        try await store.write(simpleBatch(traces: 0..<3))
        try store.cutHead()
        #expect(store.blockCount == 4)
        #expect(try store.compact() == 1)
        #expect(store.blockCount == 1)
        #expect(try blockFiles(directory.path).count == 1)
        let merged = try #require(try await store.trace(id: trace, timeRange: nil))
        #expect(merged.spanCount == 12)
        #expect(Set(merged.tables.spans.map(\.spanID.value)) == Set(1...12))
        await store.close()
    }

    @Test func retention_deletesBlocksOlderThanThePeriod() async throws {
        let directory = TemporaryDirectory()
        defer { directory.cleanUp() }
        var configuration = NativeStoreConfiguration.testing(directory.path)
        let base: UInt64 = 1_700_000_000_000_000_000
        configuration.now = { base + 3_600 * 1_000_000_000 }  // an hour after the base time
        configuration.retention = .seconds(1_800)
        let store = try NativeTraceStore.open(configuration)
        try await store.write(simpleBatch(traces: 0..<5))  // at the base time: too old
        try store.cutHead()
        try await store.write(simpleBatch(traces: 10..<15, offset: 3_000_000))  // 50 minutes later
        try store.cutHead()
        #expect(try store.applyRetention() == 1)
        #expect(store.blockCount == 1)
        #expect(try await store.trace(id: TraceID(high: 7, low: 0), timeRange: nil) == nil)
        #expect(try await store.trace(id: TraceID(high: 7, low: 10), timeRange: nil) != nil)
        await store.close()
    }

    @Test func maxDisk_deletesTheOldestBlocksFirst() async throws {
        let directory = TemporaryDirectory()
        defer { directory.cleanUp() }
        var configuration = NativeStoreConfiguration.testing(directory.path)
        configuration.retention = nil
        let store = try NativeTraceStore.open(configuration)
        for part in 0..<4 {
            try await store.write(simpleBatch(traces: UInt64(part * 100)..<UInt64(part * 100 + 50), offset: UInt64(part) * 1_000))
            try store.cutHead()
        }
        let total = store.diskBytes()
        configuration.maxDiskBytes = total - 1
        await store.close()
        let bounded = try NativeTraceStore.open(configuration)
        #expect(try bounded.applyRetention() == 1)
        #expect(bounded.blockCount == 3)
        #expect(try await bounded.trace(id: TraceID(high: 7, low: 0), timeRange: nil) == nil)
        #expect(try await bounded.trace(id: TraceID(high: 7, low: 100), timeRange: nil) != nil)
        await bounded.close()
    }

    // MARK: Durability modes

    @Test func fsyncAlways_acknowledgesConcurrentWritesInGroups() async throws {
        let directory = TemporaryDirectory()
        defer { directory.cleanUp() }
        let store = try NativeTraceStore.open(.testing(directory.path, fsync: .always))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for part in 0..<40 {
                group.addTask { try await store.write(simpleBatch(traces: UInt64(part * 10)..<UInt64(part * 10 + 10))) }
            }
            try await group.waitForAll()
        }
        await store.close()
        let reopened = try NativeTraceStore.open(.testing(directory.path))
        #expect(reopened.headSpanCount == 400)
        await reopened.close()
    }

    @Test func search_stopsEarlyButReturnsTheSameAsAFullScan() async throws {
        let directory = TemporaryDirectory()
        defer { directory.cleanUp() }
        let store = try NativeTraceStore.open(.testing(directory.path))
        let memory = InMemoryTraceStore(maxSpans: 1_000_000)
        for seed in 1...6 {
            let batch = Samples.realisticBatch(spans: 200, seed: UInt64(seed))
            try await store.write(batch)
            try await memory.write(batch)
            if seed % 2 == 0 { try store.cutHead() }
        }
        // Late spans of old traces, some starting before anything else of their trace:
        // they move those traces' starts, which the early stop must take into account.
        let early = Samples.realisticBatch(spans: 200, seed: 1)
        var builder = SpanBatchBuilder()
        for index in stride(from: 0, to: early.spanCount, by: 7) {
            var span = early.span(at: index)
            span.spanID = SpanID(span.spanID.value ^ 0x5A5A)
            let shift: UInt64 = index % 2 == 0 ? 500_000_000 : 0
            span.startTimeUnixNano -= shift
            span.endTimeUnixNano -= shift
            builder.append(span, resource: early.resource(ofSpanAt: index), scope: early.scope(ofSpanAt: index))
        }
        let late = builder.build()
        try await store.write(late)
        try await memory.write(late)
        for query in [
            TraceQuery(limit: 5),
            TraceQuery(limit: 1),
            TraceQuery(limit: 200),
            TraceQuery(service: "orders", limit: 7),
            TraceQuery(operation: "SELECT orders", minDuration: 900_000, limit: 3),
            TraceQuery(status: .error, limit: 50),
            TraceQuery(attributes: [AttributeFilter(scope: .span, key: "http.request.method", .equals(.string("PUT")))], limit: 4),
        ] {
            #expect(try await store.search(query) == (try await memory.search(query)))
        }
        await store.close()
    }
}

@Suite struct NativeTraceStoreEdgeTests {
    @Test func canonicallyEquivalentStrings_keepTheirOwnBytes() async throws {
        let directory = TemporaryDirectory()
        defer { directory.cleanUp() }
        let store = try NativeTraceStore.open(.testing(directory.path))
        let precomposed = "caf\u{E9}"
        let decomposed = "cafe\u{301}"
        var builder = SpanBatchBuilder()
        for (index, name) in [precomposed, decomposed].enumerated() {
            builder.append(
                SpanRecord(traceID: TraceID(high: 1, low: 1), spanID: SpanID(UInt64(index + 1)), name: name, startTimeUnixNano: 10, endTimeUnixNano: 20, attributes: [Attribute("v", .string(name))]),
                resource: Resource(), scope: InstrumentationScope()
            )
        }
        try await store.write(builder.build())
        try store.cutHead()
        let trace = try #require(try await store.trace(id: TraceID(high: 1, low: 1), timeRange: nil))
        let names = trace.spans.sorted { $0.spanID < $1.spanID }.map { Array($0.name.utf8) }
        #expect(names == [Array(precomposed.utf8), Array(decomposed.utf8)])
        await store.close()
    }

    @Test func aSecondStoreOnTheSameDirectory_isRefused() async throws {
        let directory = TemporaryDirectory()
        defer { directory.cleanUp() }
        let store = try NativeTraceStore.open(.testing(directory.path))
        let error = try #require(throws: StorageError.self) { try NativeTraceStore.open(.testing(directory.path)) }
        #expect(error.message.hasPrefix("another store (another spindle serve?) has \(directory.path) open"))
        await store.close()
        // Closed, the directory is free again.
        let again = try NativeTraceStore.open(.testing(directory.path))
        await again.close()
    }

    @Test func valuesNestedTooDeep_areRefusedBeforeTheWAL() async throws {
        let directory = TemporaryDirectory()
        defer { directory.cleanUp() }
        let store = try NativeTraceStore.open(.testing(directory.path))
        var value = AttributeValue.int(1)
        for _ in 0...SpanTables.maxStoredNesting { value = .array([value]) }
        var builder = SpanBatchBuilder()
        builder.append(SpanRecord(traceID: TraceID(high: 1, low: 2), spanID: SpanID(1), name: "deep", startTimeUnixNano: 1, endTimeUnixNano: 2, attributes: [Attribute("deep", value)]), resource: Resource(), scope: InstrumentationScope())
        await #expect(throws: StorageError.self) { try await store.write(builder.build()) }
        #expect(store.headSpanCount == 0)
        await store.close()
    }

    @Test func aWALSegmentFromAnotherFormatVersion_stopsTheOpenAndIsLeftAlone() async throws {
        let directory = TemporaryDirectory()
        defer { directory.cleanUp() }
        let store = try NativeTraceStore.open(.testing(directory.path))
        try await store.write(simpleBatch(traces: 0..<3))
        await store.close()
        let segment = directory.path + "/wal/" + (try walSegments(directory.path).last ?? "")
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: segment)))
        bytes[8] = 9
        try Data(bytes).write(to: URL(fileURLWithPath: segment))
        let error = try #require(throws: StorageError.self) { try NativeTraceStore.open(.testing(directory.path)) }
        #expect(error.message.contains("has format version 9; this Spindle reads version 1"))
        #expect(Array(try Data(contentsOf: URL(fileURLWithPath: segment))) == bytes)
    }

    @Test func aDamagedSegment_isCopiedToQuarantineBeforeItIsCut() async throws {
        let directory = TemporaryDirectory()
        defer { directory.cleanUp() }
        var store = try NativeTraceStore.open(.testing(directory.path))
        for part in 0..<3 { try await store.write(simpleBatch(traces: UInt64(part * 10)..<UInt64(part * 10 + 10))) }
        await store.close()
        let name = try walSegments(directory.path).last ?? ""
        let segment = directory.path + "/wal/" + name
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: segment)))
        bytes[WALFormat.headerSize + 12] ^= 0x01  // inside the first record
        try Data(bytes).write(to: URL(fileURLWithPath: segment))
        store = try NativeTraceStore.open(.testing(directory.path))
        #expect(store.headSpanCount == 0)
        #expect(Array(try Data(contentsOf: URL(fileURLWithPath: directory.path + "/quarantine/" + name + ".damaged"))) == bytes)
        await store.close()
    }
}

/// Trace numbers whose writes have returned, shared by the test's tasks.
private final class Acknowledged: Sendable {
    private let traces = Mutex<[UInt64]>([])
    func withLock<T>(_ body: (inout [UInt64]) -> T) -> T { traces.withLock { body(&$0) } }
}

@Suite struct NativeTraceStoreConcurrencyTests {
    /// Writers, cuts, compactions and readers at once: every trace whose write returned
    /// before a read began is read whole, whatever the store is doing meanwhile.
    @Test func readsWhileWriting_seeEveryAcknowledgedSpan() async throws {
        let directory = TemporaryDirectory()
        defer { directory.cleanUp() }
        var configuration = NativeStoreConfiguration.testing(directory.path)
        configuration.compactionMinBlocks = 3
        configuration.compactionMaxSpans = 200
        let store = try NativeTraceStore.open(configuration)
        let acknowledged = Acknowledged()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<4 {
                group.addTask {
                    for index in 0..<60 {
                        let trace = UInt64(writer * 1_000 + index)
                        try await store.write(simpleBatch(traces: trace..<(trace + 1)))
                        acknowledged.withLock { $0.append(trace) }
                    }
                }
            }
            group.addTask {
                for _ in 0..<40 {
                    try store.cutHead()
                    try store.compact()
                    await Task.yield()
                }
            }
            for _ in 0..<2 {
                group.addTask {
                    for _ in 0..<200 {
                        let known = acknowledged.withLock { $0 }
                        guard let trace = known.randomElement() else {
                            await Task.yield()
                            continue
                        }
                        let read = try await store.trace(id: TraceID(high: 7, low: trace), timeRange: nil)
                        #expect(read?.spanCount == 1, "trace \(trace) was acknowledged but reads as \(String(describing: read?.spanCount))")
                    }
                }
            }
            try await group.waitForAll()
        }
        try store.cutHead()
        var scanned = 0
        for try await batch in store.scan(timeRange: .all) { scanned += batch.spanCount }
        #expect(scanned == 240)
        await store.close()
    }
}
