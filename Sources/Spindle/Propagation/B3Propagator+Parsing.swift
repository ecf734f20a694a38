import SpindleModel

extension B3Propagator {
    /// Parses the single `b3` header: `{trace-id}-{span-id}`, optionally followed by
    /// `-{sampling-state}` and then `-{parent-span-id}`.
    ///
    /// The trace ID is 16 or 32 hex digits (a 64-bit ID is left-padded with zeros to 128
    /// bits), span and parent span IDs 16; hex of either case is accepted. The sampling
    /// state is `1` (sampled), `d` (debug, which implies sampled) or `0`; when it is absent
    /// the decision was deferred and the context is not sampled. Surrounding whitespace is
    /// ignored. A sampling state alone (`b3: 0`, `b3: 1`, `b3: d`) is valid B3 but carries no
    /// IDs, so it gives nil (a new trace), as does anything malformed or an all-zero ID.
    public static func parseSingleHeader(_ value: String) -> SpanContext? {
        let bytes = PropagationText.trimmedBytes(value)
        let fields = bytes.split(separator: PropagationText.dash, omittingEmptySubsequences: false)
        guard fields.count >= 2, fields.count <= 4 else { return nil }
        var sampled = false
        if fields.count >= 3 {
            switch PropagationText.string(fields[2]) {
            case "1", "d": sampled = true
            case "0": sampled = false
            default: return nil
            }
        }
        if fields.count == 4 {
            guard fields[3].count == 16, PropagationText.hex64(fields[3], lowercaseOnly: false) != nil else { return nil }
        }
        return spanContext(traceID: fields[0], spanID: fields[1], sampled: sampled)
    }

    /// Parses the multiple headers: `X-B3-TraceId` (16 or 32 hex digits, either case; a
    /// 64-bit ID is left-padded), `X-B3-SpanId` (16), `X-B3-Sampled` (`1`/`true` sampled,
    /// `0`/`false` not; absent or anything else: deferred, not sampled) and `X-B3-Flags`
    /// (`1` is debug, which implies sampled). `X-B3-ParentSpanId` is not needed and not read.
    /// Nil when an ID is absent, malformed or all zero.
    public static func parseMultipleHeaders(traceID: String?, spanID: String?, sampled: String?, flags: String?) -> SpanContext? {
        guard let traceID, let spanID else { return nil }
        let sampledValue = sampled.map { PropagationText.string(PropagationText.trimmedBytes($0)[...]) }
        let isDebug = flags.map { PropagationText.trimmedBytes($0) == [UInt8(ascii: "1")] } ?? false
        let isSampled = isDebug || sampledValue == "1" || sampledValue == "true"
        return spanContext(
            traceID: PropagationText.trimmedBytes(traceID)[...],
            spanID: PropagationText.trimmedBytes(spanID)[...],
            sampled: isSampled
        )
    }

    private static func spanContext(traceID: ArraySlice<UInt8>, spanID: ArraySlice<UInt8>, sampled: Bool) -> SpanContext? {
        guard traceID.count == 16 || traceID.count == 32, spanID.count == 16,
              let trace = PropagationText.hex128(traceID, lowercaseOnly: false),
              let span = PropagationText.hex64(spanID, lowercaseOnly: false)
        else { return nil }
        let context = SpanContext(
            traceID: TraceID(high: trace.high, low: trace.low),
            spanID: SpanID(span),
            traceFlags: sampled ? .sampled : [],
            isRemote: true
        )
        return context.isValid ? context : nil
    }
}
