import SpindleModel

/// Bytes that are not what a Spindle format says: where, and what was wrong.
struct FormatError: Error, CustomStringConvertible {
    var message: String
    /// Offset within the buffer being read.
    var offset: Int

    var description: String { "\(message) at byte \(offset)" }
}

/// Reads what ``ByteWriter`` writes, totally: every read is bounds-checked and throws
/// ``FormatError`` instead of trapping, whatever the bytes are.
struct ByteReader {
    let bytes: [UInt8]
    private(set) var offset: Int
    let end: Int

    init(_ bytes: [UInt8], offset: Int = 0, end: Int? = nil) {
        self.bytes = bytes
        self.offset = offset
        self.end = min(end ?? bytes.count, bytes.count)
    }

    var remaining: Int { end - offset }
    var isAtEnd: Bool { offset >= end }

    func error(_ message: String) -> FormatError { FormatError(message: message, offset: offset) }

    mutating func u8() throws(FormatError) -> UInt8 {
        guard offset < end else { throw error("unexpected end reading a byte") }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func u32() throws(FormatError) -> UInt32 {
        guard remaining >= 4 else { throw error("unexpected end reading a 32-bit integer") }
        var value: UInt32 = 0
        for shift in 0..<4 { value |= UInt32(bytes[offset + shift]) << (8 * shift) }
        offset += 4
        return value
    }

    mutating func u64() throws(FormatError) -> UInt64 {
        guard remaining >= 8 else { throw error("unexpected end reading a 64-bit integer") }
        var value: UInt64 = 0
        for shift in 0..<8 { value |= UInt64(bytes[offset + shift]) << (8 * shift) }
        offset += 8
        return value
    }

    /// An unsigned LEB128 of at most ten bytes whose value fits 64 bits.
    mutating func varint() throws(FormatError) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < end else { throw error("unexpected end inside a varint") }
            let byte = bytes[offset]
            offset += 1
            if shift == 63, byte > 1 { throw error("varint overflows 64 bits") }
            value |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return value }
            shift += 7
            if shift > 63 { throw error("varint longer than ten bytes") }
        }
    }

    /// A varint that must be at most `limit`, as an `Int` (lengths, counts, indexes).
    mutating func count(atMost limit: Int, _ what: @autoclosure () -> String) throws(FormatError) -> Int {
        let start = offset
        let value = try varint()
        guard value <= UInt64(limit) else {
            throw FormatError(message: "\(what()) is \(value), more than the \(limit) possible here", offset: start)
        }
        return Int(value)
    }

    mutating func u32Varint(_ what: @autoclosure () -> String) throws(FormatError) -> UInt32 {
        UInt32(try count(atMost: Int(UInt32.max), what()))
    }

    mutating func zigzag() throws(FormatError) -> Int64 {
        let raw = try varint()
        return Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1)
    }

    mutating func slice(_ length: Int) throws(FormatError) -> ArraySlice<UInt8> {
        guard length >= 0, remaining >= length else { throw error("\(length) bytes announced, \(remaining) left") }
        defer { offset += length }
        return bytes[offset..<(offset + length)]
    }

    mutating func lengthPrefixed() throws(FormatError) -> ArraySlice<UInt8> {
        let length = try count(atMost: remaining, "a length")
        return try slice(length)
    }

    mutating func traceID() throws(FormatError) -> TraceID {
        guard remaining >= 16 else { throw error("unexpected end reading a trace ID") }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for index in 0..<8 {
            high = high << 8 | UInt64(bytes[offset + index])
            low = low << 8 | UInt64(bytes[offset + 8 + index])
        }
        offset += 16
        return TraceID(high: high, low: low)
    }

    mutating func spanID() throws(FormatError) -> SpanID {
        guard remaining >= 8 else { throw error("unexpected end reading a span ID") }
        var value: UInt64 = 0
        for index in 0..<8 { value = value << 8 | UInt64(bytes[offset + index]) }
        offset += 8
        return SpanID(value)
    }
}
