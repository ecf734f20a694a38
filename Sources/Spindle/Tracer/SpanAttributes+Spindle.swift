import SpindleModel
import Tracing

extension SpanAttributes {
    /// The attributes as an OTLP attribute list, sorted by key (a `SpanAttributes` is a
    /// dictionary with no order of its own), keeping the first `countLimit` and counting
    /// the rest as dropped. Strings are truncated to `valueLengthLimit`.
    func spindleAttributes(countLimit: Int, valueLengthLimit: Int?) -> (attributes: [Attribute], dropped: UInt32) {
        if isEmpty { return ([], 0) }
        var attributes: [Attribute] = []
        attributes.reserveCapacity(count)
        forEach { attributes.append(Attribute($0, $1.spindleValue(lengthLimit: valueLengthLimit))) }
        attributes.sort { $0.key < $1.key }
        let dropped = attributes.count - max(countLimit, 0)
        if dropped > 0 { attributes.removeLast(dropped) }
        return (attributes, UInt32(clamping: max(dropped, 0)))
    }

    /// `self` with at most `limit` keys: the keys already in `accepted` first, then new
    /// keys in lexicographic order. Returns how many new keys were dropped.
    func limited(to limit: Int, keeping accepted: SpanAttributes) -> (attributes: SpanAttributes, dropped: Int) {
        var result = SpanAttributes()
        var newKeys: [String] = []
        forEach { key, value in
            if accepted.get(key) != nil, result.count < limit {
                result.set(key, value: value)
            } else {
                newKeys.append(key)
            }
        }
        newKeys.sort()
        var dropped = 0
        for key in newKeys {
            if result.count < limit {
                result.set(key, value: get(key))
            } else {
                dropped += 1
            }
        }
        return (result, dropped)
    }
}

extension SpanAttribute {
    /// The OTLP value: integers widen to 64 bits, arrays become array values,
    /// `CustomStringConvertible` payloads become their description.
    func spindleValue(lengthLimit: Int?) -> AttributeValue {
        switch self {
        case .int32(let value): .int(Int64(value))
        case .int64(let value): .int(value)
        case .int32Array(let values): .array(values.map { .int(Int64($0)) })
        case .int64Array(let values): .array(values.map { .int($0) })
        case .double(let value): .double(value)
        case .doubleArray(let values): .array(values.map { .double($0) })
        case .bool(let value): .bool(value)
        case .boolArray(let values): .array(values.map { .bool($0) })
        case .string(let value): .string(value.truncated(to: lengthLimit))
        case .stringArray(let values): .array(values.map { .string($0.truncated(to: lengthLimit)) })
        case .stringConvertible(let value): .string(value.description.truncated(to: lengthLimit))
        case .stringConvertibleArray(let values):
            .array(values.map { .string($0.description.truncated(to: lengthLimit)) })
        default: .empty
        }
    }
}

extension String {
    /// The first `limit` Unicode scalars (code points, as the Python SDK counts them).
    func truncated(to limit: Int?) -> String {
        // A string of at most `limit` UTF-8 bytes has at most `limit` scalars: no walk.
        guard let limit, utf8.count > limit, unicodeScalars.count > limit else { return self }
        var scalars = String.UnicodeScalarView()
        scalars.append(contentsOf: unicodeScalars.prefix(max(limit, 0)))
        return String(scalars)
    }
}
