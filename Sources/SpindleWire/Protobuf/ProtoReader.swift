import SpindleModel

/// Protobuf wire types (https://protobuf.dev/programming-guides/encoding/#structure).
@usableFromInline
enum WireType {
    static let varint: UInt8 = 0
    static let fixed64: UInt8 = 1
    static let lengthDelimited: UInt8 = 2
    static let startGroup: UInt8 = 3
    static let endGroup: UInt8 = 4
    static let fixed32: UInt8 = 5
}

/// Bounds-checked primitive reads over the request bytes.
///
/// Every read takes the end of the enclosing message and throws instead of reading past
/// it, so a length taken from the input can never lead outside the input. Offsets are
/// absolute positions in the input, which is also the batch's arena.
struct ProtoReader {
    let base: UnsafeRawPointer
    let count: Int

    init(_ buffer: UnsafeRawBufferPointer) {
        // An empty buffer may have no base address; any non-null pointer works since
        // nothing is read from it.
        base = buffer.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!
        count = buffer.count
    }

    @inline(__always)
    func byte(at position: Int) -> UInt8 {
        base.load(fromByteOffset: position, as: UInt8.self)
    }

    /// Reads a varint of at most 10 bytes that fits 64 bits.
    @inline(__always)
    func readVarint(_ position: inout Int, _ end: Int, _ field: StaticString) throws(WireError) -> UInt64 {
        if position < end {
            let first = byte(at: position)
            if first < 0x80 {
                position += 1
                return UInt64(first)
            }
        }
        return try readVarintSlow(&position, end, field)
    }

    @inline(never)
    func readVarintSlow(_ position: inout Int, _ end: Int, _ field: StaticString) throws(WireError) -> UInt64 {
        let start = position
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < end else {
                throw WireError(.truncated, field: "\(field)", offset: start, "varint runs past the end of its message (ends at byte \(end))")
            }
            let byte = byte(at: position)
            position += 1
            if shift == 63 && byte > 1 {
                throw WireError(.malformedVarint, field: "\(field)", offset: start, "varint overflows 64 bits or runs past 10 bytes")
            }
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return result }
            shift += 7
        }
    }

    @inline(__always)
    func readFixed64(_ position: inout Int, _ end: Int, _ field: StaticString) throws(WireError) -> UInt64 {
        guard end - position >= 8 else {
            throw WireError(.truncated, field: "\(field)", offset: position, "fixed64 needs 8 bytes, \(end - position) left in its message")
        }
        let value = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: position, as: UInt64.self))
        position += 8
        return value
    }

    @inline(__always)
    func readFixed32(_ position: inout Int, _ end: Int, _ field: StaticString) throws(WireError) -> UInt32 {
        guard end - position >= 4 else {
            throw WireError(.truncated, field: "\(field)", offset: position, "fixed32 needs 4 bytes, \(end - position) left in its message")
        }
        let value = UInt32(littleEndian: base.loadUnaligned(fromByteOffset: position, as: UInt32.self))
        position += 4
        return value
    }

    /// Reads a length prefix and returns the bounds of the payload, advancing past it.
    @inline(__always)
    func readLengthDelimited(_ position: inout Int, _ end: Int, _ field: StaticString) throws(WireError) -> Range<Int> {
        let prefixOffset = position
        let length = try readVarint(&position, end, field)
        guard length <= UInt64(end - position) else {
            throw WireError(.lengthOutOfBounds, field: "\(field)", offset: prefixOffset, "length \(length) runs past the end of its message (\(end - position) bytes left)")
        }
        let start = position
        position += Int(length)
        return start..<position
    }

    /// Reads a length-delimited UTF-8 string and returns its bytes in the input.
    @inline(__always)
    func readString(_ position: inout Int, _ end: Int, _ field: StaticString) throws(WireError) -> ByteRef {
        let range = try readLengthDelimited(&position, end, field)
        if let bad = UTF8Validation.firstInvalidOffset(UnsafeRawBufferPointer(start: base + range.lowerBound, count: range.count)) {
            throw WireError(.invalidUTF8, field: "\(field)", offset: range.lowerBound + bad, "string is not valid UTF-8")
        }
        return ByteRef(offset: UInt32(truncatingIfNeeded: range.lowerBound), count: UInt32(truncatingIfNeeded: range.count))
    }

    /// Reads a length-delimited byte string.
    @inline(__always)
    func readBytes(_ position: inout Int, _ end: Int, _ field: StaticString) throws(WireError) -> ByteRef {
        let range = try readLengthDelimited(&position, end, field)
        return ByteRef(offset: UInt32(truncatingIfNeeded: range.lowerBound), count: UInt32(truncatingIfNeeded: range.count))
    }

    func readTraceID(_ position: inout Int, _ end: Int, _ field: StaticString) throws(WireError) -> TraceID {
        let range = try readLengthDelimited(&position, end, field)
        switch range.count {
        case 16:
            return TraceID(
                high: UInt64(bigEndian: base.loadUnaligned(fromByteOffset: range.lowerBound, as: UInt64.self)),
                low: UInt64(bigEndian: base.loadUnaligned(fromByteOffset: range.lowerBound + 8, as: UInt64.self))
            )
        case 0:
            return .zero
        default:
            throw WireError(.invalidID, field: "\(field)", offset: range.lowerBound, "a trace ID is 16 bytes, this one is \(range.count)")
        }
    }

    func readSpanID(_ position: inout Int, _ end: Int, _ field: StaticString) throws(WireError) -> SpanID {
        let range = try readLengthDelimited(&position, end, field)
        switch range.count {
        case 8:
            return SpanID(UInt64(bigEndian: base.loadUnaligned(fromByteOffset: range.lowerBound, as: UInt64.self)))
        case 0:
            return .zero
        default:
            throw WireError(.invalidID, field: "\(field)", offset: range.lowerBound, "a span ID is 8 bytes, this one is \(range.count)")
        }
    }

    /// Skips a field this decoder does not know, as protobuf requires of readers.
    /// Groups (deprecated, but legal in unknown fields) are skipped up to a depth bound.
    func skipField(tag: UInt64, _ position: inout Int, _ end: Int, depth: Int = 0) throws(WireError) {
        let tagOffset = position
        switch UInt8(tag & 7) {
        case WireType.varint: _ = try readVarint(&position, end, "unknown field")
        case WireType.fixed64: _ = try readFixed64(&position, end, "unknown field")
        case WireType.lengthDelimited: _ = try readLengthDelimited(&position, end, "unknown field")
        case WireType.fixed32: _ = try readFixed32(&position, end, "unknown field")
        case WireType.startGroup:
            guard depth < OTLPProtobuf.maxNestingDepth else {
                throw WireError(.nestingTooDeep, field: "unknown field", offset: tagOffset, "groups nest deeper than \(OTLPProtobuf.maxNestingDepth)")
            }
            while true {
                guard position < end else {
                    throw WireError(.truncated, field: "unknown field", offset: tagOffset, "group \(tag >> 3) is not closed")
                }
                let innerTag = try readVarint(&position, end, "unknown field")
                if innerTag & 7 == UInt64(WireType.endGroup) {
                    guard innerTag >> 3 == tag >> 3 else {
                        throw WireError(.invalidWireType, field: "unknown field", offset: tagOffset, "group \(tag >> 3) closed by end-group \(innerTag >> 3)")
                    }
                    return
                }
                try skipField(tag: innerTag, &position, end, depth: depth + 1)
            }
        default:
            throw WireError(.invalidWireType, field: "field \(tag >> 3)", offset: tagOffset, "wire type \(tag & 7) is not valid here")
        }
    }
}
