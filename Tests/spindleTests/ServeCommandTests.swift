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
}
