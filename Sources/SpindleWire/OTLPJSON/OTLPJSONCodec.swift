public import SpindleModel

/// OTLP's JSON encoding of traces: `ExportTraceServiceRequest` and
/// `ExportTraceServiceResponse` as the OTLP specification's "JSON Protobuf Encoding"
/// section defines them (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding),
/// for OTLP/HTTP with `Content-Type: application/json`.
///
/// The mapping is proto3's JSON mapping with OTLP's exceptions:
/// - keys are the lowerCamelCase field names (`startTimeUnixNano`); decoding also accepts
///   the proto names (`start_time_unix_nano`), as protobuf JSON parsers do;
/// - `traceId`, `spanId`, `parentSpanId` (and a link's ids) are hexadecimal strings, not
///   base64: either case on input, lowercase on output; `""` means absent (a zero ID);
///   any other length or a non-hex digit is `.invalidID`;
/// - 64-bit integers (`startTimeUnixNano`, `endTimeUnixNano`, `timeUnixNano`, `intValue`,
///   `rejectedSpans`) are read from numbers or decimal strings and written as strings;
///   32-bit counts and `flags` are written as numbers;
/// - enums (`kind`, `status.code`) are read from integers or their names
///   (`"SPAN_KIND_SERVER"`, `"STATUS_CODE_ERROR"`) and written as integers;
/// - `bytesValue` is base64 (standard alphabet written; URL-safe and unpadded also read);
///   `doubleValue` may be `"NaN"`, `"Infinity"`, `"-Infinity"`;
/// - `null` for a field means its default; unknown keys are ignored at every level;
///   fields at their default are left out on output, except a span's `traceId`, `spanId`,
///   `name`, `kind`, `startTimeUnixNano`, `endTimeUnixNano` (and an event's time and name,
///   a link's ids), and the one field an `AnyValue` sets. An `AnyValue` with no field is
///   ``AttributeValue/empty`` (`{}`); one that sets two fields is an error.
///
/// `Resource.schemaURL` travels as `ResourceSpans.schemaUrl` and
/// `InstrumentationScope.schemaURL` as `ScopeSpans.schemaUrl`. A key given twice takes the
/// last value.
///
/// Every error is a ``WireError`` naming the field path from the top of the document
/// (`resourceSpans[0].scopeSpans[1].spans[2].traceId`) and the byte offset where the
/// offending value starts. A wrong JSON type for a field is `.invalidValue`, as is a
/// number out of range for its field or an unknown enum name.
public enum OTLPJSON {
    /// How deep the JSON may nest: room for `AnyValue` arrays and key-value lists nested
    /// 32 deep under an event's attribute (each level of a key-value list is four JSON
    /// levels, and an event attribute's value already sits 12 deep).
    public static let maxNestingDepth = 160

    /// Decodes an `ExportTraceServiceRequest` in OTLP JSON.
    ///
    /// With `malformedIDs: .decodeAsZero`, a trace or span ID that is not one (wrong
    /// length, not hexadecimal, not a string) decodes as the all-zero (invalid) ID instead
    /// of failing the request with ``WireError/Code/invalidID``, as
    /// ``OTLPProtobuf/decodeExportRequest(_:malformedIDs:)`` does, so that a collector can
    /// reject that span alone and keep the rest.
    ///
    /// The batch's arena is the request itself (strings with escapes and `bytesValue`s
    /// are decoded after it), so decoding copies no string that needs no unescaping.
    /// A request larger than ``maxRequestBytes`` is `.tooLarge`.
    public static func decodeExportRequest(_ bytes: [UInt8], malformedIDs: OTLPProtobuf.MalformedIDPolicy = .reject) throws(WireError) -> SpanBatch {
        guard bytes.count <= maxRequestBytes else {
            throw WireError(.tooLarge, field: "", offset: 0, "an OTLP JSON request must be at most \(maxRequestBytes) bytes, this one is \(bytes.count) bytes")
        }
        let tables = try JSONDocument.decode(bytes, maxDepth: maxNestingDepth) { scanner throws(WireError) in
            var decoder = OTLPJSONRequestDecoder(scanner: scanner, arena: bytes, malformedIDs: malformedIDs)
            try decoder.decodeRequest()
            scanner = decoder.scanner
            return decoder.tables
        }
        return SpanBatch(tables: tables)
    }

    /// The largest request ``decodeExportRequest(_:malformedIDs:)`` accepts: batches
    /// address their arena with 32-bit offsets, and the arena is the request followed by
    /// its decoded escapes and `bytesValue`s, which are shorter than their text.
    public static let maxRequestBytes = Int(Int32.max)

    /// Encodes a batch as an `ExportTraceServiceRequest` in OTLP JSON (compact, UTF-8).
    public static func encodeExportRequest(_ batch: SpanBatch) -> [UInt8] {
        OTLPJSONEncoding.request(batch)
    }

    /// Decodes an `ExportTraceServiceResponse` in OTLP JSON: `{}` for full success, or
    /// `{"partialSuccess":{"rejectedSpans":"3","errorMessage":"..."}}`.
    public static func decodeExportResponse(_ bytes: [UInt8]) throws(WireError) -> ExportTraceResponse {
        let root = try JSONReader.parse(bytes, maxDepth: maxNestingDepth)
        return try OTLPJSONDecoding.response(root)
    }

    /// Encodes an `ExportTraceServiceResponse`: `{}` unless the response reports a
    /// partial success.
    public static func encodeExportResponse(_ response: ExportTraceResponse) -> [UInt8] {
        OTLPJSONEncoding.response(response)
    }
}
