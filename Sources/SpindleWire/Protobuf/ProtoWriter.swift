/// Forward writes into a buffer whose exact size was computed beforehand.
///
/// Hot path: the encoder sizes every message first, allocates the output once and
/// writes each byte exactly once; there is no growth, no back-patching of lengths and no
/// copy at the end. All writes are unchecked; the size pass is what keeps them in bounds,
/// and `OTLPProtobuf.encode` traps in debug builds if the two disagree.
///
/// Shared with the SDK's encoder (`package`), inlinable so the hot loops stay inlined
/// across modules. Swift 6.3 inlines a `package` type's `@inlinable` members into another
/// module only when the type itself is `@usableFromInline`; without it every byte was a
/// call (measured: the SDK's span encoding took 9,040 instructions per span).
@usableFromInline package struct ProtoWriter {
    @usableFromInline package let base: UnsafeMutableRawPointer
    @usableFromInline package var position: Int = 0

    @inlinable
    package init(_ buffer: UnsafeMutableBufferPointer<UInt8>) {
        base = UnsafeMutableRawPointer(buffer.baseAddress!)
    }

    @inlinable
    package init(_ base: UnsafeMutableRawPointer) {
        self.base = base
    }

    @inlinable @inline(__always)
    package mutating func byte(_ value: UInt8) {
        base.storeBytes(of: value, toByteOffset: position, as: UInt8.self)
        position += 1
    }

    @inlinable @inline(__always)
    package mutating func varint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            byte(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        byte(UInt8(truncatingIfNeeded: value))
    }

    @inlinable @inline(__always)
    package mutating func fixed64(_ value: UInt64) {
        base.storeBytes(of: value.littleEndian, toByteOffset: position, as: UInt64.self)
        position += 8
    }

    @inlinable @inline(__always)
    package mutating func fixed32(_ value: UInt32) {
        base.storeBytes(of: value.littleEndian, toByteOffset: position, as: UInt32.self)
        position += 4
    }

    @inlinable @inline(__always)
    package mutating func bytes(_ source: UnsafeRawPointer, count: Int) {
        let target = base + position
        // Hot path: keys and values are mostly 4–16 bytes, where a call to memcpy costs
        // more than the copy. Two overlapping loads and stores stay inside both ranges.
        if count >= 8 && count <= 16 {
            let head = source.loadUnaligned(as: UInt64.self)
            let tail = source.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
            target.storeBytes(of: head, as: UInt64.self)
            target.storeBytes(of: tail, toByteOffset: count - 8, as: UInt64.self)
        } else if count >= 4 && count < 8 {
            let head = source.loadUnaligned(as: UInt32.self)
            let tail = source.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self)
            target.storeBytes(of: head, as: UInt32.self)
            target.storeBytes(of: tail, toByteOffset: count - 4, as: UInt32.self)
        } else if count > 0 {
            target.copyMemory(from: source, byteCount: count)
        }
        position += count
    }

    /// A length-delimited field holding `count` bytes from `source`.
    @inlinable @inline(__always)
    package mutating func lengthDelimited(tag: UInt8, _ source: UnsafeRawPointer, count: Int) {
        byte(tag)
        varint(UInt64(count))
        bytes(source, count: count)
    }
}

/// Sizes of protobuf encodings (`@usableFromInline` for the same reason as `ProtoWriter`).
@usableFromInline package enum ProtoSize {
    @inlinable @inline(__always)
    package static func varint(_ value: UInt64) -> Int {
        // Nearly every length and count in OTLP is below 128: answer that first.
        if value < 0x80 { return 1 }
        if value < 0x4000 { return 2 }
        // 1 byte per started group of 7 bits (bits * 9 / 64 rounds up the same way).
        let bits = 64 - value.leadingZeroBitCount
        return (bits &* 9 &+ 64) >> 6
    }

    /// Tag (one byte for every OTLP field below 16), length prefix and payload.
    @inlinable @inline(__always)
    package static func lengthDelimited(_ count: Int) -> Int {
        1 + varint(UInt64(count)) + count
    }
}
