public import Foundation

/// The repository's Python tools (the official OpenTelemetry SDK and protobuf classes in
/// a venv that `scripts/python-env.sh` installs from PyPI), run as child processes.
///
/// A test that needs them fails loudly when the script cannot provide them: it never
/// skips.
public enum PythonTools {
    /// The repository root, found from this file's path.
    public static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public struct Failure: Error, CustomStringConvertible {
        public var description: String

        public init(description: String) {
            self.description = description
        }
    }

    public struct Output: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// The venv's python, installing it first if needed (idempotent).
    public static func python() throws -> String {
        let result = try run(repositoryRoot.appendingPathComponent("scripts/python-env.sh").path, [])
        guard result.status == 0, let path = result.stdout.split(separator: "\n").last.map(String.init), !path.isEmpty else {
            throw Failure(description: "scripts/python-env.sh failed (exit \(result.status)): \(result.stderr)")
        }
        return path
    }

    /// Runs a script of the repository (path relative to the root) with the venv's python.
    public static func runScript(_ script: String, _ arguments: [String]) throws -> Output {
        try run(try python(), [repositoryRoot.appendingPathComponent(script).path] + arguments)
    }

    /// Runs a program in the repository root and collects its output; `environment` is
    /// added to this process' own.
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        process.currentDirectoryURL = repositoryRoot
        // stdout through a pipe, stderr to a file: reading one pipe to its end while the
        // child blocks on a full second pipe would deadlock.
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
