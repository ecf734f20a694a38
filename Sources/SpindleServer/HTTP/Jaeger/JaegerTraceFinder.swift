import Hummingbird
import SpindleModel
import SpindleQuery
import SpindleStorage

/// Answers Jaeger's trace searches and lookups from a ``TraceReader``: the queries a
/// search needs (see ``JaegerTagSearch``), their union, and then each chosen trace whole,
/// as Jaeger returns whole traces.
struct JaegerTraceFinder: Sendable {
    let reader: any TraceReader

    /// Above this many combinations, the span-scope keys are fetched too, to prune.
    private static let pruneSpanKeysAbove = 16

    /// The traces `request` finds, most recent first (by trace start; equal starts by
    /// trace ID), at most `request.limit`. A trace that disappears between search and
    /// lookup (evicted) is left out.
    func search(_ request: JaegerSearchRequest) async throws(APIError) -> [SpanBatch] {
        if request.isEmptyRange { return [] }
        let queries = try await queries(for: request)
        var summaries: [TraceID: TraceSummary] = [:]
        for query in queries {
            for summary in try await run({ () throws(StorageError) in try await reader.search(query) }) {
                summaries[summary.traceID] = summary
            }
        }
        // Each query returned its own most recent `limit`, so the most recent `limit` of
        // the union are exactly those of the whole answer.
        let chosen = summaries.values
            .sorted { ($0.startTimeUnixNano, $1.traceID) > ($1.startTimeUnixNano, $0.traceID) }
            .prefix(request.limit)
        var traces: [SpanBatch] = []
        for summary in chosen {
            if let trace = try await run({ () throws(StorageError) in try await reader.trace(id: summary.traceID, timeRange: request.timeRange) }) {
                traces.append(trace)
            }
        }
        return traces
    }

    /// The queries whose union answers `request` exactly.
    func queries(for request: JaegerSearchRequest) async throws(APIError) -> [TraceQuery] {
        let base = TraceQuery(
            timeRange: request.timeRange, service: request.service, operation: request.operation,
            minDuration: request.minDuration, maxDuration: request.maxDuration, limit: request.limit
        )
        if request.tags.isEmpty { return [base] }
        var alternatives: [[JaegerTagSearch.Alternative]] = []
        for tag in request.tags {
            alternatives.append(try JaegerTagSearch.alternatives(for: tag))
        }
        if JaegerTagSearch.combinationCount(alternatives) > 1, alternatives.joined().contains(where: { $0.attributeScope == .resource }) {
            let keys = try await attributeNames(.resource, timeRange: request.timeRange)
            alternatives = JaegerTagSearch.prune(alternatives, scope: .resource, keys: keys)
        }
        if JaegerTagSearch.combinationCount(alternatives) > Self.pruneSpanKeysAbove {
            let keys = try await attributeNames(.span, timeRange: request.timeRange)
            alternatives = JaegerTagSearch.prune(alternatives, scope: .span, keys: keys)
        }
        let count = JaegerTagSearch.combinationCount(alternatives)
        guard count <= JaegerTagSearch.maxQueries else {
            throw APIError(
                status: .badRequest,
                message: "these \(request.tags.count) tags need \(count) searches (each tag is looked up in span and resource attributes, as text and as a number or bool); at most \(JaegerTagSearch.maxQueries) are run: search with fewer tags"
            )
        }
        return JaegerTagSearch.queries(base: base, alternatives: alternatives)
    }

    /// Each trace that is stored, and the IDs that are not.
    func traces(_ ids: [TraceID], timeRange: TimeRange?) async throws(APIError) -> (found: [SpanBatch], missing: [TraceID]) {
        var found: [SpanBatch] = []
        var missing: [TraceID] = []
        for id in ids {
            if let trace = try await run({ () throws(StorageError) in try await reader.trace(id: id, timeRange: timeRange) }) {
                found.append(trace)
            } else {
                missing.append(id)
            }
        }
        return (found, missing)
    }

    /// The calls between services of the spans starting in `timeRange`: Jaeger's
    /// dependency links, sorted by parent then child.
    func dependencies(timeRange: TimeRange) async throws(APIError) -> [ServiceGraph.Edge] {
        do {
            return try await ServiceGraph.build(reader: reader, timeRange: timeRange).edges
        } catch {
            switch error {
            case .tooExpensive(let reason): throw APIError(status: .unprocessableContent, message: "dependencies too expensive: \(reason)")
            case .invalidArgument(let problem): throw APIError(status: .badRequest, message: problem)
            case .storage(let failure): throw Self.storageFailure(failure)
            }
        }
    }

    private func attributeNames(_ scope: AttributeScope, timeRange: TimeRange) async throws(APIError) -> Set<String> {
        Set(try await run { () throws(StorageError) in try await reader.attributeNames(scope: scope, timeRange: timeRange) })
    }

    /// Runs a storage call, turning its failure into the API's.
    func run<T: Sendable>(_ body: () async throws(StorageError) -> T) async throws(APIError) -> T {
        do {
            return try await body()
        } catch {
            throw Self.storageFailure(error)
        }
    }

    /// A storage failure as an HTTP status: 503 when the store cannot answer now (or the
    /// request was cancelled), 400 for an argument it refuses, 501 for a filter it cannot
    /// evaluate, 500 for corrupt data.
    static func storageFailure(_ error: StorageError) -> APIError {
        let status: HTTPResponse.Status =
            switch error.code {
            case .unavailable: .serviceUnavailable
            case .invalidArgument: .badRequest
            case .unsupported: .notImplemented
            case .corrupt: .internalServerError
            }
        return APIError(status: status, message: "storage failed: \(error)")
    }
}
