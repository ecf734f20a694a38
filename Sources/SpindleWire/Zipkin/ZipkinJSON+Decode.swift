import SpindleModel

/// One Zipkin span read from JSON and mapped to OTLP's model, with the resource and
/// scope its tags and local endpoint describe.
struct ZipkinDecodedSpan {
    var span: SpanRecord
    var resource: Resource
    var scope: InstrumentationScope
}

/// Reads one element of the Zipkin v2 array. See ``ZipkinJSON`` for the mapping.
enum ZipkinSpanDecoder {
    /// An endpoint's fields, validated.
    struct Endpoint {
        var serviceName = ""
        /// `ipv6` if present, else `ipv4` (the collector writes both to one key, IPv6 last).
        var address = ""
        var port: Int64 = 0
    }

    static func decode(_ value: JSONValue, index: Int) throws(WireError) -> ZipkinDecodedSpan {
        let path = "[\(index)]"
        guard let members = value.objectMembers else {
            throw WireError(.invalidValue, field: path, offset: value.offset, "expected a span object, found \(value.kindDescription)")
        }

        // One pass over the members; a repeated field's last value wins, as in Zipkin's
        // and the collector's JSON readers.
        var traceIDValue: JSONValue?
        var spanIDValue: JSONValue?
        var parentIDValue: JSONValue?
        var nameValue: JSONValue?
        var kindValue: JSONValue?
        var timestampValue: JSONValue?
        var durationValue: JSONValue?
        var debugValue: JSONValue?
        var sharedValue: JSONValue?
        var localEndpointValue: JSONValue?
        var remoteEndpointValue: JSONValue?
        var annotationsValue: JSONValue?
        var tagsValue: JSONValue?
        for member in members {
            switch member.key {
            case "traceId": traceIDValue = member.value
            case "id": spanIDValue = member.value
            case "parentId": parentIDValue = member.value
            case "name": nameValue = member.value
            case "kind": kindValue = member.value
            case "timestamp": timestampValue = member.value
            case "duration": durationValue = member.value
            case "debug": debugValue = member.value
            case "shared": sharedValue = member.value
            case "localEndpoint": localEndpointValue = member.value
            case "remoteEndpoint": remoteEndpointValue = member.value
            case "annotations": annotationsValue = member.value
            case "tags": tagsValue = member.value
            default: break // Unknown fields are ignored.
            }
        }

        let traceID = try readTraceID(traceIDValue, path: path, spanOffset: value.offset)
        let spanID = try readSpanID(spanIDValue, field: path + ".id", required: true, spanOffset: value.offset) ?? .zero
        var parentSpanID = try readSpanID(parentIDValue, field: path + ".parentId", required: false, spanOffset: value.offset) ?? .zero
        if parentSpanID == spanID { parentSpanID = .zero }
        let name = try readString(nameValue, field: path + ".name") ?? ""
        let kindName = try readString(kindValue, field: path + ".kind")
        let timestampMicros = try readMicroseconds(timestampValue, field: path + ".timestamp") ?? 0
        let durationMicros = try readMicroseconds(durationValue, field: path + ".duration") ?? 0
        let debug = try readBool(debugValue, field: path + ".debug") ?? false
        let shared = try readBool(sharedValue, field: path + ".shared") ?? false
        let localEndpoint = try readEndpoint(localEndpointValue, field: path + ".localEndpoint")
        let remoteEndpoint = try readEndpoint(remoteEndpointValue, field: path + ".remoteEndpoint")
        var tags = try readTags(tagsValue, field: path + ".tags")

        // Times: µs to ns; both were checked to fit when multiplied.
        let start = timestampMicros * 1000
        let (end, overflow) = start.addingReportingOverflow(durationMicros * 1000)
        if overflow {
            throw WireError(.invalidValue, field: path + ".duration", offset: durationValue?.offset ?? value.offset, "timestamp + duration overflows 64-bit nanoseconds since the epoch")
        }

        let events = try readAnnotations(annotationsValue, field: path + ".annotations")

        var span = SpanRecord(traceID: traceID, spanID: spanID, parentSpanID: parentSpanID, name: name, kind: .unspecified, startTimeUnixNano: start, endTimeUnixNano: end)
        span.traceState = tags.remove(ZipkinKeys.traceState) ?? ""
        span.kind = takeKind(kindName, tags: &tags)
        span.status = takeStatus(tags: &tags)
        span.links = takeLinks(tags: &tags)
        span.droppedAttributesCount = takeDroppedCount(ZipkinKeys.droppedAttributesCount, tags: &tags)
        span.droppedEventsCount = takeDroppedCount(ZipkinKeys.droppedEventsCount, tags: &tags)
        span.droppedLinksCount = takeDroppedCount(ZipkinKeys.droppedLinksCount, tags: &tags)
        span.events = events
        let scope = takeScope(tags: &tags)
        let resource = takeResource(localServiceName: localEndpoint?.serviceName ?? "", tags: &tags)

        // Attributes: the tags left in payload order, then what the endpoints and flags
        // say. A tag of the same name wins over an endpoint field (the specification's
        // Zipkin → OTLP rule for `peer.service`, applied to every endpoint key).
        let remaining = tags.entries
        var attributes = remaining.map { Attribute($0.key, .string($0.value)) }
        var tagKeys = Set(remaining.map(\.key))
        func add(_ key: StaticString, _ value: AttributeValue) {
            let key = key.description
            if tagKeys.insert(key).inserted { attributes.append(Attribute(key, value)) }
        }
        if let local = localEndpoint {
            if !local.address.isEmpty { add(ZipkinKeys.localAddress, .string(local.address)) }
            if local.port > 0 { add(ZipkinKeys.localPort, .int(local.port)) }
        }
        if let remote = remoteEndpoint {
            if !remote.serviceName.isEmpty { add(ZipkinKeys.peerService, .string(remote.serviceName)) }
            if !remote.address.isEmpty { add(ZipkinKeys.peerAddress, .string(remote.address)) }
            if remote.port > 0 { add(ZipkinKeys.peerPort, .int(remote.port)) }
        }
        if shared { add(ZipkinKeys.shared, .bool(true)) }
        if debug { add(ZipkinKeys.debug, .bool(true)) }
        if timestampMicros == 0 { add(ZipkinKeys.startTimeAbsent, .bool(true)) }
        span.attributes = attributes

        return ZipkinDecodedSpan(span: span, resource: resource, scope: scope)
    }

    // MARK: Fields

    private static func readTraceID(_ value: JSONValue?, path: String, spanOffset: Int) throws(WireError) -> TraceID {
        let field = path + ".traceId"
        guard let value, !value.isNull else {
            throw WireError(.invalidID, field: field, offset: spanOffset, "traceId is required: 16 or 32 hex digits")
        }
        guard let hex = value.stringValue else {
            throw WireError(.invalidValue, field: field, offset: value.offset, "expected a string of 16 or 32 hex digits, found \(value.kindDescription)")
        }
        let traceID: TraceID?
        switch hex.utf8.count {
        case 32: traceID = TraceID(hex: hex)
        case 16: traceID = SpanID(hex: hex).map { TraceID(high: 0, low: $0.value) }
        default:
            throw WireError(.invalidID, field: field, offset: value.offset, "a trace ID has 16 or 32 hex digits, found \(hex.utf8.count) characters")
        }
        guard let traceID else {
            throw WireError(.invalidID, field: field, offset: value.offset, "\(excerpt(hex)) is not hexadecimal")
        }
        guard traceID.isValid else {
            throw WireError(.invalidID, field: field, offset: value.offset, "a trace ID must not be all zeros")
        }
        return traceID
    }

    /// A span ID; nil when optional and absent, `null`, `""` or all zeros.
    private static func readSpanID(_ value: JSONValue?, field: String, required: Bool, spanOffset: Int) throws(WireError) -> SpanID? {
        guard let value, !value.isNull else {
            if required { throw WireError(.invalidID, field: field, offset: spanOffset, "the span ID is required: 16 hex digits") }
            return nil
        }
        guard let hex = value.stringValue else {
            throw WireError(.invalidValue, field: field, offset: value.offset, "expected a string of 16 hex digits, found \(value.kindDescription)")
        }
        if hex.isEmpty && !required { return nil }
        guard hex.utf8.count == 16 else {
            throw WireError(.invalidID, field: field, offset: value.offset, "a span ID has 16 hex digits, found \(hex.utf8.count) characters")
        }
        guard let spanID = SpanID(hex: hex) else {
            throw WireError(.invalidID, field: field, offset: value.offset, "\(excerpt(hex)) is not hexadecimal")
        }
        if !spanID.isValid {
            if required { throw WireError(.invalidID, field: field, offset: value.offset, "a span ID must not be all zeros") }
            return nil
        }
        return spanID
    }

    /// A string, or nil for absent or `null`.
    private static func readString(_ value: JSONValue?, field: String) throws(WireError) -> String? {
        guard let value, !value.isNull else { return nil }
        guard let string = value.stringValue else {
            throw WireError(.invalidValue, field: field, offset: value.offset, "expected a string, found \(value.kindDescription)")
        }
        return string
    }

    private static func readBool(_ value: JSONValue?, field: String) throws(WireError) -> Bool? {
        guard let value, !value.isNull else { return nil }
        guard let bool = value.boolValue else {
            throw WireError(.invalidValue, field: field, offset: value.offset, "expected true or false, found \(value.kindDescription)")
        }
        return bool
    }

    /// Whole microseconds that still fit in 64-bit nanoseconds; nil for absent or `null`.
    private static func readMicroseconds(_ value: JSONValue?, field: String) throws(WireError) -> UInt64? {
        guard let value, !value.isNull else { return nil }
        guard case .number(let raw) = value.kind else {
            throw WireError(.invalidValue, field: field, offset: value.offset, "expected a whole number of microseconds, found \(value.kindDescription)")
        }
        guard let micros = value.uint64Value else {
            let message = if raw.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) {
                "\(excerpt(raw)) is not a whole number of microseconds"
            } else if raw.hasPrefix("-") {
                "\(excerpt(raw)) is negative; Zipkin times are microseconds since the epoch"
            } else {
                "\(excerpt(raw)) overflows 64 bits"
            }
            throw WireError(.invalidValue, field: field, offset: value.offset, message)
        }
        guard micros <= UInt64.max / 1000 else {
            throw WireError(.invalidValue, field: field, offset: value.offset, "\(raw) µs overflows 64-bit nanoseconds since the epoch")
        }
        return micros
    }

    private static func readEndpoint(_ value: JSONValue?, field: String) throws(WireError) -> Endpoint? {
        guard let value, !value.isNull else { return nil }
        guard let members = value.objectMembers else {
            throw WireError(.invalidValue, field: field, offset: value.offset, "expected an endpoint object, found \(value.kindDescription)")
        }
        var endpoint = Endpoint()
        var ipv4 = ""
        var ipv6 = ""
        for member in members {
            let memberField = field + "." + member.key
            switch member.key {
            case "serviceName":
                endpoint.serviceName = try readString(member.value, field: memberField) ?? ""
            case "ipv4":
                ipv4 = try readString(member.value, field: memberField) ?? ""
                if !ipv4.isEmpty && !ZipkinIPAddress.isIPv4(ipv4) {
                    throw WireError(.invalidValue, field: memberField, offset: member.value.offset, "\(excerpt(ipv4)) is not an IPv4 address")
                }
            case "ipv6":
                ipv6 = try readString(member.value, field: memberField) ?? ""
                if !ipv6.isEmpty && !ZipkinIPAddress.isIPv6(ipv6) {
                    throw WireError(.invalidValue, field: memberField, offset: member.value.offset, "\(excerpt(ipv6)) is not an IPv6 address")
                }
            case "port":
                guard !member.value.isNull else { continue }
                guard case .number = member.value.kind, let port = member.value.int64Value, (0...65535).contains(port) else {
                    throw WireError(.invalidValue, field: memberField, offset: member.value.offset, "expected a port number 0–65535, found \(describe(member.value))")
                }
                endpoint.port = port
            default:
                break
            }
        }
        endpoint.address = ipv6.isEmpty ? ipv4 : ipv6
        return endpoint
    }

    private static func readTags(_ value: JSONValue?, field: String) throws(WireError) -> ZipkinTags {
        var tags = ZipkinTags()
        guard let value, !value.isNull else { return tags }
        guard let members = value.objectMembers else {
            throw WireError(.invalidValue, field: field, offset: value.offset, "expected an object of string tags, found \(value.kindDescription)")
        }
        for member in members {
            guard let string = member.value.stringValue else {
                throw WireError(.invalidValue, field: field + "[" + ZipkinValueText.quoted(member.key) + "]", offset: member.value.offset, "tag values are strings, found \(member.value.kindDescription)")
            }
            tags.set(member.key, string)
        }
        return tags
    }

    private static func readAnnotations(_ value: JSONValue?, field: String) throws(WireError) -> [SpanEvent] {
        guard let value, !value.isNull else { return [] }
        guard let elements = value.arrayValue else {
            throw WireError(.invalidValue, field: field, offset: value.offset, "expected an array of annotations, found \(value.kindDescription)")
        }
        var events: [SpanEvent] = []
        events.reserveCapacity(elements.count)
        for (index, element) in elements.enumerated() {
            let elementField = "\(field)[\(index)]"
            guard let members = element.objectMembers else {
                throw WireError(.invalidValue, field: elementField, offset: element.offset, "expected an annotation object, found \(element.kindDescription)")
            }
            var micros: UInt64 = 0
            var text = ""
            for member in members {
                switch member.key {
                case "timestamp": micros = try readMicroseconds(member.value, field: elementField + ".timestamp") ?? 0
                case "value": text = try readString(member.value, field: elementField + ".value") ?? ""
                default: break
                }
            }
            if let structured = ZipkinAnnotation.parse(text) {
                events.append(SpanEvent(timeUnixNano: micros * 1000, name: structured.name, attributes: structured.attributes, droppedAttributesCount: structured.droppedCount))
            } else {
                events.append(SpanEvent(timeUnixNano: micros * 1000, name: text))
            }
        }
        return events
    }

    // MARK: Tags with meaning

    private static func takeKind(_ name: String?, tags: inout ZipkinTags) -> SpanKind {
        switch name {
        case "CLIENT": return .client
        case "SERVER": return .server
        case "PRODUCER": return .producer
        case "CONSUMER": return .consumer
        default:
            // Zipkin has no internal kind; the collector writes this tag for it.
            if tags[ZipkinKeys.spanKind] == "internal" {
                tags.remove(ZipkinKeys.spanKind)
                return .internal
            }
            return .unspecified
        }
    }

    static func statusCode(_ text: String) -> StatusCode? {
        switch text {
        case "OK", "Ok", "STATUS_CODE_OK": .ok
        case "ERROR", "Error", "STATUS_CODE_ERROR": .error
        case "UNSET", "Unset", "STATUS_CODE_UNSET": .unset
        default: nil
        }
    }

    private static func takeStatus(tags: inout ZipkinTags) -> SpanStatus {
        var status = SpanStatus.unset
        if let text = tags[ZipkinKeys.statusCode], let code = statusCode(text) {
            tags.remove(ZipkinKeys.statusCode)
            status.code = code
            if let description = tags.remove(ZipkinKeys.statusDescription) { status.message = description }
            if code == .error, let error = tags[ZipkinKeys.error] {
                // The specification writes the description to `error`.
                if status.message.isEmpty && error != "true" {
                    status.message = error
                    tags.remove(ZipkinKeys.error)
                } else if error == "true" || error == status.message {
                    tags.remove(ZipkinKeys.error)
                }
            }
        }
        // Zipkin treats any span with an `error` tag as failed; so does the collector.
        if let error = tags[ZipkinKeys.error] {
            status.code = .error
            if error == "true" { tags.remove(ZipkinKeys.error) }
        }
        return status
    }

    private static func takeLinks(tags: inout ZipkinTags) -> [SpanLink] {
        var links: [SpanLink] = []
        var index = 0
        while let text = tags[ZipkinKeys.linkPrefix.description + String(index)] {
            if let link = ZipkinLinkTag.parse(text) {
                links.append(link)
                tags.remove(ZipkinKeys.linkPrefix.description + String(index))
            }
            index += 1
        }
        return links
    }

    private static func takeDroppedCount(_ key: StaticString, tags: inout ZipkinTags) -> UInt32 {
        guard let text = tags[key], let count = UInt32(text) else { return 0 }
        tags.remove(key)
        return count
    }

    private static func takeScope(tags: inout ZipkinTags) -> InstrumentationScope {
        func take(_ preferred: StaticString, _ alias: StaticString) -> String {
            let value = tags.remove(preferred) ?? tags[alias] ?? ""
            // The alias is redundant when it repeats the value; otherwise it stays an attribute.
            if tags[alias] == value { tags.remove(alias) }
            return value
        }
        return InstrumentationScope(name: take(ZipkinKeys.scopeName, ZipkinKeys.libraryName), version: take(ZipkinKeys.scopeVersion, ZipkinKeys.libraryVersion))
    }

    private static func takeResource(localServiceName: String, tags: inout ZipkinTags) -> Resource {
        var attributes: [Attribute] = []
        if !localServiceName.isEmpty {
            var key = ZipkinKeys.serviceName.description
            if let source = tags[ZipkinKeys.serviceNameSource], !source.isEmpty {
                key = source
                tags.remove(ZipkinKeys.serviceNameSource)
            }
            attributes.append(Attribute(key, .string(localServiceName)))
            // A tag repeating the endpoint's service name is redundant; a different one
            // stays a span attribute.
            if tags[key] == localServiceName { tags.remove(key) }
        }
        for (key, value) in tags.entries where ZipkinKeys.resourceKeys.contains(key) {
            guard !attributes.contains(where: { $0.key == key }) else { continue }
            attributes.append(Attribute(key, .string(value)))
            tags.remove(key)
        }
        return Resource(attributes: attributes)
    }

    // MARK: Messages

    /// At most 40 characters of untrusted text, quoted, for an error message.
    private static func excerpt(_ text: String) -> String {
        let prefix = text.prefix(40)
        return "\"" + prefix + (prefix.count < text.count ? "…" : "") + "\""
    }

    private static func describe(_ value: JSONValue) -> String {
        if case .number(let raw) = value.kind { return excerpt(raw) }
        return value.kindDescription
    }
}
