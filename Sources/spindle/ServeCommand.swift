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

    @Option(help: ArgumentHelp("A YAML file with every setting (docs/configuration.md): tail sampling, span metrics, alerts, limits, redaction rules and everything the flags set. A flag given here wins over the file.", valueName: "file"))
    var config: String?

    @Option(help: "The interface to listen on (an IP address, or localhost). (default: 127.0.0.1)")
    var host: String?

    @Option(name: .customLong("otlp-grpc-port"), help: "OTLP/gRPC port (TraceService/Export). (default: 4317)")
    var otlpGRPCPort: Int?

    @Option(name: .customLong("otlp-http-port"), help: "OTLP/HTTP port (POST /v1/traces). (default: 4318)")
    var otlpHTTPPort: Int?

    @Option(name: .customLong("zipkin-port"), help: "Zipkin port (POST /api/v2/spans). (default: 9411)")
    var zipkinPort: Int?

    @Option(name: .customLong("http-port"), help: "UI, API and /metrics port. (default: 16686)")
    var httpPort: Int?

    @Option(name: .customLong("tempo-port"), help: "Tempo API port. (default: 3200)")
    var tempoPort: Int?

    @Option(name: .customLong("data-dir"), help: "Where the native storage engine keeps its files. (default: ./spindle-data)")
    var dataDir: String?

    @Option(help: "Where spans are stored: native (the embedded engine under --data-dir), memory (bounded by --memory-max-spans, lost on exit) or clickhouse (--clickhouse-url; docs/scale-out.md). (default: native)")
    var storage: StorageOption?

    @Option(name: .customLong("clickhouse-url"), parsing: .singleValue, help: ArgumentHelp("With --storage clickhouse: a ClickHouse HTTP interface (http://host:8123). Repeat it, or separate with commas: fallbacks holding the same database, or with --clickhouse-cluster one per shard. (default: http://127.0.0.1:8123)", valueName: "url"))
    var clickHouseURLs: [String] = []

    @Option(name: .customLong("clickhouse-database"), help: "With --storage clickhouse: the database Spindle creates and uses. (default: spindle)")
    var clickHouseDatabase: String?

    @Option(name: .customLong("clickhouse-user"), help: "With --storage clickhouse: the user. (default: default)")
    var clickHouseUser: String?

    @Option(name: .customLong("clickhouse-password"), help: "With --storage clickhouse: the password. Other users of this machine can read a command line: prefer --clickhouse-password-file or the SPINDLE_CLICKHOUSE_PASSWORD environment variable. Never logged.")
    var clickHousePassword: String?

    @Option(name: .customLong("clickhouse-password-file"), help: "With --storage clickhouse: a file holding the password (one trailing newline is ignored). Never logged.")
    var clickHousePasswordFile: String?

    @Option(name: .customLong("clickhouse-cluster"), help: "With --storage clickhouse: a cluster named in the servers' remote_servers; spans are sharded by trace ID over Distributed tables (docs/scale-out.md).")
    var clickHouseCluster: String?

    @Option(help: "What this process does: all (ingest, store and serve queries), collector (ingest and store), query (UI and APIs), or router (forward spans to --forward-to collectors by trace ID). collector and query need --storage clickhouse. See docs/scale-out.md. (default: all)")
    var role: RoleOption?

    @Option(name: .customLong("forward-to"), parsing: .singleValue, help: ArgumentHelp("With --role router: a collector's OTLP/HTTP base URL (http://host:4318). Repeat it, or separate with commas.", valueName: "url"))
    var forwardTo: [String] = []

    @Option(help: """
        What an acknowledged span survives (native storage): always (fsync before every acknowledgement, \
        concurrent requests share one fsync; survives power loss), interval (the default: fsync every 10ms, or \
        interval:DURATION such as interval:100ms; a crash of the process loses nothing, power loss about the last interval (plus one fsync) \
        interval), or never (the OS writes back when it likes; a process crash still loses nothing).
        """)
    var fsync: String?

    @Option(help: "Delete blocks whose newest span is older than this (e.g. 7d, 36h, 90m; 0 keeps everything). (default: 7d)")
    var retention: String?

    @Option(name: .customLong("max-disk"), help: "Delete the oldest blocks past this many bytes on disk (e.g. 50GiB; 0 for no bound). (default: 0)")
    var maxDisk: String?

    @Option(
        name: .customLong("max-body-size"),
        help: "The largest request body, measured after decompression (bytes, or with a unit: 64MiB, 512KiB, 1GiB; KB/MB/GB are powers of 1000). (default: 64MiB)"
    )
    var maxBodySize: String?

    @Option(
        name: .customLong("max-bytes-in-flight"),
        help: "Bytes of requests accepted but not yet stored before clients are told to retry later (same units as --max-body-size). (default: 256MiB)"
    )
    var maxBytesInFlight: String?

    @Option(name: .customLong("memory-max-spans"), help: "The memory store's bound, in spans; the oldest are evicted past it. (default: 1000000)")
    var memoryMaxSpans: Int?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical. Logs go to standard error. (default: info)")
    var logLevel: LogLevelOption?

    @Option(name: .customLong("ui-dir"), help: ArgumentHelp("Serve the web UI from this directory instead of the built-in copy (for working on the UI).", visibility: .hidden))
    var uiDirectory: String?

    @Option(help: "Redact secrets (secret-named keys, bearer tokens, JWTs, card numbers, emails, URL credentials) before storing: on (the default) or off. See docs/redaction.md. (default: on)")
    var redaction: Switch?

    @Option(name: .customLong("redaction-action"), help: "What redaction does with a secret: mask (replace it with [REDACTED]), hash (a keyed hash, so equal values still group; needs --redaction-hash-key-file) or drop (remove the attribute). (default: mask)")
    var redactionAction: RedactionActionOption?

    @Option(name: .customLong("redaction-hash-key-file"), help: "A file holding the key of the hash action (at least 16 bytes; one trailing newline is ignored). The key is never logged.")
    var redactionHashKeyFile: String?

    @Option(name: .customLong("span-metrics"), help: "Request, error and latency series and the service graph from every span as it arrives, at /metrics and in the API: on or off (docs/span-metrics.md). (default: on)")
    var spanMetrics: Switch?

    @Option(name: .customLong("max-spans-per-trace"), help: "Spans stored per trace; later ones are rejected and the trace is marked (docs/limits.md). 0 for no limit. (default: 100000)")
    var maxSpansPerTrace: Int?

    @Option(name: .customLong("max-attribute-value-size"), help: "String and bytes values longer than this are cut (same units as --max-body-size; 0 for no limit). (default: 32KiB)")
    var maxAttributeValueSize: String?

    /// `on` or `off`, for the features that have a switch.
    enum Switch: String, ExpressibleByArgument, CaseIterable {
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
        case clickhouse
    }

    enum RoleOption: String, ExpressibleByArgument, CaseIterable {
        case all
        case collector
        case query
        case router
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
        for (flag, value) in [("--max-body-size", maxBodySize), ("--max-disk", maxDisk), ("--max-bytes-in-flight", maxBytesInFlight), ("--max-attribute-value-size", maxAttributeValueSize)] {
            if let value, ByteCount.parse(value) == nil {
                throw ValidationError("\(flag) \"\(value)\" is not a size; write bytes (67108864) or a size with a unit (64MiB)")
            }
        }
        if let fsync, DurationText.parseFsync(fsync) == nil {
            throw ValidationError("--fsync \"\(fsync)\" is not a mode; use always, interval, interval:DURATION (interval:50ms) or never")
        }
        if let retention, DurationText.parse(retention) == nil {
            throw ValidationError("--retention \"\(retention)\" is not a duration; write a number with a unit: 7d, 36h, 90m, 30s (0 keeps everything)")
        }
        if let maxSpansPerTrace, maxSpansPerTrace < 0 {
            throw ValidationError("--max-spans-per-trace must be 0 (no limit) or more, not \(maxSpansPerTrace)")
        }
        if redactionAction == .hash, redactionHashKeyFile == nil, redaction != .off, config == nil {
            throw ValidationError("--redaction-action hash needs a key: pass --redaction-hash-key-file PATH (a file of at least 16 bytes)")
        }
    }

    /// The hash key file's bytes, less one trailing newline. Errors name the file, never its contents.
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

    /// Values of a repeatable flag, each of which may hold several separated by commas.
    static func commaSeparated(_ values: [String]) -> [String] {
        values.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// The ClickHouse password from, in order, --clickhouse-password,
    /// --clickhouse-password-file, then the environment; nil when none gives one (the
    /// configuration file's `password_file` then stands).
    func clickHousePassword(environment: [String: String]) throws -> String? {
        if clickHousePassword != nil, clickHousePasswordFile != nil {
            throw ValidationError("give the ClickHouse password once: --clickhouse-password or --clickhouse-password-file, not both")
        }
        if let clickHousePassword { return clickHousePassword }
        if let clickHousePasswordFile {
            guard let password = ClickHouseSettings.readPassword(path: clickHousePasswordFile) else {
                throw ValidationError("cannot read --clickhouse-password-file \(clickHousePasswordFile); give a readable file holding the password")
            }
            return password
        }
        return environment[ClickHouseSettings.passwordEnvironmentVariable]
    }

    /// The server configuration: the defaults, then the configuration file if one is
    /// given, then every flag given on the command line (and the environment's
    /// ClickHouse password).
    func serverConfiguration(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> SpindleServerConfiguration {
        var configuration = SpindleServerConfiguration()
        if let config {
            configuration = try ConfigFile.load(path: config)
        }
        if let host { configuration.host = host }
        if let otlpGRPCPort { configuration.otlpGRPCPort = otlpGRPCPort }
        if let otlpHTTPPort { configuration.otlpHTTPPort = otlpHTTPPort }
        if let zipkinPort { configuration.zipkinPort = zipkinPort }
        if let httpPort { configuration.httpPort = httpPort }
        if let tempoPort { configuration.tempoPort = tempoPort }
        if let dataDir { configuration.dataDir = dataDir }
        if let storage { configuration.storage = SpindleServerConfiguration.Storage(rawValue: storage.rawValue) ?? .native }
        if let role { configuration.role = SpindleServerConfiguration.Role(rawValue: role.rawValue) ?? .all }
        let forwardTo = Self.commaSeparated(self.forwardTo)
        if !forwardTo.isEmpty { configuration.forwardTo = forwardTo }
        let urls = Self.commaSeparated(clickHouseURLs)
        if !urls.isEmpty { configuration.clickHouse.urls = urls }
        if let clickHouseDatabase { configuration.clickHouse.database = clickHouseDatabase }
        if let clickHouseUser { configuration.clickHouse.user = clickHouseUser }
        if let clickHouseCluster { configuration.clickHouse.cluster = clickHouseCluster }
        if let password = try clickHousePassword(environment: environment) { configuration.clickHouse.password = password }
        if let fsync, let policy = DurationText.parseFsync(fsync) { configuration.fsync = policy }
        if let retention, let duration = DurationText.parse(retention) { configuration.retention = duration == .zero ? nil : duration }
        if let maxDisk, let bytes = ByteCount.parse(maxDisk) { configuration.maxDiskBytes = bytes == 0 ? nil : bytes }
        if let memoryMaxSpans { configuration.memoryMaxSpans = memoryMaxSpans }
        if let maxBodySize, let bytes = ByteCount.parse(maxBodySize) { configuration.maxBodyBytes = bytes }
        if let maxBytesInFlight, let bytes = ByteCount.parse(maxBytesInFlight) { configuration.maxBytesInFlight = bytes }
        if let logLevel { configuration.logLevel = logLevel.level }
        if let uiDirectory { configuration.uiDirectory = uiDirectory }
        if let maxSpansPerTrace { configuration.limits.maxSpansPerTrace = maxSpansPerTrace == 0 ? nil : maxSpansPerTrace }
        if let maxAttributeValueSize, let bytes = ByteCount.parse(maxAttributeValueSize) {
            configuration.limits.maxAttributeValueBytes = bytes == 0 ? nil : bytes
        }
        if spanMetrics == .off { configuration.spanMetrics = nil }
        if spanMetrics == .on, configuration.spanMetrics == nil { configuration.spanMetrics = SpanMetricsConfiguration() }
        if redaction == .off { configuration.redaction = .disabled }
        if redaction == .on { configuration.redaction.isEnabled = true }
        if let redactionAction { configuration.redaction.defaultAction = RedactionAction(rawValue: redactionAction.rawValue) ?? .mask }
        if let redactionHashKeyFile { configuration.redaction.hashKey = try Self.readHashKey(redactionHashKeyFile) }
        if configuration.redaction.isEnabled, configuration.redaction.defaultAction == .hash, configuration.redaction.hashKey == nil {
            throw ValidationError("the hash redaction action needs a key: pass --redaction-hash-key-file PATH or set redaction.hash_key_file in the configuration file")
        }
        return configuration
    }

    func run() async throws {
        let configuration = try serverConfiguration()
        let level = configuration.logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let server = try await SpindleServer.open(configuration: configuration, logger: Logger(label: "spindle"))
        try await server.run(shutdownOnSignals: true)
    }
}
