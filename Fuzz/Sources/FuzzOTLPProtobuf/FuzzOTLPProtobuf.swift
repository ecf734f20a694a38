import FuzzSupport
import SpindleModel
import SpindleWire

/// OTLP/protobuf `ExportTraceServiceRequest` decoding.
///
/// Properties: decoding any input returns or throws (never traps); a decoded batch keeps
/// every ``SpanTables`` invariant; encoding it and decoding the result gives the same
/// batch, doubles bit for bit.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTest(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let batch = try? OTLPProtobuf.decodeExportRequest(bytes) else { return 0 }
    do {
        try batch.tables.validate()
    } catch {
        finding("decoded batch breaks an invariant: \(error)")
    }
    let encoded = OTLPProtobuf.encodeExportRequest(batch)
    let decoded: SpanBatch
    do {
        decoded = try OTLPProtobuf.decodeExportRequest(encoded)
    } catch {
        finding("re-encoded batch (\(encoded.count) bytes) does not decode: \(error)")
    }
    if decoded != batch, let difference = firstDifference(batch, decoded, doubles: .bitwise) {
        finding("round trip changed the batch at \(difference)")
    }
    return 0
}
