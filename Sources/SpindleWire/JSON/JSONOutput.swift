import SpindleModel

/// Compact JSON written into one growable buffer: what the OTLP/JSON and Zipkin encoders
/// write a batch with.
///
/// The same calls and output as ``JSONWriter`` (commas and colons placed by the writer,
/// the same string escapes and number forms), plus writes straight from arena bytes and
/// integers: no String is created for a key, a string, an ID or a number.
///
/// Hot path: a write checks capacity once and stores bytes through a pointer, where
/// appending to an `Array` pays a uniqueness check and a generic copy per call; the
/// buffer is copied into an `Array` once, by ``finish()``. Noncopyable, so the buffer
/// has one owner and is freed once.
struct JSONOutput: ~Copyable {
    private var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    /// The bytes written so far.
    private(set) var count = 0
    /// True when the next value or key in the current container needs a comma before it.
    private var needsComma = false
    /// True right after a key: the value follows the colon without a comma.
    private var afterKey = false

    /// The most an encoder reserves before it writes anything: an estimate beyond it (a
    /// huge batch, or one with outsized attribute lists) grows as it is written instead.
    static let largestInitialCapacity = 64 << 20

    init(capacity: Int) {
        self.capacity = max(64, capacity)
        base = UnsafeMutablePointer<UInt8>.allocate(capacity: self.capacity)
    }

    deinit {
        base.deallocate()
    }

    /// The bytes written.
    consuming func finish() -> [UInt8] {
        let count = count
        let base = base
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            if let target = buffer.baseAddress, count > 0 { target.update(from: base, count: count) }
            initialized = count
        }
    }

    /// Drops what was written after the first `count` bytes and starts a new value: for a
    /// buffer of rendered text that a caller reuses.
    mutating func truncate(to count: Int) {
        self.count = min(max(0, count), self.count)
        needsComma = false
        afterKey = false
    }

    // MARK: Containers

    mutating func beginObject() {
        beginValue()
        append(UInt8(ascii: "{"))
        needsComma = false
    }

    mutating func endObject() {
        append(UInt8(ascii: "}"))
        needsComma = true
    }

    mutating func beginArray() {
        beginValue()
        append(UInt8(ascii: "["))
        needsComma = false
    }

    mutating func endArray() {
        append(UInt8(ascii: "]"))
        needsComma = true
    }

    /// Writes `"key":`, with a comma before it when it is not the first member. The key is
    /// written as it is: the caller's keys are plain ASCII that needs no escape.
    @inline(__always)
    mutating func key(_ key: StaticString) {
        let length = key.utf8CodeUnitCount
        reserve(length + 4)
        if needsComma { store(UInt8(ascii: ",")) }
        store(UInt8(ascii: "\""))
        copy(UnsafeRawPointer(key.utf8Start), length)
        store(UInt8(ascii: "\""))
        store(UInt8(ascii: ":"))
        afterKey = true
        needsComma = false
    }

    /// Writes `"key":` for a key given as UTF-8, escaped like a string.
    mutating func key(utf8: UnsafeRawBufferPointer) {
        if needsComma { append(UInt8(ascii: ",")) }
        writeEscaped(utf8)
        append(UInt8(ascii: ":"))
        afterKey = true
        needsComma = false
    }

    // MARK: Values

    /// A string value from UTF-8 bytes, escaped as ``JSONWriter/string(_:)`` escapes.
    @inline(__always)
    mutating func string(utf8: UnsafeRawBufferPointer) {
        beginValue()
        writeEscaped(utf8)
        needsComma = true
    }

    mutating func string(_ value: String) {
        var value = value
        value.withUTF8 { string(utf8: UnsafeRawBufferPointer($0)) }
    }

    /// Writes `text` between quotes as it is: the caller guarantees it needs no escape.
    mutating func plainString(_ text: StaticString) {
        beginValue()
        let length = text.utf8CodeUnitCount
        reserve(length + 2)
        store(UInt8(ascii: "\""))
        copy(UnsafeRawPointer(text.utf8Start), length)
        store(UInt8(ascii: "\""))
        needsComma = true
    }

    /// A string of 16 lowercase hexadecimal digits, most significant first.
    mutating func hexString(_ value: UInt64) {
        beginValue()
        reserve(18)
        store(UInt8(ascii: "\""))
        storeHex(value)
        store(UInt8(ascii: "\""))
        needsComma = true
    }

    /// A string of 32 lowercase hexadecimal digits.
    mutating func hexString(_ id: TraceID) {
        beginValue()
        reserve(34)
        store(UInt8(ascii: "\""))
        storeHex(id.high)
        storeHex(id.low)
        store(UInt8(ascii: "\""))
        needsComma = true
    }

    /// An unsigned integer as a decimal string (`"123"`), as proto3 JSON writes 64-bit integers.
    mutating func decimalString(_ value: UInt64) {
        beginValue()
        reserve(22)
        store(UInt8(ascii: "\""))
        storeDecimal(value, negative: false)
        store(UInt8(ascii: "\""))
        needsComma = true
    }

    /// A signed integer as a decimal string (`"-3"`).
    mutating func decimalString(_ value: Int64) {
        beginValue()
        reserve(23)
        store(UInt8(ascii: "\""))
        storeDecimal(value.magnitude, negative: value < 0)
        store(UInt8(ascii: "\""))
        needsComma = true
    }

    mutating func int(_ value: Int64) {
        beginValue()
        reserve(21)
        storeDecimal(value.magnitude, negative: value < 0)
        needsComma = true
    }

    mutating func uint(_ value: UInt64) {
        beginValue()
        reserve(20)
        storeDecimal(value, negative: false)
        needsComma = true
    }

    /// As ``JSONWriter/double(_:)``; see ``rawDouble(_:)``.
    mutating func double(_ value: Double) {
        beginValue()
        rawDouble(value)
        needsComma = true
    }

    mutating func bool(_ value: Bool) {
        beginValue()
        if value { appendRaw("true") } else { appendRaw("false") }
        needsComma = true
    }

    mutating func null() {
        beginValue()
        appendRaw("null")
        needsComma = true
    }

    /// Bytes as an RFC 4648 base64 string with padding.
    mutating func base64String(_ data: UnsafeRawBufferPointer) {
        beginValue()
        rawBase64(data)
        needsComma = true
    }

    /// Writes `json`, a complete JSON value, as it is.
    mutating func rawValue(_ json: UnsafeRawBufferPointer) {
        beginValue()
        append(json)
        needsComma = true
    }

    // MARK: Raw text

    /// Starts a value the caller writes with the `raw` methods: a comma first when it is
    /// not the first in its container. ``endRaw()`` ends it.
    ///
    /// Hot path: an encoder writes a record whose members are always there (a span, an
    /// attribute) as fixed text with the values in between, without the per-member
    /// bookkeeping of ``key(_:)``.
    @inline(__always)
    mutating func beginRaw() {
        beginValue()
    }

    /// Ends a value started with ``beginRaw()``.
    @inline(__always)
    mutating func endRaw() {
        needsComma = true
    }

    /// Writes `text` as it is: JSON the caller has formed.
    @inline(__always)
    mutating func raw(_ text: StaticString) {
        let length = text.utf8CodeUnitCount
        reserve(length)
        copy(UnsafeRawPointer(text.utf8Start), length)
    }

    /// Writes a string from UTF-8 bytes, quoted and escaped.
    @inline(__always)
    mutating func rawString(utf8: UnsafeRawBufferPointer) {
        writeEscaped(utf8)
    }

    /// Writes 16 lowercase hexadecimal digits, unquoted.
    @inline(__always)
    mutating func rawHex(_ value: UInt64) {
        reserve(16)
        storeHex(value)
    }

    /// Writes 32 lowercase hexadecimal digits, unquoted.
    @inline(__always)
    mutating func rawHex(_ id: TraceID) {
        reserve(32)
        storeHex(id.high)
        storeHex(id.low)
    }

    /// Writes a double: a finite value as its shortest text that reads back as the same
    /// `Double` (Swift's description, always valid JSON: "1.5", "-0.0", "1e-07"), NaN and
    /// ±infinity as the strings `"NaN"`, `"Infinity"`, `"-Infinity"`.
    mutating func rawDouble(_ value: Double) {
        if value.isNaN {
            raw("\"NaN\"")
        } else if value.isInfinite {
            if value < 0 { raw("\"-Infinity\"") } else { raw("\"Infinity\"") }
        } else {
            var text = value.description
            text.withUTF8 { append(UnsafeRawBufferPointer($0)) }
        }
    }

    /// Writes bytes as an RFC 4648 base64 string with padding, quoted unless `quoted` is false.
    mutating func rawBase64(_ data: UnsafeRawBufferPointer, quoted: Bool = true) {
        let dataCount = data.count
        reserve((dataCount + 2) / 3 * 4 + 2)
        if quoted { store(UInt8(ascii: "\"")) }
        let alphabet: StaticString = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
        let table = alphabet.utf8Start
        var index = 0
        while index < dataCount {
            let b0 = UInt32(data[index])
            let b1 = index + 1 < dataCount ? UInt32(data[index + 1]) : 0
            let b2 = index + 2 < dataCount ? UInt32(data[index + 2]) : 0
            let triple = b0 << 16 | b1 << 8 | b2
            store(table[Int(triple >> 18 & 0x3F)])
            store(table[Int(triple >> 12 & 0x3F)])
            store(index + 1 < dataCount ? table[Int(triple >> 6 & 0x3F)] : UInt8(ascii: "="))
            store(index + 2 < dataCount ? table[Int(triple & 0x3F)] : UInt8(ascii: "="))
            index += 3
        }
        if quoted { store(UInt8(ascii: "\"")) }
    }

    /// Writes bytes as they are.
    @inline(__always)
    mutating func rawBytes(_ bytes: UnsafeRawBufferPointer) {
        append(bytes)
    }

    /// Writes an integer's decimal digits.
    @inline(__always)
    mutating func rawDecimal(_ value: UInt64) {
        reserve(20)
        storeDecimal(value, negative: false)
    }

    /// Writes an integer's decimal digits, with a minus sign when negative.
    @inline(__always)
    mutating func rawDecimal(_ value: Int64) {
        reserve(21)
        storeDecimal(value.magnitude, negative: value < 0)
    }

    // MARK: Strings

    /// Calls `body` with the bytes written so far.
    func withBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        body(UnsafeRawBufferPointer(start: base, count: count))
    }

    /// Writes a string's UTF-8 between quotes with `"`, `\`, control characters, U+2028
    /// and U+2029 escaped, as ``JSONWriter`` does.
    ///
    /// Hot path: eight bytes are checked at a time, and runs that need no escape are
    /// copied in one call.
    mutating func writeEscaped(_ utf8: UnsafeRawBufferPointer) {
        let length = utf8.count
        reserve(length + 2)
        store(UInt8(ascii: "\""))
        guard let source = utf8.baseAddress else {
            store(UInt8(ascii: "\""))
            return
        }
        // Hot path: most strings need no escape at all; check them whole, then copy once.
        if Self.needsNoEscape(source, length) {
            copy(source, length)
            store(UInt8(ascii: "\""))
            return
        }
        var runStart = 0
        var index = 0
        while index < length {
            if index + 8 <= length {
                // A word with no quote, backslash, control character or 0xE2 (the lead
                // byte of U+2028 and U+2029) is skipped whole; otherwise the lowest
                // flagged byte is exact.
                let word = UInt64(littleEndian: source.loadUnaligned(fromByteOffset: index, as: UInt64.self))
                let quotes = word ^ 0x2222_2222_2222_2222
                let backslashes = word ^ 0x5C5C_5C5C_5C5C_5C5C
                let leads = word ^ 0xE2E2_E2E2_E2E2_E2E2
                let flagged = ((quotes &- 0x0101_0101_0101_0101) & ~quotes)
                    | ((backslashes &- 0x0101_0101_0101_0101) & ~backslashes)
                    | ((leads &- 0x0101_0101_0101_0101) & ~leads)
                    | ((word &- 0x2020_2020_2020_2020) & ~word)
                let special = flagged & 0x8080_8080_8080_8080
                if special == 0 {
                    index += 8
                    continue
                }
                index += special.trailingZeroBitCount >> 3
            }
            let byte = source.load(fromByteOffset: index, as: UInt8.self)
            if byte >= 0x20 && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\") && byte != 0xE2 {
                index += 1
                continue
            }
            let escape: StaticString
            var hexDigits = false
            switch byte {
            case UInt8(ascii: "\""): escape = "\\\""
            case UInt8(ascii: "\\"): escape = "\\\\"
            case 0x0A: escape = "\\n"
            case 0x0D: escape = "\\r"
            case 0x09: escape = "\\t"
            case 0x08: escape = "\\b"
            case 0x0C: escape = "\\f"
            case 0x00..<0x20:
                escape = "\\u00"
                hexDigits = true
            case 0xE2 where index + 2 < length && utf8[index + 1] == 0x80 && utf8[index + 2] == 0xA8:
                escape = "\\u2028"
            case 0xE2 where index + 2 < length && utf8[index + 1] == 0x80 && utf8[index + 2] == 0xA9:
                escape = "\\u2029"
            default:
                index += 1
                continue
            }
            append(UnsafeRawBufferPointer(start: source + runStart, count: index - runStart))
            appendRaw(escape)
            if hexDigits {
                // `\u00` and the byte's two lowercase hexadecimal digits.
                append(Self.hexDigit(byte >> 4))
                append(Self.hexDigit(byte & 0xF))
            }
            // U+2028 and U+2029 are three bytes; every other escaped character is one.
            index += byte == 0xE2 ? 3 : 1
            runStart = index
        }
        append(UnsafeRawBufferPointer(start: source + runStart, count: length - runStart))
        append(UInt8(ascii: "\""))
    }

    /// True when none of the bytes is a quote, a backslash, a control character or 0xE2
    /// (the lead byte of U+2028 and U+2029; a false alarm on other characters only costs
    /// the careful loop). Words at a time, the last one overlapping.
    @inline(__always)
    private static func needsNoEscape(_ source: UnsafeRawPointer, _ length: Int) -> Bool {
        @inline(__always)
        func special(_ word: UInt64) -> UInt64 {
            let quotes = word ^ 0x2222_2222_2222_2222
            let backslashes = word ^ 0x5C5C_5C5C_5C5C_5C5C
            let leads = word ^ 0xE2E2_E2E2_E2E2_E2E2
            return (((quotes &- 0x0101_0101_0101_0101) & ~quotes)
                | ((backslashes &- 0x0101_0101_0101_0101) & ~backslashes)
                | ((leads &- 0x0101_0101_0101_0101) & ~leads)
                | ((word &- 0x2020_2020_2020_2020) & ~word)) & 0x8080_8080_8080_8080
        }
        if length >= 8 {
            var offset = 0
            while offset + 8 < length {
                if special(source.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) != 0 { return false }
                offset += 8
            }
            return special(source.loadUnaligned(fromByteOffset: length - 8, as: UInt64.self)) == 0
        }
        for offset in 0..<length {
            let byte = source.load(fromByteOffset: offset, as: UInt8.self)
            if byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte == 0xE2 { return false }
        }
        return true
    }

    // MARK: Bytes

    @inline(__always)
    private mutating func beginValue() {
        if afterKey {
            afterKey = false
        } else if needsComma {
            append(UInt8(ascii: ","))
        }
    }

    /// Makes room for `extra` more bytes.
    @inline(__always)
    private mutating func reserve(_ extra: Int) {
        if capacity - count < extra { grow(extra) }
    }

    private mutating func grow(_ extra: Int) {
        let newCapacity = max(capacity * 2, count + extra)
        let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newBase.update(from: base, count: count)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }

    /// Stores a byte the caller has reserved room for.
    @inline(__always)
    private mutating func store(_ byte: UInt8) {
        base[count] = byte
        count += 1
    }

    @inline(__always)
    private mutating func append(_ byte: UInt8) {
        reserve(1)
        store(byte)
    }

    @inline(__always)
    private mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress, bytes.count > 0 else { return }
        reserve(bytes.count)
        copy(source, bytes.count)
    }

    /// Copies bytes the caller has reserved room for. Hot path: keys and most values are
    /// short, so up to 16 bytes are copied as two overlapping words (or halves) instead of
    /// calling `memcpy`.
    @inline(__always)
    private mutating func copy(_ source: UnsafeRawPointer, _ length: Int) {
        let target = UnsafeMutableRawPointer(base + count)
        if length >= 8 && length <= 16 {
            target.storeBytes(of: source.loadUnaligned(as: UInt64.self), as: UInt64.self)
            target.storeBytes(of: source.loadUnaligned(fromByteOffset: length - 8, as: UInt64.self), toByteOffset: length - 8, as: UInt64.self)
        } else if length >= 4 && length < 8 {
            target.storeBytes(of: source.loadUnaligned(as: UInt32.self), as: UInt32.self)
            target.storeBytes(of: source.loadUnaligned(fromByteOffset: length - 4, as: UInt32.self), toByteOffset: length - 4, as: UInt32.self)
        } else if length < 4 {
            for offset in 0..<length {
                target.storeBytes(of: source.load(fromByteOffset: offset, as: UInt8.self), toByteOffset: offset, as: UInt8.self)
            }
        } else {
            target.copyMemory(from: source, byteCount: length)
        }
        count += length
    }

    @inline(__always)
    private mutating func appendRaw(_ text: StaticString) {
        append(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    @inline(__always)
    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? nibble &+ UInt8(ascii: "0") : nibble &+ (UInt8(ascii: "a") &- 10)
    }

    /// Stores the 16 hexadecimal digits of `value`; the caller has reserved room.
    @inline(__always)
    private mutating func storeHex(_ value: UInt64) {
        let target = UnsafeMutableRawPointer(base + count)
        target.storeBytes(of: Self.hexWord(UInt32(truncatingIfNeeded: value >> 32)), as: UInt64.self)
        target.storeBytes(of: Self.hexWord(UInt32(truncatingIfNeeded: value)), toByteOffset: 8, as: UInt64.self)
        count += 16
    }

    /// The eight lowercase hexadecimal digits of `value` as they lie in memory, most
    /// significant first, computed in one word: each nibble is spread to its own byte,
    /// then turned into its digit.
    @inline(__always)
    private static func hexWord(_ value: UInt32) -> UInt64 {
        var nibbles = UInt64(value)
        nibbles = (nibbles | nibbles << 16) & 0x0000_FFFF_0000_FFFF
        nibbles = (nibbles | nibbles << 8) & 0x00FF_00FF_00FF_00FF
        nibbles = (nibbles | nibbles << 4) & 0x0F0F_0F0F_0F0F_0F0F
        // Bytes holding 10...15 get 'a' - '0' - 10 more than the digits 0...9.
        let letters = ((nibbles &+ 0x0606_0606_0606_0606) >> 4) & 0x0101_0101_0101_0101
        let digits = nibbles &+ 0x3030_3030_3030_3030 &+ letters &* 0x27
        // The least significant nibble is in the lowest byte; memory wants it last.
        return digits.bigEndian
    }

    /// Stores the decimal digits of a magnitude, with a minus sign when `negative`; the
    /// caller has reserved room for 21 bytes. Two digits at a time, from the end.
    @inline(__always)
    private mutating func storeDecimal(_ magnitude: UInt64, negative: Bool) {
        if negative { store(UInt8(ascii: "-")) }
        var digits = 1
        var threshold: UInt64 = 10
        while magnitude >= threshold {
            digits += 1
            if digits == 20 { break }
            threshold &*= 10
        }
        let pairs: StaticString = "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"
        let table = UnsafeRawPointer(pairs.utf8Start)
        let target = UnsafeMutableRawPointer(base + count)
        var position = digits
        var rest = magnitude
        while rest >= 100 {
            let pair = Int(rest % 100)
            rest /= 100
            position -= 2
            target.storeBytes(of: table.loadUnaligned(fromByteOffset: pair * 2, as: UInt16.self), toByteOffset: position, as: UInt16.self)
        }
        if rest >= 10 {
            target.storeBytes(of: table.loadUnaligned(fromByteOffset: Int(rest) * 2, as: UInt16.self), toByteOffset: position - 2, as: UInt16.self)
        } else {
            target.storeBytes(of: UInt8(truncatingIfNeeded: rest) &+ UInt8(ascii: "0"), toByteOffset: position - 1, as: UInt8.self)
        }
        count += digits
    }
}
