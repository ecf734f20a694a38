import SpindleWire

/// `google.rpc.Status` (https://github.com/googleapis/googleapis/blob/master/google/rpc/status.proto),
/// the body of every OTLP/HTTP 4xx and 5xx response
/// (https://opentelemetry.io/docs/specs/otlp/#failures-1): `code` (field 1, int32) and
/// `message` (field 2, string). `details` (field 3) is never written: HTTP carries the
/// retry delay in `Retry-After`.
package struct GoogleRPCStatus: Hashable, Sendable {
    /// The gRPC status codes Spindle answers with (https://grpc.github.io/grpc/core/md_doc_statuscodes.html).
    enum Code: Int32, Sendable {
        case invalidArgument = 3
        case resourceExhausted = 8
        case `internal` = 13
        case unavailable = 14
    }

    var code: Int32
    package var message: String

    init(_ code: Code, _ message: String) {
        self.code = code.rawValue
        self.message = message
    }

    init(code: Int32, message: String) {
        self.code = code
        self.message = message
    }

    /// The protobuf encoding; fields at their default are left out, as proto3 does.
    var protobuf: [UInt8] {
        var bytes: [UInt8] = []
        if code != 0 {
            bytes.append(1 << 3 | 0)
            // An int32 is a varint of its 64-bit sign extension.
            appendVarint(UInt64(bitPattern: Int64(code)), to: &bytes)
        }
        if !message.isEmpty {
            bytes.append(2 << 3 | 2)
            let utf8 = Array(message.utf8)
            appendVarint(UInt64(utf8.count), to: &bytes)
            bytes.append(contentsOf: utf8)
        }
        return bytes
    }

    /// The proto3 JSON encoding: `{"code":3,"message":"..."}`.
    var json: [UInt8] {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("code")
        writer.int(Int64(code))
        writer.key("message")
        writer.string(message)
        writer.endObject()
        return writer.bytes
    }

    /// Decodes the protobuf encoding; nil for anything that is not a `Status` with at most
    /// these two fields and `details`. Total: reads only inside `bytes`.
    package static func decode(protobuf bytes: [UInt8]) -> GoogleRPCStatus? {
        var status = GoogleRPCStatus(code: 0, message: "")
        var position = 0
        func varint() -> UInt64? {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while position < bytes.count, shift < 64 {
                let byte = bytes[position]
                position += 1
                value |= UInt64(byte & 0x7F) << shift
                if byte & 0x80 == 0 { return value }
                shift += 7
            }
            return nil
        }
        while position < bytes.count {
            guard let tag = varint() else { return nil }
            switch tag {
            case 1 << 3 | 0:
                guard let value = varint() else { return nil }
                status.code = Int32(truncatingIfNeeded: value)
            case 2 << 3 | 2, 3 << 3 | 2:
                guard let length = varint(), length <= UInt64(bytes.count - position) else { return nil }
                let end = position + Int(length)
                if tag == 2 << 3 | 2 {
                    status.message = String(decoding: bytes[position..<end], as: UTF8.self)
                }
                position = end
            default:
                return nil
            }
        }
        return status
    }
}

private func appendVarint(_ value: UInt64, to bytes: inout [UInt8]) {
    var value = value
    while value >= 0x80 {
        bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
        value >>= 7
    }
    bytes.append(UInt8(value))
}
