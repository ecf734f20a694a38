import SpindleModel
import Synchronization

/// Random trace and span IDs without a lock and without a system call per ID.
///
/// One process-wide 64-bit counter, seeded once from `SystemRandomNumberGenerator`,
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

    @inline(__always)
    static func next() -> UInt64 {
        while true {
            let (_, advanced) = state.wrappingAdd(increment, ordering: .relaxed)
            var z = advanced
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            if z != 0 { return z }
        }
    }

    static func spanID() -> SpanID { SpanID(next()) }

    static func traceID() -> TraceID { TraceID(high: next(), low: next()) }
}
