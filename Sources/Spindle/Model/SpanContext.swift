public import ServiceContextModule
public import SpindleModel

/// What identifies a span across process boundaries: the part of a span that propagators
/// carry in headers (W3C `traceparent`/`tracestate`, B3, Jaeger).
public struct SpanContext: Hashable, Sendable {
    public var traceID: TraceID
    public var spanID: SpanID
    /// W3C trace flags; bit 0 is "sampled".
    public var traceFlags: TraceFlags
    /// The W3C `tracestate` entries, in order (most recent vendor first).
    public var traceState: TraceState
    /// Extracted from a carrier (a parent in another process) rather than created here.
    public var isRemote: Bool

    public init(traceID: TraceID, spanID: SpanID, traceFlags: TraceFlags = .sampled, traceState: TraceState = TraceState(), isRemote: Bool = false) {
        self.traceID = traceID
        self.spanID = spanID
        self.traceFlags = traceFlags
        self.traceState = traceState
        self.isRemote = isRemote
    }

    public var isSampled: Bool { traceFlags.contains(.sampled) }

    /// Both IDs are non-zero, as the W3C specification requires of a usable parent.
    public var isValid: Bool { traceID != TraceID(high: 0, low: 0) && spanID != SpanID(0) }
}

/// W3C trace flags (`traceparent`'s last field).
public struct TraceFlags: OptionSet, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let sampled = TraceFlags(rawValue: 0x01)
}

/// W3C `tracestate`: at most 32 `key=value` entries, in order.
public struct TraceState: Hashable, Sendable {
    public var entries: [(key: String, value: String)] {
        get { storage.map { ($0.key, $0.value) } }
        set { storage = newValue.map { Entry(key: $0.key, value: $0.value) } }
    }

    private struct Entry: Hashable, Sendable {
        var key: String
        var value: String
    }

    private var storage: [Entry]

    public init(_ entries: [(key: String, value: String)] = []) {
        storage = entries.map { Entry(key: $0.key, value: $0.value) }
    }

    public var isEmpty: Bool { storage.isEmpty }

    public subscript(key: String) -> String? {
        storage.first { $0.key == key }?.value
    }
}

extension ServiceContext {
    /// The span context of the current span (local or extracted), as tracers and
    /// propagators hand it to each other.
    ///
    /// A context holds either a recording span of this process (whose span context this
    /// is) or a bare span context (extracted, or of a span that does not record); setting
    /// one clears the other.
    public var spanContext: SpanContext? {
        get {
            if isEmpty { return nil }
            if let recording = self[RecordingSpanKey.self] { return recording.spanContext }
            return self[SpanContextKey.self]
        }
        set {
            if !isEmpty, self[RecordingSpanKey.self] != nil { self[RecordingSpanKey.self] = nil }
            self[SpanContextKey.self] = newValue
        }
    }

    /// The recording span this context belongs to, when a sampled span of this process
    /// started it.
    var recordingSpan: RecordingSpan? {
        get { self[RecordingSpanKey.self] }
        set {
            if self[SpanContextKey.self] != nil { self[SpanContextKey.self] = nil }
            self[RecordingSpanKey.self] = newValue
        }
    }
}

private enum SpanContextKey: ServiceContextKey {
    typealias Value = SpanContext
    static var nameOverride: String? { "spindle-span-context" }
}

/// A class reference, so storing it in a context boxes nothing.
private enum RecordingSpanKey: ServiceContextKey {
    typealias Value = RecordingSpan
    static var nameOverride: String? { "spindle-recording-span" }
}
