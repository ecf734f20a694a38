/// TraceQL duration literals, as Go's `time.ParseDuration` reads them (without a sign):
/// one or more `<number><unit>` parts, such as `10ms`, `1.5s` or `1h30m`, with units
/// `ns`, `us`, `µs`, `μs`, `ms`, `s`, `m`, `h`.
enum DurationLiteral {
    struct Problem: Error {
        var message: String
    }

    static let units: [(name: String, nanoseconds: UInt64)] = [
        ("ns", 1), ("us", 1_000), ("\u{B5}s", 1_000), ("\u{3BC}s", 1_000), ("ms", 1_000_000),
        ("s", 1_000_000_000), ("m", 60_000_000_000), ("h", 3_600_000_000_000),
    ]

    /// Nanoseconds; exact (fractions are computed in integers and truncated, as Go does).
    static func parse(_ text: String) throws(Problem) -> Int64 {
        let scalars = Array(text.unicodeScalars)
        var index = 0
        var total: UInt64 = 0
        if scalars.isEmpty { throw Problem(message: "empty duration") }
        while index < scalars.count {
            // The number: digits, optionally a fraction.
            let numberStart = index
            var whole: UInt64 = 0
            var sawDigits = false
            while index < scalars.count, Lexer.isDigit(scalars[index]) {
                let digit = UInt64(scalars[index].value - 0x30)
                let (times10, o1) = whole.multipliedReportingOverflow(by: 10)
                let (sum, o2) = times10.addingReportingOverflow(digit)
                if o1 || o2 { throw Problem(message: "out of range") }
                whole = sum
                sawDigits = true
                index += 1
            }
            var fraction: UInt64 = 0
            var scale: UInt64 = 1
            if index < scalars.count, scalars[index] == "." {
                index += 1
                while index < scalars.count, Lexer.isDigit(scalars[index]) {
                    // Digits past 18 cannot change a nanosecond count.
                    if scale < 1_000_000_000_000_000_000 {
                        fraction = fraction * 10 + UInt64(scalars[index].value - 0x30)
                        scale *= 10
                    }
                    sawDigits = true
                    index += 1
                }
            }
            if !sawDigits {
                let rest = String(String.UnicodeScalarView(scalars[index...]))
                throw Problem(message: "expected a number before \"\(rest)\"")
            }
            let number = String(String.UnicodeScalarView(scalars[numberStart..<index]))
            // The unit: letters up to the next digit or dot.
            let unitStart = index
            while index < scalars.count, !Lexer.isDigit(scalars[index]), scalars[index] != "." { index += 1 }
            let unit = String(String.UnicodeScalarView(scalars[unitStart..<index]))
            if unit.isEmpty { throw Problem(message: "missing unit after \"\(number)\" (use ns, us, µs, ms, s, m or h)") }
            guard let factor = units.first(where: { $0.name == unit })?.nanoseconds else {
                throw Problem(message: "unknown unit \"\(unit)\" (use ns, us, µs, ms, s, m or h)")
            }
            let (scaled, overflow) = whole.multipliedReportingOverflow(by: factor)
            if overflow { throw Problem(message: "out of range") }
            // fraction / scale < 1, so fraction * factor / scale < factor: no overflow.
            let product = fraction.multipliedFullWidth(by: factor)
            let fractional = scale.dividingFullWidth((high: product.high, low: product.low)).quotient
            let (part, o1) = scaled.addingReportingOverflow(fractional)
            let (sum, o2) = total.addingReportingOverflow(part)
            if o1 || o2 { throw Problem(message: "out of range") }
            total = sum
        }
        guard total <= UInt64(Int64.max) else { throw Problem(message: "out of range") }
        return Int64(total)
    }

    /// The shortest text in one unit that reads back as `nanoseconds`: `90m`, `1500ms`,
    /// `0s`; a negative value is printed with a leading `-`.
    static func format(_ nanoseconds: Int64) -> String {
        if nanoseconds == 0 { return "0s" }
        let sign = nanoseconds < 0 ? "-" : ""
        let magnitude = nanoseconds.magnitude
        for (name, factor) in [("h", UInt64(3_600_000_000_000)), ("m", 60_000_000_000), ("s", 1_000_000_000), ("ms", 1_000_000), ("us", 1_000)]
        where magnitude % factor == 0 {
            return "\(sign)\(magnitude / factor)\(name)"
        }
        return "\(sign)\(magnitude)ns"
    }
}
