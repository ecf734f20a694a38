import ArgumentParser
import Foundation
import SpindleModel
import SpindleWire

/// The span payload formats Spindle reads and writes.
enum PayloadFormat: String, ExpressibleByArgument, CaseIterable {
    case otlpProto = "otlp-proto"
    case otlpJSON = "otlp-json"
    case zipkin = "zipkin"

    /// The format a file name suggests: `.binpb`/`.pb`/`.protobuf` is OTLP protobuf,
    /// `.zipkin.json` Zipkin, any other `.json` OTLP/JSON.
    init?(fileName: String) {
        let lower = fileName.lowercased()
        if lower.hasSuffix(".binpb") || lower.hasSuffix(".pb") || lower.hasSuffix(".protobuf") {
            self = .otlpProto
        } else if lower.hasSuffix(".zipkin.json") || lower.contains("zipkin") && lower.hasSuffix(".json") {
            self = .zipkin
        } else if lower.hasSuffix(".json") {
            self = .otlpJSON
        } else {
            return nil
        }
    }

    func decode(_ bytes: [UInt8]) throws(WireError) -> SpanBatch {
        switch self {
        case .otlpProto: try OTLPProtobuf.decodeExportRequest(bytes)
        case .otlpJSON: try OTLPJSON.decodeExportRequest(bytes)
        case .zipkin: try ZipkinJSON.decode(bytes)
        }
    }

    func encode(_ batch: SpanBatch) -> [UInt8] {
        switch self {
        case .otlpProto: OTLPProtobuf.encodeExportRequest(batch)
        case .otlpJSON: OTLPJSON.encodeExportRequest(batch)
        case .zipkin: ZipkinJSON.encode(batch)
        }
    }
}

/// Reads a whole file, or standard input for "-".
func readInput(_ path: String) throws -> [UInt8] {
    if path == "-" {
        return Array(FileHandle.standardInput.readDataToEndOfFile())
    }
    guard let data = FileManager.default.contents(atPath: path) else {
        throw ValidationError("cannot read \(path): no such file or not readable")
    }
    return Array(data)
}

/// Resolves the input format from a flag or the file name.
func resolveFormat(_ format: PayloadFormat?, path: String, role: String) throws -> PayloadFormat {
    if let format { return format }
    if let guessed = PayloadFormat(fileName: path) { return guessed }
    throw ValidationError("cannot tell the \(role) format of \(path); pass --\(role == "input" ? "from" : "to") \(PayloadFormat.allCases.map(\.rawValue).joined(separator: "|"))")
}

/// Decodes a file and turns a WireError into a message that names the file.
func decodeFile(_ path: String, format: PayloadFormat) throws -> SpanBatch {
    let bytes = try readInput(path)
    do {
        return try format.decode(bytes)
    } catch {
        throw ValidationError("\(path) is not valid \(format.rawValue): \(error)")
    }
}
