import SpindleModel
import SpindleQuery
import SpindleStorage
import Testing

// Builders shared by the Analytics*Tests files (this file holds no tests).

/// A span of `service` for hand-built traces; times in nanoseconds.
struct TestSpan {
    var service: String
    var record: SpanRecord

    init(
        _ service: String, _ id: UInt64, parent: UInt64 = 0, name: String = "work", kind: SpanKind = .internal,
        start: UInt64, end: UInt64, error: Bool = false, trace: TraceID = TestSpan.trace
    ) {
        self.service = service
        record = SpanRecord(
            traceID: trace, spanID: SpanID(id), parentSpanID: SpanID(parent), name: name, kind: kind,
            startTimeUnixNano: start, endTimeUnixNano: end,
            status: error ? SpanStatus(code: .error, message: "failed") : .unset
        )
    }

    static let trace = TraceID(high: 0x7E57, low: 1)

    /// A batch of `spans` in this order, each under a resource naming its service.
    static func batch(_ spans: [TestSpan]) -> SpanBatch {
        var builder = SpanBatchBuilder(reservingSpans: spans.count)
        for span in spans {
            builder.append(span.record, resource: Resource(attributes: [Attribute("service.name", .string(span.service))]), scope: InstrumentationScope())
        }
        return builder.build()
    }

    /// A memory store holding `spans`, written as one batch each when `separately`.
    static func store(_ spans: [TestSpan], separately: Bool = false) async throws -> InMemoryTraceStore {
        let store = InMemoryTraceStore(maxSpans: 1 << 20)
        if separately {
            for span in spans { try await store.write(batch([span])) }
        } else {
            try await store.write(batch(spans))
        }
        return store
    }
}

/// The error `body` throws, or nil when it returns (recording an issue when the error
/// is not an ``AnalyticsError``).
func analyticsError(_ body: () async throws -> Void) async -> AnalyticsError? {
    do {
        try await body()
        return nil
    } catch let error as AnalyticsError {
        return error
    } catch {
        Issue.record("expected an AnalyticsError, got \(error)")
        return nil
    }
}

let millisecond: UInt64 = 1_000_000
let second: UInt64 = 1_000_000_000
