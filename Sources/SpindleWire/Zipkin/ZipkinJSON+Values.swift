import SpindleModel

/// Attribute values inside Zipkin strings: typed JSON in annotation values and link tags,
/// and the plain strings tags must be.
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

    /// Writes an attribute value as typed JSON. Doubles always carry a `.` or an exponent
    /// so they read back as doubles; bytes become a base64 string and NaN or infinities
    /// strings, the two types JSON cannot hold.
    static func write(_ value: AttributeValue, into writer: inout JSONWriter) {
        switch value {
        case .string(let string): writer.string(string)
        case .bool(let bool): writer.bool(bool)
        case .int(let int): writer.int(int)
        case .double(let double): writer.double(double)
        case .bytes(let bytes): writer.string(base64(bytes))
        case .array(let elements):
            writer.beginArray()
            for element in elements { write(element, into: &writer) }
            writer.endArray()
        case .keyValueList(let entries):
            writer.beginObject()
            for entry in entries {
                writer.key(entry.key)
                write(entry.value, into: &writer)
            }
            writer.endObject()
        case .empty: writer.null()
        }
    }

    /// Attributes as a compact JSON object, with `otel.dropped_attributes_count` last when
    /// `droppedCount` is not zero.
    static func objectText(_ attributes: [Attribute], droppedCount: UInt32 = 0) -> String {
        var writer = JSONWriter()
        writer.beginObject()
        for attribute in attributes {
            writer.key(attribute.key)
            write(attribute.value, into: &writer)
        }
        if droppedCount != 0 {
            writer.key(ZipkinKeys.droppedAttributesCount)
            writer.uint(UInt64(droppedCount))
        }
        writer.endObject()
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    /// A value as the string a Zipkin tag must be, per the specification's attribute rule:
    /// booleans `true`/`false`, decimal integers, doubles as their shortest round-trip text,
    /// arrays and key-value lists as compact JSON, bytes as base64, an empty value as "".
    static func tagText(_ value: AttributeValue) -> String {
        switch value {
        case .string(let string): return string
        case .bool(let bool): return bool ? "true" : "false"
        case .int(let int): return String(int)
        case .double(let double): return double.description
        case .bytes(let bytes): return base64(bytes)
        case .empty: return ""
        case .array, .keyValueList:
            var writer = JSONWriter()
            write(value, into: &writer)
            return String(decoding: writer.bytes, as: UTF8.self)
        }
    }

    /// The JSON text of a string, quotes included.
    static func quoted(_ string: String) -> String {
        var writer = JSONWriter()
        writer.string(string)
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    private static let base64Alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// RFC 4648 base64 with padding, as OTLP/JSON and the collector write bytes.
    static func base64(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let b0 = UInt32(bytes[index])
            let b1 = index + 1 < bytes.count ? UInt32(bytes[index + 1]) : 0
            let b2 = index + 2 < bytes.count ? UInt32(bytes[index + 2]) : 0
            let triple = b0 << 16 | b1 << 8 | b2
            out.append(base64Alphabet[Int(triple >> 18 & 0x3F)])
            out.append(base64Alphabet[Int(triple >> 12 & 0x3F)])
            out.append(index + 1 < bytes.count ? base64Alphabet[Int(triple >> 6 & 0x3F)] : UInt8(ascii: "="))
            out.append(index + 2 < bytes.count ? base64Alphabet[Int(triple & 0x3F)] : UInt8(ascii: "="))
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Zipkin annotation values ⇄ span events.
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
            if member.key == ZipkinKeys.droppedAttributesCount, case .number = member.value.kind,
               let count = member.value.uint32Value
            {
                dropped = count
            } else {
                attributes.append(Attribute(member.key, ZipkinValueText.attributeValue(member.value)))
            }
        }
        return (outer[0].key, attributes, dropped)
    }

    /// The annotation value for an event: the plain name when that reads back as the
    /// same event, else the specification's `"name": {attributes}`.
    static func value(for event: SpanEvent) -> String {
        if event.attributes.isEmpty, event.droppedAttributesCount == 0, parse(event.name) == nil {
            return event.name
        }
        return ZipkinValueText.quoted(event.name) + ": "
            + ZipkinValueText.objectText(event.attributes, droppedCount: event.droppedAttributesCount)
    }
}

/// The collector's `otlp.link.N` tags ⇄ span links:
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

    static func value(for link: SpanLink) -> String {
        let traceID = link.traceID.isValid ? link.traceID.hexString : ""
        let spanID = link.spanID.isValid ? link.spanID.hexString : ""
        return "\(traceID)|\(spanID)|\(link.traceState)|\(ZipkinValueText.objectText(link.attributes))|\(link.droppedAttributesCount)"
    }
}

/// IP address literals, as Zipkin's `ipv4` and `ipv6` fields hold them.
enum ZipkinIPAddress {
    /// Dotted-quad IPv4: four decimal octets 0–255 without leading zeros.
    static func isIPv4(_ text: some StringProtocol) -> Bool {
        let parts = text.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 4 else { return false }
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return false }
            if part.count > 1 && part.first == UInt8(ascii: "0") { return false }
            var octet = 0
            for digit in part { octet = octet * 10 + Int(digit - UInt8(ascii: "0")) }
            guard octet <= 255 else { return false }
        }
        return true
    }

    /// RFC 4291 text form: eight groups of 1–4 hex digits, one `::` standing for one or
    /// more zero groups, optionally ending in a dotted-quad IPv4 address (two groups).
    static func isIPv6(_ text: some StringProtocol) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count >= 2, bytes.count <= 45 else { return false }
        var groups = 0
        var sawDoubleColon = false
        var index = 0
        if bytes.starts(with: [UInt8(ascii: ":"), UInt8(ascii: ":")]) {
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
            let group = bytes[index..<end]
            if end == bytes.count, group.contains(UInt8(ascii: ".")) {
                guard isIPv4(String(decoding: group, as: UTF8.self)) else { return false }
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
