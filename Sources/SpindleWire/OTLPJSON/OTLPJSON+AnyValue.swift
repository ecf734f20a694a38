public import SpindleModel

extension OTLPJSON {
    /// Writes one attribute value as OTLP/JSON's `AnyValue` (`{"stringValue":"…"}`,
    /// `{"intValue":"42"}` with 64-bit integers as strings, bytes in base64), for APIs
    /// that return attributes outside a whole export request.
    public static func writeAnyValue(_ value: AttributeValue, into writer: inout JSONWriter) {
        writer.beginObject()
        switch value {
        case .string(let string):
            writer.key("stringValue")
            writer.string(string)
        case .bool(let bool):
            writer.key("boolValue")
            writer.bool(bool)
        case .int(let int):
            writer.key("intValue")
            writer.string(String(int))
        case .double(let double):
            writer.key("doubleValue")
            writer.double(double)
        case .bytes(let bytes):
            writer.key("bytesValue")
            writer.string(Base64.encode(bytes))
        case .array(let values):
            writer.key("arrayValue")
            writer.beginObject()
            writer.key("values")
            writer.beginArray()
            for element in values { writeAnyValue(element, into: &writer) }
            writer.endArray()
            writer.endObject()
        case .keyValueList(let attributes):
            writer.key("kvlistValue")
            writer.beginObject()
            writer.key("values")
            writeAttributes(attributes, into: &writer)
            writer.endObject()
        case .empty:
            break
        }
        writer.endObject()
    }

    /// Writes a list of attributes as OTLP/JSON's `[{"key":…,"value":{…}}]`.
    public static func writeAttributes(_ attributes: [Attribute], into writer: inout JSONWriter) {
        writer.beginArray()
        for attribute in attributes {
            writer.beginObject()
            writer.key("key")
            writer.string(attribute.key)
            writer.key("value")
            writeAnyValue(attribute.value, into: &writer)
            writer.endObject()
        }
        writer.endArray()
    }
}
