/// The small system `spindle demo` runs: a shop of five services that call each other
/// over HTTP on loopback, each a separate process with its own tracer.
///
///     frontend ──▶ api ──▶ payments
///                   ├───▶ inventory ──▶ db
///                   └───▶ db
///
/// Latencies, errors and slow paths are drawn at random per request, so the traces show
/// what real ones do: most requests fast, a few slow, some failing in a backend.
enum DemoTopology {
    enum Service: String, CaseIterable, Sendable {
        case frontend
        case api
        case payments
        case inventory
        case db

        /// Its port: consecutive from the base port, in declaration order.
        func port(base: Int) -> Int {
            base + Service.allCases.firstIndex(of: self)!
        }

        var version: String {
            switch self {
            case .frontend: "2.4.1"
            case .api: "1.19.0"
            case .payments: "3.2.0"
            case .inventory: "1.7.3"
            case .db: "15.4"
            }
        }
    }

    /// What the load generator asks the frontend for, with weights.
    static let requests: [(method: String, path: String, weight: Int)] = [
        ("GET", "/", 4),
        ("GET", "/product/{id}", 6),
        ("POST", "/checkout", 3),
        ("GET", "/cart", 2),
    ]
}

/// Draws latencies and outcomes; a seeded generator per process.
struct DemoDice: Sendable {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed == 0 ? 0x9E37_79B9_7F4A_7C15 : seed
    }

    /// A uniform value in 0..<1 (splitmix64).
    mutating func unit() -> Double {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Double(z >> 11) / Double(1 << 53)
    }

    /// True with probability `p`.
    mutating func chance(_ p: Double) -> Bool {
        unit() < p
    }

    /// Milliseconds between `low` and `high`.
    mutating func millis(_ low: Double, _ high: Double) -> Duration {
        .microseconds(Int64((low + (high - low) * unit()) * 1000))
    }

    mutating func pick(_ count: Int) -> Int {
        min(count - 1, Int(unit() * Double(count)))
    }
}
