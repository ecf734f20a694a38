import CompressNIO
import NIOCore

/// The `Content-Encoding` of a request body (RFC 9110 §8.4) that the ingest listeners
/// understand.
enum ContentCoding: String, Sendable, Hashable {
    case identity
    /// RFC 1952; `x-gzip` is its historical alias.
    case gzip
    /// RFC 9110's "deflate" is the zlib format (RFC 1950); some clients send raw RFC 1951
    /// deflate under the same name, so both are accepted (told apart by the zlib header).
    case deflate

    /// The coding named by a `Content-Encoding` header value, or a ``BodyError`` (415)
    /// naming what is not supported.
    static func parse(_ header: String?) throws(BodyError) -> ContentCoding {
        guard let header else { return .identity }
        let codings = header.split(separator: ",")
            .map { $0.trimmingWhitespace().lowercased() }
            .filter { !$0.isEmpty && $0 != "identity" }
        switch codings.count {
        case 0:
            return .identity
        case 1:
            switch codings[0] {
            case "gzip", "x-gzip": return .gzip
            case "deflate": return .deflate
            default:
                throw BodyError(
                    .unsupportedMediaType,
                    "Content-Encoding \"\(codings[0])\" is not supported; send gzip, deflate or no Content-Encoding"
                )
            }
        default:
            throw BodyError(
                .unsupportedMediaType,
                "Content-Encoding \"\(header)\" applies several codings; send the body with one of gzip, deflate or none"
            )
        }
    }
}

/// Why a request body was refused before it reached a receiver.
struct BodyError: Error, Hashable, Sendable {
    enum Kind: Hashable, Sendable {
        /// 413: more than the body cap, before or after decompression.
        case tooLarge
        /// 415: a Content-Encoding that is not supported.
        case unsupportedMediaType
        /// 400: the compressed stream is corrupt or truncated, or the body is shorter
        /// than its Content-Length.
        case malformed
    }

    var kind: Kind
    var message: String

    init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    static func tooLarge(limit: Int) -> BodyError {
        BodyError(
            .tooLarge,
            "the request body is larger than the limit of \(ByteCount.format(limit)) (\(limit) bytes, measured after decompression); send smaller batches or raise --max-body-size"
        )
    }
}

enum RequestBodyDecoding {
    /// The most compressed bytes read for a body whose decompressed size may be `limit`:
    /// deflate can expand incompressible data by a few bytes per 16 KiB block, so a body
    /// exactly at the limit still fits once compressed.
    static func compressedLimit(for limit: Int) -> Int {
        let (sum, overflow) = limit.addingReportingOverflow(limit / 512 + 1024)
        return overflow ? Int.max : sum
    }

    /// The decoded body: `body` itself for identity, else its decompression, stopped with
    /// ``BodyError/tooLarge(limit:)`` as soon as the output would exceed `limit` bytes,
    /// so a decompression bomb costs at most `limit` bytes of memory.
    static func decode(_ body: ByteBuffer, coding: ContentCoding, limit: Int) throws(BodyError) -> ByteBuffer {
        switch coding {
        case .identity:
            guard body.readableBytes <= limit else { throw .tooLarge(limit: limit) }
            return body
        case .gzip:
            return try inflate(body, algorithm: .gzip(), name: "gzip", limit: limit)
        case .deflate:
            return try inflate(body, algorithm: looksLikeZlib(body) ? .zlib() : .deflate(), name: "deflate", limit: limit)
        }
    }

    /// True when the body starts with a zlib header (RFC 1950 §2.2: CM = 8, and the first
    /// two bytes as a big-endian number are a multiple of 31).
    private static func looksLikeZlib(_ body: ByteBuffer) -> Bool {
        guard let header = body.getBytes(at: body.readerIndex, length: 2) else { return false }
        return header[0] & 0x0F == 8 && (UInt16(header[0]) << 8 | UInt16(header[1])) % 31 == 0
    }

    private static func inflate(_ body: ByteBuffer, algorithm: CompressionAlgorithm, name: String, limit: Int) throws(BodyError) -> ByteBuffer {
        guard body.readableBytes > 0 else {
            throw BodyError(.malformed, "the body is empty but Content-Encoding says \(name)")
        }
        var input = body
        let decompressor = algorithm.decompressor
        do {
            try decompressor.startStream()
        } catch {
            throw BodyError(.malformed, "cannot start \(name) decompression: \(error)")
        }
        defer { try? decompressor.finishStream() }

        // Inflate a window at a time and check the running total before keeping each
        // window: the output never holds more than `limit` bytes, which is what stops a
        // bomb (zlib would otherwise fill whatever capacity the buffer has).
        let allocator = ByteBufferAllocator()
        var window = allocator.buffer(capacity: 64 << 10)
        var output = allocator.buffer(capacity: min(limit, max(64 << 10, input.readableBytes.multipliedReportingOverflow(by: 4).partialValue)))
        var finished = false
        while !finished {
            window.clear()
            do {
                try input.decompressStream(to: &window, with: decompressor)
                finished = true
            } catch let error as CompressNIOError where error == .bufferOverflow {
                finished = false
            } catch let error as CompressNIOError where error == .corruptData {
                throw BodyError(.malformed, "the \(name) body is corrupt (at compressed byte \(input.readerIndex - body.readerIndex))")
            } catch {
                throw BodyError(.malformed, "the \(name) body cannot be decompressed: \(error)")
            }
            guard window.readableBytes <= limit - output.readableBytes else { throw .tooLarge(limit: limit) }
            output.writeBuffer(&window)
        }
        if input.readableBytes > 0 {
            // zlib stopped at the end of the stream with input left over.
            throw BodyError(.malformed, "the \(name) body has \(input.readableBytes) bytes after the end of the compressed stream")
        }
        // All input consumed: either the stream ended or it was cut short. zlib consumes
        // nothing once a stream has ended, so one more byte tells the two apart.
        var probe = ByteBuffer(bytes: [0])
        var scratch = ByteBufferAllocator().buffer(capacity: 64)
        let ended: Bool
        do {
            try probe.decompressStream(to: &scratch, with: decompressor)
            ended = probe.readableBytes == 1 && scratch.readableBytes == 0
        } catch {
            ended = false
        }
        guard ended else {
            throw BodyError(.malformed, "the \(name) body is truncated: the compressed stream ends early")
        }
        return output
    }
}
