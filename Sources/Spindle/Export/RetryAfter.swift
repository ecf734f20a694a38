/// Parses the HTTP `Retry-After` header (RFC 9110 §10.2.3): a number of seconds, or an
/// HTTP date (IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT`).
enum RetryAfter {
    /// The wait the header asks for, measured from `nowUnixSeconds` for a date; a date in
    /// the past asks for no wait. Nil when the header is neither form.
    static func delay(_ header: String, nowUnixSeconds: Int64) -> Duration? {
        let text = header.trimmingSpaces
        if let seconds = Int64(text), seconds >= 0 { return .seconds(seconds) }
        guard let date = unixSeconds(imfFixdate: text) else { return nil }
        return .seconds(max(0, date - nowUnixSeconds))
    }

    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// Seconds since 1970 of an IMF-fixdate, or nil.
    static func unixSeconds(imfFixdate text: String) -> Int64? {
        let parts = text.split(separator: " ")
        guard parts.count == 6, parts[0].hasSuffix(","), parts[5] == "GMT",
              let day = Int(parts[1]), (1...31).contains(day),
              let monthIndex = months.firstIndex(of: String(parts[2])),
              let year = Int64(parts[3]), parts[3].count == 4
        else { return nil }
        let clock = parts[4].split(separator: ":", omittingEmptySubsequences: false)
        guard clock.count == 3, clock.allSatisfy({ $0.count == 2 }),
              let hour = Int64(clock[0]), let minute = Int64(clock[1]), let second = Int64(clock[2]),
              hour < 24, minute < 60, second < 61
        else { return nil }
        let days = CivilDate.toDays(year: year, month: monthIndex + 1, day: day)
        return days * 86400 + hour * 3600 + minute * 60 + second
    }
}

extension String {
    /// Without leading and trailing spaces and tabs.
    fileprivate var trimmingSpaces: String {
        var scalars = Substring(self)
        while let first = scalars.first, first == " " || first == "\t" { scalars.removeFirst() }
        while let last = scalars.last, last == " " || last == "\t" { scalars.removeLast() }
        return String(scalars)
    }
}
