/// Durations as Go writes them, which Prometheus and Tempo users read daily: `5m0s`,
/// `1h30m0s`, `1.5s`, `250ms`, `0s`. For messages; values below a millisecond keep up to
/// four decimals of milliseconds.
enum GoDurationText {
    static func format(_ duration: Duration) -> String {
        let nanoseconds = duration.spanMetricsNanoseconds
        if nanoseconds == 0 { return "0s" }
        let sign = nanoseconds < 0 ? "-" : ""
        let magnitude = nanoseconds.magnitude
        if magnitude < 1_000_000_000 {
            return sign + number(Double(magnitude) / 1e6) + "ms"
        }
        let totalSeconds = magnitude / 1_000_000_000
        let hours = totalSeconds / 3600
        let minutes = totalSeconds / 60 % 60
        var text = sign
        if hours > 0 { text += "\(hours)h" }
        if hours > 0 || minutes > 0 { text += "\(minutes)m" }
        return text + number(Double(totalSeconds % 60) + Double(magnitude % 1_000_000_000) / 1e9) + "s"
    }

    /// At most four decimals, and none for a whole number: `0.25`, `0.3333`, `12`.
    static func number(_ value: Double) -> String {
        guard value.isFinite else { return value.description }
        let rounded = (value * 10_000).rounded() / 10_000
        if rounded == rounded.rounded(), abs(rounded) < 1e15 { return String(Int64(rounded)) }
        return rounded.description
    }
}
