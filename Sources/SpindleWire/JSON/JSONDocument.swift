import SpindleModel

/// Runs a streaming decoder over one JSON document with the error behaviour of decoding a
/// ``JSONReader`` tree: malformed text is reported before any error of meaning, wherever
/// in the document either one is.
///
/// A tree decoder parses the whole text first, so invalid UTF-8, a syntax error or
/// nesting past the limit anywhere wins over, say, a wrong type in the first span. A
/// streaming decoder meets them in document order instead; so when it fails, the text is
/// parsed again with ``JSONReader`` and that error, if there is one, is thrown in its
/// place. Only failing documents pay for the second parse.
enum JSONDocument {
    /// Checks `bytes` for UTF-8 as ``JSONReader`` does, then calls `decode` with them;
    /// `decode` reads one value with a ``JSONScanner`` limited to `maxDepth`, and this
    /// checks that nothing but whitespace follows it.
    static func decode<T>(
        _ bytes: [UInt8],
        maxDepth: Int,
        _ decode: (inout JSONScanner) throws(WireError) -> T
    ) throws(WireError) -> T {
        if let bad = bytes.withUnsafeBytes({ UTF8Validation.firstInvalidOffset($0) }) {
            throw WireError(.invalidUTF8, field: "", offset: bad, "the text is not valid UTF-8")
        }
        let result: Result<T, WireError> = bytes.withUnsafeBufferPointer { buffer in
            var scanner = JSONScanner(buffer, maxDepth: maxDepth)
            do throws(WireError) {
                let value = try decode(&scanner)
                try scanner.finish()
                return .success(value)
            } catch {
                return .failure(error)
            }
        }
        switch result {
        case .success(let value):
            return value
        case .failure(let failure):
            do throws(WireError) {
                _ = try JSONReader.parse(bytes, maxDepth: maxDepth)
            } catch {
                throw error
            }
            throw failure
        }
    }
}
