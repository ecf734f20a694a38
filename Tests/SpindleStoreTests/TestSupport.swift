import Foundation
import SpindleModel
import SpindleStorage
import SpindleStore

/// A fresh directory under the system's temporary directory, removed by `cleanUp`.
struct TemporaryDirectory {
    let path: String

    init(_ label: String = "store") {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("spindle-\(label)-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func cleanUp() { try? FileManager.default.removeItem(atPath: path) }
}

extension NativeStoreConfiguration {
    /// A test configuration: no background work (tests cut and compact by hand), small pages.
    static func testing(_ directory: String, fsync: FsyncPolicy = .never) -> NativeStoreConfiguration {
        var configuration = NativeStoreConfiguration(directory: directory)
        configuration.fsync = fsync
        configuration.backgroundMaintenance = false
        configuration.pageTargetSpans = 4
        configuration.compactionMinBlocks = 2
        configuration.logger.logLevel = .critical
        return configuration
    }
}

/// The native store seen through one of its layouts, so the conformance suite checks
/// each: spans left in the head, cut into a block after every write, or cut and then
/// compacted (duplicates and split traces across blocks included).
final class LayoutStore: TraceWriter, TraceReader {
    enum Layout: String, CaseIterable, Sendable {
        case head, blockPerWrite, compacted, reopened
    }

    let layout: Layout
    let directory: TemporaryDirectory
    private(set) var store: NativeTraceStore

    init(_ layout: Layout) throws {
        self.layout = layout
        directory = TemporaryDirectory("conformance-\(layout.rawValue)")
        store = try NativeTraceStore.open(.testing(directory.path))
    }

    deinit { directory.cleanUp() }

    func write(_ batch: SpanBatch) async throws(StorageError) {
        try await store.write(batch)
        switch layout {
        case .head: break
        case .blockPerWrite: try store.cutHead()
        case .compacted:
            try store.cutHead()
            try store.compact()
        case .reopened:
            // Every write reaches disk and comes back through a restart: half of them
            // as blocks, half by WAL replay.
            if store.blockCount % 2 == 0 { try store.cutHead() }
            await store.close()
            store = try NativeTraceStore.open(.testing(directory.path))
        }
    }

    func trace(id: TraceID, timeRange: TimeRange?) async throws(StorageError) -> SpanBatch? { try await store.trace(id: id, timeRange: timeRange) }
    func search(_ query: TraceQuery) async throws(StorageError) -> [TraceSummary] { try await store.search(query) }
    func services(timeRange: TimeRange?) async throws(StorageError) -> [String] { try await store.services(timeRange: timeRange) }
    func operations(service: String, timeRange: TimeRange?) async throws(StorageError) -> [SpindleStorage.Operation] { try await store.operations(service: service, timeRange: timeRange) }
    func attributeNames(scope: SpindleStorage.AttributeScope, timeRange: TimeRange?) async throws(StorageError) -> [String] { try await store.attributeNames(scope: scope, timeRange: timeRange) }
    func attributeValues(scope: SpindleStorage.AttributeScope, key: String, timeRange: TimeRange?, limit: Int) async throws(StorageError) -> [String] {
        try await store.attributeValues(scope: scope, key: key, timeRange: timeRange, limit: limit)
    }
    func scan(timeRange: TimeRange) -> AsyncThrowingStream<SpanBatch, any Error> { store.scan(timeRange: timeRange) }
}

extension LayoutStore: @unchecked Sendable {}
