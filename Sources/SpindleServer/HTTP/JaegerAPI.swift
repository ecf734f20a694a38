import Hummingbird
import SpindleModel
import SpindleStorage
import SpindleWire

/// The Jaeger query API on the UI port: `/api/...` (Jaeger's internal JSON, which its UI
/// and Grafana's Jaeger data source call) and `/api/v3/...` (OTLP JSON, in
/// `JaegerAPI+V3.swift`), answering as Jaeger's query service does so that those tools
/// work unchanged.
///
/// Internal API, all `GET`, answers in ``JaegerResponses``' `structuredResponse`:
/// - `/api/services`: service names, sorted.
/// - `/api/services/{service}/operations`: the service's operation names, sorted.
/// - `/api/operations?service=&spanKind=`: `[{"name","spanKind"}]`, optionally of one
///   kind (`server`, `client`, `producer`, `consumer`, `internal`, `unspecified`).
/// - `/api/traces?service=&operation=&tags=&start=&end=&minDuration=&maxDuration=&limit=&lookback=`:
///   whole traces (see ``JaegerSearchRequest`` for the parameters, ``JaegerTagSearch``
///   for how tags match); or `/api/traces?traceID=…&traceID=…`: those traces, each
///   missing one an entry of `errors`.
/// - `/api/traces/{traceID}`: one trace (1 to 32 hex digits; shorter IDs are
///   left-padded), 404 `trace not found` when none is stored.
/// - `/api/dependencies?endTs=&lookback=&service=`: calls between services in the
///   `lookback` milliseconds (default a day) up to `endTs` (Unix ms, default now).
///
/// A bad parameter is a 400 naming it; a storage failure a 503 (or 500/501, see
/// ``JaegerTraceFinder/storageFailure(_:)``). Services and operations cover all stored
/// time, as Jaeger's do. Where Jaeger answers `"data":null` for an empty list, Spindle
/// answers `[]`.
enum JaegerAPI {
    /// Paths without parameters, answered 405 for other methods.
    static let fixedPaths = ["/api/services", "/api/operations", "/api/traces", "/api/dependencies", "/api/v3/services", "/api/v3/operations", "/api/v3/traces"]

    /// The `lookback` of `/api/dependencies` when none is given: a day.
    static let defaultDependencyLookback: UInt64 = 86_400 * 1_000_000_000

    static func register(on router: Router<ListenerRequestContext>, reader: any TraceReader) {
        let finder = JaegerTraceFinder(reader: reader)
        router.get("/api/services") { _, _ in
            await respond { () throws(APIError) in
                JaegerResponses.strings(try await finder.run { () throws(StorageError) in try await reader.services(timeRange: nil) })
            }
        }
        router.get("/api/services/:service/operations") { _, context in
            await respond { () throws(APIError) in
                try await operationNames(service: percentDecoded(context.parameters.get("service") ?? ""), finder: finder)
            }
        }
        router.get("/api/operations") { request, _ in
            await respond { () throws(APIError) in try await operations(QueryParameters(request), finder: finder) }
        }
        router.get("/api/traces") { request, _ in
            await respond { () throws(APIError) in
                try await search(QueryParameters(request), finder: finder, now: WallClock.nowUnixNanos())
            }
        }
        router.get("/api/traces/:traceID") { request, context in
            await respond { () throws(APIError) in
                try await trace(percentDecoded(context.parameters.get("traceID") ?? ""), QueryParameters(request), finder: finder)
            }
        }
        router.get("/api/dependencies") { request, _ in
            await respond { () throws(APIError) in
                try await dependencies(QueryParameters(request), finder: finder, now: WallClock.nowUnixNanos())
            }
        }
        registerV3(on: router, finder: finder)
    }

    // MARK: - Services and operations

    private static func operationNames(service: String, finder: JaegerTraceFinder) async throws(APIError) -> Response {
        let operations = try await finder.run { () throws(StorageError) in try await finder.reader.operations(service: service, timeRange: nil) }
        return JaegerResponses.strings(Set(operations.map(\.name)).sorted())
    }

    private static func operations(_ parameters: QueryParameters, finder: JaegerTraceFinder) async throws(APIError) -> Response {
        guard let service = parameters["service"] else {
            throw APIError(status: .badRequest, message: "parameter 'service' is required")
        }
        let kind = try spanKind(parameters["spanKind"], style: .v1, parameter: "spanKind")
        let operations = try await finder.run { () throws(StorageError) in try await finder.reader.operations(service: service, timeRange: nil) }
            .filter { kind == nil || $0.kind == kind }
        return JaegerResponses.structured(total: operations.count) { writer in
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
        }
    }

    /// A span kind by its lowercase name, nil when absent.
    static func spanKind(_ text: String?, style: JaegerParameterStyle, parameter: String) throws(APIError) -> SpanKind? {
        guard let text else { return nil }
        guard let kind = SpanKind(name: text) else {
            throw style.error(parameter, "expected one of server, client, producer, consumer, internal, unspecified, got \(QueryParameters.quoted(text))")
        }
        return kind
    }

    // MARK: - Traces

    private static func search(_ parameters: QueryParameters, finder: JaegerTraceFinder, now: UInt64) async throws(APIError) -> Response {
        let request = try JaegerSearchRequest.v1(parameters, now: now)
        let idTexts = parameters.all("traceID")
        if !idTexts.isEmpty {
            var ids: [TraceID] = []
            for text in idTexts { ids.append(try traceID(text, style: .v1, parameter: "traceID")) }
            let explicitRange = parameters["start"] != nil || parameters["end"] != nil
            let (found, missing) = try await finder.traces(ids, timeRange: explicitRange ? request.timeRange : nil)
            let errors = missing.map { JaegerResponses.StructuredError(message: "trace not found", traceID: JaegerTraceJSON.traceID($0)) }
            return JaegerResponses.structured(errors: errors) { writer in traces(found, into: &writer) }
        }
        guard request.service != nil else {
            throw APIError(status: .badRequest, message: "parameter 'service' is required")
        }
        let found = try await finder.search(request)
        return JaegerResponses.structured { writer in traces(found, into: &writer) }
    }

    private static func trace(_ text: String, _ parameters: QueryParameters, finder: JaegerTraceFinder) async throws(APIError) -> Response {
        let id = try traceID(text, style: .v1, parameter: "traceID")
        let start = try JaegerSearchRequest.microseconds(parameters, "start", style: .v1)
        let end = try JaegerSearchRequest.microseconds(parameters, "end", style: .v1)
        let hint = start == nil && end == nil
            ? nil : TimeRange(start: start ?? 0, end: end.map { JaegerSearchRequest.saturatingAdd($0, 1_000) } ?? .max)
        guard let trace = try await finder.traces([id], timeRange: hint).found.first else {
            throw APIError(status: .notFound, message: "trace not found")
        }
        return JaegerResponses.structured { writer in traces([trace], into: &writer) }
    }

    private static func traces(_ traces: [SpanBatch], into writer: inout JSONWriter) {
        writer.beginArray()
        for trace in traces { JaegerTraceJSON.trace(trace, into: &writer) }
        writer.endArray()
    }

    /// A trace ID as Jaeger accepts it: 1 to 32 hex digits.
    static func traceID(_ text: String, style: JaegerParameterStyle, parameter: String) throws(APIError) -> TraceID {
        guard let id = JaegerTraceJSON.parseTraceID(text) else {
            throw style.error(parameter, "expected a trace ID of 1 to 32 hexadecimal digits, not all zero, got \(QueryParameters.quoted(text))")
        }
        return id
    }

    // MARK: - Dependencies

    private static func dependencies(_ parameters: QueryParameters, finder: JaegerTraceFinder, now: UInt64) async throws(APIError) -> Response {
        let end = try milliseconds(parameters, "endTs") ?? now
        let lookback = try milliseconds(parameters, "lookback", allowNegative: false) ?? defaultDependencyLookback
        let range = TimeRange(start: end >= lookback ? end - lookback : 0, end: JaegerSearchRequest.saturatingAdd(end, 1_000_000))
        var edges = try await finder.dependencies(timeRange: range)
        if let service = parameters["service"] {
            edges = edges.filter { $0.parent == service || $0.child == service }
        }
        return JaegerResponses.structured { writer in
            writer.beginArray()
            for edge in edges {
                writer.beginObject()
                writer.key("parent")
                writer.string(edge.parent)
                writer.key("child")
                writer.string(edge.child)
                writer.key("callCount")
                writer.int(Int64(edge.callCount))
                writer.endObject()
            }
            writer.endArray()
        }
    }

    /// Milliseconds (a Unix time or a span of time) as nanoseconds; nil when absent.
    /// A negative time counts as the epoch; a negative span is refused.
    private static func milliseconds(_ parameters: QueryParameters, _ name: String, allowNegative: Bool = true) throws(APIError) -> UInt64? {
        guard let text = parameters[name] else { return nil }
        guard let millis = Int64(text) else {
            throw JaegerParameterStyle.v1.error(name, "expected a whole number of milliseconds, got \(QueryParameters.quoted(text))")
        }
        guard millis >= 0 else {
            if allowNegative { return 0 }
            throw JaegerParameterStyle.v1.error(name, "must not be negative, got \(text)")
        }
        let (nanos, overflow) = UInt64(millis).multipliedReportingOverflow(by: 1_000_000)
        guard !overflow else { throw JaegerParameterStyle.v1.error(name, "\(text) milliseconds is out of range") }
        return nanos
    }

    // MARK: - Plumbing

    /// Runs a handler, rendering a refusal in the internal API's error shape.
    private static func respond(_ body: () async throws(APIError) -> Response) async -> Response {
        do {
            return try await body()
        } catch {
            return JaegerResponses.error(error)
        }
    }

    /// A path segment with its `%XX` escapes decoded (the router matches the raw path, so
    /// an encoded `/` stays in its segment). Malformed escapes are kept as they are;
    /// bytes that are not UTF-8 become U+FFFD.
    static func percentDecoded(_ text: String) -> String {
        PercentDecoding.pathSegment(text)
    }
}
