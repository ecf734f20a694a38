import Foundation
import Logging
public import SpindleCollector
import Yams

/// `spindle serve --config FILE`: a YAML file with every setting of the server and its
/// pipeline (`docs/configuration.md`). Flags given on the command line win over the file.
///
/// Top-level sections: `server`, `storage`, `redaction`, `limits`, `tail_sampling`,
/// `span_metrics`, `alerts`, `live_tail`. An unknown key anywhere, a value of the wrong kind or one out
/// of range is refused with the file's name, the line and the key's path.
public enum ConfigFile {
    /// The configuration in the file at `path`, starting from `base` (the defaults).
    public static func load(path: String, base: SpindleServerConfiguration = SpindleServerConfiguration()) throws(SpindleServerError) -> SpindleServerConfiguration {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SpindleServerError(.invalidConfiguration, "cannot read the configuration file \(path); give a readable YAML file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw SpindleServerError(.invalidConfiguration, "the configuration file \(path) is not UTF-8 text")
        }
        return try parse(text, name: path, base: base, directory: (path as NSString).deletingLastPathComponent)
    }

    /// The configuration `text` describes; `name` is how errors refer to it, and relative
    /// file paths in it (`hash_key_file`) are read from `directory`.
    public static func parse(_ text: String, name: String = "the configuration", base: SpindleServerConfiguration = SpindleServerConfiguration(), directory: String = ".") throws(SpindleServerError) -> SpindleServerConfiguration {
        do throws(ConfigFileError) {
            let root: Node?
            do {
                root = try Yams.compose(yaml: text)
            } catch let error as YamlError {
                throw ConfigFileError(line: nil, "is not valid YAML: \(error)")
            } catch {
                throw ConfigFileError(line: nil, "is not valid YAML: \(error)")
            }
            guard let root else { return base }
            var reader = Reader(configuration: base, directory: directory)
            try reader.read(try ConfigMapping(root, path: ""))
            return reader.configuration
        } catch {
            let place = error.line.map { "\(name), line \($0)" } ?? name
            throw SpindleServerError(.invalidConfiguration, "\(place): \(error.message)")
        }
    }

    /// Reads the sections into a configuration.
    struct Reader {
        var configuration: SpindleServerConfiguration
        let directory: String

        mutating func read(_ root: ConfigMapping) throws(ConfigFileError) {
            if let server = try root.mapping("server") { try readServer(server) }
            if let storage = try root.mapping("storage") { try readStorage(storage) }
            if let redaction = try root.mapping("redaction") { try readRedaction(redaction) }
            if let limits = try root.mapping("limits") { try readLimits(limits) }
            try readPipelineSections(root)
            try root.finish()
        }

        private mutating func readServer(_ map: ConfigMapping) throws(ConfigFileError) {
            if let value = try map.string("host") { configuration.host = value }
            if let value = try map.int("otlp_grpc_port") { configuration.otlpGRPCPort = value }
            if let value = try map.int("otlp_http_port") { configuration.otlpHTTPPort = value }
            if let value = try map.int("zipkin_port") { configuration.zipkinPort = value }
            if let value = try map.int("http_port") { configuration.httpPort = value }
            if let value = try map.int("tempo_port") { configuration.tempoPort = value }
            if let value = try map.byteCount("max_body_size") { configuration.maxBodyBytes = value }
            if let value = try map.byteCount("max_bytes_in_flight") { configuration.maxBytesInFlight = value }
            if let value = try map.duration("request_read_timeout") { configuration.requestReadTimeout = value }
            if let value = try map.duration("shutdown_timeout") { configuration.shutdownTimeout = value }
            if let value = try map.choice("log_level", Logger.Level.allCases.map { ($0.rawValue, $0) }) { configuration.logLevel = value }
            if let value = try map.choice("role", SpindleServerConfiguration.Role.allCases.map { ($0.rawValue, $0) }) { configuration.role = value }
            if let value = try map.strings("forward_to") { configuration.forwardTo = value }
            try map.finish()
        }

        private mutating func readStorage(_ map: ConfigMapping) throws(ConfigFileError) {
            if let value = try map.choice("kind", SpindleServerConfiguration.Storage.allCases.map { ($0.rawValue, $0) }) { configuration.storage = value }
            if let value = try map.string("data_dir") { configuration.dataDir = value }
            if let (text, line) = try map.scalar("fsync") {
                guard let policy = DurationText.parseFsync(text) else {
                    throw ConfigFileError(line: line, "\(map.keyPath("fsync")) \"\(text)\" is not a mode; use always, interval, interval:DURATION (interval:50ms) or never")
                }
                configuration.fsync = policy
            }
            if map.has("retention") {
                let retention = try map.duration("retention")
                configuration.retention = retention == .zero ? nil : retention
            }
            if map.has("max_disk") {
                let bytes = try map.byteCount("max_disk")
                configuration.maxDiskBytes = bytes == 0 ? nil : bytes
            }
            if let value = try map.int("memory_max_spans") { configuration.memoryMaxSpans = value }
            if let clickHouse = try map.mapping("clickhouse") { try readClickHouse(clickHouse) }
            try map.finish()
        }

        /// `storage.clickhouse`. The password comes from a file (`password_file`), never
        /// from the configuration file itself, which is often checked in.
        private mutating func readClickHouse(_ map: ConfigMapping) throws(ConfigFileError) {
            if let value = try map.strings("urls") { configuration.clickHouse.urls = value }
            if let value = try map.string("database") { configuration.clickHouse.database = value }
            if let value = try map.string("user") { configuration.clickHouse.user = value }
            if let value = try map.string("cluster") { configuration.clickHouse.cluster = value }
            if let (file, line) = try map.scalar("password_file") {
                let path = file.hasPrefix("/") || directory.isEmpty ? file : (directory as NSString).appendingPathComponent(file)
                guard let password = ClickHouseSettings.readPassword(path: path) else {
                    throw ConfigFileError(line: line, "cannot read \(map.keyPath("password_file")) \(file); give a readable file holding the password")
                }
                configuration.clickHouse.password = password
            }
            try map.finish()
        }

        private mutating func readRedaction(_ map: ConfigMapping) throws(ConfigFileError) {
            var redaction = configuration.redaction
            let actions = RedactionAction.allCases.map { ($0.rawValue, $0) }
            if let value = try map.bool("enabled") { redaction.isEnabled = value }
            if let value = try map.bool("default_rules") { redaction.usesDefaultRules = value }
            if let value = try map.choice("action", actions) { redaction.defaultAction = value }
            if let perRule = try map.mapping("actions") {
                for rule in perRule.keys {
                    guard let action = try perRule.choice(rule, actions) else { continue }
                    redaction.actions[rule] = action
                }
                try perRule.finish()
            }
            if let value = try map.strings("disable_rules") { redaction.disabledRules = Set(value) }
            if let value = try map.strings("secret_keys") { redaction.extraSecretKeys = value }
            if let value = try map.strings("allow_keys") { redaction.allowedKeys = value }
            if let patterns = try map.list("patterns") {
                redaction.extraPatterns = []
                for (node, path) in patterns {
                    let pattern = try ConfigMapping(node, path: path)
                    guard let name = try pattern.string("name"), let regex = try pattern.string("pattern") else {
                        throw ConfigFileError(line: pattern.line, "\(path) needs a name and a pattern")
                    }
                    try pattern.finish()
                    redaction.extraPatterns.append(RedactionPattern(name: name, pattern: regex))
                }
            }
            if let (file, line) = try map.scalar("hash_key_file") {
                redaction.hashKey = try readHashKey(file, line: line, key: map.keyPath("hash_key_file"))
            }
            try map.finish()
            configuration.redaction = redaction
        }

        /// The key file's bytes, less one trailing newline; errors name the file, never its contents.
        private func readHashKey(_ file: String, line: Int, key: String) throws(ConfigFileError) -> [UInt8] {
            let path = file.hasPrefix("/") || directory.isEmpty ? file : (directory as NSString).appendingPathComponent(file)
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ConfigFileError(line: line, "cannot read \(key) \(file); give a readable file holding the key")
            }
            var bytes = [UInt8](data)
            if bytes.last == UInt8(ascii: "\n") { bytes.removeLast() }
            if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
            guard bytes.count >= RedactionConfiguration.minimumHashKeyBytes else {
                throw ConfigFileError(line: line, "\(key) \(file) holds \(bytes.count) bytes; the key must be at least \(RedactionConfiguration.minimumHashKeyBytes)")
            }
            return bytes
        }

        private mutating func readLimits(_ map: ConfigMapping) throws(ConfigFileError) {
            var limits = configuration.limits
            /// A limit: a number, or `none` (or null) for no limit.
            func limit(_ key: String, _ current: Int?) throws(ConfigFileError) -> Int? {
                guard map.has(key) else { return current }
                if let (text, _) = try map.scalar(key), text.lowercased() == "none" { return nil }
                return try map.int(key)
            }
            func byteLimit(_ key: String, _ current: Int?) throws(ConfigFileError) -> Int? {
                guard map.has(key) else { return current }
                if let (text, _) = try map.scalar(key), text.lowercased() == "none" { return nil }
                return try map.byteCount(key)
            }
            limits.maxAttributesPerSpan = try limit("max_attributes_per_span", limits.maxAttributesPerSpan)
            limits.maxEventsPerSpan = try limit("max_events_per_span", limits.maxEventsPerSpan)
            limits.maxLinksPerSpan = try limit("max_links_per_span", limits.maxLinksPerSpan)
            limits.maxAttributeValueBytes = try byteLimit("max_attribute_value_bytes", limits.maxAttributeValueBytes)
            limits.maxSpansPerTrace = try limit("max_spans_per_trace", limits.maxSpansPerTrace)
            limits.maxSpansPerRequest = try limit("max_spans_per_request", limits.maxSpansPerRequest)
            if let value = try map.int("traces_tracked") { limits.tracesTracked = value }
            do {
                try limits.validate()
            } catch {
                throw ConfigFileError(line: map.line, error.message)
            }
            try map.finish()
            configuration.limits = limits
        }
    }
}
