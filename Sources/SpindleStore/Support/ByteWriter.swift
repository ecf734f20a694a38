import SpindleModel

/// Appends little-endian integers, LEB128 varints and length-prefixed bytes to a growing
/// array: the one way every Spindle file format is written.
struct ByteWriter {
    var bytes: [UInt8]

    init(capacity: Int = 0) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    var count: Int { bytes.count }

    mutating func u8(_ value: UInt8) { bytes.append(value) }

    mutating func u32(_ value: UInt32) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func u64(_ value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// Unsigned LEB128: seven bits a byte, low bits first, high bit set on all but the last.
    mutating func varint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    mutating func varint(_ value: Int) { varint(UInt64(value)) }

    mutating func varint(_ value: UInt32) { varint(UInt64(value)) }

    /// A signed value as a varint of its zigzag encoding (0, -1, 1, -2, … → 0, 1, 2, 3, …).
    mutating func zigzag(_ value: Int64) {
        varint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    /// A varint length, then the bytes.
    mutating func lengthPrefixed(_ data: some Collection<UInt8>) {
        varint(data.count)
        bytes.append(contentsOf: data)
    }

    mutating func raw(_ data: some Sequence<UInt8>) { bytes.append(contentsOf: data) }

    /// The 16 bytes of a trace ID as on the wire (big-endian), so byte order is ID order.
    mutating func traceID(_ id: TraceID) {
        withUnsafeBytes(of: id.high.bigEndian) { bytes.append(contentsOf: $0) }
        withUnsafeBytes(of: id.low.bigEndian) { bytes.append(contentsOf: $0) }
    }

    /// The 8 bytes of a span ID as on the wire (big-endian).
    mutating func spanID(_ id: SpanID) {
        withUnsafeBytes(of: id.value.bigEndian) { bytes.append(contentsOf: $0) }
    }
}
