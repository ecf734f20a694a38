import Foundation
public import SpindleModel

/// How an attribute value is stored in ClickHouse: a type tag (`attribute_types`, the
/// raw value of ``ValueSlot/Kind``) and a text (`attribute_values`), so that a query can
/// compare strings directly and numbers with `toInt64OrNull`/`toFloat64OrNull`.
///
/// | tag | kind | text |
/// |---|---|---|
/// | 0 | empty | empty |
/// | 1 | string | the string's bytes |
/// | 2 | bool | `true` / `false` |
/// | 3 | int | decimal (`-42`) |
/// | 4 | double | shortest text that reads back exactly (`0.1`, `2.0`, `1e-05`, `nan`, `inf`, `-inf`) |
/// | 5 | bytes | lowercase hex |
/// | 6 | array | OTLP/JSON `AnyValue` (`{"arrayValue":{"values":[...]}}`) |
/// | 7 | key-value list | OTLP/JSON `AnyValue` (`{"kvlistValue":{"values":[{"key":..,"value":..}]}}`) |
///
/// Nested values deeper than ``maxDepth`` are written as `{}` (empty).
public enum ClickHouseValueText {
    /// The deepest nesting written; deeper values become empty.
    public static let maxDepth = 64

    /// Appends the text of `slot` to `out`.
    static func append(_ slot: ValueSlot, tables: SpanTables, to out: inout [UInt8]) {
        switch slot.kind {
        case .empty: break
        case .string: tables.withBytes(slot.byteRef) { out.append(contentsOf: $0) }
        case .bool: out.append(contentsOf: slot.boolValue ? Array("true".utf8) : Array("false".utf8))
        case .int: out.append(contentsOf: String(slot.intValue).utf8)
        case .double: out.append(contentsOf: doubleText(slot.doubleValue).utf8)
        case .bytes:
            let digits = Array("0123456789abcdef".utf8)
            tables.withBytes(slot.byteRef) { bytes in
                for byte in bytes {
                    out.append(digits[Int(byte >> 4)])
                    out.append(digits[Int(byte & 0xF)])
                }
            }
        case .array, .keyValueList: appendJSON(slot, tables: tables, depth: 0, to: &out)
        }
    }

    /// Swift's shortest round-trip text, with ClickHouse's spelling of the non-finite values.
    static func doubleText(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        return value.description
    }

    /// OTLP/JSON's `AnyValue` of `slot`.
    private static func appendJSON(_ slot: ValueSlot, tables: SpanTables, depth: Int, to out: inout [UInt8]) {
        func literal(_ text: String) { out.append(contentsOf: text.utf8) }
        guard depth < maxDepth else { return literal("{}") }
        switch slot.kind {
        case .empty: literal("{}")
        case .string:
            literal("{\"stringValue\":")
            tables.withBytes(slot.byteRef) { appendJSONString($0, to: &out) }
            literal("}")
        case .bool: literal(slot.boolValue ? "{\"boolValue\":true}" : "{\"boolValue\":false}")
        case .int: literal("{\"intValue\":\"\(slot.intValue)\"}")
        case .double:
            let value = slot.doubleValue
            if value.isNaN { literal("{\"doubleValue\":\"NaN\"}") }
            else if value.isInfinite { literal(value < 0 ? "{\"doubleValue\":\"-Infinity\"}" : "{\"doubleValue\":\"Infinity\"}") }
            else { literal("{\"doubleValue\":\(value.description)}") }
        case .bytes:
            literal("{\"bytesValue\":\"")
            literal(Data(tables.bytes(slot.byteRef)).base64EncodedString())
            literal("\"}")
        case .array:
            literal("{\"arrayValue\":{\"values\":[")
            for (position, index) in slot.tableRange.indices.enumerated() {
                if position > 0 { literal(",") }
                appendJSON(tables.nestedValues[index], tables: tables, depth: depth + 1, to: &out)
            }
            literal("]}}")
        case .keyValueList:
            literal("{\"kvlistValue\":{\"values\":[")
            for (position, index) in slot.tableRange.indices.enumerated() {
                if position > 0 { literal(",") }
                let entry = tables.nestedAttributes[index]
                literal("{\"key\":")
                tables.withBytes(entry.key) { appendJSONString($0, to: &out) }
                literal(",\"value\":")
                appendJSON(entry.value, tables: tables, depth: depth + 1, to: &out)
                literal("}")
            }
            literal("]}}")
        }
    }

    private static func appendJSONString(_ bytes: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        let digits = Array("0123456789abcdef".utf8)
        out.append(UInt8(ascii: "\""))
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                out.append(UInt8(ascii: "\\"))
                out.append(byte)
            case 0..<0x20:
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
            default:
                out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    // MARK: Reading

    /// The value a type tag and text stand for; nil when they do not form a value Spindle
    /// writes (unknown tag, unreadable number or JSON).
    public static func value(type: UInt8, text: String) -> AttributeValue? {
        guard let kind = ValueSlot.Kind(rawValue: type) else { return nil }
        switch kind {
        case .empty: return text.isEmpty ? .empty : nil
        case .string: return .string(text)
        case .bool: return text == "true" ? .bool(true) : text == "false" ? .bool(false) : nil
        case .int: return Int64(text).map { .int($0) }
        case .double:
            switch text {
            case "nan": return .double(.nan)
            case "inf": return .double(.infinity)
            case "-inf": return .double(-.infinity)
            default: return Double(text).map { .double($0) }
            }
        case .bytes:
            let utf8 = Array(text.utf8)
            guard utf8.count % 2 == 0 else { return nil }
            var bytes: [UInt8] = []
            bytes.reserveCapacity(utf8.count / 2)
            var index = 0
            while index < utf8.count {
                guard let high = Hex.digitValue(utf8[index]), let low = Hex.digitValue(utf8[index + 1]) else { return nil }
                bytes.append(high << 4 | low)
                index += 2
            }
            return .bytes(bytes)
        case .array, .keyValueList:
            guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) else { return nil }
            return jsonValue(object, depth: 0)
        }
    }

    private static func jsonValue(_ object: Any, depth: Int) -> AttributeValue? {
        guard depth <= maxDepth, let dictionary = object as? [String: Any] else { return nil }
        guard let (key, inner) = dictionary.first else { return .empty }
        guard dictionary.count == 1 else { return nil }
        switch key {
        case "stringValue": return (inner as? String).map { .string($0) }
        case "boolValue": return ((inner as? Bool) ?? (inner as? NSNumber)?.boolValue).map { .bool($0) }
        case "intValue": return (inner as? String).flatMap { Int64($0) }.map { .int($0) }
        case "doubleValue":
            if let text = inner as? String {
                switch text {
                case "NaN": return .double(.nan)
                case "Infinity": return .double(.infinity)
                case "-Infinity": return .double(-.infinity)
                default: return nil
                }
            }
            return (inner as? NSNumber).map { .double($0.doubleValue) }
        case "bytesValue": return (inner as? String).flatMap { Data(base64Encoded: $0) }.map { .bytes(Array($0)) }
        case "arrayValue":
            guard let values = (inner as? [String: Any])?["values"] as? [Any] else { return nil }
            var out: [AttributeValue] = []
            for element in values {
                guard let value = jsonValue(element, depth: depth + 1) else { return nil }
                out.append(value)
            }
            return .array(out)
        case "kvlistValue":
            guard let values = (inner as? [String: Any])?["values"] as? [Any] else { return nil }
            var out: [Attribute] = []
            for element in values {
                guard let entry = element as? [String: Any], let key = entry["key"] as? String,
                      let valueObject = entry["value"], let value = jsonValue(valueObject, depth: depth + 1)
                else { return nil }
                out.append(Attribute(key, value))
            }
            return .keyValueList(out)
        default: return nil
        }
    }
}
