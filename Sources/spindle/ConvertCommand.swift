import ArgumentParser
import Foundation
import SpindleWire

struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert a span payload between OTLP protobuf, OTLP/JSON and Zipkin v2 JSON."
    )

    @Option(help: "Input format (default: from the file name).")
    var from: PayloadFormat?

    @Option(help: "Output format (default: from the output file name).")
    var to: PayloadFormat?

    @Option(name: .shortAndLong, help: "Output file; standard output when omitted.")
    var output: String?

    @Argument(help: "Input file, or - for standard input.")
    var input: String

    func run() throws {
        let inputFormat = try resolveFormat(from, path: input, role: "input")
        let outputFormat = try resolveFormat(to, path: output ?? "-", role: "output")
        let batch = try decodeFile(input, format: inputFormat)
        let bytes = outputFormat.encode(batch)
        if let output {
            guard FileManager.default.createFile(atPath: output, contents: Data(bytes)) else {
                throw ValidationError("cannot write \(output)")
            }
        } else {
            FileHandle.standardOutput.write(Data(bytes))
        }
    }
}
