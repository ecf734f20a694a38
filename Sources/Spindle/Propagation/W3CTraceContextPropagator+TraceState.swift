extension W3CTraceContextPropagator {
    /// The most `list-member`s a `tracestate` holds.
    public static let maxTraceStateEntries = 32
    /// Entries longer than this are the first removed when there are too many.
    static let longTraceStateEntry = 128

    /// Parses a `tracestate` value ([W3C Trace Context Level 1 §3.3](https://www.w3.org/TR/trace-context/#tracestate-header)).
    ///
    /// Several `tracestate` header fields arrive combined into one comma-separated value
    /// (RFC 7230 §3.2.2), which is what this takes. Then:
    /// - spaces and tabs around each list member are ignored, and empty members skipped;
    /// - a member whose key or value breaks the specification's grammar is dropped, and
    ///   the others are kept (the specification leaves this to the vendor);
    /// - keys are simple (`lcalpha 0*255(lcalpha / DIGIT / "_" / "-" / "*" / "/")`) or
    ///   multi-tenant (`tenant-id "@" system-id`); values are 1 to 256 printable ASCII
    ///   characters other than `,` and `=`, not ending in a space;
    /// - when a key repeats, the first (leftmost, most recent) entry is kept;
    /// - beyond 32 entries, entries longer than 128 characters are removed first, starting
    ///   from the right, and then entries from the right end, as the specification's
    ///   "tracestate Limits" says.
    public static func parseTraceState(_ value: String) -> TraceState {
        let bytes = Array(value.utf8)
        var entries: [(key: String, value: String)] = []
        for member in bytes.split(separator: PropagationText.comma, omittingEmptySubsequences: false) {
            let trimmed = PropagationText.trimmingOWS(member)
            guard let equals = trimmed.firstIndex(of: PropagationText.equals) else { continue }
            entries.append((PropagationText.string(trimmed[..<equals]), PropagationText.string(trimmed[(equals + 1)...])))
        }
        return TraceState(normalizedTraceState(entries))
    }

    /// The `tracestate` value for `state`: its entries that satisfy the grammar, normalized
    /// as ``parseTraceState(_:)`` describes, joined by `,`; empty when none remain.
    public static func traceStateValue(of state: TraceState) -> String {
        normalizedTraceState(state.entries).map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }

    /// Whether `key` is a `tracestate` key: simple or multi-tenant.
    public static func isValidTraceStateKey(_ key: String) -> Bool {
        let bytes = Array(key.utf8)[...]
        guard let at = bytes.firstIndex(of: UInt8(ascii: "@")) else {
            return bytes.count <= 256 && isKey(bytes, firstIsDigitAllowed: false)
        }
        let tenant = bytes[..<at]
        let system = bytes[(at + 1)...]
        return tenant.count <= 241 && isKey(tenant, firstIsDigitAllowed: true)
            && system.count <= 14 && isKey(system, firstIsDigitAllowed: false)
    }

    /// Whether `value` is a `tracestate` value: `0*255(chr) nblk-chr`.
    public static func isValidTraceStateValue(_ value: String) -> Bool {
        let bytes = Array(value.utf8)
        guard let last = bytes.last, bytes.count <= 256, last != PropagationText.space else { return false }
        return bytes.allSatisfy { $0 >= 0x20 && $0 <= 0x7E && $0 != PropagationText.comma && $0 != PropagationText.equals }
    }

    private static func isKey(_ bytes: ArraySlice<UInt8>, firstIsDigitAllowed: Bool) -> Bool {
        guard let first = bytes.first else { return false }
        let isLowercase = { (byte: UInt8) in byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") }
        let isDigit = { (byte: UInt8) in byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        guard isLowercase(first) || (firstIsDigitAllowed && isDigit(first)) else { return false }
        return bytes.dropFirst().allSatisfy { byte in
            isLowercase(byte) || isDigit(byte) || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
                || byte == UInt8(ascii: "*") || byte == UInt8(ascii: "/")
        }
    }

    private static func normalizedTraceState(_ entries: [(key: String, value: String)]) -> [(key: String, value: String)] {
        var seen = Set<String>()
        var kept = entries.filter { entry in
            isValidTraceStateKey(entry.key) && isValidTraceStateValue(entry.value) && seen.insert(entry.key).inserted
        }
        var index = kept.endIndex
        while kept.count > maxTraceStateEntries, index > kept.startIndex {
            index -= 1
            if kept[index].key.utf8.count + 1 + kept[index].value.utf8.count > longTraceStateEntry {
                kept.remove(at: index)
            }
        }
        if kept.count > maxTraceStateEntries {
            kept.removeLast(kept.count - maxTraceStateEntries)
        }
        return kept
    }
}
