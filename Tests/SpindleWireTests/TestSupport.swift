import Foundation
import SpindleModel
import Testing

/// Where the repository and its checked-in fixtures are, found from this file's path.
enum RepoPaths {
    static let testsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    static let fixtures = testsDirectory.appendingPathComponent("Fixtures")
    static let root = testsDirectory.deletingLastPathComponent().deletingLastPathComponent()

    static func fixture(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: fixtures.appendingPathComponent(name)))
    }
}

/// The Python with the official OpenTelemetry packages, installed by the repo's script.
/// A test that needs it fails loudly when the script cannot provide it.
enum PythonEnvironment {
    static func python() throws -> String {
        let result = try run(RepoPaths.root.appendingPathComponent("scripts/python-env.sh").path, [])
        guard result.status == 0, let path = result.stdout.split(separator: "\n").last.map(String.init), !path.isEmpty else {
            throw ToolFailure(description: "scripts/python-env.sh failed (exit \(result.status)): \(result.stderr)")
        }
        return path
    }

    struct ToolFailure: Error, CustomStringConvertible {
        var description: String
    }

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(_ executable: String, _ arguments: [String]) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = RepoPaths.root
        // stdout through a pipe, stderr to a file: reading one pipe to its end while
        // the child blocks on a full second pipe would deadlock.
        let out = Pipe()
        let errURL = FileManager.default.temporaryDirectory.appendingPathComponent("spindle-test-\(UUID().uuidString).stderr")
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errURL) }
        let err = try FileHandle(forWritingTo: errURL)
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outBytes = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try? err.close()
        let errBytes = (try? Data(contentsOf: errURL)) ?? Data()
        return Output(
            status: process.terminationStatus,
            stdout: String(decoding: outBytes, as: UTF8.self),
            stderr: String(decoding: errBytes, as: UTF8.self)
        )
    }
}
