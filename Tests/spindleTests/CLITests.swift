import ArgumentParser
import Foundation
import SpindleModel
import SpindleWire
import Testing

@testable import spindle

private let fixtures = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("SpindleWireTests/Fixtures")

@Suite struct CLITests {
    @Test func help_listsEverySubcommand() {
        let help = SpindleCommand.helpMessage()
        for name in ["serve", "convert", "inspect", "bench"] {
            #expect(help.contains(name), "--help does not list \(name)")
        }
    }

    @Test func formats_areGuessedFromFileNames() {
        #expect(PayloadFormat(fileName: "a.binpb") == .otlpProto)
        #expect(PayloadFormat(fileName: "spans.zipkin.json") == .zipkin)
        #expect(PayloadFormat(fileName: "python-zipkin.json") == .zipkin)
        #expect(PayloadFormat(fileName: "request.json") == .otlpJSON)
        #expect(PayloadFormat(fileName: "request.txt") == nil)
    }

    @Test func convert_protobufToJSONAndBack_losesNothing() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("spindle-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let json = directory.appendingPathComponent("out.json").path
        let proto = directory.appendingPathComponent("back.binpb").path

        var toJSON = try SpindleCommand.parseAsRoot(["convert", fixtures.appendingPathComponent("python-otlp.binpb").path, "-o", json])
        try toJSON.run()
        var toProto = try SpindleCommand.parseAsRoot(["convert", json, "-o", proto])
        try toProto.run()

        let original = try OTLPProtobuf.decodeExportRequest(Array(try Data(contentsOf: fixtures.appendingPathComponent("python-otlp.binpb"))))
        let roundTripped = try OTLPProtobuf.decodeExportRequest(Array(try Data(contentsOf: URL(fileURLWithPath: proto))))
        #expect(roundTripped == original)
    }

    @Test func inspect_printsTheSpanTree() throws {
        let batch = try OTLPProtobuf.decodeExportRequest(Array(try Data(contentsOf: fixtures.appendingPathComponent("python-otlp.binpb"))))
        let text = InspectCommand.render(batch)
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.first == "6 spans in 1 resources")
        #expect(lines.contains("trace 5b8efff798038103d269b633813fc60c"))
        #expect(lines.contains("  53995c3f42cd8ad8 checkout: POST /checkout [server] 864.1ms"))
        #expect(lines.contains("    a2fb4a1d1a96d312 checkout: charge-card [client] 450.0ms ERROR card declined"))
        #expect(lines.contains("      00f0e1d2c3b4a596 checkout: authorize [internal] 150.0ms"))
    }

    @Test func convert_namesTheFileAndFieldOfBadInput() throws {
        let bad = FileManager.default.temporaryDirectory.appendingPathComponent("spindle-bad-\(UUID().uuidString).binpb")
        try Data([0x0A, 0x05, 0x12]).write(to: bad)
        defer { try? FileManager.default.removeItem(at: bad) }
        var command = try SpindleCommand.parseAsRoot(["convert", bad.path, "--to", "otlp-json"])
        #expect {
            try command.run()
        } throws: { error in
            "\(error)".contains("is not valid otlp-proto") && "\(error)".contains("resource_spans")
        }
    }
}
