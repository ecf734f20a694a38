import ArgumentParser
import Logging
import SpindleServer

/// `spindle serve`: collect spans from any OpenTelemetry or Zipkin client and store them.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Collect spans over OTLP (gRPC and HTTP) and Zipkin, store them, and serve them.",
        discussion: """
            Listens on 127.0.0.1 by default; pass --host 0.0.0.0 to accept other machines. \
            A port of 0 picks any free port; the log says which ports were bound. \
            SIGTERM or SIGINT stops accepting, finishes the requests in progress, stores what \
            was accepted and exits 0.
            """
    )

    @Option(help: "The interface to listen on (an IP address, or localhost).")
    var host = "127.0.0.1"

    @Option(name: .customLong("otlp-grpc-port"), help: "OTLP/gRPC port (TraceService/Export).")
    var otlpGRPCPort = 4317

    @Option(name: .customLong("otlp-http-port"), help: "OTLP/HTTP port (POST /v1/traces).")
    var otlpHTTPPort = 4318

    @Option(name: .customLong("zipkin-port"), help: "Zipkin port (POST /api/v2/spans).")
    var zipkinPort = 9411

    @Option(name: .customLong("http-port"), help: "UI, API and /metrics port.")
    var httpPort = 16686

    @Option(name: .customLong("tempo-port"), help: "Tempo API port.")
    var tempoPort = 3200

    @Option(name: .customLong("data-dir"), help: "Where the native storage engine keeps its files.")
    var dataDir = "./spindle-data"

    @Option(help: "Where spans are stored: memory (bounded by --memory-max-spans, lost on exit) or native (not available yet).")
    var storage: StorageOption = .memory

    @Option(
        name: .customLong("max-body-size"),
        help: "The largest request body, measured after decompression (bytes, or with a unit: 64MiB, 512KiB, 1GiB; KB/MB/GB are powers of 1000)."
    )
    var maxBodySize = "64MiB"

    @Option(
        name: .customLong("max-bytes-in-flight"),
        help: "Bytes of requests accepted but not yet stored before clients are told to retry later (same units as --max-body-size)."
    )
    var maxBytesInFlight = "256MiB"

    @Option(name: .customLong("memory-max-spans"), help: "The memory store's bound, in spans; the oldest are evicted past it.")
    var memoryMaxSpans = 1_000_000

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical. Logs go to standard error.")
    var logLevel: LogLevelOption = .info

    enum StorageOption: String, ExpressibleByArgument, CaseIterable {
        case memory
        case native
    }

    struct LogLevelOption: ExpressibleByArgument {
        var level: Logger.Level
        static let info = LogLevelOption(level: .info)

        init(level: Logger.Level) {
            self.level = level
        }

        init?(argument: String) {
            guard let level = Logger.Level(rawValue: argument.lowercased()) else { return nil }
            self.level = level
        }

        var defaultValueDescription: String { level.rawValue }
        static var allValueStrings: [String] { Logger.Level.allCases.map(\.rawValue) }
    }

    func validate() throws {
        guard ByteCount.parse(maxBodySize) != nil else {
            throw ValidationError("--max-body-size \"\(maxBodySize)\" is not a size; write bytes (67108864) or a size with a unit (64MiB)")
        }
        guard ByteCount.parse(maxBytesInFlight) != nil else {
            throw ValidationError("--max-bytes-in-flight \"\(maxBytesInFlight)\" is not a size; write bytes (268435456) or a size with a unit (256MiB)")
        }
    }

    /// The server configuration these flags describe.
    func serverConfiguration() throws -> SpindleServerConfiguration {
        guard let maxBodyBytes = ByteCount.parse(maxBodySize), let maxBytesInFlight = ByteCount.parse(maxBytesInFlight) else {
            throw ValidationError("--max-body-size and --max-bytes-in-flight take sizes such as 64MiB")
        }
        return SpindleServerConfiguration(
            host: host,
            otlpGRPCPort: otlpGRPCPort,
            otlpHTTPPort: otlpHTTPPort,
            zipkinPort: zipkinPort,
            httpPort: httpPort,
            tempoPort: tempoPort,
            dataDir: dataDir,
            storage: storage == .native ? .native : .memory,
            memoryMaxSpans: memoryMaxSpans,
            maxBodyBytes: maxBodyBytes,
            maxBytesInFlight: maxBytesInFlight,
            logLevel: logLevel.level
        )
    }

    func run() async throws {
        let configuration = try serverConfiguration()
        let level = configuration.logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let server = try SpindleServer(configuration: configuration, logger: Logger(label: "spindle"))
        try await server.run(shutdownOnSignals: true)
    }
}
