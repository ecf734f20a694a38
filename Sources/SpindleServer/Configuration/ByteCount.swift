/// A number of bytes as people write it on a command line: `67108864`, `64MiB`, `64 MB`,
/// `1.5GiB`, `512k`.
///
/// Units follow IEC and SI, case-insensitively: `KiB`/`Ki`, `MiB`/`Mi`, `GiB`/`Gi`,
/// `TiB`/`Ti` are powers of 1024; `KB`/`K`, `MB`/`M`, `GB`/`G`, `TB`/`T` are powers of
/// 1000; `B` or no unit is bytes.
public enum ByteCount {
    /// The number of bytes `text` denotes, or nil when it is not a size (no number, an
    /// unknown unit, negative, a fraction of a byte, or more than `Int.max`).
    public static func parse(_ text: String) -> Int? {
        let trimmed = text.trimmingWhitespace()
        var numberEnd = trimmed.startIndex
        var sawDigit = false
        var sawPoint = false
        while numberEnd < trimmed.endIndex {
            let character = trimmed[numberEnd]
            if character.isASCII, character.isNumber {
                sawDigit = true
            } else if character == ".", !sawPoint {
                sawPoint = true
            } else {
                break
            }
            numberEnd = trimmed.index(after: numberEnd)
        }
        guard sawDigit else { return nil }
        let numberText = trimmed[..<numberEnd]
        let unit = String(trimmed[numberEnd...]).trimmingWhitespace().lowercased()
        guard let multiplier = multipliers[unit] else { return nil }

        if !sawPoint, let whole = Int(numberText) {
            let (product, overflow) = whole.multipliedReportingOverflow(by: multiplier)
            return overflow ? nil : product
        }
        guard let value = Double(numberText) else { return nil }
        let bytes = value * Double(multiplier)
        // Double(Int.max) rounds up to 2^63, so `<` keeps the conversion in range.
        guard bytes.isFinite, bytes < Double(Int.max), bytes == bytes.rounded(.down) else { return nil }
        return Int(bytes)
    }

    /// `67108864` as `64 MiB`, `1500` as `1500 B`: the largest binary unit that divides
    /// the count exactly, for messages.
    public static func format(_ bytes: Int) -> String {
        for (unit, size) in [("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)]
        where bytes >= size && bytes % size == 0 {
            return "\(bytes / size) \(unit)"
        }
        return "\(bytes) B"
    }

    private static let multipliers: [String: Int] = [
        "": 1, "b": 1,
        "k": 1_000, "kb": 1_000, "ki": 1 << 10, "kib": 1 << 10,
        "m": 1_000_000, "mb": 1_000_000, "mi": 1 << 20, "mib": 1 << 20,
        "g": 1_000_000_000, "gb": 1_000_000_000, "gi": 1 << 30, "gib": 1 << 30,
        "t": 1_000_000_000_000, "tb": 1_000_000_000_000, "ti": 1 << 40, "tib": 1 << 40,
    ]
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        var start = startIndex
        var end = endIndex
        while start < end, self[start].isWhitespace { start = index(after: start) }
        while end > start, self[index(before: end)].isWhitespace { end = index(before: end) }
        return String(self[start..<end])
    }
}
