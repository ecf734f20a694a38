import Hummingbird
import SpindleModel
import SpindleQuery
import SpindleStorage
import SpindleWire

/// Spindle's own JSON API under `/api/spindle/`, for the web UI and scripts; documented
/// in docs/api.md. Times are Unix nanoseconds as decimal strings (they exceed what a
/// JavaScript number holds exactly); durations are nanoseconds as numbers. Errors are
/// `{"error":{"status":400,"message":"…"}}`.
enum SpindleAPI {
    static let prefix = "/api/spindle"
    /// Paths without parameters, answered 405 for other methods.
    static let fixedPaths = ["services", "attributes", "search", "traceql", "compare", "dependencies", "red", "histogram", "metrics/query_range"].map { "\(prefix)/\($0)" }
    static let defaultLimit = 20
    static let maxLimit = 10_000
    /// The range searched and aggregated when a request names none.
    static let defaultLookback: UInt64 = 3_600_000_000_000

    static func register(on router: Router<ListenerRequestContext>, reader: any TraceReader) {
        let engine = TraceQLEngine(reader: reader)
        router.get("\(prefix)/services") { request, _ in
            await respond { () throws(APIError) in try await services(QueryParameters(request), reader: reader) }
        }
        router.get("\(prefix)/services/:service/operations") { request, context in
            await respond { () throws(APIError) in
                try await operations(service: PercentDecoding.pathSegment(context.parameters.get("service") ?? ""), QueryParameters(request), reader: reader)
            }
        }
        router.get("\(prefix)/attributes") { request, _ in
            await respond { () throws(APIError) in try await attributeNames(QueryParameters(request), reader: reader) }
        }
        router.get("\(prefix)/attributes/:key/values") { request, context in
            await respond { () throws(APIError) in
                try await attributeValues(key: PercentDecoding.pathSegment(context.parameters.get("key") ?? ""), QueryParameters(request), reader: reader)
            }
        }
        router.get("\(prefix)/search") { request, _ in
            await respond { () throws(APIError) in try await search(QueryParameters(request), reader: reader) }
        }
        router.get("\(prefix)/traceql") { request, _ in
            await respond { () throws(APIError) in try await traceQL(QueryParameters(request), engine: engine) }
        }
        router.get("\(prefix)/traces/:id") { request, context in
            await respond { () throws(APIError) in
                let batch = try await trace(context.parameters.get("id") ?? "", parameter: "id", reader: reader)
                return json(OTLPJSON.encodeExportRequest(batch))
            }
        }
        router.get("\(prefix)/traces/:id/critical-path") { request, context in
            await respond { () throws(APIError) in
                let batch = try await trace(context.parameters.get("id") ?? "", parameter: "id", reader: reader)
                return json(SpindleJSON.criticalPath(CriticalPath.compute(trace: batch)))
            }
        }
        router.get("\(prefix)/traces/:id/statistics") { request, context in
            await respond { () throws(APIError) in
                let batch = try await trace(context.parameters.get("id") ?? "", parameter: "id", reader: reader)
                return json(SpindleJSON.statistics(TraceStatistics.compute(trace: batch)))
            }
        }
        router.get("\(prefix)/compare") { request, _ in
            await respond { () throws(APIError) in
                let parameters = QueryParameters(request)
                guard let a = parameters["a"] else { throw .badParameter("a", "the first trace ID is required") }
                guard let b = parameters["b"] else { throw .badParameter("b", "the second trace ID is required") }
                let first = try await trace(a, parameter: "a", reader: reader)
                let second = try await trace(b, parameter: "b", reader: reader)
                do throws(AnalyticsError) {
                    return json(SpindleJSON.comparison(try TraceComparison.compare(first, second)))
                } catch {
                    throw analyticsFailure(error)
                }
            }
        }
        router.get("\(prefix)/dependencies") { request, _ in
            await respond { () throws(APIError) in
                let range = try timeRange(QueryParameters(request))
                do throws(AnalyticsError) {
                    return json(SpindleJSON.graph(try await ServiceGraph.build(reader: reader, timeRange: range)))
                } catch {
                    throw analyticsFailure(error)
                }
            }
        }
        router.get("\(prefix)/red") { request, _ in
            await respond { () throws(APIError) in try await red(QueryParameters(request), reader: reader) }
        }
        router.get("\(prefix)/services/:service/operations/stats") { request, context in
            await respond { () throws(APIError) in
                let range = try timeRange(QueryParameters(request))
                let service = PercentDecoding.pathSegment(context.parameters.get("service") ?? "")
                do throws(AnalyticsError) {
                    return json(SpindleJSON.operationStats(try await REDSeries.operations(reader: reader, service: service, timeRange: range)))
                } catch {
                    throw analyticsFailure(error)
                }
            }
        }
        router.get("\(prefix)/histogram") { request, _ in
            await respond { () throws(APIError) in
                let parameters = QueryParameters(request)
                let range = try timeRange(parameters)
                do throws(AnalyticsError) {
                    let histogram = try await LatencyHistogram.compute(
                        reader: reader, service: parameters["service"], operation: parameters["operation"], timeRange: range
                    )
                    return json(SpindleJSON.histogram(histogram))
                } catch {
                    throw analyticsFailure(error)
                }
            }
        }
        router.get("\(prefix)/metrics/query_range") { request, _ in
            await respond { () throws(APIError) in try await metrics(QueryParameters(request), engine: engine) }
        }
    }

    // MARK: - Handlers

    private static func services(_ parameters: QueryParameters, reader: any TraceReader) async throws(APIError) -> Response {
        let range = try optionalTimeRange(parameters)
        let names: [String]
        do { names = try await reader.services(timeRange: range) } catch { throw TempoAPI.storageFailure(error) }
        return json(SpindleJSON.names("services", names))
    }

    private static func operations(service: String, _ parameters: QueryParameters, reader: any TraceReader) async throws(APIError) -> Response {
        let range = try optionalTimeRange(parameters)
        let operations: [SpindleStorage.Operation]
        do { operations = try await reader.operations(service: service, timeRange: range) } catch { throw TempoAPI.storageFailure(error) }
        return json(JSONWriter.object { writer in
            writer.member("operations", array: operations) { writer, operation in
                writer.object { writer in
                    writer.member("name", operation.name)
                    writer.member("kind", operation.kind.name)
                }
            }
        })
    }

    private static func attributeNames(_ parameters: QueryParameters, reader: any TraceReader) async throws(APIError) -> Response {
        let range = try optionalTimeRange(parameters)
        let scope = try attributeScope(parameters)
        let names: [String]
        do { names = try await reader.attributeNames(scope: scope, timeRange: range) } catch { throw TempoAPI.storageFailure(error) }
        return json(JSONWriter.object { writer in
            writer.member("scope", scope.rawValue)
            writer.member("names", strings: names)
        })
    }

    private static func attributeValues(key: String, _ parameters: QueryParameters, reader: any TraceReader) async throws(APIError) -> Response {
        let range = try optionalTimeRange(parameters)
        let scope = try attributeScope(parameters)
        let limit = try parameters.count("limit", default: 1_000, maximum: maxLimit)
        let values: [String]
        do {
            values = try await reader.attributeValues(scope: scope, key: key, timeRange: range, limit: limit)
        } catch {
            throw TempoAPI.storageFailure(error)
        }
        return json(JSONWriter.object { writer in
            writer.member("key", key)
            writer.member("values", strings: values)
        })
    }

    /// Trace summaries matching structured filters (Jaeger's search semantics: one span
    /// must match every filter).
    private static func search(_ parameters: QueryParameters, reader: any TraceReader) async throws(APIError) -> Response {
        var query = TraceQuery(timeRange: try optionalTimeRange(parameters) ?? .all)
        query.service = parameters["service"]
        query.operation = parameters["operation"]
        if let kind = parameters["kind"] {
            guard let parsed = SpanKind(name: kind) else {
                throw .badParameter("kind", "expected server, client, producer, consumer, internal or unspecified, got \(QueryParameters.quoted(kind))")
            }
            query.kind = parsed
        }
        if let status = parameters["status"] {
            switch status {
            case "error": query.status = .error
            case "ok": query.status = .ok
            case "unset": query.status = .unset
            default: throw .badParameter("status", "expected error, ok or unset, got \(QueryParameters.quoted(status))")
            }
        }
        query.minDuration = try parameters.duration("minDuration")
        query.maxDuration = try parameters.duration("maxDuration")
        if let min = query.minDuration, let max = query.maxDuration, min > max {
            throw .badParameter("minDuration", "is more than maxDuration")
        }
        query.limit = max(try parameters.count("limit", default: defaultLimit, maximum: maxLimit), 1)
        query.attributes = try attributeFilters(parameters.all("attr"))
        let summaries: [TraceSummary]
        do { summaries = try await reader.search(query) } catch { throw TempoAPI.storageFailure(error) }
        return json(SpindleJSON.summaries(summaries))
    }

    private static func traceQL(_ parameters: QueryParameters, engine: TraceQLEngine) async throws(APIError) -> Response {
        guard let text = parameters["q"] else { throw .badParameter("q", "a TraceQL query is required") }
        let query: TraceQLQuery
        do { query = try TraceQLQuery.parse(text) } catch {
            return json(SpindleJSON.queryError(error), status: .badRequest)
        }
        guard !query.isMetrics else {
            throw .badParameter("q", "a metrics query belongs to \(prefix)/metrics/query_range")
        }
        let limit = max(try parameters.count("limit", default: defaultLimit, maximum: maxLimit), 1)
        let spss = try parameters.count("spss", default: 3, maximum: 1_000)
        let range = try optionalTimeRange(parameters) ?? .all
        do {
            let result = try await engine.search(query, timeRange: range, limit: limit, spansPerSpanSet: spss)
            return json(SpindleJSON.traceQLResult(result))
        } catch {
            throw TempoAPI.queryFailure(error)
        }
    }

    private static func red(_ parameters: QueryParameters, reader: any TraceReader) async throws(APIError) -> Response {
        guard let service = parameters["service"] else { throw .badParameter("service", "a service is required") }
        let range = try timeRange(parameters)
        let step = try parameters.duration("step") ?? max((range.end - range.start) / 60, 1_000_000_000)
        guard step > 0 else { throw .badParameter("step", "must be more than zero") }
        do throws(AnalyticsError) {
            let series = try await REDSeries.compute(reader: reader, service: service, operation: parameters["operation"], timeRange: range, step: step)
            return json(SpindleJSON.red(series, step: step))
        } catch {
            throw analyticsFailure(error)
        }
    }

    private static func metrics(_ parameters: QueryParameters, engine: TraceQLEngine) async throws(APIError) -> Response {
        guard let text = parameters["q"] else { throw .badParameter("q", "a TraceQL metrics query is required") }
        let query: TraceQLQuery
        do { query = try TraceQLQuery.parse(text) } catch {
            return json(SpindleJSON.queryError(error), status: .badRequest)
        }
        guard query.isMetrics else { throw .badParameter("q", "not a metrics query: end it with | rate(), | count_over_time() or another metrics function") }
        let range = try timeRange(parameters)
        let step = try parameters.duration("step") ?? max((range.end - range.start) / 60, 1_000_000_000)
        guard step > 0 else { throw .badParameter("step", "must be more than zero") }
        guard (range.end - range.start) / step <= 11_000 else {
            throw .badParameter("step", "too small for the range: at most 11000 points")
        }
        do {
            let series = try await engine.metrics(query, timeRange: range, step: step)
            return json(SpindleJSON.series(series))
        } catch {
            throw TempoAPI.queryFailure(error)
        }
    }

    // MARK: - Shared

    private static func trace(_ text: String, parameter: String, reader: any TraceReader) async throws(APIError) -> SpanBatch {
        let id = try QueryParameters.traceID(text, parameter: parameter)
        let batch: SpanBatch?
        do { batch = try await reader.trace(id: id, timeRange: nil) } catch { throw TempoAPI.storageFailure(error) }
        guard let batch else { throw .notFound("trace \(id.hexString) not found") }
        return batch
    }

    /// `start`/`end` (Unix nanoseconds, seconds or RFC 3339), nil when neither is given.
    private static func optionalTimeRange(_ parameters: QueryParameters) throws(APIError) -> TimeRange? {
        let start = try parameters.flexibleTime("start")
        let end = try parameters.flexibleTime("end")
        guard start != nil || end != nil else { return nil }
        let range = TimeRange(start: start ?? 0, end: end ?? .max)
        guard range.start < range.end else { throw .badParameter("start", "must be before end") }
        return range
    }

    /// `start`/`end`, or the last `lookback` (default an hour) up to now.
    private static func timeRange(_ parameters: QueryParameters) throws(APIError) -> TimeRange {
        if let range = try optionalTimeRange(parameters), range.end != .max { return range }
        let end = WallClock.nowUnixNanos()
        let lookback = try parameters.duration("lookback") ?? defaultLookback
        let start = try parameters.flexibleTime("start") ?? (end > lookback ? end - lookback : 0)
        guard start < end else { throw .badParameter("start", "must be before now") }
        return TimeRange(start: start, end: end)
    }

    private static func attributeScope(_ parameters: QueryParameters) throws(APIError) -> AttributeScope {
        guard let text = parameters["scope"] else { return .span }
        guard let scope = AttributeScope(rawValue: text) else {
            throw .badParameter("scope", "expected span or resource, got \(QueryParameters.quoted(text))")
        }
        return scope
    }

    /// `attr=span.http.method=GET`, `attr=resource.host.name=a`, `attr=span.http.status_code>=500`
    /// (numeric range), `attr=span.user.id` (exists). A bare key means a span attribute.
    static func attributeFilters(_ texts: [String]) throws(APIError) -> [AttributeFilter] {
        guard texts.count <= 32 else { throw .badParameter("attr", "at most 32 attribute filters") }
        return try texts.map { text throws(APIError) -> AttributeFilter in
            var rest = Substring(text)
            var scope = AttributeScope.span
            if rest.hasPrefix("span.") {
                rest = rest.dropFirst(5)
            } else if rest.hasPrefix("resource.") {
                scope = .resource
                rest = rest.dropFirst(9)
            }
            for op in [">=", "<=", "="] {
                guard let range = rest.firstRange(of: op) else { continue }
                let key = String(rest[..<range.lowerBound])
                let value = String(rest[range.upperBound...])
                guard !key.isEmpty else { throw .badParameter("attr", "expected a key before \(op) in \(QueryParameters.quoted(text))") }
                if op == "=" {
                    if let int = Int64(value) {
                        return AttributeFilter(scope: scope, key: key, .equals(.int(int)))
                    }
                    if value == "true" || value == "false" {
                        return AttributeFilter(scope: scope, key: key, .equals(.bool(value == "true")))
                    }
                    return AttributeFilter(scope: scope, key: key, .equals(.string(value)))
                }
                guard let number = Double(value), number.isFinite else {
                    throw .badParameter("attr", "\(op) needs a number, got \(QueryParameters.quoted(value))")
                }
                return AttributeFilter(scope: scope, key: key, op == ">=" ? .range(min: number, max: nil) : .range(min: nil, max: number))
            }
            guard !rest.isEmpty else { throw .badParameter("attr", "expected a key in \(QueryParameters.quoted(text))") }
            return AttributeFilter(scope: scope, key: String(rest), .exists)
        }
    }

    private static func analyticsFailure(_ error: AnalyticsError) -> APIError {
        switch error {
        case .tooExpensive(let reason): APIError(status: .unprocessableContent, message: "query too expensive: \(reason)")
        case .invalidArgument(let problem): APIError(status: .badRequest, message: problem)
        case .storage(let failure): TempoAPI.storageFailure(failure)
        }
    }

    private static func respond(_ body: () async throws(APIError) -> Response) async -> Response {
        do {
            return try await body()
        } catch {
            return json(SpindleJSON.error(error), status: error.status)
        }
    }

    private static func json(_ bytes: [UInt8], status: HTTPResponse.Status = .ok) -> Response {
        Response.bytes(status: status, bytes, contentType: "application/json")
    }
}
