#if canImport(Glibc)
import Glibc
#endif

/// Strings each stored once, referred to by index: a page's own string table, and a
/// block's catalog (span names and attribute keys).
struct StringDictionaryBuilder {
    /// Every string's bytes, back to back; string `i` is `storage[offsets[i]..<offsets[i + 1]]`.
    private var storage: [UInt8] = []
    private var offsets: [Int] = [0]
    /// Open addressing over string ids + 1 (0 is an empty slot); kept under half full.
    private var slots = [UInt32](repeating: 0, count: 1 << 12)
    private var hashes: [UInt64] = []

    var count: Int { offsets.count - 1 }

    /// The id of the string with these UTF-8 bytes, added when new. Strings are compared
    /// by bytes: Swift's `String` equality is canonical equivalence ("é" precomposed
    /// equals "e" + combining accent), which would merge two different byte sequences
    /// into one entry and change what a reader gets back.
    mutating func id(bytes: UnsafeRawBufferPointer) -> UInt32 {
        let hash = Self.hash(bytes)
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while slots[slot] != 0 {
            let candidate = Int(slots[slot] - 1)
            if hashes[candidate] == hash, equals(candidate, bytes) { return UInt32(candidate) }
            slot = (slot + 1) & mask
        }
        let id = count
        storage.append(contentsOf: bytes)
        offsets.append(storage.count)
        hashes.append(hash)
        slots[slot] = UInt32(id + 1)
        if count * 2 > slots.count { grow() }
        return UInt32(id)
    }

    mutating func id(_ string: String) -> UInt32 {
        var string = string
        return string.withUTF8 { id(bytes: UnsafeRawBufferPointer($0)) }
    }

    private func equals(_ id: Int, _ bytes: UnsafeRawBufferPointer) -> Bool {
        let start = offsets[id]
        let length = offsets[id + 1] - start
        guard length == bytes.count else { return false }
        if length == 0 { return true }
        return storage.withUnsafeBytes { memcmp($0.baseAddress! + start, bytes.baseAddress!, length) == 0 }
    }

    private mutating func grow() {
        slots = [UInt32](repeating: 0, count: slots.count * 2)
        let mask = slots.count - 1
        for id in 0..<count {
            var slot = Int(truncatingIfNeeded: hashes[id]) & mask
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = UInt32(id + 1)
        }
    }

    /// FNV-1a over 8-byte words then the tail, finished with a 64-bit mix: strings here
    /// come from clients, but the table only needs spread, and a collision costs a
    /// comparison, not correctness.
    static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325 ^ UInt64(bytes.count)
        var index = 0
        while index + 8 <= bytes.count {
            hash = (hash ^ UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self))) &* 0x0000_0100_0000_01B3
            hash ^= hash >> 29
            index += 8
        }
        while index < bytes.count {
            hash = (hash ^ UInt64(bytes[index])) &* 0x0000_0100_0000_01B3
            index += 1
        }
        hash ^= hash >> 33
        hash &*= 0xFF51_AFD7_ED55_8CCD
        hash ^= hash >> 33
        return hash
    }

    /// varint count, then per string a varint byte length and its UTF-8 bytes.
    func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: storage.count + count * 2 + 8)
        writer.varint(count)
        for id in 0..<count {
            writer.lengthPrefixed(storage[offsets[id]..<offsets[id + 1]])
        }
        return writer.bytes
    }
}

/// A decoded dictionary, with the reverse map for turning query strings into indexes.
struct StringDictionary: Sendable {
    let strings: [String]
    /// The first id of each string, by Swift `String` equality (canonical equivalence).
    let ids: [String: UInt32]
    /// Strings with more than one id: different bytes, canonically equivalent.
    let ambiguous: Set<String>

    /// `indexed` builds ``ids`` and ``ambiguous`` (the catalog needs them; a page's own
    /// string table, read on every page decode, does not).
    init(decoding bytes: [UInt8], indexed: Bool = true) throws(FormatError) {
        var reader = ByteReader(bytes)
        let count = try reader.count(atMost: bytes.count, "the dictionary's string count")
        var strings: [String] = []
        strings.reserveCapacity(count)
        var ids: [String: UInt32] = [:]
        ids.reserveCapacity(count)
        var ambiguous = Set<String>()
        for index in 0..<count {
            let string = String(decoding: try reader.lengthPrefixed(), as: UTF8.self)
            strings.append(string)
            guard indexed else { continue }
            if ids[string] == nil { ids[string] = UInt32(index) } else { ambiguous.insert(string) }
        }
        self.strings = strings
        self.ids = ids
        self.ambiguous = ambiguous
    }

    func string(_ id: UInt32, at reader: ByteReader) throws(FormatError) -> String {
        guard Int(id) < strings.count else { throw reader.error("string \(id) is past the dictionary's \(strings.count)") }
        return strings[Int(id)]
    }
}
