/// Reads a `google.rpc.Status`: the body OTLP/HTTP servers send with an error status when
/// the request was protobuf, and the `grpc-status-details-bin` trailer of an OTLP/gRPC
/// error, whose `google.rpc.RetryInfo` detail asks for a retry delay (OTLP specification,
/// "Failures" and "OTLP/gRPC Throttling").
///
/// Total: any malformed input gives nil, never a crash.
package enum RPCStatusMessage {
    /// The status's `message`, or nil when it has none.
    package static func decode(_ bytes: [UInt8]) -> String? {
        var message: String?
        let wellFormed = forEachField(bytes[...]) { number, field in
            guard number == 2, case .lengthDelimited(let payload) = field else { return true }
            message = String(validating: payload, as: UTF8.self)
            return message != nil
        }
        return wellFormed ? message : nil
    }

    /// The `retry_delay` of the status's first `google.rpc.RetryInfo` detail, or nil when
    /// it has none.
    package static func retryDelay(_ bytes: [UInt8]) -> Duration? {
        var delay: Duration?
        let wellFormed = forEachField(bytes[...]) { number, field in
            guard delay == nil, number == 3, case .lengthDelimited(let detail) = field else { return true }
            guard let any = anyMessage(detail) else { return false }
            if any.typeURL.split(separator: "/").last == "google.rpc.RetryInfo" {
                delay = retryInfoDelay(any.value)
                return delay != nil
            }
            return true
        }
        return wellFormed ? delay : nil
    }

    /// The `retry_delay` of a `google.rpc.RetryInfo` message, or nil when it has none or
    /// the delay is negative or out of range.
    package static func retryInfoDelay(_ bytes: ArraySlice<UInt8>) -> Duration? {
        var delay: ArraySlice<UInt8>?
        let wellFormed = forEachField(bytes) { number, field in
            if number == 1, case .lengthDelimited(let payload) = field { delay = payload }
            return true
        }
        guard wellFormed, let delay else { return nil }
        return duration(delay)
    }

    /// A `google.protobuf.Duration`: `seconds` and `nanos`, both non-negative.
    private static func duration(_ bytes: ArraySlice<UInt8>) -> Duration? {
        var seconds: UInt64 = 0
        var nanos: UInt64 = 0
        let wellFormed = forEachField(bytes) { number, field in
            guard case .varint(let value) = field else { return true }
            if number == 1 { seconds = value }
            if number == 2 { nanos = value }
            return true
        }
        // Negative values arrive as huge varints (two's complement): out of range.
        guard wellFormed, seconds <= UInt64(Int64.max), nanos < 1_000_000_000 else { return nil }
        return .seconds(Int64(seconds)) + .nanoseconds(Int64(nanos))
    }

    /// A `google.protobuf.Any`: `type_url` and `value`.
    private static func anyMessage(_ bytes: ArraySlice<UInt8>) -> (typeURL: String, value: ArraySlice<UInt8>)? {
        var typeURL = ""
        var value: ArraySlice<UInt8> = []
        let wellFormed = forEachField(bytes) { number, field in
            guard case .lengthDelimited(let payload) = field else { return true }
            if number == 1 { typeURL = String(decoding: payload, as: UTF8.self) }
            if number == 2 { value = payload }
            return true
        }
        return wellFormed ? (typeURL, value) : nil
    }

    private enum Field {
        case varint(UInt64)
        case lengthDelimited(ArraySlice<UInt8>)
        case fixed
    }

    /// Calls `body` with each field's number and value until it returns false; false when
    /// `body` did, or the bytes are not a well-formed message.
    private static func forEachField(_ bytes: ArraySlice<UInt8>, _ body: (UInt64, Field) -> Bool) -> Bool {
        var position = bytes.startIndex
        while position < bytes.endIndex {
            guard let tag = readVarint(bytes, &position) else { return false }
            let field: Field
            switch tag & 7 {
            case 0:
                guard let value = readVarint(bytes, &position) else { return false }
                field = .varint(value)
            case 1:
                guard bytes.endIndex - position >= 8 else { return false }
                position += 8
                field = .fixed
            case 5:
                guard bytes.endIndex - position >= 4 else { return false }
                position += 4
                field = .fixed
            case 2:
                guard let length = readVarint(bytes, &position), length <= UInt64(bytes.endIndex - position) else { return false }
                let end = position + Int(length)
                field = .lengthDelimited(bytes[position..<end])
                position = end
            default:
                return false
            }
            guard body(tag >> 3, field) else { return false }
        }
        return true
    }

    private static func readVarint(_ bytes: ArraySlice<UInt8>, _ position: inout Int) -> UInt64? {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while position < bytes.endIndex, shift < 64 {
            let byte = bytes[position]
            position += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return value }
            shift += 7
        }
        return nil
    }
}
