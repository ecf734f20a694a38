// Spindle's entry point into swift-otel's extracted encoding code (README.md): builds the
// finished spans swift-otel's exporter receives, and encodes them the way its OTLP/HTTP
// exporter does.

import SwiftProtobuf
package import Tracing
import W3CTraceContext

/// Finished spans as swift-otel 1.6.0 hands them to its exporter (`OTelFinishedSpan`), and the
/// OTLP/HTTP protobuf request body its exporter makes of them.
package struct SwiftOTelSpanBatch: Sendable {
    /// What one finished span records, in plain values.
    package struct SpanFields: Sendable {
        package var traceID: (high: UInt64, low: UInt64)
        package var spanID: UInt64
        package var parentSpanID: UInt64?
        package var operationName: String
        package var kind: SpanKind
        package var startTimeNanosecondsSinceEpoch: UInt64
        package var endTimeNanosecondsSinceEpoch: UInt64
        package var attributes: SpanAttributes

        /// IDs are written big-endian, as Spindle's `TraceID(high:low:)` and `SpanID(_:)` do,
        /// so both SDKs encode the same bytes.
        package init(
            traceID: (high: UInt64, low: UInt64), spanID: UInt64, parentSpanID: UInt64?,
            operationName: String, kind: SpanKind,
            startTimeNanosecondsSinceEpoch: UInt64, endTimeNanosecondsSinceEpoch: UInt64,
            attributes: SpanAttributes
        ) {
            self.traceID = traceID
            self.spanID = spanID
            self.parentSpanID = parentSpanID
            self.operationName = operationName
            self.kind = kind
            self.startTimeNanosecondsSinceEpoch = startTimeNanosecondsSinceEpoch
            self.endTimeNanosecondsSinceEpoch = endTimeNanosecondsSinceEpoch
            self.attributes = attributes
        }
    }

    private let spans: [OTelFinishedSpan]

    /// Sampled spans of one resource, with no status, events or links.
    package init(resource: SpanAttributes, spans: [SpanFields]) {
        let resource = OTelResource(attributes: resource)
        self.spans = spans.map { fields in
            OTelFinishedSpan(
                spanContext: .local(
                    traceID: TraceID(bytes: bigEndianBytes(fields.traceID.high, fields.traceID.low)),
                    spanID: SpanID(bytes: bigEndianBytes(fields.spanID)),
                    parentSpanID: fields.parentSpanID.map { SpanID(bytes: bigEndianBytes($0)) },
                    traceFlags: .sampled,
                    traceState: TraceState()
                ),
                operationName: fields.operationName,
                kind: fields.kind,
                status: nil,
                startTimeNanosecondsSinceEpoch: fields.startTimeNanosecondsSinceEpoch,
                endTimeNanosecondsSinceEpoch: fields.endTimeNanosecondsSinceEpoch,
                attributes: fields.attributes,
                resource: resource,
                events: [],
                links: []
            )
        }
    }

    /// The number of spans.
    package var count: Int { spans.count }

    /// The request body swift-otel's OTLP/HTTP exporter sends for this batch with the
    /// `http/protobuf` protocol: its two steps, a request built from the spans
    /// (`OTLPHTTPSpanExporter.export`) and serialized (`OTLPHTTPExporter.sendOnce`). swift-otel
    /// serializes into a NIO `ByteBuffer` through a wrapper type of its HTTP exporter; this
    /// serializes into an array, the same bytes in one contiguous allocation.
    package func encodeOTLPHTTPProtobuf() throws -> [UInt8] {
        let proto = Opentelemetry_Proto_Collector_Trace_V1_ExportTraceServiceRequest.with { request in
            request.resourceSpans = [Opentelemetry_Proto_Trace_V1_ResourceSpans(spans)]
        }
        return try proto.serializedBytes()
    }
}

private func bigEndianBytes(_ high: UInt64, _ low: UInt64) -> TraceID.Bytes {
    var bytes = TraceID.null.bytes
    withUnsafeMutableBytes(of: &bytes) { buffer in
        buffer.storeBytes(of: high.bigEndian, toByteOffset: 0, as: UInt64.self)
        buffer.storeBytes(of: low.bigEndian, toByteOffset: 8, as: UInt64.self)
    }
    return bytes
}

private func bigEndianBytes(_ value: UInt64) -> SpanID.Bytes {
    var bytes = SpanID.null.bytes
    withUnsafeMutableBytes(of: &bytes) { buffer in
        buffer.storeBytes(of: value.bigEndian, toByteOffset: 0, as: UInt64.self)
    }
    return bytes
}

extension Opentelemetry_Proto_Resource_V1_Resource {
    /// The resource message swift-otel's span conversion asks for (swift-otel defines this
    /// in its metrics code, which is not extracted).
    init(_ resource: OTelResource) {
        self.init()
        attributes = .init(resource.attributes)
    }
}
