import SpindleModel

/// Writes a batch as a Zipkin v2 JSON array. See ``ZipkinJSON`` for the mapping.
enum ZipkinSpanEncoder {
    static func encode(_ batch: SpanBatch) -> [UInt8] {
        var writer = JSONWriter(reservingCapacity: batch.spanCount * 512)
        writer.beginArray()
        for group in batch.resourceSpans {
            let (serviceName, resourceTags) = localService(of: group.resource)
            for scopeSpans in group.scopeSpans {
                // Tags every span of this scope carries: resource, then scope.
                var baseTags = resourceTags
                let scope = scopeSpans.scope
                if !scope.name.isEmpty {
                    baseTags.set(ZipkinKeys.scopeName, scope.name)
                    baseTags.set(ZipkinKeys.libraryName, scope.name)
                }
                if !scope.version.isEmpty {
                    baseTags.set(ZipkinKeys.scopeVersion, scope.version)
                    baseTags.set(ZipkinKeys.libraryVersion, scope.version)
                }
                for attribute in scope.attributes {
                    baseTags.set(attribute.key, ZipkinValueText.tagText(attribute.value))
                }
                for span in scopeSpans.spans {
                    write(span, serviceName: serviceName, baseTags: baseTags, into: &writer)
                }
            }
        }
        writer.endArray()
        return writer.bytes
    }

    /// The local service name and the resource's other attributes as tags. The name is
    /// `service.name`, else the first of the collector's fallbacks, whose key then goes
    /// to `otlp.service.name.source`.
    private static func localService(of resource: Resource) -> (String, ZipkinTags) {
        var tags = ZipkinTags()
        for attribute in resource.attributes {
            tags.set(attribute.key, ZipkinValueText.tagText(attribute.value))
        }
        if let name = tags.remove(ZipkinKeys.serviceName) { return (name, tags) }
        for key in ZipkinKeys.serviceNameFallbacks {
            if let name = tags.remove(key) {
                tags.set(ZipkinKeys.serviceNameSource, key)
                return (name, tags)
            }
        }
        return ("", tags)
    }

    private struct Endpoint {
        var serviceName = ""
        var address: String?
        var port: Int?
    }

    private static func write(_ span: SpanRecord, serviceName: String, baseTags: ZipkinTags, into writer: inout JSONWriter) {
        var tags = baseTags
        var shared = false
        var debug = false
        for attribute in span.attributes {
            switch (attribute.key, attribute.value) {
            case (ZipkinKeys.shared, .bool(let value)): shared = value
            case (ZipkinKeys.debug, .bool(let value)): debug = value
            // Restated by the missing timestamp.
            case (ZipkinKeys.startTimeAbsent, .bool(true)) where span.startTimeUnixNano == 0: break
            default: tags.set(attribute.key, ZipkinValueText.tagText(attribute.value))
            }
        }
        if span.droppedAttributesCount != 0 { tags.set(ZipkinKeys.droppedAttributesCount, String(span.droppedAttributesCount)) }
        if span.droppedEventsCount != 0 { tags.set(ZipkinKeys.droppedEventsCount, String(span.droppedEventsCount)) }
        if span.droppedLinksCount != 0 { tags.set(ZipkinKeys.droppedLinksCount, String(span.droppedLinksCount)) }
        if !span.traceState.isEmpty { tags.set(ZipkinKeys.traceState, span.traceState) }

        let kind: String?
        switch span.kind {
        case .client: kind = "CLIENT"
        case .server: kind = "SERVER"
        case .producer: kind = "PRODUCER"
        case .consumer: kind = "CONSUMER"
        case .internal:
            kind = nil
            tags.set(ZipkinKeys.spanKind, "internal")
        default: kind = nil
        }

        // Endpoints from the attributes decoding writes (and older or newer names).
        func takeAddress(_ keys: String...) -> String? {
            for key in keys {
                if let value = tags[key], ZipkinIPAddress.isIPv4(value) || ZipkinIPAddress.isIPv6(value) {
                    tags.remove(key)
                    return value
                }
            }
            return nil
        }
        func takePort(_ keys: String...) -> Int? {
            for key in keys {
                if let value = tags[key], let port = Int(value), (1...65535).contains(port) {
                    tags.remove(key)
                    return port
                }
            }
            return nil
        }
        var local = Endpoint(serviceName: serviceName)
        local.address = takeAddress(ZipkinKeys.localAddress, ZipkinKeys.legacyLocalAddress)
        let hasLocal = !local.serviceName.isEmpty || local.address != nil
        if hasLocal { local.port = takePort(ZipkinKeys.localPort, ZipkinKeys.newerLocalPort) }

        var remote = Endpoint()
        for key in [ZipkinKeys.peerService, ZipkinKeys.legacyPeerService] {
            if let value = tags[key], !value.isEmpty {
                remote.serviceName = value
                tags.remove(key)
                break
            }
        }
        remote.address = takeAddress(ZipkinKeys.peerAddress, ZipkinKeys.legacyPeerAddress)
        let hasRemote = !remote.serviceName.isEmpty || remote.address != nil
        if hasRemote { remote.port = takePort(ZipkinKeys.peerPort, ZipkinKeys.newerPeerPort) }

        // Status: the specification's Zipkin rule. `error` marks a span failed in Zipkin,
        // so it is written only for ERROR.
        switch span.status.code {
        case .error:
            tags.set(ZipkinKeys.statusCode, "ERROR")
            tags.set(ZipkinKeys.error, span.status.message)
        case .ok:
            tags.set(ZipkinKeys.statusCode, "OK")
            tags.remove(ZipkinKeys.error)
            if !span.status.message.isEmpty { tags.set(ZipkinKeys.statusDescription, span.status.message) }
        default:
            tags.remove(ZipkinKeys.error)
        }

        for (index, link) in span.links.enumerated() {
            tags.set(ZipkinKeys.linkPrefix + String(index), ZipkinLinkTag.value(for: link))
        }

        writer.beginObject()
        writer.key("traceId")
        // Zipkin and the collector write 64-bit trace IDs as 16 digits.
        writer.string(span.traceID.high == 0 ? Hex.string(span.traceID.low) : span.traceID.hexString)
        if span.parentSpanID.isValid {
            writer.key("parentId")
            writer.string(span.parentSpanID.hexString)
        }
        writer.key("id")
        writer.string(span.spanID.hexString)
        if let kind {
            writer.key("kind")
            writer.string(kind)
        }
        if !span.name.isEmpty {
            writer.key("name")
            writer.string(span.name)
        }
        if span.startTimeUnixNano != 0 {
            writer.key("timestamp")
            writer.uint(roundedMicroseconds(span.startTimeUnixNano))
        }
        if span.endTimeUnixNano > span.startTimeUnixNano {
            // Sub-microsecond durations are reported as 1 µs, as the Zipkin API asks.
            let nanos = span.endTimeUnixNano - span.startTimeUnixNano
            writer.key("duration")
            writer.uint(nanos < 1000 ? 1 : roundedMicroseconds(nanos))
        }
        if debug {
            writer.key("debug")
            writer.bool(true)
        }
        if shared {
            writer.key("shared")
            writer.bool(true)
        }
        if hasLocal {
            writer.key("localEndpoint")
            writeEndpoint(local, into: &writer)
        }
        if hasRemote {
            writer.key("remoteEndpoint")
            writeEndpoint(remote, into: &writer)
        }
        if !span.events.isEmpty {
            writer.key("annotations")
            writer.beginArray()
            for event in span.events {
                writer.beginObject()
                writer.key("timestamp")
                writer.uint(roundedMicroseconds(event.timeUnixNano))
                writer.key("value")
                writer.string(ZipkinAnnotation.value(for: event))
                writer.endObject()
            }
            writer.endArray()
        }
        let entries = tags.entries
        if !entries.isEmpty {
            writer.key("tags")
            writer.beginObject()
            for (key, value) in entries {
                writer.key(key)
                writer.string(value)
            }
            writer.endObject()
        }
        writer.endObject()
    }

    private static func writeEndpoint(_ endpoint: Endpoint, into writer: inout JSONWriter) {
        writer.beginObject()
        if !endpoint.serviceName.isEmpty {
            writer.key("serviceName")
            writer.string(endpoint.serviceName)
        }
        if let address = endpoint.address {
            writer.key(ZipkinIPAddress.isIPv4(address) ? "ipv4" : "ipv6")
            writer.string(address)
        }
        if let port = endpoint.port {
            writer.key("port")
            writer.int(Int64(port))
        }
        writer.endObject()
    }

    /// Nanoseconds to the nearest microsecond, halves up.
    private static func roundedMicroseconds(_ nanos: UInt64) -> UInt64 {
        nanos / 1000 + (nanos % 1000 >= 500 ? 1 : 0)
    }
}
