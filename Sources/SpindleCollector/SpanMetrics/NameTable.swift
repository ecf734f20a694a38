/// An open-addressing index from a hash to small integer ids, for lookups by bytes in
/// the ingest path: one hash of the bytes (the caller's), no second hashing of the key as
/// a `Dictionary` would do, and stored hashes so that a probe compares entries only when
/// their hashes are equal.
///
/// Never holds more than `capacity` ids (callers check before inserting); the table is
/// twice that, rounded up to a power of two, so probes stay short.
struct HashIndex {
    private var slots: [Int32]
    private var slotHashes: [Int]
    private let mask: Int

    init(capacity: Int) {
        var size = 16
        while size < capacity * 2 { size *= 2 }
        slots = Array(repeating: -1, count: size)
        slotHashes = Array(repeating: 0, count: size)
        mask = size - 1
    }

    /// The id under `hash` that `matches` accepts, or nil and the slot to insert it in.
    @inline(__always)
    func find(_ hash: Int, _ matches: (Int32) -> Bool) -> (id: Int32?, slot: Int) {
        var slot = hash & mask
        while slots[slot] >= 0 {
            if slotHashes[slot] == hash, matches(slots[slot]) { return (slots[slot], slot) }
            slot = (slot + 1) & mask
        }
        return (nil, slot)
    }

    /// Stores `id` in the empty `slot` that ``find(_:_:)`` answered.
    mutating func insert(_ id: Int32, hash: Int, slot: Int) {
        slots[slot] = id
        slotHashes[slot] = hash
    }
}

/// Names (services, peers) interned to small ids, so that series, waiting spans and edges
/// hold an `Int32` rather than a String, and a name seen before costs a hash and a
/// compare, no allocation.
///
/// Bounded: at most `capacity` names; ``intern(_:)`` answers nil past that (callers count
/// such names as overflow). Id 0 is `__overflow__`, id 1 is `user`.
struct NameTable {
    static let overflowID: Int32 = 0
    static let userID: Int32 = 1

    private(set) var names: [String] = []
    private var bytes: [[UInt8]] = []
    private var index: HashIndex
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity + 2
        index = HashIndex(capacity: capacity + 2)
        for name in [SpanMetrics.overflowLabel, SpanMetrics.userClient] {
            Array(name.utf8).withUnsafeBytes { _ = intern($0) }
        }
    }

    /// The id of `name`, added if new and there is room.
    mutating func intern(_ name: UnsafeRawBufferPointer) -> Int32? {
        var hasher = Hasher()
        hasher.combine(bytes: name)
        let hash = hasher.finalize()
        let found = index.find(hash) { ArenaReading.equal(name, bytes[Int($0)]) }
        if let id = found.id { return id }
        guard names.count < capacity else { return nil }
        let id = Int32(names.count)
        names.append(String(decoding: name, as: UTF8.self))
        bytes.append(Array(name))
        index.insert(id, hash: hash, slot: found.slot)
        return id
    }

    subscript(id: Int32) -> String { names[Int(id)] }
}
