/// A 16-byte trace identifier, stored big-endian as two 64-bit halves.
///
/// OTLP (`opentelemetry.proto.trace.v1.Span.trace_id`) and W3C Trace Context give the
/// rules: exactly 16 bytes, and the all-zero ID is invalid. ``init(hex:)`` accepts either
/// case; ``hexString`` is always lowercase, as `traceparent` and OTLP/JSON write it.
public struct TraceID: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The first 8 bytes, big-endian.
    public var high: UInt64
    /// The last 8 bytes, big-endian.
    public var low: UInt64

    @inlinable public static var zero: TraceID { TraceID(high: 0, low: 0) }
    public static let byteCount = 16

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Parses 32 hexadecimal digits of either case; nil for any other length or character.
    public init?(hex: some StringProtocol) {
        let copy = Array(hex.utf8)
        guard let parsed = copy.withUnsafeBytes({ TraceID(hexBytes: $0) }) else { return nil }
        self = parsed
    }

    /// Parses 32 hexadecimal ASCII digits; nil for any other length or character.
    public init?(hexBytes: UnsafeRawBufferPointer) {
        guard hexBytes.count == 32,
              let high = Hex.parseUInt64(hexBytes, from: 0),
              let low = Hex.parseUInt64(hexBytes, from: 16)
        else { return nil }
        self.init(high: high, low: low)
    }

    /// Reads 16 big-endian bytes; nil for any other count.
    public init?(bytes: UnsafeRawBufferPointer) {
        guard bytes.count == 16 else { return nil }
        self.init(high: Hex.loadBigEndian(bytes, at: 0), low: Hex.loadBigEndian(bytes, at: 8))
    }

    /// Reads 16 big-endian bytes; nil for any other count.
    public init?(bytes: some Collection<UInt8>) {
        let array = Array(bytes)
        guard let id = array.withUnsafeBytes({ TraceID(bytes: $0) }) else { return nil }
        self = id
    }

    /// OTLP's validity rule: a trace ID of all zero bytes is invalid.
    public var isValid: Bool { high != 0 || low != 0 }

    /// The 16 bytes, big-endian.
    public var bytes: [UInt8] {
        var out = [UInt8](repeating: 0, count: 16)
        out.withUnsafeMutableBytes {
            $0.storeBytes(of: high.bigEndian, toByteOffset: 0, as: UInt64.self)
            $0.storeBytes(of: low.bigEndian, toByteOffset: 8, as: UInt64.self)
        }
        return out
    }

    /// 32 lowercase hexadecimal digits.
    public var hexString: String { Hex.string(high) + Hex.string(low) }

    public var description: String { hexString }

    public static func < (lhs: TraceID, rhs: TraceID) -> Bool {
        (lhs.high, lhs.low) < (rhs.high, rhs.low)
    }
}

/// An 8-byte span identifier, stored big-endian in one 64-bit value.
///
/// OTLP's rules: exactly 8 bytes, and the all-zero ID is invalid (for a parent span ID,
/// all zero or empty means "no parent").
public struct SpanID: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The 8 bytes read big-endian.
    public var value: UInt64

    @inlinable public static var zero: SpanID { SpanID(0) }
    public static let byteCount = 8

    public init(_ value: UInt64) {
        self.value = value
    }

    /// Parses 16 hexadecimal digits of either case; nil for any other length or character.
    public init?(hex: some StringProtocol) {
        let copy = Array(hex.utf8)
        guard let parsed = copy.withUnsafeBytes({ SpanID(hexBytes: $0) }) else { return nil }
        self = parsed
    }

    /// Parses 16 hexadecimal ASCII digits; nil for any other length or character.
    public init?(hexBytes: UnsafeRawBufferPointer) {
        guard hexBytes.count == 16, let value = Hex.parseUInt64(hexBytes, from: 0) else { return nil }
        self.init(value)
    }

    /// Reads 8 big-endian bytes; nil for any other count.
    public init?(bytes: UnsafeRawBufferPointer) {
        guard bytes.count == 8 else { return nil }
        self.init(Hex.loadBigEndian(bytes, at: 0))
    }

    /// Reads 8 big-endian bytes; nil for any other count.
    public init?(bytes: some Collection<UInt8>) {
        let array = Array(bytes)
        guard let id = array.withUnsafeBytes({ SpanID(bytes: $0) }) else { return nil }
        self = id
    }

    /// OTLP's validity rule: a span ID of all zero bytes is invalid.
    public var isValid: Bool { value != 0 }

    /// The 8 bytes, big-endian.
    public var bytes: [UInt8] {
        var out = [UInt8](repeating: 0, count: 8)
        out.withUnsafeMutableBytes { $0.storeBytes(of: value.bigEndian, toByteOffset: 0, as: UInt64.self) }
        return out
    }

    /// 16 lowercase hexadecimal digits.
    public var hexString: String { Hex.string(value) }

    public var description: String { hexString }

    public static func < (lhs: SpanID, rhs: SpanID) -> Bool { lhs.value < rhs.value }
}

/// Hexadecimal helpers shared by the ID types and the codecs.
public enum Hex {
    /// The value of one ASCII hex digit of either case, or nil.
    @inlinable
    public static func digitValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte &- UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte &- UInt8(ascii: "a") &+ 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte &- UInt8(ascii: "A") &+ 10
        default: nil
        }
    }

    /// Parses 16 hex digits starting at `offset`; the caller guarantees they are in bounds.
    @inlinable
    public static func parseUInt64(_ buffer: UnsafeRawBufferPointer, from offset: Int) -> UInt64? {
        var value: UInt64 = 0
        for index in offset..<(offset + 16) {
            guard let digit = digitValue(buffer[index]) else { return nil }
            value = value << 4 | UInt64(digit)
        }
        return value
    }

    @inlinable
    public static func loadBigEndian(_ buffer: UnsafeRawBufferPointer, at offset: Int) -> UInt64 {
        UInt64(bigEndian: buffer.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    @usableFromInline
    static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    /// 16 lowercase hex digits of `value`, most significant first.
    public static func string(_ value: UInt64) -> String {
        String(unsafeUninitializedCapacity: 16) { buffer in
            for index in 0..<16 {
                let shift = UInt64(60 - index * 4)
                buffer[index] = digits[Int((value >> shift) & 0xF)]
            }
            return 16
        }
    }

    /// Lowercase hex of arbitrary bytes.
    public static func string(_ bytes: some Sequence<UInt8>) -> String {
        var out = [UInt8]()
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes an even number of hex digits of either case; nil otherwise.
    public static func bytes(_ hex: some StringProtocol) -> [UInt8]? {
        let utf8 = Array(hex.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(utf8.count / 2)
        var index = 0
        while index < utf8.count {
            guard let high = digitValue(utf8[index]), let low = digitValue(utf8[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }
}
