/// The write-ahead log's bytes (docs/format/wal.md).
///
/// A segment file `NNNNNNNNNNNNNNNN.wal` (16 hex digits, ascending) begins with a
/// 16-byte header — the magic `SPNDLWAL`, a little-endian u32 format version, a u32 of
/// zero — then holds records back to back:
///
///     u32 length | u32 CRC-32 of (type, payload) | u8 type | payload (length bytes)
///
/// Type 1 is a batch of spans, its payload an OTLP `ExportTraceServiceRequest` in
/// protobuf. A record is valid only whole and with a matching checksum; the first one
/// that is not ends the segment (a torn tail, cut at that offset on replay).
enum WALFormat {
    static let magic: [UInt8] = Array("SPNDLWAL".utf8)
    static let version: UInt32 = 1
    static let headerSize = 16
    static let recordHeaderSize = 9
    /// The largest payload a record may claim; larger lengths are corruption.
    static let maxPayload = 1 << 30

    enum RecordType: UInt8 {
        case spans = 1
    }

    static func header() -> [UInt8] { FileNaming.header(magic: magic, version: version) }

    static func segmentName(_ number: UInt64) -> String { FileNaming.name(number, suffix: ".wal") }

    static func segmentNumber(_ name: String) -> UInt64? { FileNaming.number(name, suffix: ".wal") }

    /// One framed record.
    static func record(_ type: RecordType, payload: [UInt8]) -> [UInt8] {
        var body = ByteWriter(capacity: payload.count + 1)
        body.u8(type.rawValue)
        body.raw(payload)
        var writer = ByteWriter(capacity: payload.count + recordHeaderSize)
        writer.u32(UInt32(payload.count))
        writer.u32(Zlib.crc32(body.bytes))
        writer.raw(body.bytes)
        return writer.bytes
    }

    /// A record read back from a segment.
    struct Record {
        var type: UInt8
        var payload: ArraySlice<UInt8>
        var offset: Int
    }

    /// What a segment holds: every valid record up to the first invalid one, and where
    /// and why reading stopped early (nil when the segment ended cleanly).
    struct SegmentContents {
        var records: [Record] = []
        var validLength: Int
        var damage: FormatError?
    }

    /// Reads a whole segment file's bytes; never throws, never traps.
    static func parseSegment(_ bytes: [UInt8]) -> SegmentContents {
        guard bytes.count >= headerSize else {
            return SegmentContents(validLength: 0, damage: FormatError(message: "segment shorter than its \(headerSize)-byte header", offset: 0))
        }
        guard Array(bytes[0..<8]) == magic else {
            return SegmentContents(validLength: 0, damage: FormatError(message: "not a Spindle WAL segment (bad magic)", offset: 0))
        }
        var reader = ByteReader(bytes, offset: 8)
        let version = (try? reader.u32()) ?? 0
        guard version == WALFormat.version else {
            return SegmentContents(validLength: 0, damage: FormatError(message: "WAL format version \(version); this build reads version \(WALFormat.version)", offset: 8))
        }
        var contents = SegmentContents(validLength: headerSize)
        var offset = headerSize
        while offset < bytes.count {
            guard bytes.count - offset >= recordHeaderSize else {
                contents.damage = FormatError(message: "torn record header (\(bytes.count - offset) bytes)", offset: offset)
                break
            }
            var header = ByteReader(bytes, offset: offset)
            let length = Int((try? header.u32()) ?? 0)
            let checksum = (try? header.u32()) ?? 0
            guard length <= maxPayload, bytes.count - offset - 8 >= length + 1 else {
                contents.damage = FormatError(message: "torn record: \(length) payload bytes announced, \(bytes.count - offset - recordHeaderSize) present", offset: offset)
                break
            }
            let bodyRange = (offset + 8)..<(offset + recordHeaderSize + length)
            guard Zlib.crc32(bytes, bodyRange) == checksum else {
                contents.damage = FormatError(message: "record checksum mismatch", offset: offset)
                break
            }
            contents.records.append(Record(type: bytes[offset + 8], payload: bytes[(offset + recordHeaderSize)..<bodyRange.upperBound], offset: offset))
            offset = bodyRange.upperBound
            contents.validLength = offset
        }
        return contents
    }
}
