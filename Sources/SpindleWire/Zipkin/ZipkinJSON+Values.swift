import SpindleModel

/// Attribute values inside Zipkin strings: typed JSON in annotation values and link tags,
/// as the tree decoder reads them (``ZipkinBatchEncoder`` writes them).
enum ZipkinValueText {
    /// Nesting allowed in the JSON embedded in an annotation value or link tag.
    static let embeddedMaxDepth = 32

    /// A JSON value as an attribute value, keeping its type: a number without fraction
    /// or exponent that fits `Int64` is an int, any other number a double.
    static func attributeValue(_ json: JSONValue) -> AttributeValue {
        switch json.kind {
        case .null: return .empty
        case .bool(let value): return .bool(value)
        case .string(let value): return .string(value)
        case .number(let raw):
            if !raw.utf8.contains(where: { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }),
               let int = json.int64Value
            {
                return .int(int)
            }
            return .double(json.doubleValue ?? .nan)
        case .array(let elements): return .array(elements.map(attributeValue))
        case .object(let members): return .keyValueList(members.map { Attribute($0.key, attributeValue($0.value)) })
        }
    }

    /// The JSON text of a string, quotes included.
    static func quoted(_ string: String) -> String {
        var writer = JSONWriter()
        writer.string(string)
        return String(decoding: writer.bytes, as: UTF8.self)
    }
}

/// Zipkin annotation values as span events.
enum ZipkinAnnotation {
    /// The name, attributes and dropped count an annotation value carries in one of the
    /// structured forms (see ``ZipkinJSON``), or nil for a plain name.
    static func parse(_ value: String) -> (name: String, attributes: [Attribute], droppedCount: UInt32)? {
        switch value.utf8.first {
        case UInt8(ascii: "{"):
            // {"name": {attributes}} — the OpenTelemetry Python SDK.
            if let parsed = parseWrapped(Array(value.utf8)) { return parsed }
        case UInt8(ascii: "\""):
            // "name": {attributes} — the specification.
            if let parsed = parseWrapped([UInt8(ascii: "{")] + Array(value.utf8) + [UInt8(ascii: "}")]) { return parsed }
        default:
            break
        }
        // name|{attributes}|droppedCount — the collector.
        guard value.utf8.contains(UInt8(ascii: "|")) else { return nil }
        let parts = value.split(separator: "|", omittingEmptySubsequences: false)
        guard parts.count >= 3, let dropped = UInt32(parts[parts.count - 1]) else { return nil }
        let jsonText = parts[1..<(parts.count - 1)].joined(separator: "|")
        guard let json = try? JSONReader.parse(Array(jsonText.utf8), maxDepth: ZipkinValueText.embeddedMaxDepth),
              let members = json.objectMembers
        else { return nil }
        return (String(parts[0]), members.map { Attribute($0.key, ZipkinValueText.attributeValue($0.value)) }, dropped)
    }

    /// A JSON object with one member whose value is an object.
    private static func parseWrapped(_ bytes: [UInt8]) -> (name: String, attributes: [Attribute], droppedCount: UInt32)? {
        guard let json = try? JSONReader.parse(bytes, maxDepth: ZipkinValueText.embeddedMaxDepth),
              let outer = json.objectMembers, outer.count == 1,
              let inner = outer[0].value.objectMembers
        else { return nil }
        var attributes: [Attribute] = []
        attributes.reserveCapacity(inner.count)
        var dropped: UInt32 = 0
        for member in inner {
            if member.key == ZipkinKeys.droppedAttributesCount.description, case .number = member.value.kind,
               let count = member.value.uint32Value
            {
                dropped = count
            } else {
                attributes.append(Attribute(member.key, ZipkinValueText.attributeValue(member.value)))
            }
        }
        return (outer[0].key, attributes, dropped)
    }
}

/// The collector's `otlp.link.N` tags as span links:
/// `traceId|spanId|traceState|{attributes JSON}|droppedAttributesCount`.
enum ZipkinLinkTag {
    static func parse(_ value: String) -> SpanLink? {
        let parts = value.split(separator: "|", omittingEmptySubsequences: false)
        guard parts.count >= 5, let dropped = UInt32(parts[parts.count - 1]) else { return nil }
        let traceID: TraceID
        if parts[0].isEmpty {
            traceID = .zero
        } else {
            guard let parsed = TraceID(hex: parts[0]) else { return nil }
            traceID = parsed
        }
        let spanID: SpanID
        if parts[1].isEmpty {
            spanID = .zero
        } else {
            guard let parsed = SpanID(hex: parts[1]) else { return nil }
            spanID = parsed
        }
        let jsonText = parts[3..<(parts.count - 1)].joined(separator: "|")
        guard let json = try? JSONReader.parse(Array(jsonText.utf8), maxDepth: ZipkinValueText.embeddedMaxDepth),
              let members = json.objectMembers
        else { return nil }
        return SpanLink(
            traceID: traceID,
            spanID: spanID,
            traceState: String(parts[2]),
            attributes: members.map { Attribute($0.key, ZipkinValueText.attributeValue($0.value)) },
            droppedAttributesCount: dropped
        )
    }
}

/// IP address literals, as Zipkin's `ipv4` and `ipv6` fields hold them.
enum ZipkinIPAddress {
    /// Dotted-quad IPv4: four decimal octets 0–255 without leading zeros.
    static func isIPv4(_ text: some StringProtocol) -> Bool {
        var text = String(text)
        return text.withUTF8 { isIPv4(UnsafeRawBufferPointer($0)) }
    }

    /// ``isIPv4(_:)`` on UTF-8 bytes.
    static func isIPv4(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var parts = 0
        var index = 0
        let count = bytes.count
        while true {
            // One octet: 1–3 digits, no leading zero, at most 255.
            let start = index
            var octet = 0
            while index < count, index - start < 4, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
                octet = octet * 10 + Int(bytes[index] - UInt8(ascii: "0"))
                index += 1
            }
            let length = index - start
            guard (1...3).contains(length), octet <= 255 else { return false }
            if length > 1 && bytes[start] == UInt8(ascii: "0") { return false }
            parts += 1
            if index == count { return parts == 4 }
            guard bytes[index] == UInt8(ascii: "."), parts < 4 else { return false }
            index += 1
        }
    }

    /// RFC 4291 text form: eight groups of 1–4 hex digits, one `::` standing for one or
    /// more zero groups, optionally ending in a dotted-quad IPv4 address (two groups).
    static func isIPv6(_ text: some StringProtocol) -> Bool {
        var text = String(text)
        return text.withUTF8 { isIPv6(UnsafeRawBufferPointer($0)) }
    }

    /// ``isIPv6(_:)`` on UTF-8 bytes.
    static func isIPv6(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count >= 2, bytes.count <= 45 else { return false }
        var groups = 0
        var sawDoubleColon = false
        var index = 0
        if bytes[0] == UInt8(ascii: ":") && bytes[1] == UInt8(ascii: ":") {
            sawDoubleColon = true
            index = 2
            if index == bytes.count { return true }
        } else if bytes[0] == UInt8(ascii: ":") {
            return false
        }
        while index < bytes.count {
            // One group: hex digits, or a trailing IPv4 address.
            var end = index
            while end < bytes.count && bytes[end] != UInt8(ascii: ":") { end += 1 }
            let group = UnsafeRawBufferPointer(rebasing: bytes[index..<end])
            if end == bytes.count, group.contains(UInt8(ascii: ".")) {
                guard isIPv4(group) else { return false }
                groups += 2
            } else {
                guard (1...4).contains(group.count), group.allSatisfy({ Hex.digitValue($0) != nil }) else { return false }
                groups += 1
            }
            if end == bytes.count { break }
            // A separator: ":" or "::", and something after a single ":".
            if end + 1 < bytes.count && bytes[end + 1] == UInt8(ascii: ":") {
                guard !sawDoubleColon else { return false }
                sawDoubleColon = true
                index = end + 2
            } else {
                guard end + 1 < bytes.count else { return false }
                index = end + 1
            }
            guard groups <= 8 else { return false }
        }
        return sawDoubleColon ? groups <= 7 : groups == 8
    }
}
