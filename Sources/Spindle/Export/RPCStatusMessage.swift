/// Reads the `message` of a `google.rpc.Status`, the body OTLP/HTTP servers send with an
/// error status when the request was protobuf (OTLP specification, "Failures").
///
/// Total: any malformed input gives nil, never a crash.
enum RPCStatusMessage {
    static func decode(_ bytes: [UInt8]) -> String? {
        var position = 0
        var message: String?
        while position < bytes.count {
            guard let tag = readVarint(bytes, &position) else { return nil }
            switch tag & 7 {
            case 0:
                guard readVarint(bytes, &position) != nil else { return nil }
            case 1:
                guard bytes.count - position >= 8 else { return nil }
                position += 8
            case 5:
                guard bytes.count - position >= 4 else { return nil }
                position += 4
            case 2:
                guard let length = readVarint(bytes, &position), length <= UInt64(bytes.count - position) else { return nil }
                let end = position + Int(length)
                if tag >> 3 == 2 {
                    message = String(validating: bytes[position..<end], as: UTF8.self)
                    if message == nil { return nil }
                }
                position = end
            default:
                return nil
            }
        }
        return message
    }

    private static func readVarint(_ bytes: [UInt8], _ position: inout Int) -> UInt64? {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while position < bytes.count, shift < 64 {
            let byte = bytes[position]
            position += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return value }
            shift += 7
        }
        return nil
    }
}
