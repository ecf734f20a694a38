public import ServiceContextModule

/// W3C Baggage: ordered, uniquely keyed name/value pairs that travel with a request
/// ([W3C Baggage](https://www.w3.org/TR/baggage/)), each with optional metadata.
///
/// Keys are unique: setting an existing key replaces its value and metadata in place,
/// keeping its position. ``W3CBaggagePropagator`` and ``JaegerPropagator`` carry it.
public struct Baggage: Hashable, Sendable {
    /// One baggage item.
    public struct Entry: Hashable, Sendable {
        /// The key, an RFC 7230 `token`.
        public var key: String
        /// The value, decoded: any text (propagators percent-encode what needs it).
        public var value: String
        /// The W3C properties after the value, in wire form without the leading `;`
        /// (for example `ttl=60;secret`); empty when there are none.
        public var metadata: String

        /// An entry; `metadata` is W3C properties in wire form, or empty.
        public init(key: String, value: String, metadata: String = "") {
            self.key = key
            self.value = value
            self.metadata = metadata
        }
    }

    /// The entries in order, each key once.
    public private(set) var entries: [Entry]

    /// Baggage with `entries` in order; a repeated key keeps its first position and its
    /// last value.
    public init(_ entries: [Entry] = []) {
        self.entries = []
        for entry in entries {
            set(entry.key, entry.value, metadata: entry.metadata)
        }
    }

    /// Whether there are no entries.
    public var isEmpty: Bool { entries.isEmpty }

    /// The value for `key`, or nil.
    public subscript(key: String) -> String? {
        entries.first { $0.key == key }?.value
    }

    /// Sets `key`'s value and metadata, replacing an existing entry in place or appending.
    public mutating func set(_ key: String, _ value: String, metadata: String = "") {
        let entry = Entry(key: key, value: value, metadata: metadata)
        if let index = entries.firstIndex(where: { $0.key == key }) {
            entries[index] = entry
        } else {
            entries.append(entry)
        }
    }

    /// Removes `key`'s entry if there is one.
    public mutating func remove(_ key: String) {
        entries.removeAll { $0.key == key }
    }
}

extension ServiceContext {
    /// The W3C baggage that travels with this context, as propagators extract and inject it.
    public var baggage: Baggage? {
        get { self[BaggageKey.self] }
        set { self[BaggageKey.self] = newValue }
    }
}

private enum BaggageKey: ServiceContextKey {
    typealias Value = Baggage
    static var nameOverride: String? { "spindle-baggage" }
}
