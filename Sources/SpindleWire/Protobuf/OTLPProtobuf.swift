public import SpindleModel

/// OTLP's protobuf encoding of traces: `ExportTraceServiceRequest` and
/// `ExportTraceServiceResponse` from `opentelemetry/proto/collector/trace/v1`, read and
/// written directly between bytes and ``SpanBatch`` without generated code.
///
/// Field numbers and types follow `opentelemetry/proto/trace/v1/trace.proto`,
/// `common/v1/common.proto` and `resource/v1/resource.proto`; docs/format/otlp-protobuf.md
/// lists them. Decoding is zero-copy: the batch's arena *is* the request, so strings and
/// bytes are ranges of it, checked for UTF-8 where the schema says `string`.
public enum OTLPProtobuf {
    /// What a decoder does with a trace or span ID of the wrong length.
    public enum MalformedIDPolicy: Sendable {
        /// Fail the whole request with ``WireError/Code/invalidID``.
        case reject
        /// Decode it as the all-zero ID, which is invalid, and go on.
        case decodeAsZero
    }

    /// How deep `AnyValue` arrays and key-value lists (and unknown groups) may nest.
    public static let maxNestingDepth = 32

    /// Decodes an `ExportTraceServiceRequest`.
    ///
    /// Unknown fields are skipped. Anything malformed — truncation, a wrong wire type for
    /// a known field, a varint over 10 bytes, a length past its message, nesting past
    /// ``maxNestingDepth``, invalid UTF-8 in a string, an ID that is neither empty nor of
    /// its exact length — throws a ``WireError`` naming the field path and byte offset.
    /// Empty IDs decode as zero (invalid) IDs: whether to reject such spans is the
    /// caller's decision, not the codec's.
    ///
    /// With `malformedIDs: .decodeAsZero`, an ID of the wrong length decodes as the
    /// all-zero (invalid) ID instead of failing the request, so that a collector can
    /// reject that span alone and keep the rest, as OTLP's partial success asks.
    public static func decodeExportRequest(_ bytes: [UInt8], malformedIDs: MalformedIDPolicy = .reject) throws(WireError) -> SpanBatch {
        guard bytes.count <= Int(UInt32.max) else {
            throw WireError(.tooLarge, field: "", offset: 0, "a request must be smaller than 4 GiB, this one is \(bytes.count) bytes")
        }
        var decoder = OTLPRequestDecoder(bytes: bytes, malformedIDs: malformedIDs)
        let result: Result<Void, WireError> = bytes.withUnsafeBytes { buffer in
            do throws(WireError) {
                try decoder.decodeRequest(ProtoReader(buffer))
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try result.get()
        return SpanBatch(tables: decoder.tables)
    }

    /// Decodes an `ExportTraceServiceResponse`.
    public static func decodeExportResponse(_ bytes: [UInt8]) throws(WireError) -> ExportTraceResponse {
        let result: Result<ExportTraceResponse, WireError> = bytes.withUnsafeBytes { buffer in
            do throws(WireError) {
                return .success(try decodeResponse(ProtoReader(buffer), arena: bytes))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    private static func decodeResponse(_ reader: ProtoReader, arena: [UInt8]) throws(WireError) -> ExportTraceResponse {
        var response = ExportTraceResponse()
        var position = 0
        let end = reader.count
        while position < end {
            let tagOffset = position
            let tag = try reader.readVarint(&position, end, "tag")
            switch tag {
            case 1 << 3 | 2:
                let range = try reader.readLengthDelimited(&position, end, "partial_success")
                var inner = range.lowerBound
                while inner < range.upperBound {
                    let innerTagOffset = inner
                    let innerTag = try reader.readVarint(&inner, range.upperBound, "tag")
                    switch innerTag {
                    case 1 << 3 | 0:
                        response.rejectedSpans = Int64(bitPattern: try reader.readVarint(&inner, range.upperBound, "partial_success.rejected_spans"))
                    case 2 << 3 | 2:
                        let ref = try reader.readString(&inner, range.upperBound, "partial_success.error_message")
                        response.errorMessage = String(decoding: arena[ref.range], as: UTF8.self)
                    default:
                        if let error = try reader.skipUnknown(tag: innerTag, schema: ProtoSchema.partialSuccess, &inner, range.upperBound, tagOffset: innerTagOffset) {
                            throw error.within("partial_success")
                        }
                    }
                }
            default:
                if let error = try reader.skipUnknown(tag: tag, schema: ProtoSchema.exportResponse, &position, end, tagOffset: tagOffset) {
                    throw error
                }
            }
        }
        return response
    }
}

extension ProtoReader {
    /// Handles a tag that matched no known field with its expected wire type: a known
    /// field number with another wire type is returned as an error for the caller to
    /// throw (with its path); an unknown field is skipped, as protobuf requires.
    @inline(never)
    func skipUnknown(
        tag: UInt64,
        schema: [(number: UInt64, wireType: UInt8, name: String)],
        _ position: inout Int,
        _ end: Int,
        tagOffset: Int
    ) throws(WireError) -> WireError? {
        let fieldNumber = tag >> 3
        guard fieldNumber != 0 else {
            return WireError(.invalidWireType, field: "", offset: tagOffset, "field number 0 is not valid")
        }
        if let field = schema.first(where: { $0.number == fieldNumber }) {
            return WireError(.invalidWireType, field: field.name, offset: tagOffset, "field \(fieldNumber) must have wire type \(field.wireType), found \(tag & 7)")
        }
        do {
            try skipField(tag: tag, &position, end)
        } catch {
            return error
        }
        return nil
    }
}

/// The fields of each OTLP message: number, wire type and proto name, used to tell a
/// known field with a wrong wire type (an error) from an unknown field (skipped).
enum ProtoSchema {
    typealias Fields = [(number: UInt64, wireType: UInt8, name: String)]
    static let exportRequest: Fields = [(1, WireType.lengthDelimited, "resource_spans")]
    static let exportResponse: Fields = [(1, WireType.lengthDelimited, "partial_success")]
    static let partialSuccess: Fields = [(1, WireType.varint, "rejected_spans"), (2, WireType.lengthDelimited, "error_message")]
    static let resourceSpans: Fields = [(1, WireType.lengthDelimited, "resource"), (2, WireType.lengthDelimited, "scope_spans"), (3, WireType.lengthDelimited, "schema_url")]
    static let resource: Fields = [(1, WireType.lengthDelimited, "attributes"), (2, WireType.varint, "dropped_attributes_count")]
    static let scopeSpans: Fields = [(1, WireType.lengthDelimited, "scope"), (2, WireType.lengthDelimited, "spans"), (3, WireType.lengthDelimited, "schema_url")]
    static let scope: Fields = [(1, WireType.lengthDelimited, "name"), (2, WireType.lengthDelimited, "version"), (3, WireType.lengthDelimited, "attributes"), (4, WireType.varint, "dropped_attributes_count")]
    static let span: Fields = [
        (1, WireType.lengthDelimited, "trace_id"), (2, WireType.lengthDelimited, "span_id"),
        (3, WireType.lengthDelimited, "trace_state"), (4, WireType.lengthDelimited, "parent_span_id"),
        (5, WireType.lengthDelimited, "name"), (6, WireType.varint, "kind"),
        (7, WireType.fixed64, "start_time_unix_nano"), (8, WireType.fixed64, "end_time_unix_nano"),
        (9, WireType.lengthDelimited, "attributes"), (10, WireType.varint, "dropped_attributes_count"),
        (11, WireType.lengthDelimited, "events"), (12, WireType.varint, "dropped_events_count"),
        (13, WireType.lengthDelimited, "links"), (14, WireType.varint, "dropped_links_count"),
        (15, WireType.lengthDelimited, "status"), (16, WireType.fixed32, "flags"),
    ]
    static let event: Fields = [(1, WireType.fixed64, "time_unix_nano"), (2, WireType.lengthDelimited, "name"), (3, WireType.lengthDelimited, "attributes"), (4, WireType.varint, "dropped_attributes_count")]
    static let link: Fields = [
        (1, WireType.lengthDelimited, "trace_id"), (2, WireType.lengthDelimited, "span_id"),
        (3, WireType.lengthDelimited, "trace_state"), (4, WireType.lengthDelimited, "attributes"),
        (5, WireType.varint, "dropped_attributes_count"), (6, WireType.fixed32, "flags"),
    ]
    static let status: Fields = [(2, WireType.lengthDelimited, "message"), (3, WireType.varint, "code")]
    static let keyValue: Fields = [(1, WireType.lengthDelimited, "key"), (2, WireType.lengthDelimited, "value")]
    static let anyValue: Fields = [
        (1, WireType.lengthDelimited, "string_value"), (2, WireType.varint, "bool_value"),
        (3, WireType.varint, "int_value"), (4, WireType.fixed64, "double_value"),
        (5, WireType.lengthDelimited, "array_value"), (6, WireType.lengthDelimited, "kvlist_value"),
        (7, WireType.lengthDelimited, "bytes_value"),
    ]
    static let valueList: Fields = [(1, WireType.lengthDelimited, "values")]
}
