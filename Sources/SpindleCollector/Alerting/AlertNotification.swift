import SpindleWire

/// An alert that started firing or resolved: what a webhook is sent.
public struct AlertNotification: Sendable, Hashable {
    public var ruleName: String
    /// ``AlertState/firing`` or ``AlertState/resolved``.
    public var state: AlertState
    /// The condition's value at the evaluation that sent this (see ``AlertStatus/value``).
    public var value: Double?
    /// When the alert started firing, since the Unix epoch.
    public var startsAt: Duration
    /// When it resolved; nil while it fires.
    public var endsAt: Duration?
    /// `alertname`, `service`, `operation` and the rule's labels.
    public var labels: [String: String]
    public var annotations: [String: String]
    /// What the condition found, in words.
    public var message: String

    public init(ruleName: String, state: AlertState, value: Double?, startsAt: Duration, endsAt: Duration?, labels: [String: String], annotations: [String: String], message: String) {
        self.ruleName = ruleName
        self.state = state
        self.value = value
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.labels = labels
        self.annotations = annotations
        self.message = message
    }

    /// A body in the shape of Alertmanager's webhook (version 4), so receivers written for
    /// Alertmanager read it: `{"version":"4","status":"firing","alerts":[{...}],...}` with
    /// one alert, grouped by `alertname`. Times are RFC 3339 in UTC; a firing alert's
    /// `endsAt` is Go's zero time, as Alertmanager sends it. Each alert also carries
    /// `value` and `message`, which Alertmanager receivers ignore.
    public func jsonBody() -> [UInt8] {
        let status = state == .resolved ? "resolved" : "firing"
        return JSONWriter.object { writer in
            writer.member("version", "4")
            writer.member("groupKey", "{}:{alertname=\(Self.quoted(ruleName))}")
            writer.member("truncatedAlerts", 0)
            writer.member("status", status)
            writer.member("receiver", "spindle")
            writer.key("groupLabels")
            Self.write(["alertname": labels["alertname"] ?? ruleName], into: &writer)
            writer.key("commonLabels")
            Self.write(labels, into: &writer)
            writer.key("commonAnnotations")
            Self.write(annotations, into: &writer)
            writer.member("externalURL", "")
            writer.key("alerts")
            writer.beginArray()
            writer.object { writer in
                writer.member("status", status)
                writer.key("labels")
                Self.write(labels, into: &writer)
                writer.key("annotations")
                Self.write(annotations, into: &writer)
                writer.member("startsAt", AlertTimestamp.rfc3339(startsAt))
                writer.member("endsAt", endsAt.map(AlertTimestamp.rfc3339) ?? AlertTimestamp.goZeroTime)
                writer.member("generatorURL", "")
                writer.member("fingerprint", AlertTimestamp.fingerprint(labels))
                writer.key("value")
                if let value { writer.double(value) } else { writer.null() }
                writer.member("message", message)
            }
            writer.endArray()
        }
    }

    /// A body for a Slack incoming webhook (and the chat tools that accept its format):
    /// `{"text":"..."}` with the state, the rule, the summary annotation (else the
    /// message) and the start (and end) time. `&`, `<` and `>` are escaped as Slack
    /// requires, so no name or annotation can form a link or a mention.
    public func slackBody() -> [UInt8] {
        var text = state == .resolved ? "[RESOLVED] " : "[FIRING] "
        text += Self.slackEscaped(ruleName)
        text += ": "
        text += Self.slackEscaped(annotations["summary"] ?? message)
        if let description = annotations["description"] {
            text += "\n" + Self.slackEscaped(description)
        }
        text += "\nstarted " + AlertTimestamp.rfc3339(startsAt)
        if let endsAt { text += ", resolved " + AlertTimestamp.rfc3339(endsAt) }
        return JSONWriter.object { writer in
            writer.member("text", text)
        }
    }

    private static func write(_ dictionary: [String: String], into writer: inout JSONWriter) {
        writer.object { writer in
            for key in dictionary.keys.sorted() {
                writer.member(key, dictionary[key] ?? "")
            }
        }
    }

    /// `value` in double quotes with `\` and `"` escaped, as Alertmanager writes label
    /// values in a group key.
    private static func quoted(_ value: String) -> String {
        var result = "\""
        for character in value {
            switch character {
            case "\\": result += "\\\\"
            case "\"": result += "\\\""
            case "\n": result += "\\n"
            default: result.append(character)
            }
        }
        return result + "\""
    }

    static func slackEscaped(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}

/// Times and fingerprints as Alertmanager writes them.
enum AlertTimestamp {
    /// Go's zero `time.Time`, which Alertmanager sends as a firing alert's `endsAt`.
    static let goZeroTime = "0001-01-01T00:00:00Z"

    /// `time` since the Unix epoch as RFC 3339 in UTC: `2024-05-01T12:00:00Z`, with the
    /// fraction of a second (to nanoseconds, trailing zeros dropped) when there is one.
    static func rfc3339(_ time: Duration) -> String {
        // Seconds and attoseconds rather than nanoseconds, which overflow after 2262.
        var (seconds, attoseconds) = time.components
        if attoseconds < 0 {
            seconds -= 1
            attoseconds += 1_000_000_000_000_000_000
        }
        var days = seconds / 86_400
        var secondsOfDay = seconds % 86_400
        if secondsOfDay < 0 {
            days -= 1
            secondsOfDay += 86_400
        }
        let (year, month, day) = civilDate(daysSinceEpoch: days)
        let fraction = attoseconds / 1_000_000_000
        var text = pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2)
        text += "T" + pad(secondsOfDay / 3600, 2) + ":" + pad(secondsOfDay / 60 % 60, 2) + ":" + pad(secondsOfDay % 60, 2)
        if fraction > 0 {
            var digits = pad(fraction, 9)
            while digits.hasSuffix("0") { digits.removeLast() }
            text += "." + digits
        }
        return text + "Z"
    }

    /// The proleptic Gregorian date of a day number (days since 1970-01-01), by Howard
    /// Hinnant's `civil_from_days`.
    static func civilDate(daysSinceEpoch days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value.magnitude)
        let padded = String(repeating: "0", count: max(0, width - digits.count)) + digits
        return value < 0 ? "-" + padded : padded
    }

    /// Prometheus' label-set fingerprint (FNV-1a 64 over the sorted names and values, each
    /// followed by the byte 0xFF), as 16 hex digits: Alertmanager's alert `fingerprint`.
    static func fingerprint(_ labels: [String: String]) -> String {
        var hash: UInt64 = 14_695_981_039_346_656_037
        func add(_ byte: UInt8) {
            hash ^= UInt64(byte)
            hash = hash &* 1_099_511_628_211
        }
        for name in labels.keys.sorted() {
            for byte in name.utf8 { add(byte) }
            add(0xFF)
            for byte in (labels[name] ?? "").utf8 { add(byte) }
            add(0xFF)
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
