import SpindleModel
import SpindleQuery
import SpindleStorage
import SpindleWire

/// The JSON shapes of Spindle's own API (docs/api.md). Times are Unix nanoseconds as
/// strings; durations are nanoseconds as numbers.
enum SpindleJSON {
    static func error(_ error: APIError) -> [UInt8] {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("error")
        writer.beginObject()
        writer.key("status")
        writer.int(Int64(error.status.code))
        writer.key("message")
        writer.string(error.message)
        writer.endObject()
        writer.endObject()
        return writer.bytes
    }

    /// A TraceQL syntax error with its position, so the UI can point at it.
    static func queryError(_ error: TraceQLError) -> [UInt8] {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("error")
        writer.beginObject()
        writer.key("status")
        writer.int(400)
        writer.key("message")
        writer.string("parameter q: invalid TraceQL query: \(error)")
        writer.key("line")
        writer.int(Int64(error.line))
        writer.key("column")
        writer.int(Int64(error.column))
        writer.endObject()
        writer.endObject()
        return writer.bytes
    }

    static func summaries(_ summaries: [TraceSummary]) -> [UInt8] {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("traces")
        writer.beginArray()
        for summary in summaries {
            writer.beginObject()
            summaryFields(summary, into: &writer)
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
        return writer.bytes
    }

    private static func summaryFields(_ summary: TraceSummary, into writer: inout JSONWriter) {
        writer.key("traceID")
        writer.string(summary.traceID.hexString)
        writer.key("rootService")
        writer.string(summary.rootService)
        writer.key("rootOperation")
        writer.string(summary.rootOperation)
        writer.key("startTimeUnixNano")
        writer.string(String(summary.startTimeUnixNano))
        writer.key("durationNanos")
        writer.uint(summary.durationNanos)
        writer.key("spanCount")
        writer.int(Int64(summary.spanCount))
        writer.key("errorCount")
        writer.int(Int64(summary.errorCount))
        writer.key("services")
        writer.beginArray()
        for service in summary.services { writer.string(service) }
        writer.endArray()
    }

    static func traceQLResult(_ result: TraceQLSearchResult) -> [UInt8] {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("traces")
        writer.beginArray()
        for match in result.traces {
            writer.beginObject()
            summaryFields(match.summary, into: &writer)
            writer.key("spanSets")
            writer.beginArray()
            for set in match.spanSets {
                writer.beginObject()
                writer.key("matched")
                writer.int(Int64(set.matched))
                writer.key("attributes")
                OTLPJSON.writeAttributes(set.attributes, into: &writer)
                writer.key("spans")
                writer.beginArray()
                for span in set.spans {
                    writer.beginObject()
                    writer.key("spanID")
                    writer.string(span.spanID.hexString)
                    writer.key("service")
                    writer.string(span.service)
                    writer.key("name")
                    writer.string(span.name)
                    writer.key("startTimeUnixNano")
                    writer.string(String(span.startTimeUnixNano))
                    writer.key("durationNanos")
                    writer.uint(span.durationNanos)
                    writer.key("attributes")
                    OTLPJSON.writeAttributes(span.attributes, into: &writer)
                    writer.endObject()
                }
                writer.endArray()
                writer.endObject()
            }
            writer.endArray()
            writer.endObject()
        }
        writer.endArray()
        writer.key("inspectedTraces")
        writer.int(Int64(result.inspectedTraces))
        writer.key("inspectedSpans")
        writer.int(Int64(result.inspectedSpans))
        writer.endObject()
        return writer.bytes
    }

    static func series(_ series: [MetricSeries]) -> [UInt8] {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("series")
        writer.beginArray()
        for one in series {
            writer.beginObject()
            writer.key("labels")
            OTLPJSON.writeAttributes(one.labels, into: &writer)
            writer.key("samples")
            writer.beginArray()
            for sample in one.samples {
                writer.beginObject()
                writer.key("timestampUnixNano")
                writer.string(String(sample.timestampUnixNano))
                writer.key("value")
                writer.double(sample.value)
                writer.endObject()
            }
            writer.endArray()
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
        return writer.bytes
    }

    static func graph(_ graph: ServiceGraph) -> [UInt8] {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("nodes")
        writer.beginArray()
        for node in graph.nodes {
            writer.beginObject()
            writer.key("service")
            writer.string(node.service)
            writer.key("spanCount")
            writer.int(Int64(node.spanCount))
            writer.key("errorCount")
            writer.int(Int64(node.errorCount))
            writer.endObject()
        }
        writer.endArray()
        writer.key("edges")
        writer.beginArray()
        for edge in graph.edges {
            writer.beginObject()
            writer.key("parent")
            writer.string(edge.parent)
            writer.key("child")
            writer.string(edge.child)
            writer.key("callCount")
            writer.int(Int64(edge.callCount))
            writer.key("errorCount")
            writer.int(Int64(edge.errorCount))
            writer.key("p50Nanos")
            writer.uint(edge.durationP50Nanos)
            writer.key("p95Nanos")
            writer.uint(edge.durationP95Nanos)
            writer.key("p99Nanos")
            writer.uint(edge.durationP99Nanos)
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
        return writer.bytes
    }

    static func red(_ series: REDSeries, step: UInt64) -> [UInt8] {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("service")
        writer.string(series.service)
        writer.key("operation")
        if let operation = series.operation { writer.string(operation) } else { writer.null() }
        writer.key("stepNanos")
        writer.uint(step)
        writer.key("points")
        writer.beginArray()
        for point in series.points {
            writer.beginObject()
            writer.key("timestampUnixNano")
            writer.string(String(point.timestampUnixNano))
            writer.key("requests")
            writer.int(Int64(point.requests))
            writer.key("errors")
            writer.int(Int64(point.errors))
            writer.key("ratePerSecond")
            writer.double(point.ratePerSecond)
            writer.key("errorRate")
            writer.double(point.errorRate)
            writer.key("p50Nanos")
            writer.uint(point.p50Nanos)
            writer.key("p95Nanos")
            writer.uint(point.p95Nanos)
            writer.key("p99Nanos")
            writer.uint(point.p99Nanos)
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
        return writer.bytes
    }

    static func operationStats(_ stats: [OperationStats]) -> [UInt8] {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("operations")
        writer.beginArray()
        for row in stats {
            writer.beginObject()
            writer.key("name")
            writer.string(row.operation)
            writer.key("kind")
            writer.string(row.kind.name)
            writer.key("requests")
            writer.int(Int64(row.requests))
            writer.key("errors")
            writer.int(Int64(row.errors))
            writer.key("p50Nanos")
            writer.uint(row.p50Nanos)
            writer.key("p95Nanos")
            writer.uint(row.p95Nanos)
            writer.key("p99Nanos")
            writer.uint(row.p99Nanos)
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
        return writer.bytes
    }

    static func histogram(_ histogram: LatencyHistogram) -> [UInt8] {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("total")
        writer.int(Int64(histogram.total))
        writer.key("buckets")
        writer.beginArray()
        for bucket in histogram.buckets {
            writer.beginObject()
            writer.key("lowerNanos")
            writer.uint(bucket.lowerNanos)
            writer.key("upperNanos")
            writer.uint(bucket.upperNanos)
            writer.key("count")
            writer.int(Int64(bucket.count))
            writer.key("exampleTraceID")
            if let id = bucket.exampleTraceID { writer.string(id.hexString) } else { writer.null() }
            writer.key("exampleErrorTraceID")
            if let id = bucket.exampleErrorTraceID { writer.string(id.hexString) } else { writer.null() }
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
        return writer.bytes
    }

    static func criticalPath(_ path: CriticalPath) -> [UInt8] {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("segments")
        writer.beginArray()
        for segment in path.segments {
            writer.beginObject()
            writer.key("spanID")
            writer.string(segment.spanID.hexString)
            writer.key("startTimeUnixNano")
            writer.string(String(segment.startUnixNano))
            writer.key("endTimeUnixNano")
            writer.string(String(segment.endUnixNano))
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
        return writer.bytes
    }

    static func statistics(_ statistics: TraceStatistics) -> [UInt8] {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("rows")
        writer.beginArray()
        for row in statistics.rows {
            writer.beginObject()
            writer.key("service")
            writer.string(row.service)
            writer.key("operation")
            writer.string(row.operation)
            writer.key("count")
            writer.int(Int64(row.count))
            writer.key("totalNanos")
            writer.uint(row.totalNanos)
            writer.key("selfNanos")
            writer.uint(row.selfNanos)
            writer.key("errorCount")
            writer.int(Int64(row.errorCount))
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
        return writer.bytes
    }

    static func comparison(_ comparison: TraceComparison) -> [UInt8] {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("entries")
        writer.beginArray()
        for entry in comparison.entries {
            writer.beginObject()
            writer.key("service")
            writer.string(entry.service)
            writer.key("operation")
            writer.string(entry.operation)
            writer.key("path")
            writer.beginArray()
            for step in entry.path { writer.string(step) }
            writer.endArray()
            writer.key("countA")
            writer.int(Int64(entry.countA))
            writer.key("countB")
            writer.int(Int64(entry.countB))
            writer.key("totalDurationNanosA")
            writer.uint(entry.totalDurationA)
            writer.key("totalDurationNanosB")
            writer.uint(entry.totalDurationB)
            writer.key("change")
            writer.string(entry.change.rawValue)
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
        return writer.bytes
    }
}
