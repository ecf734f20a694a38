import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `spindle demo` end to end: five services in their own processes, traced with the
/// Spindle SDK, calling each other over HTTP with W3C propagation, export to the demo's
/// collector, and the service graph comes out whole.
@Suite(.serialized) struct DemoTests {
    @Test func demo_producesConnectedTracesAcrossFiveProcesses() async throws {
        let executable = try spindleExecutable()
        let ports = try freePorts(7)
        let base = try consecutiveFreePorts(5)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("spindle-demo-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }

        let process = Process()
        process.executableURL = executable
        process.arguments = [
            "demo", "--storage", "memory", "--data-dir", directory.path,
            "--http-port", String(ports[0]), "--otlp-http-port", String(ports[1]), "--base-port", String(base), "--rate", "20",
        ]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

        // Every edge of the demo's system, from spans of different processes joined by
        // propagated context. An upper bound keeps a broken demo from hanging the test.
        let expected: Set<String> = ["frontend→api", "api→payments", "api→inventory", "api→db", "inventory→db"]
        var edges: Set<String> = []
        var fullTrace: [String: Any]?
        for _ in 0..<600 where edges != expected || fullTrace == nil {
            try await Task.sleep(for: .milliseconds(200))
            guard process.isRunning else { break }
            if let graph = try? await getJSON("http://127.0.0.1:\(ports[0])/api/spindle/dependencies?lookback=1h"),
               let list = graph["edges"] as? [[String: Any]] {
                edges = Set(list.compactMap { edge in
                    guard let parent = edge["parent"] as? String, let child = edge["child"] as? String else { return nil }
                    return "\(parent)→\(child)"
                })
            }
            if let found = try? await getJSON("http://127.0.0.1:\(ports[0])/api/spindle/search?service=payments&limit=50"),
               let traces = found["traces"] as? [[String: Any]] {
                // The root (the frontend's server span) ends last, so it may arrive in a later batch.
                fullTrace = traces.first {
                    ($0["services"] as? [String]) == ["api", "db", "frontend", "inventory", "payments"]
                        && ($0["rootService"] as? String) == "frontend" && ($0["rootOperation"] as? String) == "/checkout"
                        && ($0["errorCount"] as? Int) == 0
                }
            }
        }
        #expect(process.isRunning, "the demo exited early")
        #expect(edges == expected)
        let trace = try #require(fullTrace, "no checkout trace crossed all five services")
        // A checkout that went well: frontend's server span, "validate cart" and its call to
        // api; api's server span and its three calls; inventory's server span and its call
        // to db; payments' server span and "authorize card"; db's two server spans, each
        // with "execute".
        #expect(trace["spanCount"] as? Int == 15)

        let banner = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        #expect(banner.contains("UI:       http://127.0.0.1:\(ports[0])/"))

        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }
}

private func getJSON(_ url: String) async throws -> [String: Any] {
    let (data, _) = try await URLSession.shared.data(from: URL(string: url)!)
    return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
}

/// Ports the system says are free now (bound to port 0, then released).
private func freePorts(_ count: Int) throws -> [Int] {
    var sockets: [Int32] = []
    defer { sockets.forEach { close($0) } }
    return try (0..<count).map { _ in
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        sockets.append(fd)
        var address = loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw CrashTestError("no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// A first port such that it and the next four are free now.
private func consecutiveFreePorts(_ count: Int) throws -> Int {
    for _ in 0..<50 {
        let first = try freePorts(1)[0]
        guard first + count < 65_000 else { continue }
        if (first..<(first + count)).allSatisfy(isFree) { return first }
    }
    throw CrashTestError("no \(count) consecutive free ports")
}

private func isFree(_ port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = loopback(port: port)
    return withUnsafePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
    }
}

private func loopback(port: Int) -> sockaddr_in {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = UInt16(port).bigEndian
    address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
    return address
}
