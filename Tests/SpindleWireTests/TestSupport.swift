import Foundation
import SpindleModel
import SpindleTesting
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

/// The Python tools, shared with every test target through SpindleTesting.
typealias PythonEnvironment = PythonTools
