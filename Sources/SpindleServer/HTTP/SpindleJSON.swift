import SpindleModel
import SpindleQuery
import SpindleStorage
import SpindleWire

/// The JSON shapes of Spindle's own API (docs/api.md). Times are Unix nanoseconds as
/// strings; durations are nanoseconds as numbers.
enum SpindleJSON {
    static func error(_ error: APIError) -> [UInt8] {
        JSONWriter.object { writer in
            writer.key("error")
            writer.object { writer in
                writer.member("status", Int(error.status.code))
                writer.member("message", error.message)
            }
        }
    }

    /// A TraceQL syntax error with its position, so the UI can point at it.
    static func queryError(_ error: TraceQLError) -> [UInt8] {
        JSONWriter.object { writer in
            writer.key("error")
            writer.object { writer in
                writer.member("status", 400)
                writer.member("message", "parameter q: invalid TraceQL query: \(error)")
                writer.member("line", error.line)
                writer.member("column", error.column)
            }
        }
    }

    static func summaries(_ summaries: [TraceSummary]) -> [UInt8] {
        JSONWriter.object { writer in
            writer.member("traces", array: summaries) { writer, summary in
                writer.object { summaryFields(summary, into: &$0) }
            }
        }
    }

    private static func summaryFields(_ summary: TraceSummary, into writer: inout JSONWriter) {
        writer.member("traceID", summary.traceID.hexString)
        writer.member("rootService", summary.rootService)
        writer.member("rootOperation", summary.rootOperation)
        writer.member("startTimeUnixNano", String(summary.startTimeUnixNano))
        writer.member("durationNanos", summary.durationNanos)
        writer.member("spanCount", summary.spanCount)
        writer.member("errorCount", summary.errorCount)
        writer.member("services", strings: summary.services)
    }

    static func traceQLResult(_ result: TraceQLSearchResult) -> [UInt8] {
        JSONWriter.object { writer in
            writer.member("traces", array: result.traces) { writer, match in
                writer.object { writer in
                    summaryFields(match.summary, into: &writer)
                    writer.member("spanSets", array: match.spanSets) { writer, set in
                        writer.object { writer in
                            writer.member("matched", set.matched)
                            writer.key("attributes")
                            OTLPJSON.writeAttributes(set.attributes, into: &writer)
                            writer.member("spans", array: set.spans) { writer, span in
                                writer.object { writer in
                                    writer.member("spanID", span.spanID.hexString)
                                    writer.member("service", span.service)
                                    writer.member("name", span.name)
                                    writer.member("startTimeUnixNano", String(span.startTimeUnixNano))
                                    writer.member("durationNanos", span.durationNanos)
                                    writer.key("attributes")
                                    OTLPJSON.writeAttributes(span.attributes, into: &writer)
                                }
                            }
                        }
                    }
                }
            }
            writer.member("inspectedTraces", result.inspectedTraces)
            writer.member("inspectedSpans", result.inspectedSpans)
        }
    }

    static func series(_ series: [MetricSeries]) -> [UInt8] {
        JSONWriter.object { writer in
            writer.member("series", array: series) { writer, one in
                writer.object { writer in
                    writer.key("labels")
                    OTLPJSON.writeAttributes(one.labels, into: &writer)
                    writer.member("samples", array: one.samples) { writer, sample in
                        writer.object { writer in
                            writer.member("timestampUnixNano", String(sample.timestampUnixNano))
                            writer.member("value", sample.value)
                        }
                    }
                }
            }
        }
    }

    static func graph(_ graph: ServiceGraph) -> [UInt8] {
        JSONWriter.object { writer in
            writer.member("nodes", array: graph.nodes) { writer, node in
                writer.object { writer in
                    writer.member("service", node.service)
                    writer.member("spanCount", node.spanCount)
                    writer.member("errorCount", node.errorCount)
                }
            }
            writer.member("edges", array: graph.edges) { writer, edge in
                writer.object { writer in
                    writer.member("parent", edge.parent)
                    writer.member("child", edge.child)
                    writer.member("callCount", edge.callCount)
                    writer.member("errorCount", edge.errorCount)
                    writer.member("p50Nanos", edge.durationP50Nanos)
                    writer.member("p95Nanos", edge.durationP95Nanos)
                    writer.member("p99Nanos", edge.durationP99Nanos)
                }
            }
        }
    }

    static func red(_ series: REDSeries, step: UInt64) -> [UInt8] {
        JSONWriter.object { writer in
            writer.member("service", series.service)
            writer.member("operation", series.operation)
            writer.member("stepNanos", step)
            writer.member("points", array: series.points) { writer, point in
                writer.object { writer in
                    writer.member("timestampUnixNano", String(point.timestampUnixNano))
                    writer.member("requests", point.requests)
                    writer.member("errors", point.errors)
                    writer.member("ratePerSecond", point.ratePerSecond)
                    writer.member("errorRate", point.errorRate)
                    writer.member("p50Nanos", point.p50Nanos)
                    writer.member("p95Nanos", point.p95Nanos)
                    writer.member("p99Nanos", point.p99Nanos)
                }
            }
        }
    }

    static func operationStats(_ stats: [OperationStats]) -> [UInt8] {
        JSONWriter.object { writer in
            writer.member("operations", array: stats) { writer, row in
                writer.object { writer in
                    writer.member("name", row.operation)
                    writer.member("kind", row.kind.name)
                    writer.member("requests", row.requests)
                    writer.member("errors", row.errors)
                    writer.member("p50Nanos", row.p50Nanos)
                    writer.member("p95Nanos", row.p95Nanos)
                    writer.member("p99Nanos", row.p99Nanos)
                }
            }
        }
    }

    static func histogram(_ histogram: LatencyHistogram) -> [UInt8] {
        JSONWriter.object { writer in
            writer.member("total", histogram.total)
            writer.member("buckets", array: histogram.buckets) { writer, bucket in
                writer.object { writer in
                    writer.member("lowerNanos", bucket.lowerNanos)
                    writer.member("upperNanos", bucket.upperNanos)
                    writer.member("count", bucket.count)
                    writer.member("exampleTraceID", bucket.exampleTraceID?.hexString)
                    writer.member("exampleErrorTraceID", bucket.exampleErrorTraceID?.hexString)
                }
            }
        }
    }

    static func criticalPath(_ path: CriticalPath) -> [UInt8] {
        JSONWriter.object { writer in
            writer.member("segments", array: path.segments) { writer, segment in
                writer.object { writer in
                    writer.member("spanID", segment.spanID.hexString)
                    writer.member("startTimeUnixNano", String(segment.startUnixNano))
                    writer.member("endTimeUnixNano", String(segment.endUnixNano))
                }
            }
        }
    }

    static func statistics(_ statistics: TraceStatistics) -> [UInt8] {
        JSONWriter.object { writer in
            writer.member("rows", array: statistics.rows) { writer, row in
                writer.object { writer in
                    writer.member("service", row.service)
                    writer.member("operation", row.operation)
                    writer.member("count", row.count)
                    writer.member("totalNanos", row.totalNanos)
                    writer.member("selfNanos", row.selfNanos)
                    writer.member("errorCount", row.errorCount)
                }
            }
        }
    }

    static func comparison(_ comparison: TraceComparison) -> [UInt8] {
        JSONWriter.object { writer in
            writer.member("entries", array: comparison.entries) { writer, entry in
                writer.object { writer in
                    writer.member("service", entry.service)
                    writer.member("operation", entry.operation)
                    writer.member("path", strings: entry.path)
                    writer.member("countA", entry.countA)
                    writer.member("countB", entry.countB)
                    writer.member("totalDurationNanosA", entry.totalDurationA)
                    writer.member("totalDurationNanosB", entry.totalDurationB)
                    writer.member("change", entry.change.rawValue)
                }
            }
        }
    }

    /// `{"<key>":["a","b",…]}`, the shape of every list of names.
    static func names(_ key: String, _ values: some Sequence<String>) -> [UInt8] {
        JSONWriter.object { $0.member(key, strings: values) }
    }
}
