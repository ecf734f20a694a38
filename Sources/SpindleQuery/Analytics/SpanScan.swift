import SpindleModel
import SpindleStorage

/// The batches of `reader.scan(timeRange:)`, one at a time, under ``AnalyticsLimits``.
///
/// Before each batch it checks for cancellation and throws ``StorageError``
/// `.unavailable` when the task is cancelled; it counts every span delivered and throws
/// ``AnalyticsError/tooExpensive(_:)`` as soon as the count passes `maxSpans`, before
/// the batch that passed it is handed out. Errors from the stream become
/// ``AnalyticsError/storage(_:)``.
struct SpanScan {
    private var iterator: AsyncThrowingStream<SpanBatch, any Error>.AsyncIterator
    /// What the request is called in error messages ("service graph").
    private let request: String
    private let maxSpans: Int
    private(set) var scannedSpans = 0

    init(reader: any TraceReader, timeRange: TimeRange, limits: AnalyticsLimits, request: String) {
        iterator = reader.scan(timeRange: timeRange).makeAsyncIterator()
        self.request = request
        maxSpans = limits.maxSpans
    }

    mutating func next() async throws(AnalyticsError) -> SpanBatch? {
        if Task.isCancelled { throw cancelled() }
        let batch: SpanBatch?
        do {
            batch = try await iterator.next()
        } catch let error as StorageError {
            throw .storage(error)
        } catch is CancellationError {
            throw cancelled()
        } catch {
            throw .storage(StorageError(.unavailable, "the span scan for the \(request) failed", underlying: error))
        }
        guard let batch else { return nil }
        scannedSpans += batch.spanCount
        if scannedSpans > maxSpans {
            throw .tooExpensive("the \(request) scanned more than \(maxSpans) spans; narrow the time range")
        }
        return batch
    }

    private func cancelled() -> AnalyticsError {
        .storage(StorageError(.unavailable, "the \(request) was cancelled before it finished; no partial result is returned"))
    }
}

/// Span fields the aggregations read straight from a batch's tables.
extension SpanTables {
    /// The resource row of span `index`.
    @inline(__always)
    func resourceIndex(ofSpan index: Int) -> Int {
        Int(scopes[Int(spans[index].scopeIndex)].resourceIndex)
    }

    /// The `service.name` of each resource row when it is a string (the first attribute
    /// with that key, as storage reads it); nil otherwise.
    func serviceNamesByResource() -> [String?] {
        resources.map { resource in
            for index in resource.attributes.indices {
                let slot = resourceAttributes[index]
                guard equals(slot.key, "service.name") else { continue }
                return slot.value.kind == .string ? string(slot.value.byteRef) : nil
            }
            return nil
        }
    }
}

extension SpanRow {
    /// End minus start, or 0 when the end is before the start.
    @inline(__always)
    var durationNanos: UInt64 {
        endTimeUnixNano >= startTimeUnixNano ? endTimeUnixNano - startTimeUnixNano : 0
    }
}

/// A span's identity across batches.
struct SpanKey: Hashable {
    var trace: TraceID
    var span: SpanID
}

/// Nearest-rank percentiles: the p-th percentile of *n* sorted values is the value at
/// rank ⌈p·n/100⌉ (1-based), the smallest value that at least p% of values do not exceed.
/// Exact, and always one of the observed values.
enum Percentiles {
    struct Summary: Hashable {
        var p50: UInt64
        var p95: UInt64
        var p99: UInt64
    }

    /// p50, p95 and p99 of `values` (sorted here); zeros when empty.
    static func summary(of values: inout [UInt64]) -> Summary {
        values.sort()
        return Summary(p50: nearestRank(50, ofSorted: values), p95: nearestRank(95, ofSorted: values), p99: nearestRank(99, ofSorted: values))
    }

    static func nearestRank(_ percent: Int, ofSorted values: [UInt64]) -> UInt64 {
        if values.isEmpty { return 0 }
        let rank = max(1, (percent * values.count + 99) / 100)
        return values[min(rank, values.count) - 1]
    }
}
