/// The W3C Baggage limits ("Limits" in the specification): 180 list members, 4096 bytes
/// per member, 8192 bytes for the whole header (members and the commas between them).
///
/// A platform must propagate at least this much and must never propagate part of a
/// member, so members are admitted whole or not at all.
struct BaggageLimits {
    static let maxEntries = 180
    static let maxEntryBytes = 4096
    static let maxTotalBytes = 8192

    private(set) var count = 0
    private var totalBytes = 0

    enum Decision {
        /// Keep the member.
        case admit
        /// Drop this member; later, smaller ones may still fit.
        case skip
        /// Drop this member and every later one.
        case stop
    }

    /// Whether a member of `bytes` wire bytes fits, counting it in when it does.
    mutating func admit(bytes: Int) -> Decision {
        guard bytes <= Self.maxEntryBytes else { return .skip }
        let cost = (count > 0 ? 1 : 0) + bytes
        guard count < Self.maxEntries, totalBytes + cost <= Self.maxTotalBytes else { return .stop }
        count += 1
        totalBytes += cost
        return .admit
    }
}
