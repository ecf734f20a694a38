import Foundation
import SpindleClickHouse
import SpindleModel
import SpindleStorage
import SpindleTesting
import Testing

/// Starts one private `clickhouse-server` for a suite and stops it after the suite's last
/// test; tests reach it through ``ClickHouseServerScope/current``.
struct ClickHouseServerScope: SuiteTrait, TestScoping {
    @TaskLocal static var current: ClickHouseServer?

    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        let server = try ClickHouseServer.start()
        defer { server.stop() }
        try await Self.$current.withValue(server) { try await function() }
    }

    /// The suite's server; fails the test loudly when there is none.
    static func server() throws -> ClickHouseServer {
        guard let current else { throw ClickHouseServer.Failure(description: "no ClickHouse server: the suite lacks the .clickHouseServer trait") }
        return current
    }

    /// A client of the suite's server as the passwordless `default` user.
    static func client(compressInserts: Bool = true) throws -> ClickHouseClient {
        ClickHouseClient(.init(url: try server().httpURL, compressInserts: compressInserts))
    }
}

extension Trait where Self == ClickHouseServerScope {
    /// One private ClickHouse server for the whole suite.
    static var clickHouseServer: Self { Self() }
}

/// The rows of a JSONEachRow answer.
func jsonRows(_ bytes: [UInt8]) throws -> [[String: Any]] {
    try String(decoding: bytes, as: UTF8.self).split(separator: "\n").map { line in
        guard let row = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw ClickHouseServer.Failure(description: "not a JSON object: \(line.prefix(200))")
        }
        return row
    }
}

/// A JSON number or quoted number (ClickHouse quotes 64-bit integers) as Int64.
func integer(_ value: Any?) -> Int64? {
    if let text = value as? String { return Int64(text) }
    if let number = value as? NSNumber { return number.int64Value }
    return nil
}

/// A quoted UInt64.
func unsigned(_ value: Any?) -> UInt64? {
    if let text = value as? String { return UInt64(text) }
    if let number = value as? NSNumber { return number.uint64Value }
    return nil
}
