#if canImport(Glibc)
import Glibc
#endif

/// A block's strings, each stored once: names, attribute keys, string values, status
/// messages, trace states. Pages refer to them by index.
struct StringDictionaryBuilder {
    private(set) var strings: [String] = []
    private var ids: [ExactString: UInt32] = [:]

    mutating func id(_ string: String) -> UInt32 {
        if let id = ids[ExactString(string)] { return id }
        let id = UInt32(strings.count)
        strings.append(string)
        ids[ExactString(string)] = id
        return id
    }

    /// varint count, then per string a varint byte length and its UTF-8 bytes.
    func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: strings.count * 12)
        writer.varint(strings.count)
        for string in strings { writer.lengthPrefixed(Array(string.utf8)) }
        return writer.bytes
    }
}

/// A string compared and hashed by its UTF-8 bytes. Swift's `String` equality is
/// canonical equivalence ("é" precomposed equals "e" + combining accent), which would
/// merge two different byte sequences into one dictionary entry and change what a reader
/// gets back.
struct ExactString: Hashable {
    let value: String

    init(_ value: String) { self.value = value }

    static func == (lhs: ExactString, rhs: ExactString) -> Bool {
        // Hot in block writing: compare the contiguous UTF-8 bytes directly.
        var left = lhs.value
        var right = rhs.value
        return left.withUTF8 { a in
            right.withUTF8 { b in
                a.count == b.count && (a.isEmpty || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0)
            }
        }
    }

    func hash(into hasher: inout Hasher) {
        var value = value
        value.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}

/// A decoded dictionary, with the reverse map for turning query strings into indexes.
struct StringDictionary: Sendable {
    let strings: [String]
    let ids: [String: UInt32]

    init(decoding bytes: [UInt8]) throws(FormatError) {
        var reader = ByteReader(bytes)
        let count = try reader.count(atMost: bytes.count, "the dictionary's string count")
        var strings: [String] = []
        strings.reserveCapacity(count)
        var ids: [String: UInt32] = [:]
        ids.reserveCapacity(count)
        for index in 0..<count {
            let string = String(decoding: try reader.lengthPrefixed(), as: UTF8.self)
            strings.append(string)
            if ids[string] == nil { ids[string] = UInt32(index) }
        }
        self.strings = strings
        self.ids = ids
    }

    func string(_ id: UInt32, at reader: ByteReader) throws(FormatError) -> String {
        guard Int(id) < strings.count else { throw reader.error("string \(id) is past the dictionary's \(strings.count)") }
        return strings[Int(id)]
    }
}
