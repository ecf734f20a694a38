/// What every Spindle file shares: a 16-byte header (8-byte magic, little-endian u32
/// format version, u32 zero) and a name made of a 16-hex-digit number.
enum FileNaming {
    static let headerSize = 16

    static func header(magic: [UInt8], version: UInt32) -> [UInt8] {
        var writer = ByteWriter(capacity: headerSize)
        writer.raw(magic)
        writer.u32(version)
        writer.u32(0)
        return writer.bytes
    }

    /// `number` as 16 lowercase hex digits, then `suffix`.
    static func name(_ number: UInt64, suffix: String) -> String {
        let hex = String(number, radix: 16)
        return String(repeating: "0", count: max(0, 16 - hex.count)) + hex + suffix
    }

    /// The number in a name made by ``name(_:suffix:)``, or nil for any other name.
    static func number(_ name: String, suffix: String) -> UInt64? {
        guard name.hasSuffix(suffix), name.utf8.count == 16 + suffix.utf8.count else { return nil }
        let digits = name.prefix(16)
        guard digits.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else { return nil }
        return UInt64(digits, radix: 16)
    }
}
