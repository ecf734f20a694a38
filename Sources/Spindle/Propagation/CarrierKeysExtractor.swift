public import Instrumentation

/// An ``Extractor`` that can also list the keys its carrier holds.
///
/// Formats whose header names carry data, such as Jaeger's `uberctx-{key}` baggage,
/// need it: ``JaegerPropagator`` reads those headers only through an extractor that
/// conforms. Implementations return each key once, in any order.
public protocol CarrierKeysExtractor: Extractor {
    /// Every key in `carrier`.
    func keys(in carrier: Carrier) -> [String]
}

/// Extracts from a `[String: String]` of header names to values, matching names
/// case-insensitively as HTTP does (an exact match first). For tests and simple carriers.
public struct HeaderDictionaryExtractor: CarrierKeysExtractor {
    /// An extractor for header dictionaries.
    public init() {}

    /// The value of `key`, matched exactly or else case-insensitively.
    public func extract(key: String, from carrier: [String: String]) -> String? {
        if let value = carrier[key] { return value }
        return carrier.first { PropagationText.equalsIgnoringASCIICase($0.key, key) }?.value
    }

    /// The keys, sorted so that the result is deterministic.
    public func keys(in carrier: [String: String]) -> [String] {
        carrier.keys.sorted()
    }
}

/// Injects into a `[String: String]` of header names to values, replacing an existing
/// value. For tests and simple carriers.
public struct HeaderDictionaryInjector: Injector {
    /// An injector for header dictionaries.
    public init() {}

    /// Sets `carrier[key]` to `value`.
    public func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) {
        carrier[key] = value
    }
}
