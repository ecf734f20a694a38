import ArgumentParser
import Foundation
import Logging
import SpindleCollector
import SpindleServer
import SpindleStore

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

    @Option(help: "Where spans are stored: native (the embedded engine under --data-dir) or memory (bounded by --memory-max-spans, lost on exit).")
    var storage: StorageOption = .native

    @Option(help: """
        What an acknowledged span survives (native storage): always (fsync before every acknowledgement, \
        concurrent requests share one fsync; survives power loss), interval (the default: fsync every 10ms, or \
        interval:DURATION such as interval:100ms; a crash of the process loses nothing, power loss about the last interval (plus one fsync) \
        interval), or never (the OS writes back when it likes; a process crash still loses nothing).
        """)
    var fsync = "interval"

    @Option(help: "Delete blocks whose newest span is older than this (e.g. 7d, 36h, 90m; 0 keeps everything).")
    var retention = "7d"

    @Option(name: .customLong("max-disk"), help: "Delete the oldest blocks past this many bytes on disk (e.g. 50GiB; 0 for no bound).")
    var maxDisk = "0"

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

    @Option(name: .customLong("ui-dir"), help: ArgumentHelp("Serve the web UI from this directory instead of the built-in copy (for working on the UI).", visibility: .hidden))
    var uiDirectory: String?

    @Option(help: "Redact secrets (secret-named keys, bearer tokens, JWTs, card numbers, emails, URL credentials) before storing: on (the default) or off. See docs/redaction.md.")
    var redaction: RedactionMode = .on

    @Option(name: .customLong("redaction-action"), help: "What redaction does with a secret: mask (replace it with [REDACTED]), hash (a keyed hash, so equal values still group; needs --redaction-hash-key-file) or drop (remove the attribute).")
    var redactionAction: RedactionActionOption = .mask

    @Option(name: .customLong("redaction-hash-key-file"), help: "A file holding the key of the hash action (at least 16 bytes; one trailing newline is ignored). The key is never logged.")
    var redactionHashKeyFile: String?

    enum RedactionMode: String, ExpressibleByArgument, CaseIterable {
        case on
        case off
    }

    enum RedactionActionOption: String, ExpressibleByArgument, CaseIterable {
        case mask
        case hash
        case drop
    }

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
        guard Self.parseFsync(fsync) != nil else {
            throw ValidationError("--fsync \"\(fsync)\" is not a mode; use always, interval, interval:DURATION (interval:50ms) or never")
        }
        guard Self.parseDuration(retention) != nil else {
            throw ValidationError("--retention \"\(retention)\" is not a duration; write a number with a unit: 7d, 36h, 90m, 30s (0 keeps everything)")
        }
        guard ByteCount.parse(maxDisk) != nil else {
            throw ValidationError("--max-disk \"\(maxDisk)\" is not a size; write bytes or a size with a unit (50GiB); 0 for no bound")
        }
        guard ByteCount.parse(maxBytesInFlight) != nil else {
            throw ValidationError("--max-bytes-in-flight \"\(maxBytesInFlight)\" is not a size; write bytes (268435456) or a size with a unit (256MiB)")
        }
        if redactionAction == .hash, redactionHashKeyFile == nil, redaction == .on {
            throw ValidationError("--redaction-action hash needs a key: pass --redaction-hash-key-file PATH (a file of at least 16 bytes)")
        }
    }

    /// The redaction these flags describe; reads the hash key file.
    func redactionConfiguration() throws -> RedactionConfiguration {
        guard redaction == .on else { return .disabled }
        var configuration = RedactionConfiguration(defaultAction: RedactionAction(rawValue: redactionAction.rawValue) ?? .mask)
        if let path = redactionHashKeyFile {
            configuration.hashKey = try Self.readHashKey(path)
        }
        return configuration
    }

    /// The file's bytes, less one trailing newline. Errors name the file, never its contents.
    static func readHashKey(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationError("cannot read --redaction-hash-key-file \(path); give a readable file holding the key")
        }
        var key = [UInt8](data)
        if key.last == UInt8(ascii: "\n") { key.removeLast() }
        if key.last == UInt8(ascii: "\r") { key.removeLast() }
        guard key.count >= RedactionConfiguration.minimumHashKeyBytes else {
            throw ValidationError("--redaction-hash-key-file \(path) holds \(key.count) bytes; the key must be at least \(RedactionConfiguration.minimumHashKeyBytes)")
        }
        return key
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
            fsync: Self.parseFsync(fsync) ?? .interval(.milliseconds(10)),
            retention: Self.parseDuration(retention).flatMap { $0 == .zero ? nil : $0 },
            maxDiskBytes: ByteCount.parse(maxDisk).flatMap { $0 == 0 ? nil : $0 },
            memoryMaxSpans: memoryMaxSpans,
            maxBodyBytes: maxBodyBytes,
            maxBytesInFlight: maxBytesInFlight,
            logLevel: logLevel.level,
            uiDirectory: uiDirectory,
            redaction: try redactionConfiguration()
        )
    }

    /// `always`, `never`, `interval` (10ms) or `interval:DURATION`.
    static func parseFsync(_ text: String) -> FsyncPolicy? {
        switch text.lowercased() {
        case "always": return .always
        case "never": return .never
        case "interval": return .interval(.milliseconds(10))
        default:
            guard text.lowercased().hasPrefix("interval:"), let duration = parseDuration(String(text.dropFirst(9))), duration > .zero else { return nil }
            return .interval(duration)
        }
    }

    /// A whole number with a unit: ms, s, m, h or d (`0` alone is zero).
    static func parseDuration(_ text: String) -> Duration? {
        if text == "0" { return .zero }
        let units: [(String, Int64)] = [("ms", 1), ("s", 1_000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000)]
        for (unit, milliseconds) in units where text.hasSuffix(unit) {
            let number = text.dropLast(unit.count)
            // "ms" also ends in "s": a number must be all digits.
            guard !number.isEmpty, number.allSatisfy(\.isNumber), let value = Int64(number) else { continue }
            let (total, overflow) = value.multipliedReportingOverflow(by: milliseconds)
            return overflow ? nil : .milliseconds(total)
        }
        return nil
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
