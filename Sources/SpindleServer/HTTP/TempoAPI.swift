import Hummingbird
import SpindleModel
import SpindleQuery
import SpindleStorage
import SpindleWire

/// The Tempo HTTP API on port 3200, as Grafana's Tempo data source calls it: trace by ID
/// (v1 and v2, JSON or protobuf), search by TraceQL or logfmt tags, tag names and values,
/// and TraceQL metrics. Errors are plain text with a 4xx status, as Tempo answers them.
enum TempoAPI {
    /// Tempo's default and Spindle's cap on search results and spans per spanset.
    static let defaultLimit = 20
    static let maxLimit = 10_000
    static let defaultSpansPerSpanSet = 3
    static let maxSpansPerSpanSet = 1_000
    static let maxTagValues = 10_000
    /// Paths without parameters, answered 405 for other methods.
    static let fixedPaths = ["/api/echo", "/api/search", "/api/search/tags", "/api/v2/search/tags", "/api/metrics/query_range", "/api/metrics/query"]

    static func register(on router: Router<ListenerRequestContext>, reader: any TraceReader) {
        let engine = TraceQLEngine(reader: reader)
        router.get("/api/echo") { _, _ in Response.text(status: .ok, "echo") }
        router.get("/api/traces/:id") { request, context in
            await respond { () throws(APIError) in try await traceByID(request, context: context, reader: reader, version: 1) }
        }
        router.get("/api/v2/traces/:id") { request, context in
            await respond { () throws(APIError) in try await traceByID(request, context: context, reader: reader, version: 2) }
        }
        router.get("/api/search") { request, _ in
            await respond { () throws(APIError) in try await search(QueryParameters(request), engine: engine) }
        }
        router.get("/api/search/tags") { request, _ in
            await respond { () throws(APIError) in try await tagNames(QueryParameters(request), reader: reader) }
        }
        router.get("/api/v2/search/tags") { request, _ in
            await respond { () throws(APIError) in try await scopedTagNames(QueryParameters(request), reader: reader) }
        }
        router.get("/api/search/tag/:tag/values") { request, context in
            await respond { () throws(APIError) in
                try await tagValues(tag: context.parameters.get("tag") ?? "", QueryParameters(request), reader: reader)
            }
        }
        router.get("/api/v2/search/tag/:tag/values") { request, context in
            await respond { () throws(APIError) in
                try await typedTagValues(identifier: context.parameters.get("tag") ?? "", QueryParameters(request), reader: reader)
            }
        }
        router.get("/api/metrics/query_range") { request, _ in
            await respond { () throws(APIError) in try await metrics(QueryParameters(request), engine: engine, instant: false) }
        }
        router.get("/api/metrics/query") { request, _ in
            await respond { () throws(APIError) in try await metrics(QueryParameters(request), engine: engine, instant: true) }
        }
    }

    /// Runs a handler, rendering a refusal as Tempo does: plain text with its status.
    private static func respond(_ body: () async throws(APIError) -> Response) async -> Response {
        do {
            return try await body()
        } catch {
            return Response.text(status: error.status, error.message + "\n")
        }
    }

    // MARK: - Trace by ID

    private static func traceByID(_ request: Request, context: ListenerRequestContext, reader: any TraceReader, version: Int) async throws(APIError) -> Response {
        let id = try QueryParameters.traceID(context.parameters.get("id") ?? "")
        let parameters = QueryParameters(request)
        let timeRange = try optionalRange(parameters)
        let batch: SpanBatch?
        do {
            batch = try await reader.trace(id: id, timeRange: timeRange)
        } catch {
            throw storageFailure(error)
        }
        guard let batch else { throw .notFound("trace not found: \(id.hexString)") }

        let wantsProtobuf = request.headers[.accept].map { $0.contains("application/protobuf") || $0.contains("application/x-protobuf") } ?? false
        if wantsProtobuf {
            // tempopb.Trace is field 1, repeated ResourceSpans: the same bytes as an OTLP
            // export request. v2 wraps it as field 1 of TraceByIDResponse.
            let trace = OTLPProtobuf.encodeExportRequest(batch)
            let body = version == 1 ? trace : ProtobufFraming.lengthDelimited(field: 1, trace)
            return Response.bytes(status: .ok, body, contentType: "application/protobuf")
        }
        // The OTLP JSON export request is `{"resourceSpans":[…]}`: v1 names the list
        // `batches`, v2 nests it under `trace`.
        let otlp = OTLPJSON.encodeExportRequest(batch)
        var body: [UInt8] = []
        body.reserveCapacity(otlp.count + 16)
        if version == 1 {
            body += Array(#"{"batches":"#.utf8)
            body += otlp.dropFirst(#"{"resourceSpans":"#.utf8.count)
        } else {
            body += Array(#"{"trace":"#.utf8)
            body += otlp
            body += Array("}".utf8)
        }
        return Response.bytes(status: .ok, body, contentType: "application/json")
    }

    // MARK: - Search

    private static func search(_ parameters: QueryParameters, engine: TraceQLEngine) async throws(APIError) -> Response {
        let limit = try parameters.count("limit", default: defaultLimit, maximum: maxLimit)
        let spss = try parameters.count("spss", default: defaultSpansPerSpanSet, maximum: maxSpansPerSpanSet)
        let minDuration = try parameters.duration("minDuration")
        let maxDuration = try parameters.duration("maxDuration")
        let timeRange = try optionalRange(parameters) ?? .all
        let text: String
        if let q = parameters["q"] {
            text = q
        } else if let tags = parameters["tags"] {
            text = try TempoTags.traceQL(fromLogfmt: tags)
        } else {
            text = "{}"
        }
        let query = try parse(text, parameter: parameters["q"] != nil ? "q" : "tags")
        guard !query.isMetrics else {
            throw .badParameter("q", "a metrics query belongs to /api/metrics/query_range, not /api/search")
        }
        let result: TraceQLSearchResult
        do {
            result = try await engine.search(
                query, timeRange: timeRange, limit: max(limit, 1), spansPerSpanSet: spss,
                minDuration: minDuration, maxDuration: maxDuration
            )
        } catch {
            throw queryFailure(error)
        }
        return json(TempoJSON.searchResponse(result))
    }

    // MARK: - Tags

    private static func tagNames(_ parameters: QueryParameters, reader: any TraceReader) async throws(APIError) -> Response {
        let timeRange = try optionalRange(parameters)
        let scope = parameters["scope"] ?? "all"
        var names: Set<String> = []
        switch scope {
        case "span", "resource":
            names.formUnion(try await attributeNames(scope == "span" ? .span : .resource, timeRange: timeRange, reader: reader))
        case "intrinsic":
            names.formUnion(TempoTags.intrinsics)
        case "all":
            names.formUnion(try await attributeNames(.span, timeRange: timeRange, reader: reader))
            names.formUnion(try await attributeNames(.resource, timeRange: timeRange, reader: reader))
        case "event", "link", "instrumentation":
            break  // Not indexed for autocomplete (see docs/api.md): none to offer.
        default:
            throw .badParameter("scope", "expected one of resource, span, intrinsic, event, link, instrumentation, got \(QueryParameters.quoted(scope))")
        }
        return json(SpindleJSON.names("tagNames", names.sorted()))
    }

    private static func scopedTagNames(_ parameters: QueryParameters, reader: any TraceReader) async throws(APIError) -> Response {
        let timeRange = try optionalRange(parameters)
        let scope = parameters["scope"] ?? "all"
        let known = ["resource", "span", "intrinsic", "event", "link", "instrumentation", "all"]
        guard known.contains(scope) else {
            throw .badParameter("scope", "expected one of resource, span, intrinsic, event, link, instrumentation, got \(QueryParameters.quoted(scope))")
        }
        var scopes: [(String, [String])] = []
        if scope == "all" || scope == "resource" {
            scopes.append(("resource", try await attributeNames(.resource, timeRange: timeRange, reader: reader)))
        }
        if scope == "all" || scope == "span" {
            scopes.append(("span", try await attributeNames(.span, timeRange: timeRange, reader: reader)))
        }
        if scope == "all" || scope == "intrinsic" {
            scopes.append(("intrinsic", TempoTags.intrinsics))
        }
        return json(JSONWriter.object { writer in
            writer.member("scopes", array: scopes) { writer, scope in
                writer.object { writer in
                    writer.member("name", scope.0)
                    writer.member("tags", strings: scope.1)
                }
            }
        })
    }

    private static func tagValues(tag: String, _ parameters: QueryParameters, reader: any TraceReader) async throws(APIError) -> Response {
        let timeRange = try optionalRange(parameters)
        let limit = try parameters.count("limit", default: maxTagValues, maximum: maxTagValues)
        var values = Set(try await attributeValues(.span, key: tag, timeRange: timeRange, limit: limit, reader: reader))
        values.formUnion(try await attributeValues(.resource, key: tag, timeRange: timeRange, limit: limit, reader: reader))
        return json(SpindleJSON.names("tagValues", values.sorted().prefix(limit)))
    }

    private static func typedTagValues(identifier: String, _ parameters: QueryParameters, reader: any TraceReader) async throws(APIError) -> Response {
        let timeRange = try optionalRange(parameters)
        let limit = try parameters.count("limit", default: maxTagValues, maximum: maxTagValues)
        let values: [TempoTags.TypedValue]
        switch TempoTags.identifier(identifier) {
        case .attribute(let scopes, let key):
            var texts: Set<String> = []
            for scope in scopes {
                texts.formUnion(try await attributeValues(scope, key: key, timeRange: timeRange, limit: limit, reader: reader))
            }
            values = texts.sorted().prefix(limit).map(TempoTags.TypedValue.init(inferringFrom:))
        case .keywords(let keywords):
            values = keywords.map { TempoTags.TypedValue(type: "keyword", value: $0) }
        case .spanNames:
            var names: Set<String> = []
            do {
                for service in try await reader.services(timeRange: timeRange) {
                    for operation in try await reader.operations(service: service, timeRange: timeRange) {
                        names.insert(operation.name)
                    }
                }
            } catch {
                throw storageFailure(error)
            }
            values = names.sorted().prefix(limit).map { TempoTags.TypedValue(type: "string", value: $0) }
        case .serviceNames:
            do {
                values = try await reader.services(timeRange: timeRange).prefix(limit).map { TempoTags.TypedValue(type: "string", value: $0) }
            } catch {
                throw storageFailure(error)
            }
        case .notEnumerable:
            values = []
        case .invalid(let problem):
            throw .badParameter("tag", problem)
        }
        return json(JSONWriter.object { writer in
            writer.member("tagValues", array: values) { writer, value in
                writer.object { writer in
                    writer.member("type", value.type)
                    writer.member("value", value.value)
                }
            }
        })
    }

    // MARK: - Metrics

    private static func metrics(_ parameters: QueryParameters, engine: TraceQLEngine, instant: Bool) async throws(APIError) -> Response {
        guard let text = parameters["q"] else { throw .badParameter("q", "a TraceQL metrics query is required") }
        let query = try parse(text, parameter: "q")
        guard query.isMetrics else {
            throw .badParameter("q", "not a metrics query: end it with a metrics function such as | rate() or | count_over_time()")
        }
        let now = WallClock.nowUnixNanos()
        var end = try parameters.flexibleTime("end") ?? now
        var start = try parameters.flexibleTime("start") ?? 0
        if parameters["start"] == nil {
            let since = try parameters.duration("since") ?? 3_600_000_000_000
            start = end > since ? end - since : 0
        }
        guard start < end else { throw .badParameter("start", "must be before end") }
        let step: UInt64
        if instant {
            step = end - start
        } else if let given = try parameters.duration("step") {
            guard given > 0 else { throw .badParameter("step", "must be more than zero") }
            step = given
        } else {
            // Tempo's default: about 100 points over the range, at least a second.
            step = max((end - start) / 100, 1_000_000_000)
        }
        // Align to the step as Prometheus-style range queries do (the end saturating at
        // the last whole step a UInt64 holds).
        if !instant {
            start -= start % step
            if end % step != 0 {
                let (aligned, overflow) = (end - end % step).addingReportingOverflow(step)
                end = overflow ? end - end % step : aligned
            }
            guard start < end else { throw .badParameter("end", "must be at least one step after start") }
        }
        guard (end - start) / step <= 11_000 else {
            throw .badParameter("step", "too small for the range: \((end - start) / step) points, at most 11000")
        }
        let series: [MetricSeries]
        do {
            series = try await engine.metrics(query, timeRange: TimeRange(start: start, end: end), step: step)
        } catch {
            throw queryFailure(error)
        }
        return json(TempoJSON.metricsResponse(series, instant: instant))
    }

    // MARK: - Shared

    /// Tempo's optional `start`/`end` in Unix seconds; `end` is exclusive here, so a
    /// range of whole seconds includes the spans of its last second.
    private static func optionalRange(_ parameters: QueryParameters) throws(APIError) -> TimeRange? {
        let start = try parameters.unixSeconds("start")
        let end = try parameters.unixSeconds("end")
        guard start != nil || end != nil else { return nil }
        let range = TimeRange(start: start ?? 0, end: end.map { $0 &+ 1_000_000_000 } ?? .max)
        guard range.start < range.end else { throw .badParameter("start", "must not be after end") }
        return range
    }

    private static func parse(_ text: String, parameter: String) throws(APIError) -> TraceQLQuery {
        do {
            return try TraceQLQuery.parse(text)
        } catch {
            throw .badParameter(parameter, "invalid TraceQL query: \(error)")
        }
    }

    private static func attributeNames(_ scope: AttributeScope, timeRange: TimeRange?, reader: any TraceReader) async throws(APIError) -> [String] {
        do {
            return try await reader.attributeNames(scope: scope, timeRange: timeRange)
        } catch {
            throw storageFailure(error)
        }
    }

    private static func attributeValues(_ scope: AttributeScope, key: String, timeRange: TimeRange?, limit: Int, reader: any TraceReader) async throws(APIError) -> [String] {
        do {
            return try await reader.attributeValues(scope: scope, key: key, timeRange: timeRange, limit: limit)
        } catch {
            throw storageFailure(error)
        }
    }

    static func storageFailure(_ error: StorageError) -> APIError {
        APIError(status: .serviceUnavailable, message: "storage failed: \(error)")
    }

    static func queryFailure(_ error: QueryError) -> APIError {
        switch error {
        case .invalidQuery(let problem): APIError(status: .badRequest, message: "invalid TraceQL query: \(problem)")
        case .unsupported(let part): APIError(status: .badRequest, message: "unsupported TraceQL: \(part)")
        case .tooExpensive(let reason): APIError(status: .unprocessableContent, message: "query too expensive: \(reason)")
        case .storage(let failure): storageFailure(failure)
        }
    }

    private static func json(_ bytes: [UInt8]) -> Response {
        Response.bytes(status: .ok, bytes, contentType: "application/json")
    }
}

/// Protobuf framing for wrapping an encoded message as a field of another.
enum ProtobufFraming {
    static func lengthDelimited(field: UInt32, _ message: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(message.count + 11)
        appendVarint(UInt64(field << 3 | 2), to: &out)
        appendVarint(UInt64(message.count), to: &out)
        out += message
        return out
    }

    private static func appendVarint(_ value: UInt64, to out: inout [UInt8]) {
        var value = value
        while value >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        out.append(UInt8(value))
    }
}
