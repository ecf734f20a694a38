import Foundation
import SpindleCollector
import Testing
@testable import SpindleServer

@Suite struct ConfigFileTests {
    private func parse(_ text: String, directory: String = ".") throws(SpindleServerError) -> SpindleServerConfiguration {
        try ConfigFile.parse(text, name: "spindle.yaml", directory: directory)
    }

    private func error(_ text: String) -> String? {
        do {
            _ = try parse(text)
            return nil
        } catch {
            return error.message
        }
    }

    @Test func anEmptyFile_givesTheDefaults() throws {
        #expect(try parse("") == SpindleServerConfiguration())
        #expect(try parse("# nothing but a comment\n") == SpindleServerConfiguration())
    }

    @Test func everyServerStorageAndLimitsKey_isRead() throws {
        let configuration = try parse("""
            server:
              host: 0.0.0.0
              otlp_grpc_port: 14317
              otlp_http_port: 14318
              zipkin_port: 19411
              http_port: 26686
              tempo_port: 13200
              max_body_size: 8MiB
              max_bytes_in_flight: 1GiB
              request_read_timeout: 1m30s
              shutdown_timeout: 5s
              log_level: debug
            storage:
              kind: memory
              data_dir: /var/lib/spindle
              fsync: interval:50ms
              retention: 36h
              max_disk: 50GiB
              memory_max_spans: 2_000_000
            limits:
              max_attributes_per_span: 128
              max_events_per_span: none
              max_links_per_span: 64
              max_attribute_value_bytes: 4KiB
              max_spans_per_trace: 5000
              max_spans_per_request: ~
              traces_tracked: 1000
            """)
        var expected = SpindleServerConfiguration(
            host: "0.0.0.0", otlpGRPCPort: 14317, otlpHTTPPort: 14318, zipkinPort: 19411, httpPort: 26686, tempoPort: 13200,
            dataDir: "/var/lib/spindle", storage: .memory, fsync: .interval(.milliseconds(50)), retention: .seconds(36 * 3600),
            maxDiskBytes: 50 << 30, memoryMaxSpans: 2_000_000, maxBodyBytes: 8 << 20, maxBytesInFlight: 1 << 30,
            requestReadTimeout: .seconds(90), shutdownTimeout: .seconds(5), logLevel: .debug
        )
        expected.limits = SpanLimits(
            maxAttributesPerSpan: 128, maxEventsPerSpan: nil, maxLinksPerSpan: 64, maxAttributeValueBytes: 4096,
            maxSpansPerTrace: 5000, maxSpansPerRequest: nil, tracesTracked: 1000
        )
        #expect(configuration == expected)
    }

    @Test func redaction_rulesActionsAndAKeyFile_areRead() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("spindle-config-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Data("0123456789abcdef-key\n".utf8).write(to: URL(fileURLWithPath: directory + "/hash.key"))
        let configuration = try parse("""
            redaction:
              action: hash
              hash_key_file: hash.key
              actions:
                email: drop
              disable_rules: [card_number]
              secret_keys: [x-internal-auth]
              allow_keys: [user.email.domain]
              patterns:
                - name: employee_id
                  pattern: 'EMP-[0-9]{6}'
            """, directory: directory)
        let redaction = configuration.redaction
        #expect(redaction.isEnabled)
        #expect(redaction.defaultAction == .hash)
        #expect(redaction.hashKey == Array("0123456789abcdef-key".utf8))
        #expect(redaction.actions == ["email": .drop])
        #expect(redaction.disabledRules == ["card_number"])
        #expect(redaction.extraSecretKeys == ["x-internal-auth"])
        #expect(redaction.allowedKeys == ["user.email.domain"])
        #expect(redaction.extraPatterns == [RedactionPattern(name: "employee_id", pattern: "EMP-[0-9]{6}")])
        #expect(try parse("redaction:\n  enabled: false\n").redaction.isEnabled == false)
    }

    @Test func mistakes_areNamed_withTheLineAndThePath() {
        #expect(error("server:\n  hots: 0.0.0.0\n") == "spindle.yaml, line 2: unknown key server.hots; the keys here are: forward_to, host, http_port, log_level, max_body_size, max_bytes_in_flight, otlp_grpc_port, otlp_http_port, request_read_timeout, role, shutdown_timeout, tempo_port, zipkin_port")
        #expect(error("tail_samplng: {}\n")?.hasPrefix("spindle.yaml, line 1: unknown key tail_samplng; the keys here are: ") == true)
        #expect(error("server:\n  http_port: lots\n") == "spindle.yaml, line 2: server.http_port must be a whole number, not \"lots\"")
        #expect(error("storage:\n  retention: forever\n") == "spindle.yaml, line 2: storage.retention \"forever\" is not a duration; write a number with a unit: 250ms, 10s, 5m, 1h, 7d")
        #expect(error("storage:\n  kind: postgres\n") == "spindle.yaml, line 2: storage.kind \"postgres\" is not one of: memory, native, clickhouse")
        #expect(error("limits:\n  max_spans_per_trace: 0\n") == "spindle.yaml, line 2: limits: max_spans_per_trace must be at least 1, not 0 (none for no limit)")
        #expect(error("server: [1, 2]\n") == "spindle.yaml, line 1: server must be a mapping of keys to values")
        #expect(error("server:\n  host: a\n  host: b\n")?.hasPrefix("spindle.yaml: is not valid YAML: Parser: expected all keys to be unique but found the following duplicated key(s): 'host'") == true)
        #expect(error("redaction:\n  hash_key_file: does-not-exist.key\n") == "spindle.yaml, line 2: cannot read redaction.hash_key_file does-not-exist.key; give a readable file holding the key")
        #expect(error("server:\n  host: [a\n")?.hasPrefix("spindle.yaml: is not valid YAML: ") == true)
    }

    @Test func tailSampling_policiesOfEveryType_areRead() throws {
        let configuration = try parse("""
            tail_sampling:
              decision_wait: 5s
              max_traces: 20000
              decision_cache_size: 0
              policies:
                - name: errors
                  type: error
                - name: slow-checkout
                  type: latency
                  threshold: 2s
                  service: checkout
                - name: gold
                  type: attribute
                  key: customer.tier
                  one_of: [gold, platinum]
                  in: resource
                - name: big-orders
                  type: attribute
                  key: order.total
                  min: 1000
                - name: some
                  type: probabilistic
                  percentage: 10
                - name: per-service
                  type: rate_limit
                  traces_per_second: 5
                - name: slow-and-not-health
                  type: and
                  rules:
                    - type: latency
                      threshold: 500ms
                    - type: not
                      rule:
                        type: attribute
                        key: http.route
                        prefix: /health
            """)
        let sampling = try #require(configuration.tailSampling)
        #expect(sampling.decisionWait == .seconds(5))
        #expect(sampling.maxTraces == 20_000)
        #expect(sampling.decisionCacheSize == 0)
        #expect(sampling.policies == [
            TailSamplingPolicy(name: "errors", rule: .error),
            TailSamplingPolicy(name: "slow-checkout", rule: .latency(.seconds(2), service: "checkout", operation: nil)),
            TailSamplingPolicy(name: "gold", rule: .attribute(.init(key: "customer.tier", .oneOf(["gold", "platinum"]), in: .resource))),
            TailSamplingPolicy(name: "big-orders", rule: .attribute(.init(key: "order.total", .numberIn(1000 ... .infinity)))),
            TailSamplingPolicy(name: "some", rule: .probabilistic(0.1)),
            TailSamplingPolicy(name: "per-service", rule: .rateLimit(tracesPerSecond: 5, perService: true)),
            TailSamplingPolicy(name: "slow-and-not-health", rule: .and([
                .latency(.milliseconds(500), service: nil, operation: nil),
                .not(.attribute(.init(key: "http.route", .hasPrefix("/health")))),
            ])),
        ])
        #expect(try parse("tail_sampling:\n  enabled: false\n  policies: []\n").tailSampling == nil)
        #expect(try parse("server: {}\n").tailSampling == nil)
    }

    @Test func tailSampling_mistakes_areNamed() {
        #expect(error("tail_sampling:\n  policies:\n    - type: error\n") == "spindle.yaml, line 3: tail_sampling.policies[0] needs a name (it labels the policy's counters)")
        #expect(error("tail_sampling:\n  policies:\n    - name: x\n      type: sometimes\n") == "spindle.yaml, line 4: tail_sampling.policies[0].type \"sometimes\" is not one of: always, error, latency, attribute, probabilistic, rate_limit, and, or, not")
        #expect(error("tail_sampling:\n  policies:\n    - name: x\n      type: attribute\n      key: k\n") == "spindle.yaml, line 3: tail_sampling.policies[0] (attribute) needs exactly one test: exists, equals, one_of, prefix, min/max or bool")
        #expect(error("tail_sampling:\n  policies:\n    - name: x\n      type: probabilistic\n      percentage: 150\n")?.hasPrefix("spindle.yaml, line 2: tail_sampling: ") == true)
    }

    @Test func aFileThatCannotBeRead_isNamed() {
        #expect(throws: SpindleServerError.self) { try ConfigFile.load(path: "/nonexistent/spindle.yaml") }
        do throws(SpindleServerError) {
            _ = try ConfigFile.load(path: "/nonexistent/spindle.yaml")
        } catch {
            #expect(error.message == "cannot read the configuration file /nonexistent/spindle.yaml; give a readable YAML file")
        }
    }

    @Test func durations_takeSeveralUnits() {
        #expect(DurationText.parse("1m30s") == .seconds(90))
        #expect(DurationText.parse("250ms") == .milliseconds(250))
        #expect(DurationText.parse("7d") == .seconds(7 * 86_400))
        #expect(DurationText.parse("0") == .zero)
        #expect(DurationText.parse("") == nil)
        #expect(DurationText.parse("5") == nil)
        #expect(DurationText.parse("1.5s") == nil)
        #expect(DurationText.parse("99999999999999999999d") == nil)
    }

    @Test func clickHouseStorage_roleAndRouterTargets_areRead_thePasswordFromAFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("spindle-conf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try Data("p@ss word\n".utf8).write(to: directory.appendingPathComponent("ch-password"))
        let configuration = try parse("""
            server:
              role: query
            storage:
              kind: clickhouse
              clickhouse:
                urls: [http://ch1:8123, http://ch2:8123]
                database: traces
                user: spindle
                cluster: main
                password_file: ch-password
            """, directory: directory.path)
        #expect(configuration.role == .query)
        #expect(configuration.storage == .clickhouse)
        #expect(configuration.clickHouse == ClickHouseSettings(urls: ["http://ch1:8123", "http://ch2:8123"], database: "traces", user: "spindle", password: "p@ss word", cluster: "main"))
        let router = try parse("server:\n  role: router\n  forward_to: [http://c1:4318, http://c2:4318]\n")
        #expect(router.role == .router)
        #expect(router.forwardTo == ["http://c1:4318", "http://c2:4318"])
        #expect(error("storage:\n  clickhouse:\n    password: inline\n")?.hasPrefix("spindle.yaml, line 3: unknown key storage.clickhouse.password; the keys here are: ") == true)
        #expect(error("storage:\n  clickhouse:\n    password_file: no-such-file\n") == "spindle.yaml, line 3: cannot read storage.clickhouse.password_file no-such-file; give a readable file holding the password")
        #expect(error("server:\n  role: leader\n")?.hasPrefix("spindle.yaml, line 2: server.role") == true)
    }
}
