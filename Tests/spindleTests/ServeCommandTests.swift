import ArgumentParser
import Foundation
import SpindleCollector
import SpindleServer
import Testing

@testable import spindle

@Suite struct ServeCommandTests {
    private func configuration(_ arguments: [String]) throws -> SpindleServerConfiguration {
        let command = try ServeCommand.parse(arguments)
        return try command.serverConfiguration()
    }

    @Test func withoutFlags_theDefaultsApply() throws {
        #expect(try configuration([]) == SpindleServerConfiguration())
    }

    @Test func aFlagGiven_winsOverTheFile_andTheFileWinsOverTheDefaults() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("spindle-serve-\(UUID().uuidString).yaml")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data("""
            server:
              http_port: 26686
              otlp_http_port: 14318
            span_metrics:
              max_series: 500
            limits:
              max_spans_per_trace: 10
            tail_sampling:
              policies:
                - name: errors
                  type: error
            """.utf8).write(to: file)
        let configuration = try configuration(["--config", file.path, "--http-port", "9999", "--max-spans-per-trace", "0", "--redaction", "off"])
        #expect(configuration.httpPort == 9999)
        #expect(configuration.otlpHTTPPort == 14318)
        #expect(configuration.spanMetrics?.maxSeries == 500)
        #expect(configuration.limits.maxSpansPerTrace == nil)
        #expect(configuration.tailSampling?.policies == [TailSamplingPolicy(name: "errors", rule: .error)])
        #expect(configuration.redaction.isEnabled == false)
        #expect(try self.configuration(["--config", file.path, "--span-metrics", "off"]).spanMetrics == nil)
    }

    @Test func aBadFile_isRefusedWithItsNameAndLine() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("spindle-serve-\(UUID().uuidString).yaml")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data("limits:\n  max_spans_per_trac: 5\n".utf8).write(to: file)
        #expect(throws: SpindleServerError.self) { try configuration(["--config", file.path]) }
        do {
            _ = try configuration(["--config", file.path])
        } catch let error as SpindleServerError {
            #expect(error.message.hasPrefix("\(file.path), line 2: unknown key limits.max_spans_per_trac; the keys here are: "))
        }
    }

    // MARK: ClickHouse and roles

    @Test func clickHouseFlags_setEveryField_andURLsSplitOnCommas() throws {
        let command = try ServeCommand.parse([
            "--storage", "clickhouse", "--clickhouse-url", "http://a:8123,http://b:8123", "--clickhouse-url", "http://c:8123",
            "--clickhouse-database", "traces", "--clickhouse-user", "spindle", "--clickhouse-cluster", "main", "--role", "collector",
        ])
        let configuration = try command.serverConfiguration(environment: [:])
        #expect(configuration.storage == .clickhouse)
        #expect(configuration.role == .collector)
        #expect(configuration.clickHouse == ClickHouseSettings(urls: ["http://a:8123", "http://b:8123", "http://c:8123"], database: "traces", user: "spindle", password: "", cluster: "main"))
    }

    @Test func thePassword_comesFromTheFlag_theFile_orTheEnvironment_inThatOrder() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("spindle-pw-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data("from 'file\"\r\n".utf8).write(to: file)
        let environment = [ClickHouseSettings.passwordEnvironmentVariable: "from env"]
        func password(_ arguments: [String], _ environment: [String: String]) throws -> String {
            try ServeCommand.parse(["--storage", "clickhouse"] + arguments).serverConfiguration(environment: environment).clickHouse.password
        }
        #expect(try password(["--clickhouse-password", "from flag"], environment) == "from flag")
        #expect(try password(["--clickhouse-password-file", file.path], environment) == "from 'file\"")
        #expect(try password([], environment) == "from env")
        #expect(try password([], [:]) == "")
        #expect(throws: ValidationError.self) { try password(["--clickhouse-password", "a", "--clickhouse-password-file", file.path], [:]) }
        do {
            _ = try password(["--clickhouse-password-file", file.path + "-missing"], [:])
            Issue.record("a missing password file was accepted")
        } catch let error as ValidationError {
            #expect(error.message == "cannot read --clickhouse-password-file \(file.path)-missing; give a readable file holding the password")
        }
    }

    @Test func thePassword_isNeverInTheSettingsDescription() throws {
        let configuration = try ServeCommand.parse(["--storage", "clickhouse", "--clickhouse-password", "hunter2-secret"]).serverConfiguration(environment: [:])
        #expect(configuration.clickHouse.description == "ClickHouse http://127.0.0.1:8123 database spindle user default (with a password)")
        #expect(!String(describing: configuration.clickHouse).contains("hunter2"))
    }

    @Test func roles_thatNeedASharedStore_orCollectors_areRefusedWithTheReason() throws {
        func message(_ arguments: [String]) throws -> String? {
            let configuration = try ServeCommand.parse(arguments).serverConfiguration(environment: [:])
            do {
                try configuration.validate()
                return nil
            } catch {
                return error.message
            }
        }
        #expect(try message(["--role", "query"]) == "--role query shares its store with the other roles, so it needs --storage clickhouse (the native store belongs to one process; use --role all)")
        #expect(try message(["--role", "router"]) == "--role router needs --forward-to: the OTLP/HTTP URLs of its collectors (http://host:4318, comma-separated)")
        #expect(try message(["--role", "router", "--forward-to", "10.0.0.5:4318"]) == "--forward-to \"10.0.0.5:4318\" is not an HTTP URL; give a collector's OTLP/HTTP base URL such as http://10.0.0.5:4318")
        #expect(try message(["--forward-to", "http://a:4318"]) == "--forward-to is for --role router; this process has role all")
        #expect(try message(["--storage", "clickhouse", "--clickhouse-url", "http://user:pw@a:8123"]) == "--clickhouse-url must not carry credentials; pass --clickhouse-user and the password by --clickhouse-password-file or SPINDLE_CLICKHOUSE_PASSWORD")
        #expect(try message(["--storage", "clickhouse", "--clickhouse-url", "a:8123"]) == "--clickhouse-url \"a:8123\" is not an HTTP URL; give the server's HTTP interface, e.g. http://127.0.0.1:8123")
        #expect(try message(["--role", "router", "--forward-to", "http://a:4318,http://b:4318"]) == nil)
        #expect(try message(["--role", "collector", "--storage", "clickhouse"]) == nil)
    }
}
