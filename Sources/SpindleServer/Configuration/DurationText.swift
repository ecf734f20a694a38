public import SpindleStore

/// Durations and fsync modes as people write them in flags and the configuration file.
public enum DurationText {
    /// Whole numbers with units, one or several: `250ms`, `10s`, `5m`, `36h`, `7d`,
    /// `1m30s`; `0` alone is zero. Nil when it is none of these or overflows.
    public static func parse(_ text: String) -> Duration? {
        if text == "0" { return .zero }
        let units: [(String, Int64)] = [("ms", 1), ("s", 1_000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000)]
        var rest = Substring(text)
        var total: Int64 = 0
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty, let value = Int64(digits) else { return nil }
            rest = rest.dropFirst(digits.count)
            // "ms" before "m", so "5ms" is not five minutes and an "s".
            guard let (unit, milliseconds) = units.first(where: { rest.hasPrefix($0.0) }) else { return nil }
            rest = rest.dropFirst(unit.count)
            let (scaled, overflow) = value.multipliedReportingOverflow(by: milliseconds)
            let (sum, sumOverflow) = total.addingReportingOverflow(scaled)
            guard !overflow, !sumOverflow else { return nil }
            total = sum
        }
        return .milliseconds(total)
    }

    /// `always`, `never`, `interval` (10ms) or `interval:DURATION`.
    public static func parseFsync(_ text: String) -> FsyncPolicy? {
        switch text.lowercased() {
        case "always": return .always
        case "never": return .never
        case "interval": return .interval(.milliseconds(10))
        default:
            guard text.lowercased().hasPrefix("interval:"), let duration = parse(String(text.dropFirst(9))), duration > .zero else { return nil }
            return .interval(duration)
        }
    }
}
