import Foundation
import SpindleModel
import SpindleStorage
import SpindleStore
import Testing

@testable import spindle

/// The built `spindle` executable, next to the test bundle.
func spindleExecutable() throws -> URL {
    var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    if directory.path.hasSuffix(".xctest/Contents/MacOS") { directory = directory.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent() }
    let candidate = directory.appendingPathComponent("spindle")
    guard FileManager.default.isExecutableFile(atPath: candidate.path) else {
        throw CrashTestError("the spindle executable is not at \(candidate.path); build it first (swift build)")
    }
    return candidate
}

struct CrashTestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Runs `spindle crash-writer` and kills it with SIGKILL once it has acknowledged
/// `killAfter` batches (a count, never a time, so the test does not depend on speed).
/// Returns the acknowledged batch numbers.
private func runAndKill(_ executable: URL, dataDir: String, fsync: String, firstBatch: Int, killAfter: Int) throws -> [Int] {
    let process = Process()
    process.executableURL = executable
    process.arguments = ["crash-writer", "--data-dir", dataDir, "--fsync", fsync, "--first-batch", String(firstBatch)]
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    var acknowledged: [Int] = []
    var buffer = Data()
    let handle = output.fileHandleForReading
    reading: while true {
        let chunk = handle.availableData
        if chunk.isEmpty { break }  // the writer exited on its own
        buffer.append(chunk)
        while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
            let line = String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self)
            buffer.removeSubrange(buffer.startIndex...newline)
            if line.hasPrefix("ack "), let number = Int(line.dropFirst(4)) {
                acknowledged.append(number)
                if acknowledged.count >= killAfter {
                    kill(process.processIdentifier, SIGKILL)
                    break reading
                }
            }
        }
    }
    process.waitUntilExit()
    // Acks printed before the kill landed but not yet read still count.
    buffer.append(handle.readDataToEndOfFile())
    for line in String(decoding: buffer, as: UTF8.self).split(separator: "\n") where line.hasPrefix("ack ") {
        if let number = Int(line.dropFirst(4)) { acknowledged.append(number) }
    }
    return acknowledged
}

@Suite struct CrashTests {
    /// Kills a writer with SIGKILL 25 times at varying points (mid-write, mid-cut,
    /// mid-compaction) and checks, after each, that every acknowledged span is served,
    /// nothing is served twice, nothing is served that was never written, and no block
    /// had to be quarantined.
    @Test(arguments: ["never", "always"])
    func killNine_losesNothingAcknowledged(fsync: String) async throws {
        let executable = try spindleExecutable()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("spindle-crash-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var random = SystemRandomNumberGenerator()
        var acknowledged = Set<Int>()
        var attempted = 0
        for round in 0..<(fsync == "never" ? 25 : 8) {
            let first = round * 100_000
            let acks = try runAndKill(executable, dataDir: directory, fsync: fsync, firstBatch: first, killAfter: Int.random(in: 1...400, using: &random))
            acknowledged.formUnion(acks)
            attempted = max(attempted, first + 100_000)

            var configuration = NativeStoreConfiguration(directory: directory)
            configuration.backgroundMaintenance = false
            configuration.retention = nil
            configuration.logger.logLevel = .critical
            let store = try NativeTraceStore.open(configuration)
            for index in acks {
                let expected = CrashWriterCommand.batch(index)
                for row in expected.tables.spans {
                    let trace = try await store.trace(id: row.traceID, timeRange: nil)
                    #expect(trace?.tables.spans.contains { $0.spanID == row.spanID } == true, "round \(round): acknowledged batch \(index) lost span \(row.spanID) of trace \(row.traceID)")
                }
            }
            var seen = Set<SpanID>()
            for try await batch in store.scan(timeRange: .all) {
                for index in 0..<batch.spanCount {
                    let span = batch.span(at: index)
                    #expect(seen.insert(span.spanID).inserted, "round \(round): span \(span.spanID) served twice")
                    let trace = Int(span.traceID.high & 0xFFFF_FFFF_FFFF)
                    let slot = Int(span.spanID.value & 0xFF) - 1
                    let writtenBy = slot == 3 ? trace + 3 : trace
                    #expect(writtenBy < attempted, "round \(round): span \(span.spanID) was never written")
                    #expect(span == CrashWriterCommand.batch(writtenBy).spans.first { $0.spanID == span.spanID }, "round \(round): span \(span.spanID) differs from what was written")
                }
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory + "/quarantine").isEmpty, "round \(round): a block was quarantined")
            await store.close()
        }
        #expect(acknowledged.count > 0)
    }
}
