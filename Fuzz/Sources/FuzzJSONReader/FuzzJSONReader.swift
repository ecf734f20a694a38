import FuzzSupport
import SpindleWire

/// The JSON reader, and the writer against it.
///
/// Properties: parsing any input returns or throws (never traps, even at the nesting
/// limit); a parsed document written back with ``JSONWriter`` parses to the same values.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTest(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let value = try? JSONReader.parse(bytes) else { return 0 }
    var writer = JSONWriter()
    write(value, to: &writer)
    let reparsed: JSONValue
    do {
        reparsed = try JSONReader.parse(writer.bytes)
    } catch {
        finding("JSONWriter output does not parse: \(error)\n\(String(decoding: writer.bytes, as: UTF8.self))")
    }
    if !sameKind(value, reparsed) {
        finding("JSONWriter round trip changed the document:\n\(String(decoding: writer.bytes, as: UTF8.self))")
    }
    return 0
}

func write(_ value: JSONValue, to writer: inout JSONWriter) {
    switch value.kind {
    case .null: writer.null()
    case .bool(let flag): writer.bool(flag)
    case .number(let raw): writer.number(raw)
    case .string(let text): writer.string(text)
    case .array(let elements):
        writer.beginArray()
        for element in elements { write(element, to: &writer) }
        writer.endArray()
    case .object(let members):
        writer.beginObject()
        for member in members {
            writer.key(member.key)
            write(member.value, to: &writer)
        }
        writer.endObject()
    }
}

/// Equality of the values, ignoring where they start in their texts.
func sameKind(_ a: JSONValue, _ b: JSONValue) -> Bool {
    switch (a.kind, b.kind) {
    case (.array(let x), .array(let y)):
        return x.count == y.count && zip(x, y).allSatisfy { sameKind($0, $1) }
    case (.object(let x), .object(let y)):
        return x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && sameKind($0.value, $1.value) }
    default:
        return a.kind == b.kind
    }
}
