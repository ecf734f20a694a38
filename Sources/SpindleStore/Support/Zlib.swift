import CSpindleZlib

/// zlib's CRC-32 (the IEEE polynomial, as in gzip and PNG) and deflate, on byte arrays.
enum Zlib {
    /// CRC-32 of `bytes[range]`.
    static func crc32(_ bytes: [UInt8], _ range: Range<Int>? = nil) -> UInt32 {
        let range = range ?? bytes.indices
        return bytes.withUnsafeBufferPointer { buffer in
            var crc: UInt = CSpindleZlib.crc32(0, nil, 0)
            var start = range.lowerBound
            // zlib takes a 32-bit length; feed larger ranges in pieces.
            while start < range.upperBound {
                let length = min(range.upperBound - start, 1 << 30)
                crc = CSpindleZlib.crc32(crc, buffer.baseAddress.map { $0 + start }, UInt32(length))
                start += length
            }
            return UInt32(truncatingIfNeeded: crc)
        }
    }

    static func crc32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        bytes.withUnsafeBufferPointer { buffer in
            UInt32(truncatingIfNeeded: CSpindleZlib.crc32(CSpindleZlib.crc32(0, nil, 0), buffer.baseAddress, UInt32(buffer.count)))
        }
    }

    /// The zlib stream (RFC 1950) of `bytes` at `level` (1 fastest … 9 smallest).
    static func compress(_ bytes: [UInt8], level: Int32 = 6) -> [UInt8] {
        var bound = compressBound(uLong(bytes.count))
        var output = [UInt8](repeating: 0, count: Int(bound))
        let status = output.withUnsafeMutableBufferPointer { out in
            bytes.withUnsafeBufferPointer { input in
                compress2(out.baseAddress, &bound, input.baseAddress, uLong(input.count), level)
            }
        }
        // compress2 only fails for lack of memory or a bad level, neither possible here
        // with a buffer of compressBound's size.
        precondition(status == Z_OK, "zlib compress2 failed with status \(status)")
        output.removeSubrange(Int(bound)...)
        return output
    }

    /// Inflates a zlib stream that must come to exactly `expectedCount` bytes.
    static func decompress(_ bytes: ArraySlice<UInt8>, expectedCount: Int) throws(FormatError) -> [UInt8] {
        // One spare byte: zlib needs a real buffer even for an empty result, and a stream
        // that inflates to more than expected then shows as a length mismatch.
        var output = [UInt8](repeating: 0, count: expectedCount + 1)
        var length = uLong(expectedCount + 1)
        let status = output.withUnsafeMutableBufferPointer { out in
            bytes.withUnsafeBufferPointer { input in
                uncompress(out.baseAddress, &length, input.baseAddress, uLong(input.count))
            }
        }
        guard status == Z_OK, Int(length) == expectedCount else {
            throw FormatError(message: "compressed section does not inflate to its \(expectedCount) bytes (zlib status \(status))", offset: 0)
        }
        output.removeLast()
        return output
    }
}
