import SpindleModel

/// How the JSON decoders place strings in a batch's arena. Until something is appended,
/// the arena is the decoder's input itself; decoders bound their input below 4 GiB, so
/// offsets fit 32 bits.
extension SpanTables {
    /// The arena bytes of a JSON string of the input: the input's own bytes unless the
    /// string has escapes, which are decoded and appended after the input.
    @inline(__always)
    mutating func jsonStringRef(_ token: JSONStringToken, from scanner: JSONScanner, inputCount: Int) -> ByteRef {
        if token.count == 0 { return .empty }
        if !token.hasEscapes {
            return ByteRef(offset: UInt32(truncatingIfNeeded: token.start), count: UInt32(truncatingIfNeeded: token.count))
        }
        return appendUnescaped(token, from: scanner, inputCount: inputCount)
    }

    /// Decodes a JSON string's escapes into the arena and returns where it went.
    mutating func appendUnescaped(_ token: JSONStringToken, from scanner: JSONScanner, inputCount: Int) -> ByteRef {
        reserveArenaForAppends(inputCount: inputCount)
        let offset = arena.count
        scanner.appendUnescaped(token, to: &arena)
        let count = arena.count - offset
        return count == 0 ? .empty : ByteRef(offset: UInt32(truncatingIfNeeded: offset), count: UInt32(truncatingIfNeeded: count))
    }

    /// Before the first bytes are appended to the arena, which is the input's own buffer
    /// until then: copies it once with room for what decoding adds (always shorter than
    /// the text it comes from), rather than letting the first append double it.
    @inline(__always)
    mutating func reserveArenaForAppends(inputCount: Int) {
        if arena.count == inputCount { arena.reserveCapacity(inputCount + inputCount / 4 + 1024) }
    }
}
