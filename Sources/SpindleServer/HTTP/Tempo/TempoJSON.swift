import SpindleModel
import SpindleQuery
import SpindleWire

/// Tempo's JSON response shapes (its protobuf messages in proto3 JSON: 64-bit integers
/// as strings).
enum TempoJSON {
    /// `SearchResponse`: `{"traces":[…],"metrics":{…}}`.
    static func searchResponse(_ result: TraceQLSearchResult) -> [UInt8] {
        JSONWriter.object { writer in
            writer.member("traces", array: result.traces) { writer, match in
                let summary = match.summary
                writer.object { writer in
                    writer.member("traceID", summary.traceID.hexString)
                    writer.member("rootServiceName", summary.rootService.isEmpty ? "<root span not yet received>" : summary.rootService)
                    writer.member("rootTraceName", summary.rootOperation)
                    writer.member("startTimeUnixNano", String(summary.startTimeUnixNano))
                    writer.member("durationMs", summary.durationNanos / 1_000_000)
                    if let first = match.spanSets.first {
                        writer.key("spanSet")
                        spanSet(first, into: &writer)
                    }
                    writer.member("spanSets", array: match.spanSets) { spanSet($1, into: &$0) }
                }
            }
            writer.key("metrics")
            writer.object { writer in
                writer.member("inspectedTraces", result.inspectedTraces)
                writer.member("inspectedSpans", String(result.inspectedSpans))
                writer.member("completedJobs", 1)
                writer.member("totalJobs", 1)
            }
        }
    }

    private static func spanSet(_ set: MatchedSpanSet, into writer: inout JSONWriter) {
        writer.object { writer in
            writer.member("spans", array: set.spans) { writer, span in
                writer.object { writer in
                    writer.member("spanID", span.spanID.hexString)
                    writer.member("name", span.name)
                    writer.member("startTimeUnixNano", String(span.startTimeUnixNano))
                    writer.member("durationNanos", String(span.durationNanos))
                    writer.key("attributes")
                    OTLPJSON.writeAttributes([Attribute("service.name", .string(span.service))] + span.attributes, into: &writer)
                }
            }
            writer.member("matched", set.matched)
            if !set.attributes.isEmpty {
                // A span without the by() field is grouped under "nil", as Tempo writes it.
                writer.key("attributes")
                OTLPJSON.writeAttributes(set.attributes.map { $0.value == .empty ? Attribute($0.key, "nil") : $0 }, into: &writer)
            }
        }
    }

    /// `QueryRangeResponse` (`{"series":[{"labels","samples":[{"timestampMs","value"}],"promLabels"}]}`)
    /// or, for an instant query, `QueryInstantResponse` (`{"series":[{"labels","value","promLabels"}]}`).
    static func metricsResponse(_ series: [MetricSeries], instant: Bool) -> [UInt8] {
        JSONWriter.object { writer in
            writer.member("series", array: series) { writer, one in
                writer.object { writer in
                    writer.key("labels")
                    OTLPJSON.writeAttributes(one.labels, into: &writer)
                    if instant {
                        // The step spans the whole range: one sample.
                        writer.member("value", one.samples.first?.value ?? 0)
                    } else {
                        writer.member("samples", array: one.samples) { writer, sample in
                            writer.object { writer in
                                writer.member("timestampMs", String(sample.timestampUnixNano / 1_000_000))
                                writer.member("value", sample.value)
                            }
                        }
                    }
                    writer.member("promLabels", promLabels(one.labels))
                }
            }
        }
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
