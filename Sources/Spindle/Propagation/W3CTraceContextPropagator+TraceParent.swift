import SpindleModel

extension W3CTraceContextPropagator {
    /// The length of a version `00` `traceparent`: `2 + 1 + 32 + 1 + 16 + 1 + 2`.
    static let traceParentLength = 55

    /// Parses a `traceparent` value as [W3C Trace Context Level 1 §3.2](https://www.w3.org/TR/trace-context/#traceparent-header)
    /// says; nil when the header must be ignored (the receiver then restarts the trace).
    ///
    /// - Surrounding spaces and tabs (HTTP's optional whitespace) are ignored.
    /// - `version` is two lowercase hex digits followed by `-`; `ff` is invalid.
    /// - Version `00` must be exactly 55 characters: `00-{32 hex}-{16 hex}-{2 hex}`.
    /// - A higher version is parsed as the specification's "Versioning of traceparent"
    ///   says: at least 55 characters, the same first four fields, and after the flags
    ///   either the end of the value or a `-` followed by data that is not interpreted.
    /// - Every hex digit must be lowercase (`HEXDIGLC`); an all-zero `trace-id` or
    ///   `parent-id` is invalid.
    /// - Only the `sampled` flag is kept: the other bits are reserved, and vendors must set
    ///   them to zero, so they are not carried to the next hop.
    ///
    /// The result has `isRemote == true` and an empty ``TraceState``.
    public static func parseTraceParent(_ value: String) -> SpanContext? {
        // Hot path: parse the string's own UTF-8 in place; copy only a bridged string.
        if let parsed = value.utf8.withContiguousStorageIfAvailable({ parseTraceParent(utf8: $0) }) { return parsed }
        return Array(value.utf8).withUnsafeBufferPointer { parseTraceParent(utf8: $0) }
    }

    private static func parseTraceParent(utf8 value: UnsafeBufferPointer<UInt8>) -> SpanContext? {
        var start = 0
        var end = value.count
        while start < end, value[start] == PropagationText.space || value[start] == PropagationText.tab { start += 1 }
        while end > start, value[end - 1] == PropagationText.space || value[end - 1] == PropagationText.tab { end -= 1 }
        let bytes = UnsafeBufferPointer(rebasing: value[start..<end])
        guard bytes.count >= traceParentLength,
              let version = PropagationText.hex64(bytes[0..<2], lowercaseOnly: true), version != 0xFF,
              bytes[2] == PropagationText.dash, bytes[35] == PropagationText.dash, bytes[52] == PropagationText.dash
        else { return nil }
        if version == 0 {
            guard bytes.count == traceParentLength else { return nil }
        } else if bytes.count > traceParentLength {
            guard bytes[traceParentLength] == PropagationText.dash else { return nil }
        }
        guard let trace = PropagationText.hex128(bytes[3..<35], lowercaseOnly: true),
              let span = PropagationText.hex64(bytes[36..<52], lowercaseOnly: true),
              let flags = PropagationText.hex64(bytes[53..<55], lowercaseOnly: true)
        else { return nil }
        let context = SpanContext(
            traceID: TraceID(high: trace.high, low: trace.low),
            spanID: SpanID(span),
            traceFlags: TraceFlags(rawValue: UInt8(truncatingIfNeeded: flags)).intersection(.sampled),
            isRemote: true
        )
        return context.isValid ? context : nil
    }

    /// The version `00` `traceparent` value for `context`: `00-{trace-id}-{parent-id}-{flags}`,
    /// with only the `sampled` flag (the others are reserved and must be zero).
    public static func traceParent(of context: SpanContext) -> String {
        let sampled = context.traceFlags.contains(.sampled)
        // Written in place: one allocation for the 55 bytes.
        return String(unsafeUninitializedCapacity: traceParentLength) { buffer in
            buffer[0] = UInt8(ascii: "0")
            buffer[1] = UInt8(ascii: "0")
            buffer[2] = PropagationText.dash
            var offset = PropagationText.writeHex(context.traceID.high, into: buffer, at: 3)
            offset = PropagationText.writeHex(context.traceID.low, into: buffer, at: offset)
            buffer[offset] = PropagationText.dash
            offset = PropagationText.writeHex(context.spanID.value, into: buffer, at: offset + 1)
            buffer[offset] = PropagationText.dash
            buffer[offset + 1] = UInt8(ascii: "0")
            buffer[offset + 2] = sampled ? UInt8(ascii: "1") : UInt8(ascii: "0")
            return offset + 3
        }
    }
}
