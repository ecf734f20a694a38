/// `google.rpc.Status` and `google.rpc.RetryInfo`, the error payloads OTLP uses: the body
/// of an OTLP/HTTP 4xx/5xx ("Failures" in the OTLP specification) and the
/// `grpc-status-details-bin` / `google.rpc.retryinfo-bin` trailers of a gRPC error.
///
/// Three tiny messages, so they are written by hand here rather than generated.
struct RPCStatus: Hashable, Sendable {
    /// A `google.rpc.Code` (gRPC status code): 3 INVALID_ARGUMENT, 8 RESOURCE_EXHAUSTED, ...
    var code: Int32
    var message: String
    /// When set, a `google.rpc.RetryInfo` detail asking the client to wait this long.
    var retryAfterSeconds: Int?

    static let invalidArgument: Int32 = 3
    static let resourceExhausted: Int32 = 8
    static let unimplemented: Int32 = 12
    static let internalError: Int32 = 13
    static let unavailable: Int32 = 14

    /// The protobuf encoding of `google.rpc.Status`.
    var protobuf: [UInt8] {
        var writer = TinyProtoWriter()
        // An int32 is a varint of its 64-bit sign extension.
        if code != 0 { writer.varint(field: 1, UInt64(bitPattern: Int64(code))) }
        if !message.isEmpty { writer.bytes(field: 2, Array(message.utf8)) }
        if let retryAfterSeconds {
            var any = TinyProtoWriter()
            any.bytes(field: 1, Array("type.googleapis.com/google.rpc.RetryInfo".utf8))
            any.bytes(field: 2, Self.retryInfo(seconds: retryAfterSeconds))
            writer.bytes(field: 3, any.bytes)
        }
        return writer.bytes
    }

    /// The proto3 JSON encoding of `google.rpc.Status` (details are left out: a JSON
    /// `Any` needs its type's JSON mapping, and OTLP clients read only code and message).
    var json: [UInt8] {
        Array("{\"code\":\(code),\"message\":\(Self.jsonString(message))}".utf8)
    }

    /// The protobuf encoding of `google.rpc.RetryInfo { retry_delay: seconds }`.
    static func retryInfo(seconds: Int) -> [UInt8] {
        var duration = TinyProtoWriter()
        if seconds > 0 { duration.varint(field: 1, UInt64(seconds)) }
        var info = TinyProtoWriter()
        info.bytes(field: 1, duration.bytes)
        return info.bytes
    }

    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

/// Just enough of a protobuf writer for ``RPCStatus``: varint and length-delimited fields.
struct TinyProtoWriter {
    private(set) var bytes: [UInt8] = []

    mutating func varint(field: Int, _ value: UInt64) {
        writeVarint(UInt64(field << 3))
        writeVarint(value)
    }

    mutating func bytes(field: Int, _ value: [UInt8]) {
        writeVarint(UInt64(field << 3 | 2))
        writeVarint(UInt64(value.count))
        bytes += value
    }

    private mutating func writeVarint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }
}
