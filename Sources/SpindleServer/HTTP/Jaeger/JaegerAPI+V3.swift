import Hummingbird
import SpindleModel
import SpindleStorage
import SpindleWire

/// Jaeger's API v3 over HTTP (`/api/v3/...`), as its grpc-gateway answers, all `GET`:
/// - `/api/v3/services`: `{"services":[…]}`.
/// - `/api/v3/operations?service=&span_kind=`: `{"operations":[{"name","spanKind"}]}`.
/// - `/api/v3/traces?query.service_name=&query.operation_name=&query.start_time_min=&query.start_time_max=&query.duration_min=&query.duration_max=&query.num_traces=&query.attributes=`:
///   `{"result":<OTLP JSON>}` with the spans of every trace found (see
///   ``JaegerSearchRequest/v3(_:)``); 404 `No traces found` when there are none, as
///   Jaeger answers.
/// - `/api/v3/traces/{trace_id}?start_time=&end_time=`: one trace in the same shape; 404
///   when it is not stored.
///
/// Refusals are `{"error":{"httpCode":400,"message":"…"}}` with that status.
extension JaegerAPI {
    static func registerV3(on router: Router<ListenerRequestContext>, finder: JaegerTraceFinder) {
        router.get("/api/v3/services") { _, _ in
            await respondV3 { () throws(APIError) in
                let services = try await finder.run { () throws(StorageError) in try await finder.reader.services(timeRange: nil) }
                var writer = JSONWriter()
                writer.beginObject()
                writer.key("services")
                writer.beginArray()
                for service in services { writer.string(service) }
                writer.endArray()
                writer.endObject()
                return JaegerResponses.json(writer.bytes)
            }
        }
        router.get("/api/v3/operations") { request, _ in
            await respondV3 { () throws(APIError) in try await operationsV3(QueryParameters(request), finder: finder) }
        }
        router.get("/api/v3/traces") { request, _ in
            await respondV3 { () throws(APIError) in
                let found = try await finder.search(try JaegerSearchRequest.v3(QueryParameters(request)))
                return try tracesV3(found)
            }
        }
        router.get("/api/v3/traces/:traceID") { request, context in
            await respondV3 { () throws(APIError) in
                try await traceV3(percentDecoded(context.parameters.get("traceID") ?? ""), QueryParameters(request), finder: finder)
            }
        }
    }

    private static func operationsV3(_ parameters: QueryParameters, finder: JaegerTraceFinder) async throws(APIError) -> Response {
        guard let service = parameters["service"] else {
            throw APIError(status: .badRequest, message: "parameter service is required")
        }
        let kind = try spanKind(parameters["span_kind"], style: .v3, parameter: "span_kind")
        let operations = try await finder.run { () throws(StorageError) in try await finder.reader.operations(service: service, timeRange: nil) }
            .filter { kind == nil || $0.kind == kind }
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("operations")
        writer.beginArray()
        for operation in operations {
            writer.beginObject()
            writer.key("name")
            writer.string(operation.name)
            writer.key("spanKind")
            writer.string(operation.kind.name)
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
        return JaegerResponses.json(writer.bytes)
    }

    private static func traceV3(_ text: String, _ parameters: QueryParameters, finder: JaegerTraceFinder) async throws(APIError) -> Response {
        let id = try traceID(text, style: .v3, parameter: "trace_id")
        var start: UInt64?
        var end: UInt64?
        if let text = parameters["start_time"] { start = try JaegerSearchRequest.rfc3339(text, "start_time", style: .v3) }
        if let text = parameters["end_time"] { end = try JaegerSearchRequest.rfc3339(text, "end_time", style: .v3) }
        let hint = start == nil && end == nil
            ? nil : TimeRange(start: start ?? 0, end: end.map { JaegerSearchRequest.saturatingAdd($0, 1) } ?? .max)
        return try tracesV3(try await finder.traces([id], timeRange: hint).found)
    }

    /// The spans of `traces` as one OTLP `TracesData`, or 404 when there are none.
    private static func tracesV3(_ traces: [SpanBatch]) throws(APIError) -> Response {
        guard !traces.isEmpty else { throw APIError(status: .notFound, message: "No traces found") }
        return JaegerResponses.v3Traces(OTLPJSON.encodeExportRequest(SpanBatch(concatenating: traces)))
    }

    /// Runs a handler, rendering a refusal in API v3's error shape.
    private static func respondV3(_ body: () async throws(APIError) -> Response) async -> Response {
        do {
            return try await body()
        } catch {
            return JaegerResponses.v3Error(error)
        }
    }
}
