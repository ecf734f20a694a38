/// Finds the values of `name=value` parameters whose name names a secret: URL query and
/// fragment parameters (`?access_token=…`, `&sig=…`, `#id_token=…`) and connection-string
/// settings (`Password=…;`). The value is redacted, the name kept.
///
/// A parameter starts a string or follows `?`, `&`, `;`, `#` or whitespace; its value
/// runs to the next `&`, `;`, `#`, `,`, whitespace or quote. Values that are already
/// `REDACTED` (OpenTelemetry's `url.query` convention) or a mask are left alone.
enum SecretParameterDetector {
    /// Calls `found` with the range of each secret parameter value in `bytes`, asking
    /// `namesSecret` about each parameter name.
    static func scan(_ bytes: UnsafeRawBufferPointer, from start: Int, namesSecret: (UnsafeRawBufferPointer) -> Bool, _ found: (Range<Int>) -> Void) {
        var equals = start
        while equals < bytes.count {
            guard bytes[equals] == UInt8(ascii: "=") else {
                equals += 1
                continue
            }
            var nameStart = equals
            while nameStart > 0, isNameCharacter(bytes[nameStart - 1]) { nameStart -= 1 }
            var valueEnd = equals + 1
            while valueEnd < bytes.count, !endsValue(bytes[valueEnd]) { valueEnd += 1 }
            let value = (equals + 1)..<valueEnd
            if nameStart < equals, nameStart == 0 || startsParameter(bytes[nameStart - 1]), !value.isEmpty,
                !bytes.isAlreadyRedacted(value),
                namesSecret(UnsafeRawBufferPointer(rebasing: bytes[nameStart..<equals]))
            {
                found(value)
                equals = valueEnd
            } else {
                equals += 1
            }
        }
    }

    @inline(__always)
    private static func isNameCharacter(_ byte: UInt8) -> Bool {
        byte.isASCIIAlphanumeric || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
            || byte == UInt8(ascii: "[") || byte == UInt8(ascii: "]")
    }

    @inline(__always)
    private static func startsParameter(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "?") || byte == UInt8(ascii: "&") || byte == UInt8(ascii: ";") || byte == UInt8(ascii: "#") || byte.isASCIIWhitespace
    }

    @inline(__always)
    private static func endsValue(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "&") || byte == UInt8(ascii: ";") || byte == UInt8(ascii: "#") || byte == UInt8(ascii: ",")
            || byte.isASCIIWhitespace || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'")
    }
}
