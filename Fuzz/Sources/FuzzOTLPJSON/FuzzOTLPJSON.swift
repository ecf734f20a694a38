import FuzzSupport
import SpindleModel
import SpindleWire

/// OTLP/JSON `ExportTraceServiceRequest` decoding.
///
/// Properties: decoding any input returns or throws (never traps); a decoded batch keeps
/// every ``SpanTables`` invariant; encoding it as OTLP/JSON and decoding the result gives
/// the same batch (any NaN matching any NaN, as JSON writes them all as `"NaN"`); and
/// encoding it as OTLP/protobuf and decoding that gives the same batch bit for bit.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTest(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let batch = try? OTLPJSON.decodeExportRequest(bytes) else { return 0 }
    do {
        try batch.tables.validate()
    } catch {
        finding("decoded batch breaks an invariant: \(error)")
    }

    let json = OTLPJSON.encodeExportRequest(batch)
    let fromJSON: SpanBatch
    do {
        fromJSON = try OTLPJSON.decodeExportRequest(json)
    } catch {
        finding("re-encoded JSON does not decode: \(error)\n\(String(decoding: json, as: UTF8.self))")
    }
    if fromJSON != batch, let difference = firstDifference(batch, fromJSON, doubles: .anyNaN) {
        finding("JSON round trip changed the batch at \(difference)")
    }

    let protobuf = OTLPProtobuf.encodeExportRequest(batch)
    let fromProtobuf: SpanBatch
    do {
        fromProtobuf = try OTLPProtobuf.decodeExportRequest(protobuf)
    } catch {
        finding("the batch encoded as protobuf (\(protobuf.count) bytes) does not decode: \(error)")
    }
    if fromProtobuf != batch, let difference = firstDifference(batch, fromProtobuf, doubles: .bitwise) {
        finding("JSON-decoded batch changed through protobuf at \(difference)")
    }
    return 0
}
