import ArgumentParser
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import SpindleServer
import SpindleStore

/// `spindle demo`: Spindle on its embedded default, plus a small instrumented system
/// sending it real traces — five Swift services in their own processes calling each
/// other over HTTP on loopback, traced with the Spindle SDK, under a steady load.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run Spindle with a small instrumented system sending it real traces.",
        discussion: """
            Starts `spindle serve` (native storage under --data-dir) and five services — \
            frontend, api, payments, inventory and db — on ports from --base-port, then \
            sends the frontend --rate requests a second. Open the UI at the address printed. \
            Ctrl-C stops everything.
            """
    )

    @Option(name: .customLong("data-dir"), help: "Where the demo's spans are stored.")
    var dataDir = "./spindle-demo-data"

    @Option(help: "native (the embedded engine under --data-dir) or memory.")
    var storage: ServeCommand.StorageOption = .native

    @Option(name: .customLong("http-port"), help: "The UI and API port.")
    var httpPort = 16686

    @Option(name: .customLong("otlp-http-port"), help: "The OTLP/HTTP port the services export to.")
    var otlpHTTPPort = 4318

    @Option(name: .customLong("base-port"), help: "The frontend's port; the other four services take the next ones.")
    var basePort = 7070

    @Option(help: "Requests per second sent to the frontend.")
    var rate = 5.0

    @Option(help: "Stop after this many requests (0: run until Ctrl-C).")
    var requests = 0

    func validate() throws {
        guard rate > 0, rate <= 1000 else { throw ValidationError("--rate must be between 0 and 1000 requests a second") }
        guard requests >= 0 else { throw ValidationError("--requests must be 0 or more") }
    }

    func run() async throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .notice
            return handler
        }
        let configuration = SpindleServerConfiguration(
            otlpGRPCPort: 0, otlpHTTPPort: otlpHTTPPort, zipkinPort: 0, httpPort: httpPort, tempoPort: 0,
            dataDir: dataDir, storage: storage == .native ? .native : .memory
        )
        let server = try SpindleServer(configuration: configuration, logger: Logger(label: "spindle"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run(shutdownOnSignals: true) }
            let ports = try await server.waitUntilListening()
            let fleet = try DemoFleet(basePort: basePort, otlpEndpoint: "http://127.0.0.1:\(ports.otlpHTTP)/v1/traces")
            do {
                try await fleet.waitUntilServing()
                // Written at once, unbuffered, so it shows even when stdout is a pipe.
                FileHandle.standardOutput.write(Data("""
                    Spindle demo: five services are sending traces.
                      UI:       http://127.0.0.1:\(ports.http)/
                      frontend: http://127.0.0.1:\(basePort)/
                    Ctrl-C stops it.

                    """.utf8))
                let load = DemoLoad(frontend: "http://127.0.0.1:\(basePort)", rate: rate, requests: requests)
                group.addTask {
                    await load.run()
                    if requests > 0 {
                        // Give the services' batch exporters time to send, then stop.
                        await fleet.stop()
                        await server.shutdown()
                    }
                }
                try await group.next()
            } catch {
                await fleet.stop()
                throw error
            }
            group.cancelAll()
            await fleet.stop()
        }
    }
}

/// The demo's services, each a `spindle demo-service` child process.
final class DemoFleet: Sendable {
    private let processes: [Process]
    private let basePort: Int

    init(basePort: Int, otlpEndpoint: String) throws {
        self.basePort = basePort
        guard let executable = Bundle.main.executableURL else {
            throw ValidationError("cannot find the spindle executable to start the demo's services")
        }
        var started: [Process] = []
        for (index, service) in DemoTopology.Service.allCases.enumerated() {
            let process = Process()
            process.executableURL = executable
            process.arguments = [
                "demo-service", "--service", service.rawValue, "--base-port", String(basePort),
                "--otlp-endpoint", otlpEndpoint, "--seed", String(index + 1),
            ]
            do {
                try process.run()
            } catch {
                for running in started { running.terminate() }
                throw error
            }
            started.append(process)
        }
        processes = started
    }

    /// Waits until every service answers `/health`, or fails after 30 seconds.
    func waitUntilServing() async throws {
        for service in DemoTopology.Service.allCases {
            let url = "http://127.0.0.1:\(service.port(base: basePort))/health"
            var attempts = 0
            while true {
                if let process = processes.first(where: { !$0.isRunning }) {
                    throw ValidationError("a demo service exited with status \(process.terminationStatus) (is port \(basePort)–\(basePort + 4) free?)")
                }
                if let response = try? await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(1)),
                   response.status == .ok {
                    break
                }
                attempts += 1
                guard attempts < 300 else { throw ValidationError("the \(service.rawValue) service did not start within 30 s") }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    /// Asks each service to stop (SIGTERM: it flushes its spans) and waits for it.
    func stop() async {
        for process in processes where process.isRunning { process.terminate() }
        for process in processes {
            var waited = 0
            while process.isRunning, waited < 100 {
                try? await Task.sleep(for: .milliseconds(100))
                waited += 1
            }
        }
    }
}

/// Sends the frontend a steady mix of requests.
struct DemoLoad: Sendable {
    let frontend: String
    let rate: Double
    let requests: Int

    func run() async {
        var dice = DemoDice(seed: 42)
        let total = DemoTopology.requests.reduce(0) { $0 + $1.weight }
        let interval = Duration.nanoseconds(Int64(1e9 / rate))
        await withTaskGroup(of: Void.self) { group in
            var sent = 0
            while !Task.isCancelled, requests == 0 || sent < requests {
                var pick = dice.pick(total)
                let choice = DemoTopology.requests.first { entry in
                    pick -= entry.weight
                    return pick < 0
                } ?? DemoTopology.requests[0]
                let path = choice.path.replacingOccurrences(of: "{id}", with: String(1 + dice.pick(50)))
                var request = HTTPClientRequest(url: frontend + path)
                request.method = choice.method == "POST" ? .POST : .GET
                group.addTask {
                    _ = try? await HTTPClient.shared.execute(request, timeout: .seconds(30))
                }
                sent += 1
                try? await Task.sleep(for: interval)
            }
            await group.waitForAll()
        }
    }
}
