import FuzzSupport
import SpindleWire

/// OTLP/protobuf `ExportTraceServiceResponse` decoding.
///
/// Properties: decoding any input returns or throws (never traps); encoding a decoded
/// response and decoding the result gives the same response.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTest(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let response = try? OTLPProtobuf.decodeExportResponse(bytes) else { return 0 }
    let encoded = OTLPProtobuf.encodeExportResponse(response)
    let decoded: ExportTraceResponse
    do {
        decoded = try OTLPProtobuf.decodeExportResponse(encoded)
    } catch {
        finding("re-encoded response \(encoded) does not decode: \(error)")
    }
    if decoded != response {
        finding("round trip changed the response: \(response) became \(decoded)")
    }
    return 0
}
