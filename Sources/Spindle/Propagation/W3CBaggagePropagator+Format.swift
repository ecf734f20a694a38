extension W3CBaggagePropagator {
    /// Parses a `baggage` header value.
    ///
    /// - Members are separated by `,`; spaces and tabs around members, keys, values and
    ///   properties are ignored, and empty members skipped.
    /// - A member is `key = value *(; property)`: the key an RFC 7230 `token`, the value
    ///   `baggage-octet`s (which it percent-decodes, U+FFFD for ill-formed UTF-8), each
    ///   property `key` or `key = value`. A member that breaks this grammar is dropped.
    /// - Properties are kept, in wire form, as ``Baggage/Entry/metadata``.
    /// - Limits: a member over 4096 bytes is dropped; members beyond the 180th, or beyond
    ///   8192 bytes in all, are dropped.
    /// - When a key repeats, the last value wins, at the first position.
    public static func parse(_ value: String) -> Baggage {
        var baggage = Baggage()
        var limits = BaggageLimits()
        let bytes = Array(value.utf8)
        for raw in bytes.split(separator: PropagationText.comma, omittingEmptySubsequences: false) {
            let member = PropagationText.trimmingOWS(raw)
            guard !member.isEmpty, let entry = parseMember(member) else { continue }
            switch limits.admit(bytes: member.count) {
            case .admit: baggage.set(entry.key, entry.value, metadata: entry.metadata)
            case .skip: continue
            case .stop: return baggage
            }
        }
        return baggage
    }

    /// The `baggage` value for `baggage`, or nil when no entry can be written.
    ///
    /// Each entry is `key=value` with the value percent-encoded: every octet outside
    /// `baggage-octet`, and `%` and `+` (the OpenTelemetry Python SDK decodes `+` as a
    /// space), followed by `;` and the metadata when it is valid W3C properties (invalid
    /// metadata is left out). Entries whose key is not a `token` are skipped; the limits
    /// of ``parse(_:)`` apply, whole entries only.
    public static func headerValue(of baggage: Baggage) -> String? {
        var members: [String] = []
        var limits = BaggageLimits()
        for entry in baggage.entries where isToken(Array(entry.key.utf8)[...]) {
            var member = entry.key + "=" + PropagationPercentEncoding.encode(entry.value, keeping: isUnencoded)
            if !entry.metadata.isEmpty, let metadata = normalizedProperties(Array(entry.metadata.utf8)[...]) {
                member += ";" + metadata
            }
            switch limits.admit(bytes: member.utf8.count) {
            case .admit: members.append(member)
            case .skip: continue
            case .stop: return members.isEmpty ? nil : members.joined(separator: ",")
            }
        }
        return members.isEmpty ? nil : members.joined(separator: ",")
    }

    private static func parseMember(_ member: ArraySlice<UInt8>) -> Baggage.Entry? {
        let pair = member.firstIndex(of: PropagationText.semicolon).map { member[..<$0] } ?? member
        guard let equals = pair.firstIndex(of: PropagationText.equals) else { return nil }
        let key = PropagationText.trimmingOWS(pair[..<equals])
        let value = PropagationText.trimmingOWS(pair[(equals + 1)...])
        guard isToken(key), value.allSatisfy(isBaggageOctet) else { return nil }
        var metadata = ""
        if pair.endIndex < member.endIndex {
            guard let properties = normalizedProperties(member[(pair.endIndex + 1)...]) else { return nil }
            metadata = properties
        }
        return Baggage.Entry(key: PropagationText.string(key), value: PropagationPercentEncoding.decode(value), metadata: metadata)
    }

    /// `property *(OWS ";" OWS property)` with optional whitespace removed, or nil when any
    /// property breaks the grammar.
    private static func normalizedProperties(_ bytes: ArraySlice<UInt8>) -> String? {
        var properties: [String] = []
        for raw in bytes.split(separator: PropagationText.semicolon, omittingEmptySubsequences: false) {
            let property = PropagationText.trimmingOWS(raw)
            if let equals = property.firstIndex(of: PropagationText.equals) {
                let key = PropagationText.trimmingOWS(property[..<equals])
                let value = PropagationText.trimmingOWS(property[(equals + 1)...])
                guard isToken(key), value.allSatisfy(isBaggageOctet) else { return nil }
                properties.append(PropagationText.string(key) + "=" + PropagationText.string(value))
            } else {
                guard isToken(property) else { return nil }
                properties.append(PropagationText.string(property))
            }
        }
        return properties.joined(separator: ";")
    }

    /// RFC 7230 `token`: one or more `tchar`.
    static func isToken(_ bytes: ArraySlice<UInt8>) -> Bool {
        !bytes.isEmpty && bytes.allSatisfy(isTokenCharacter)
    }

    private static func isTokenCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"),
             UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"),
             UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            true
        default:
            false
        }
    }

    /// `baggage-octet = %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E`.
    private static func isBaggageOctet(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x21, 0x23...0x2B, 0x2D...0x3A, 0x3C...0x5B, 0x5D...0x7E: true
        default: false
        }
    }

    /// The octets written as they are: `baggage-octet`s other than `%` and `+`.
    static func isUnencoded(_ byte: UInt8) -> Bool {
        isBaggageOctet(byte) && byte != PropagationText.percent && byte != UInt8(ascii: "+")
    }
}
