import SpindleModel
import Synchronization

/// Random trace and span IDs without a lock and without a system call per ID.
///
/// One process-wide 64-bit counter (one atomic add per span, even for a root span's
/// three words), seeded once from `SystemRandomNumberGenerator`,
/// advances by the golden-ratio increment with a relaxed atomic add; each value is
/// scrambled by the SplitMix64 finalizer (a bijection, so no value repeats within 2⁶⁴
/// draws). IDs need to be unique and well spread, not secret. The zero output (one input
/// in 2⁶⁴) is skipped, so IDs are never all zero.
enum RandomIDGenerator {
    private static let state: Atomic<UInt64> = {
        var system = SystemRandomNumberGenerator()
        return Atomic(system.next())
    }()

    private static let increment: UInt64 = 0x9E37_79B9_7F4A_7C15

    /// Reserves `count` consecutive counter values with one atomic add; returns the last.
    @inline(__always)
    private static func reserve(_ count: UInt64) -> UInt64 {
        state.wrappingAdd(increment &* count, ordering: .relaxed).newValue
    }

    /// The SplitMix64 finalizer of counter value `z`, or nil for the one zero output.
    @inline(__always)
    private static func mix(_ value: UInt64) -> UInt64? {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return z == 0 ? nil : z
    }

    static func next() -> UInt64 {
        while true {
            if let value = mix(reserve(1)) { return value }
        }
    }

    static func spanID() -> SpanID { SpanID(next()) }

    static func traceID() -> TraceID { TraceID(high: next(), low: next()) }

    /// A new trace ID and the span ID of its root span, from one atomic add.
    static func rootIDs() -> (TraceID, SpanID) {
        let last = reserve(3)
        guard let high = mix(last &- 2 &* increment), let low = mix(last &- increment), let span = mix(last) else {
            return (traceID(), spanID())
        }
        return (TraceID(high: high, low: low), SpanID(span))
    }
}
