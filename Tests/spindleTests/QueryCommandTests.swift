import ArgumentParser
import Foundation
import SpindleModel
import SpindleStorage
import SpindleTesting
import Testing

@testable import SpindleServer
@testable import spindle

/// `spindle query` against a real server holding the conformance fixtures.
@Suite struct QueryCommandTests {
    typealias F = ConformanceFixtures

    static func withServer(_ body: (String) async throws -> Void) async throws {
        let store = InMemoryTraceStore(maxSpans: 1 << 20)
        try await store.write(F.batch(F.all))
        var configuration = SpindleServerConfiguration.ephemeral()
        configuration.logLevel = .warning
        let server = try SpindleServer(configuration: configuration, writer: store, reader: store)
        let running = Task { try await server.run() }
        do {
            let ports = try await server.waitUntilListening()
            try await body("http://127.0.0.1:\(ports.http)")
        } catch {
            await server.shutdown()
            _ = try? await running.value
            throw error
        }
        await server.shutdown()
        try await running.value
    }

    static func query(_ arguments: [String]) throws -> QueryCommand {
        let command = try SpindleCommand.parseAsRoot(["query"] + arguments)
        return try #require(command as? QueryCommand)
    }

    @Test func traceID_printsTheSpanTree() async throws {
        try await Self.withServer { server in
            let text = try await Self.query([F.traceB.hexString, "--server", server]).output()
            #expect(text == """
                3 spans in 2 resources
                trace \(F.traceB.hexString)
                  00000000000000b1 frontend: GET /products [server] 80.0ms
                    00000000000000b2 inventory: SELECT products [client] 60.0ms
                    00000000000000b3 inventory: cache.lookup [internal] 1.0ms

                """)
        }
    }

    @Test func traceQL_listsMatchingTraces() async throws {
        try await Self.withServer { server in
            let text = try await Self.query([#"{ resource.service.name = "inventory" && name = "SELECT products" }"#, "--server", server]).output()
            let lines = text.split(separator: "\n").map(String.init)
            #expect(lines.count == 2)
            #expect(lines[0].hasPrefix("\(F.traceB.hexString)  "))
            #expect(lines[0].hasSuffix("frontend: GET /products  (3 spans)"))
            #expect(lines[1] == "    00000000000000b2  60.0ms  inventory: SELECT products")
        }
    }

    @Test func errors_sayWhatTheServerSaid() async throws {
        try await Self.withServer { server in
            await #expect(throws: QueryCommand.QueryFailure(message: "the server answered 404: trace \(F.unknownTrace.hexString) not found")) {
                _ = try await Self.query([F.unknownTrace.hexString, "--server", server]).output()
            }
            do {
                _ = try await Self.query(["{ name = }", "--server", server]).output()
                Issue.record("a malformed query was accepted")
            } catch let failure as QueryCommand.QueryFailure {
                #expect(failure.message.hasPrefix("the server answered 400: parameter q: invalid TraceQL query: line 1, column 10:"))
            }
        }
    }
}
