import SpindleModel

/// A consistent-hash ring of collectors: which collector owns a trace, and which takes it
/// when collectors are out.
///
/// - Each member (a collector's base URL) is placed on a 64-bit ring at `virtualNodes`
///   points, the hashes of `"<url>#<n>"` for n in 0..<virtualNodes. A trace ID's owner
///   is the member of the first point at or after the trace ID's hash, wrapping around.
/// - Positions depend only on the URL text, never on the order of the list, so every
///   router given the same URLs routes every trace the same way.
/// - Adding a member moves only the traces whose hashes fall in the arcs its new points
///   take, about 1/(N+1) of them, and every one of those moves *to* the new member;
///   removing a member moves only its own traces, each to the next distinct member
///   clockwise from the trace's hash.
/// - ``target(for:tried:avoiding:)`` walks clockwise past members already tried: the
///   member it returns is the trace's owner on the ring without the tried members, so a
///   trace whose collector is out goes where it would go if that collector were removed.
///
/// The hashes (``hash(_:)-(String)``, ``hash(_:)-(TraceID)``) are FNV-1a 64 followed by
/// the MurmurHash3 64-bit finalizer. They are part of the routing contract: changing them
/// reroutes every trace of a fleet, so a test pins their values.
struct HashRing: Sendable {
    /// The number of members; member indices are 0..<memberCount.
    let memberCount: Int
    /// Ring positions, ascending (ties ordered by member).
    private let points: [UInt64]
    /// The member at each position of ``points``.
    private let owners: [Int]

    /// A ring of `members` (at least one, no duplicates) with `virtualNodes` points each.
    init(members: [String], virtualNodes: Int) {
        precondition(!members.isEmpty && virtualNodes >= 1, "a hash ring needs at least one member and one point per member")
        var placed: [(point: UInt64, member: Int)] = []
        placed.reserveCapacity(members.count * virtualNodes)
        for (member, url) in members.enumerated() {
            for node in 0..<virtualNodes {
                placed.append((Self.hash("\(url)#\(node)"), member))
            }
        }
        placed.sort { ($0.point, $0.member) < ($1.point, $1.member) }
        memberCount = members.count
        points = placed.map(\.point)
        owners = placed.map(\.member)
    }

    /// The member that owns `traceID` when every member is in.
    func owner(of traceID: TraceID) -> Int {
        owners[firstPosition(atOrAfter: Self.hash(traceID))]
    }

    /// Where `traceID` goes: walking clockwise from its hash, the first member that is
    /// neither in `tried` nor in `avoiding`; if every untried member is avoided, the first
    /// untried one when `orAvoided`, else nil. Nil when every member was tried. Both
    /// arrays have one flag per member.
    func target(for traceID: TraceID, tried: [Bool], avoiding: [Bool], orAvoided: Bool = true) -> Int? {
        let start = firstPosition(atOrAfter: Self.hash(traceID))
        var fallback: Int?
        var seen = 0
        var seenMembers = [Bool](repeating: false, count: memberCount)
        var position = start
        // At most one lap; stops as soon as every member has been seen once.
        for _ in 0..<points.count {
            let member = owners[position]
            if !seenMembers[member] {
                seenMembers[member] = true
                seen += 1
                if !tried[member] {
                    if !avoiding[member] { return member }
                    if fallback == nil { fallback = member }
                }
                if seen == memberCount { break }
            }
            position = position + 1 == points.count ? 0 : position + 1
        }
        return orAvoided ? fallback : nil
    }

    /// Every member once, in the order `traceID` would try them: its owner first, then
    /// each next distinct member clockwise.
    func preferenceList(for traceID: TraceID) -> [Int] {
        var tried = [Bool](repeating: false, count: memberCount)
        let none = tried
        var list: [Int] = []
        while let member = target(for: traceID, tried: tried, avoiding: none) {
            list.append(member)
            tried[member] = true
        }
        return list
    }

    /// The share of the ring, in 0...1, whose hashes `member` owns.
    func share(of member: Int) -> Double {
        if memberCount == 1 { return 1 }
        var owned: Double = 0
        for index in points.indices where owners[index] == member {
            // A point owns the arc from the previous point (exclusive) up to itself.
            let previous = index == 0 ? points[points.count - 1] : points[index - 1]
            owned += Double(points[index] &- previous)
        }
        return owned / 18_446_744_073_709_551_616.0
    }

    private func firstPosition(atOrAfter hash: UInt64) -> Int {
        var low = 0
        var high = points.count
        while low < high {
            let middle = (low + high) / 2
            if points[middle] < hash { low = middle + 1 } else { high = middle }
        }
        return low == points.count ? 0 : low
    }

    // MARK: Hashes

    /// The ring position of a virtual node's key.
    static func hash(_ key: String) -> UInt64 {
        var state = FNV1a()
        for byte in key.utf8 { state.add(byte) }
        return finalize(state.value)
    }

    /// The ring position of a trace: its 16 bytes, big-endian, as OTLP carries them.
    static func hash(_ traceID: TraceID) -> UInt64 {
        var state = FNV1a()
        // Byte by byte from the two halves, without building an array per span.
        for shift in stride(from: 56, through: 0, by: -8) { state.add(UInt8(truncatingIfNeeded: traceID.high >> UInt64(shift))) }
        for shift in stride(from: 56, through: 0, by: -8) { state.add(UInt8(truncatingIfNeeded: traceID.low >> UInt64(shift))) }
        return finalize(state.value)
    }

    private struct FNV1a {
        var value: UInt64 = 0xcbf2_9ce4_8422_2325

        mutating func add(_ byte: UInt8) {
            value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
    }

    /// MurmurHash3's fmix64: spreads FNV's weak high bits over the whole word, so
    /// URLs that differ only in their last characters land far apart.
    private static func finalize(_ value: UInt64) -> UInt64 {
        var x = value
        x ^= x >> 33
        x &*= 0xff51_afd7_ed55_8ccd
        x ^= x >> 33
        x &*= 0xc4ce_b9fe_1a85_ec53
        x ^= x >> 33
        return x
    }
}
