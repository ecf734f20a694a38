import SpindleModel

/// Reads a batch's tables in place for span metrics: bounds-checked (a reference outside
/// the arena or a table reads as absent) and without creating Strings.
struct ArenaReading {
    let tables: SpanTables
    let arena: UnsafeRawBufferPointer

    /// The arena bytes of `ref`; empty when `ref` lies outside the arena.
    @inline(__always)
    func bytes(_ ref: ByteRef) -> UnsafeRawBufferPointer {
        let range = ref.range
        guard range.upperBound <= arena.count else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(rebasing: arena[range])
    }

    /// The most bytes of a name (service, span, peer) that span metrics keep: longer
    /// names are cut at a character boundary, so that `maxSeries` and `maxPendingEdges`
    /// bound memory whatever clients send.
    static let maxNameBytes = 1_024

    /// The arena bytes of a name at `ref`, cut to at most ``maxNameBytes`` without
    /// splitting a UTF-8 character.
    @inline(__always)
    func name(_ ref: ByteRef) -> UnsafeRawBufferPointer {
        Self.truncated(bytes(ref))
    }

    static func truncated(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        guard bytes.count > maxNameBytes else { return bytes }
        var end = maxNameBytes
        // Back up over continuation bytes (10xxxxxx) to the start of the cut character.
        while end > 0, bytes[end] & 0xC0 == 0x80 { end -= 1 }
        return UnsafeRawBufferPointer(rebasing: bytes[0..<end])
    }

    /// The value of the first string attribute named `key` in `range` of `table`.
    func stringAttribute(_ key: StaticString, in range: TableRange, of table: [AttributeSlot]) -> ByteRef? {
        let indices = range.indices
        guard indices.upperBound <= table.count else { return nil }
        for index in indices {
            let slot = table[index]
            guard slot.value.kind == .string, Self.equal(bytes(slot.key), key) else { continue }
            return slot.value.byteRef
        }
        return nil
    }

    /// The values of the first string attributes named `first`, `second` and `third` in
    /// `range` of `table`, in one pass.
    func stringAttributes(_ first: StaticString, _ second: StaticString, _ third: StaticString, in range: TableRange, of table: [AttributeSlot]) -> (ByteRef?, ByteRef?, ByteRef?) {
        var found: (ByteRef?, ByteRef?, ByteRef?) = (nil, nil, nil)
        let indices = range.indices
        guard indices.upperBound <= table.count else { return found }
        for index in indices {
            let slot = table[index]
            guard slot.value.kind == .string else { continue }
            let key = bytes(slot.key)
            if found.0 == nil, Self.equal(key, first) {
                found.0 = slot.value.byteRef
            } else if found.1 == nil, Self.equal(key, second) {
                found.1 = slot.value.byteRef
            } else if found.2 == nil, Self.equal(key, third) {
                found.2 = slot.value.byteRef
            }
        }
        return found
    }

    /// The resource's `service.name` bytes, if it has one as a string.
    func serviceName(ofResource resourceIndex: Int) -> ByteRef? {
        guard resourceIndex < tables.resources.count else { return nil }
        return stringAttribute("service.name", in: tables.resources[resourceIndex].attributes, of: tables.resourceAttributes)
    }

    static func equal(_ bytes: UnsafeRawBufferPointer, _ key: StaticString) -> Bool {
        guard bytes.count == key.utf8CodeUnitCount else { return false }
        return bytes.elementsEqual(UnsafeRawBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount))
    }

    static func equal(_ bytes: UnsafeRawBufferPointer, _ stored: [UInt8]) -> Bool {
        guard bytes.count == stored.count else { return false }
        return stored.withUnsafeBytes { bytes.elementsEqual($0) }
    }
}
