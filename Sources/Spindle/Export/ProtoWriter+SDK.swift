import SpindleWire

// The SDK's encoder writes with SpindleWire's `ProtoWriter` and sizes with `ProtoSize`;
// these are the few helpers only it needs.

extension ProtoWriter {
    /// Eight bytes of `value`, most significant first (how IDs go on the wire).
    @inline(__always)
    mutating func bigEndian64(_ value: UInt64) {
        base.storeBytes(of: value.bigEndian, toByteOffset: position, as: UInt64.self)
        position += 8
    }

    /// The UTF-8 bytes of `string`, without a copy for native strings.
    @inline(__always)
    mutating func utf8(_ string: String) {
        let done: Void? = string.utf8.withContiguousStorageIfAvailable { buffer in
            if let address = buffer.baseAddress { bytes(address, count: buffer.count) }
        }
        if done == nil {
            for unit in string.utf8 { byte(unit) }
        }
    }

    /// A string field (tag, length, bytes); nothing for the empty string (proto3 default).
    @inline(__always)
    mutating func stringField(_ tag: UInt8, _ string: String) {
        let count = string.utf8.count
        guard count > 0 else { return }
        byte(tag)
        varint(UInt64(count))
        utf8(string)
    }

    /// A varint field; nothing for zero (proto3 default).
    @inline(__always)
    mutating func uint32Field(_ tag: UInt8, _ value: UInt32) {
        guard value != 0 else { return }
        byte(tag)
        varint(UInt64(value))
    }

    /// The tag and length prefix of an embedded message of `size` bytes.
    @inline(__always)
    mutating func messageHeader(_ tag: UInt8, size: Int) {
        byte(tag)
        varint(UInt64(size))
    }
}

extension ProtoSize {
    /// A string field, or 0 for the empty string.
    @inline(__always)
    static func stringField(_ string: String) -> Int {
        let count = string.utf8.count
        return count == 0 ? 0 : lengthDelimited(count)
    }

    /// A varint field, or 0 for zero.
    @inline(__always)
    static func uint32Field(_ value: UInt32) -> Int {
        value == 0 ? 0 : 1 + varint(UInt64(value))
    }
}
