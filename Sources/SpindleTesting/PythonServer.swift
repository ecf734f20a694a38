public import Foundation

/// A Python program run with the venv's python as a test server: it prints the port (or
/// ports) it listens on, whitespace-separated, on its first line of output, then serves
/// until stopped. Stopped when released.
public final class PythonServer {
    private let process = Process()
    /// The numbers on the program's first line, in order.
    public let ports: [Int]

    /// Starts `python arguments…` and waits for its first line; throws when the program
    /// exits first or the line holds no port.
    public init(_ arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: try PythonTools.python())
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else {
                throw PythonTools.Failure(description: "python \(arguments.first ?? "") exited before printing its port")
            }
            line.append(chunk)
        }
        ports = String(decoding: line, as: UTF8.self).split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
        guard !ports.isEmpty else {
            throw PythonTools.Failure(description: "python \(arguments.first ?? "") printed no port")
        }
    }

    deinit { stop() }

    /// Ends the program and waits for it.
    public func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }
}
