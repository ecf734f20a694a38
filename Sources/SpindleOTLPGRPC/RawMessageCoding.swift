import GRPCCore

/// The request is already protobuf (``OTLPSpanEncoder``'s bytes): sent as it is, so no
/// generated code and no SwiftProtobuf are involved.
struct RawMessageSerializer: MessageSerializer {
    func serialize<Bytes: GRPCContiguousBytes>(_ message: [UInt8]) throws -> Bytes {
        Bytes(message)
    }
}

/// The response (`ExportTraceServiceResponse`) is not read: a partial success is a
/// success, and its rejected spans are final.
struct IgnoredMessageDeserializer: MessageDeserializer {
    func deserialize<Bytes: GRPCContiguousBytes>(_ serializedMessageBytes: Bytes) throws {}
}
