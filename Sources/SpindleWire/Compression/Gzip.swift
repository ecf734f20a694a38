import CSpindleZlib

/// gzip (RFC 1952) compression of request bodies, with the system's zlib: the SDK's OTLP
/// export and the ClickHouse backend's inserts.
package enum Gzip {
    /// The gzip stream of `bytes` at zlib's `level` (-1, the default, is zlib's default
    /// level, 6; 1 is the fastest).
    package static func compress(_ bytes: [UInt8], level: Int32 = -1) -> [UInt8] {
        var stream = z_stream()
        // windowBits 15 + 16 asks deflate for the gzip wrapper instead of zlib's.
        var status = deflateInit2_(
            &stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY,
            zlibVersion(), Int32(MemoryLayout<z_stream>.size)
        )
        // deflateInit2 fails only for lack of memory or bad parameters, neither of which
        // this fixed call can recover from.
        precondition(status == Z_OK, "zlib deflateInit2 failed with status \(status)")
        defer { deflateEnd(&stream) }
        // deflateBound covers the whole stream, gzip header and trailer included, so one
        // deflate call with Z_FINISH completes it.
        let bound = Int(deflateBound(&stream, uLong(bytes.count)))
        return [UInt8](unsafeUninitializedCapacity: bound) { output, initialized in
            bytes.withUnsafeBufferPointer { input in
                stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
                stream.avail_in = uInt(input.count)
                stream.next_out = output.baseAddress
                stream.avail_out = uInt(bound)
                status = deflate(&stream, Z_FINISH)
            }
            precondition(status == Z_STREAM_END, "zlib deflate did not finish within deflateBound (status \(status))")
            initialized = Int(stream.total_out)
        }
    }
}
