import SpindleModel
import SpindleTesting
import SpindleWire
import Testing

/// Hand-built protobuf for malformed-input tests.
struct ProtoBytes {
    var bytes: [UInt8] = []

    mutating func varint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(truncatingIfNeeded: value))
    }

    mutating func tag(_ field: UInt64, _ wireType: UInt64) { varint(field << 3 | wireType) }

    mutating func message(_ field: UInt64, _ body: (inout ProtoBytes) -> Void) {
        var inner = ProtoBytes()
        body(&inner)
        tag(field, 2)
        varint(UInt64(inner.bytes.count))
        bytes += inner.bytes
    }

    mutating func raw(_ field: UInt64, _ payload: [UInt8]) {
        tag(field, 2)
        varint(UInt64(payload.count))
        bytes += payload
    }

    /// A request with one resource, one scope and one span built by `body`.
    static func request(span body: (inout ProtoBytes) -> Void) -> [UInt8] {
        var out = ProtoBytes()
        out.message(1) { resourceSpans in
            resourceSpans.message(2) { scopeSpans in
                scopeSpans.message(2, body)
            }
        }
        return out.bytes
    }

    static let validTraceID: [UInt8] = Array(1...16)
    static let validSpanID: [UInt8] = Array(1...8)
}

@Suite struct OTLPProtobufMalformedTests {
    func decodeError(_ bytes: [UInt8]) -> WireError? {
        do {
            _ = try OTLPProtobuf.decodeExportRequest(bytes)
            return nil
        } catch {
            return error
        }
    }

    @Test func traceIDOfWrongLength_namesTheFieldAndOffset() throws {
        let bytes = ProtoBytes.request { span in
            span.raw(1, [1, 2, 3])
        }
        let error = try #require(decodeError(bytes))
        #expect(error.code == .invalidID)
        #expect(error.field == "resource_spans[0].scope_spans[0].spans[0].trace_id")
        #expect(error.offset == 8)  // 3 nested tags and lengths, the span's tag and length
        #expect(bytes[error.offset] == 1)
    }

    @Test func spanIDOfWrongLength_inTheSecondSpan_isReportedWithItsIndex() throws {
        var out = ProtoBytes()
        out.message(1) { resourceSpans in
            resourceSpans.message(2) { scopeSpans in
                scopeSpans.message(2) { $0.raw(2, ProtoBytes.validSpanID) }
                scopeSpans.message(2) { $0.raw(4, Array(1...9)) }
            }
        }
        let error = try #require(decodeError(out.bytes))
        #expect(error.code == .invalidID)
        #expect(error.field == "resource_spans[0].scope_spans[0].spans[1].parent_span_id")
    }

    @Test func malformedParent_underDecodeAsZero_marksTheSpanInvalid() throws {
        // The span ID comes before the bad parent on the wire, and after it: either way the
        // span must not be kept as a root.
        for spanIDFirst in [true, false] {
            var out = ProtoBytes()
            out.message(1) { resourceSpans in
                resourceSpans.message(2) { scopeSpans in
                    scopeSpans.message(2) { span in
                        span.raw(1, ProtoBytes.validTraceID)
                        if spanIDFirst { span.raw(2, ProtoBytes.validSpanID) }
                        span.raw(4, Array(1...9))
                        if !spanIDFirst { span.raw(2, ProtoBytes.validSpanID) }
                    }
                    scopeSpans.message(2) { span in
                        span.raw(1, ProtoBytes.validTraceID)
                        span.raw(2, ProtoBytes.validSpanID)
                    }
                }
            }
            let batch = try OTLPProtobuf.decodeExportRequest(out.bytes, malformedIDs: .decodeAsZero)
            #expect(batch.spans.map(\.spanID) == [.zero, try #require(SpanID(bytes: ProtoBytes.validSpanID))])
            #expect(batch.spans.map(\.parentSpanID) == [.zero, .zero])
        }
    }

    @Test func truncatedMessage_isATruncationOrLengthError() throws {
        let full = OTLPProtobuf.encodeExportRequest(SpanBatch(Samples.richResourceSpans()))
        let error = try #require(decodeError(Array(full.dropLast(5))))
        #expect(error.code == .lengthOutOfBounds)
        #expect(error.field == "resource_spans")
        #expect(error.offset == 1)
    }

    @Test func everyPrefixOfAValidRequest_decodesOrThrows_neverTraps() throws {
        let full = OTLPProtobuf.encodeExportRequest(SpanBatch(Samples.richResourceSpans()))
        var failures = 0
        for length in 0..<full.count {
            if let batch = try? OTLPProtobuf.decodeExportRequest(Array(full[0..<length])) {
                try batch.tables.validate()
            } else {
                failures += 1
            }
        }
        // Only the empty prefix and prefixes ending exactly at a top-level message decode.
        #expect(failures >= full.count - 3)
    }

    @Test func knownFieldWithWrongWireType_isRejected() throws {
        let bytes = ProtoBytes.request { span in
            span.tag(7, 0)  // start_time_unix_nano must be fixed64
            span.varint(5)
        }
        let error = try #require(decodeError(bytes))
        #expect(error.code == .invalidWireType)
        #expect(error.field == "resource_spans[0].scope_spans[0].spans[0].start_time_unix_nano")
        #expect(error.offset == 6)
    }

    @Test func invalidWireTypeNumber_isRejected() throws {
        let bytes = ProtoBytes.request { span in span.tag(99, 7) }
        let error = try #require(decodeError(bytes))
        #expect(error.code == .invalidWireType)
    }

    @Test func varintOverTenBytes_isRejected() throws {
        let bytes = ProtoBytes.request { span in
            span.tag(6, 0)
            span.bytes += [UInt8](repeating: 0xFF, count: 10) + [0x01]
        }
        let error = try #require(decodeError(bytes))
        #expect(error.code == .malformedVarint)
        #expect(error.field == "resource_spans[0].scope_spans[0].spans[0].kind")
        #expect(error.offset == 7)
    }

    @Test func lengthPastTheEnd_isRejected() throws {
        var bytes = ProtoBytes.request { span in span.raw(5, Array("checkout".utf8)) }
        bytes[bytes.count - 9] = 100  // the name's length now runs past the span
        let error = try #require(decodeError(bytes))
        #expect(error.code == .lengthOutOfBounds)
        #expect(error.field == "resource_spans[0].scope_spans[0].spans[0].name")
    }

    @Test func invalidUTF8_inAName_isRejectedAtTheBadByte() throws {
        let bytes = ProtoBytes.request { span in span.raw(5, [0x61, 0x62, 0xC3, 0x28]) }
        let error = try #require(decodeError(bytes))
        #expect(error.code == .invalidUTF8)
        #expect(error.field == "resource_spans[0].scope_spans[0].spans[0].name")
        #expect(error.offset == bytes.count - 2)
    }

    @Test func invalidUTF8_inANestedAttributeKey_namesThePath() throws {
        let bytes = ProtoBytes.request { span in
            span.message(9) { keyValue in
                keyValue.raw(1, Array("ok".utf8))
                keyValue.message(2) { value in
                    value.message(6) { list in
                        list.message(1) { inner in inner.raw(1, [0xED, 0xA0, 0x80]) }  // a UTF-16 surrogate
                    }
                }
            }
        }
        let error = try #require(decodeError(bytes))
        #expect(error.code == .invalidUTF8)
        #expect(error.field == "resource_spans[0].scope_spans[0].spans[0].attributes[0].value.kvlist_value.values[0].key")
    }

    @Test func nestingPastTheBound_isRejected() throws {
        func nested(_ depth: Int) -> [UInt8] {
            var value = ProtoBytes()
            value.raw(1, Array("leaf".utf8))
            for _ in 0..<depth {
                var array = ProtoBytes()
                array.raw(1, value.bytes)  // ArrayValue.values
                var wrapper = ProtoBytes()
                wrapper.raw(5, array.bytes)  // AnyValue.array_value
                value = wrapper
            }
            return ProtoBytes.request { span in
                span.message(9) { keyValue in
                    keyValue.raw(1, Array("deep".utf8))
                    keyValue.raw(2, value.bytes)
                }
            }
        }
        #expect(decodeError(nested(OTLPProtobuf.maxNestingDepth)) == nil)
        let error = try #require(decodeError(nested(OTLPProtobuf.maxNestingDepth + 1)))
        #expect(error.code == .nestingTooDeep)
    }

    @Test func unknownFields_areSkippedAtEveryLevel() throws {
        var out = ProtoBytes()
        out.tag(9, 0); out.varint(1)  // unknown in the request
        out.message(1) { resourceSpans in
            resourceSpans.raw(15, [1, 2, 3])
            resourceSpans.message(2) { scopeSpans in
                scopeSpans.tag(12, 5); scopeSpans.bytes += [0, 0, 0, 0]
                scopeSpans.message(2) { span in
                    span.raw(1, ProtoBytes.validTraceID)
                    span.raw(2, ProtoBytes.validSpanID)
                    span.tag(100, 1); span.bytes += [UInt8](repeating: 7, count: 8)
                    span.tag(101, 3); span.tag(1, 0); span.varint(5); span.tag(101, 4)  // a group
                    span.raw(5, Array("kept".utf8))
                }
            }
        }
        let batch = try OTLPProtobuf.decodeExportRequest(out.bytes)
        #expect(batch.spanCount == 1)
        #expect(batch.span(at: 0).name == "kept")
        #expect(batch.span(at: 0).traceID == TraceID(bytes: ProtoBytes.validTraceID))
    }

    @Test func fieldNumberZero_isRejected() throws {
        let error = try #require(decodeError([0x00, 0x00]))
        #expect(error.code == .invalidWireType)
    }

    @Test func emptyIDs_decodeAsInvalidZeroIDs_forTheCollectorToReject() throws {
        let bytes = ProtoBytes.request { span in
            span.raw(1, [])
            span.raw(5, Array("no ids".utf8))
        }
        let batch = try OTLPProtobuf.decodeExportRequest(bytes)
        #expect(!batch.span(at: 0).traceID.isValid)
        #expect(!batch.span(at: 0).spanID.isValid)
    }

    @Test func oversizedDroppedCount_isRejected() throws {
        let bytes = ProtoBytes.request { span in
            span.tag(10, 0)
            span.varint(UInt64(UInt32.max) + 1)
        }
        let error = try #require(decodeError(bytes))
        #expect(error.code == .invalidValue)
        #expect(error.field == "resource_spans[0].scope_spans[0].spans[0].dropped_attributes_count")
    }
}
