import SpindleModel

/// A Bloom filter over trace IDs: "certainly not in this block" without touching the
/// index. Ten bits and seven probes per trace, about a 1% false-positive rate.
struct BloomFilter: Sendable {
    static let bitsPerTrace = 10
    static let probes = 7

    private(set) var words: [UInt64]
    let bitCount: Int

    init(traceCount: Int) {
        bitCount = max(64, traceCount * Self.bitsPerTrace)
        words = [UInt64](repeating: 0, count: (bitCount + 63) / 64)
    }

    init(words: [UInt64], bitCount: Int) {
        self.words = words
        self.bitCount = bitCount
    }

    /// Double hashing (Kirsch–Mitzenmacher) over two mixes of the ID's halves: trace
    /// IDs are random, but a mix keeps patterned test IDs well spread too.
    private func positions(_ id: TraceID) -> (UInt64, UInt64) {
        (Self.mix(id.high ^ 0x9E37_79B9_7F4A_7C15 &* id.low), Self.mix(id.low &+ 0xBF58_476D_1CE4_E5B9) | 1)
    }

    /// SplitMix64's finalizer.
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func insert(_ id: TraceID) {
        let (first, step) = positions(id)
        Self.setBits(&words, bitCount: bitCount, first: first, step: step, probes: Self.probes)
    }

    func mayContain(_ id: TraceID) -> Bool {
        let (first, step) = positions(id)
        return Self.testBits(words, bitCount: bitCount, first: first, step: step, probes: Self.probes)
    }

    /// The probe positions `first + i * step` (mod `bitCount`), for both filters.
    static func setBits(_ words: inout [UInt64], bitCount: Int, first: UInt64, step: UInt64, probes: Int) {
        for probe in 0..<UInt64(probes) {
            let bit = Int((first &+ probe &* step) % UInt64(bitCount))
            words[bit >> 6] |= 1 << UInt64(bit & 63)
        }
    }

    static func testBits(_ words: [UInt64], bitCount: Int, first: UInt64, step: UInt64, probes: Int) -> Bool {
        for probe in 0..<UInt64(probes) {
            let bit = Int((first &+ probe &* step) % UInt64(bitCount))
            if words[bit >> 6] & (1 << UInt64(bit & 63)) == 0 { return false }
        }
        return true
    }
}

/// A small Bloom filter over 64-bit keys: per page, the (attribute key, string value)
/// pairs its spans and resources carry, so an equality search skips pages without the
/// pair. Six bits and four probes per key, about 5.6% false positives.
struct KeyFilter: Sendable {
    static let bitsPerKey = 6
    static let probes = 4

    private(set) var words: [UInt64]
    var bitCount: Int { words.count * 64 }

    init(keyCount: Int) {
        words = [UInt64](repeating: 0, count: max(1, (keyCount * Self.bitsPerKey + 63) / 64))
    }

    init(words: [UInt64]) {
        self.words = words.isEmpty ? [0] : words
    }

    /// The key of a span attribute (`resource` false) or resource attribute pair: the
    /// attribute key's index in the block catalog and a hash of the value's bytes.
    static func key(attribute: UInt32, valueHash: UInt32, resource: Bool) -> UInt64 {
        (resource ? 1 << 63 : 0) | UInt64(attribute & 0x7FFF_FFFF) << 32 | UInt64(valueHash)
    }

    /// The 32-bit hash of a string value's UTF-8 bytes used in keys.
    static func valueHash(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        UInt32(truncatingIfNeeded: StringDictionaryBuilder.hash(bytes))
    }

    static func valueHash(_ string: String) -> UInt32 {
        var string = string
        return string.withUTF8 { valueHash(UnsafeRawBufferPointer($0)) }
    }

    private func positions(_ key: UInt64) -> (UInt64, UInt64) {
        let z = BloomFilter.mix(key)
        return (z, (z >> 32 | z << 32) | 1)
    }

    mutating func insert(_ key: UInt64) {
        let (first, step) = positions(key)
        BloomFilter.setBits(&words, bitCount: bitCount, first: first, step: step, probes: Self.probes)
    }

    func mayContain(_ key: UInt64) -> Bool {
        let (first, step) = positions(key)
        return BloomFilter.testBits(words, bitCount: bitCount, first: first, step: step, probes: Self.probes)
    }
}
