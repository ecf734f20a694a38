import SpindleModel
import SpindleQuery
import SpindleWire

/// Tempo's JSON response shapes (its protobuf messages in proto3 JSON: 64-bit integers
/// as strings).
enum TempoJSON {
    /// `SearchResponse`: `{"traces":[…],"metrics":{…}}`.
    static func searchResponse(_ result: TraceQLSearchResult) -> [UInt8] {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("traces")
        writer.beginArray()
        for match in result.traces {
            let summary = match.summary
            writer.beginObject()
            writer.key("traceID")
            writer.string(summary.traceID.hexString)
            writer.key("rootServiceName")
            writer.string(summary.rootService.isEmpty ? "<root span not yet received>" : summary.rootService)
            writer.key("rootTraceName")
            writer.string(summary.rootOperation)
            writer.key("startTimeUnixNano")
            writer.string(String(summary.startTimeUnixNano))
            writer.key("durationMs")
            writer.uint(summary.durationNanos / 1_000_000)
            if let first = match.spanSets.first {
                writer.key("spanSet")
                spanSet(first, into: &writer)
            }
            writer.key("spanSets")
            writer.beginArray()
            for set in match.spanSets { spanSet(set, into: &writer) }
            writer.endArray()
            writer.endObject()
        }
        writer.endArray()
        writer.key("metrics")
        writer.beginObject()
        writer.key("inspectedTraces")
        writer.int(Int64(result.inspectedTraces))
        writer.key("inspectedSpans")
        writer.string(String(result.inspectedSpans))
        writer.key("completedJobs")
        writer.int(1)
        writer.key("totalJobs")
        writer.int(1)
        writer.endObject()
        writer.endObject()
        return writer.bytes
    }

    private static func spanSet(_ set: MatchedSpanSet, into writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("spans")
        writer.beginArray()
        for span in set.spans {
            writer.beginObject()
            writer.key("spanID")
            writer.string(span.spanID.hexString)
            writer.key("name")
            writer.string(span.name)
            writer.key("startTimeUnixNano")
            writer.string(String(span.startTimeUnixNano))
            writer.key("durationNanos")
            writer.string(String(span.durationNanos))
            writer.key("attributes")
            OTLPJSON.writeAttributes([Attribute("service.name", .string(span.service))] + span.attributes, into: &writer)
            writer.endObject()
        }
        writer.endArray()
        writer.key("matched")
        writer.int(Int64(set.matched))
        if !set.attributes.isEmpty {
            // A span without the by() field is grouped under "nil", as Tempo writes it.
            writer.key("attributes")
            OTLPJSON.writeAttributes(set.attributes.map { $0.value == .empty ? Attribute($0.key, "nil") : $0 }, into: &writer)
        }
        writer.endObject()
    }

    /// `QueryRangeResponse` (`{"series":[{"labels","samples":[{"timestampMs","value"}],"promLabels"}]}`)
    /// or, for an instant query, `QueryInstantResponse` (`{"series":[{"labels","value","promLabels"}]}`).
    static func metricsResponse(_ series: [MetricSeries], instant: Bool) -> [UInt8] {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("series")
        writer.beginArray()
        for one in series {
            writer.beginObject()
            writer.key("labels")
            OTLPJSON.writeAttributes(one.labels, into: &writer)
            if instant {
                writer.key("value")
                // The step spans the whole range: one sample.
                writer.double(one.samples.first?.value ?? 0)
            } else {
                writer.key("samples")
                writer.beginArray()
                for sample in one.samples {
                    writer.beginObject()
                    writer.key("timestampMs")
                    writer.string(String(sample.timestampUnixNano / 1_000_000))
                    writer.key("value")
                    writer.double(sample.value)
                    writer.endObject()
                }
                writer.endArray()
            }
            writer.key("promLabels")
            writer.string(promLabels(one.labels))
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
        return writer.bytes
    }

    /// Prometheus' label text, `{a="x", b="y"}`.
    static func promLabels(_ labels: [Attribute]) -> String {
        let parts = labels.map { label -> String in
            let text: String
            switch label.value {
            case .string(let string): text = string
            case .int(let int): text = String(int)
            case .double(let double): text = double.description
            case .bool(let bool): text = bool ? "true" : "false"
            default: text = ""
            }
            var escaped = ""
            for character in text {
                switch character {
                case "\\": escaped += "\\\\"
                case "\"": escaped += "\\\""
                case "\n": escaped += "\\n"
                default: escaped.append(character)
                }
            }
            return "\(label.key)=\"\(escaped)\""
        }
        return "{" + parts.joined(separator: ", ") + "}"
    }
}
