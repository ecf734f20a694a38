extension JSONWriter {
    /// `"key":"value"` in the current object.
    public mutating func member(_ key: String, _ value: String) {
        self.key(key)
        string(value)
    }

    /// `"key":value` for a signed integer.
    public mutating func member(_ key: String, _ value: Int) {
        self.key(key)
        int(Int64(value))
    }

    /// `"key":value` for an unsigned integer.
    public mutating func member(_ key: String, _ value: UInt64) {
        self.key(key)
        uint(value)
    }

    /// `"key":value` for a double (see ``double(_:)`` for NaN and infinities).
    public mutating func member(_ key: String, _ value: Double) {
        self.key(key)
        double(value)
    }

    /// `"key":"value"`, or `"key":null` when the value is nil.
    public mutating func member(_ key: String, _ value: String?) {
        self.key(key)
        if let value { string(value) } else { null() }
    }

    /// `"key":["a","b",…]`.
    public mutating func member(_ key: String, strings: some Sequence<String>) {
        self.key(key)
        beginArray()
        for value in strings { string(value) }
        endArray()
    }

    /// `"key":[…]` with one element written by `element` per item.
    public mutating func member<S: Sequence>(_ key: String, array items: S, _ element: (inout JSONWriter, S.Element) -> Void) {
        self.key(key)
        beginArray()
        for item in items { element(&self, item) }
        endArray()
    }

    /// An object whose members `body` writes.
    public mutating func object(_ body: (inout JSONWriter) -> Void) {
        beginObject()
        body(&self)
        endObject()
    }

    /// A document that is one object whose members `body` writes.
    public static func object(_ body: (inout JSONWriter) -> Void) -> [UInt8] {
        var writer = JSONWriter()
        writer.object(body)
        return writer.bytes
    }
}
