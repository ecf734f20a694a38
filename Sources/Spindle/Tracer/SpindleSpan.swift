import SpindleModel
public import Tracing

/// A span of `SpindleTracer`: a small value that either records (sampled spans) or only
/// carries its context (spans the sampler dropped).
///
/// A value type so that dropped spans cost no allocation of their own: only sampled spans
/// allocate their recording state (one object), which all copies of the value share, so
/// copies of a `SpindleSpan` act on the same span.
///
/// The span's `context` is built when it is read, from the context the span started in
/// and the span itself: a span that is started and ended without anyone reading its
/// context (or injecting it) never builds one. Each read builds a new `ServiceContext`
/// value; read it once and keep it when starting many children.
///
/// Once ended, a span ignores every change. Unsampled spans (`isRecording == false`)
/// ignore every change.
public struct SpindleSpan: Span {
    /// The context the span started in, or the span's own context (see `identity`).
    private let base: ServiceContext
    private let identity: Identity

    /// How `context` is made from `base`.
    private enum Identity {
        /// `base` is the span's own context already.
        case own(RecordingSpan?)
        /// `base` is the parent's context; the span records.
        case recording(RecordingSpan)
        /// `base` is the parent's context; the span does not record but has its own span
        /// context (a new span ID, or the sampled flag cleared).
        case dropped(SpanContext)
    }

    /// A span whose context is `context` itself.
    init(context: ServiceContext, recording: RecordingSpan?) {
        base = context
        identity = .own(recording)
    }

    /// A recording span started in `parentContext`.
    init(parentContext: ServiceContext, recording: RecordingSpan) {
        base = parentContext
        identity = .recording(recording)
    }

    /// A span that does not record, started in `parentContext` with its own span context.
    init(parentContext: ServiceContext, dropped spanContext: SpanContext) {
        base = parentContext
        identity = .dropped(spanContext)
    }

    var recording: RecordingSpan? {
        switch identity {
        case .own(let recording): recording
        case .recording(let recording): recording
        case .dropped: nil
        }
    }

    /// The context the span was started in, with `spanContext` set to this span's own
    /// span context: start children in it, or inject it into outgoing requests.
    public var context: ServiceContext {
        var context = base
        switch identity {
        case .own: break
        case .recording(let recording): context.recordingSpan = recording
        case .dropped(let spanContext): context.spanContext = spanContext
        }
        return context
    }

    /// This span's identity (trace ID, span ID, flags, trace state).
    public var spanContext: SpanContext? {
        switch identity {
        case .own: base.spanContext
        case .recording(let recording): recording.spanContext
        case .dropped(let spanContext): spanContext
        }
    }

    /// True for sampled spans that have not ended yet.
    public var isRecording: Bool {
        guard let recording else { return false }
        return !recording.hasEnded
    }

    /// The span's name; empty for a span that does not record.
    public var operationName: String {
        get { recording?.name ?? "" }
        nonmutating set { recording?.name = newValue }
    }

    /// The span's attributes. Setting applies `SpanLimits.attributeCountLimit`: new keys
    /// beyond it are dropped and counted.
    public var attributes: SpanAttributes {
        get { recording?.attributes ?? [:] }
        nonmutating set { recording?.attributes = newValue }
        // `span.attributes["key"] = value` reads, changes and writes back the whole
        // dictionary. Moving the dictionary out for the change (rather than copying it)
        // makes the change in place: otherwise each new key copies every key before it.
        // A `_modify` is a coroutine; its frame must fit the caller's four-word buffer,
        // or each change allocates it (hence one variable for both branches).
        nonmutating _modify {
            let recording = recording
            var (attributes, moved) = recording?.takeAttributes() ?? (SpanAttributes(), false)
            defer { recording?.putBack(attributes, moved: moved) }
            yield &attributes
        }
    }

    /// OpenTelemetry's rules: once `ok`, the status is final; the message is kept only
    /// for `error`.
    public func setStatus(_ status: Tracing.SpanStatus) {
        recording?.setStatus(status)
    }

    public func addEvent(_ event: Tracing.SpanEvent) {
        recording?.addEvent(event)
    }

    /// Records an event named `exception` with the OpenTelemetry semantic-convention
    /// attributes `exception.type` (the error's fully qualified type name) and
    /// `exception.message` (`String(describing: error)`), plus `attributes`. The status
    /// is left as it is: `withSpan` sets `error` itself.
    public func recordError<Instant: TracerInstant>(
        _ error: any Error, attributes: SpanAttributes, at instant: @autoclosure () -> Instant
    ) {
        guard let recording else { return }
        var eventAttributes = attributes
        eventAttributes.set("exception.type", value: .string(String(reflecting: type(of: error))))
        eventAttributes.set("exception.message", value: .string(String(describing: error)))
        recording.addEvent(Tracing.SpanEvent(name: "exception", at: instant(), attributes: eventAttributes))
    }

    /// Links to the span whose context is in `link.context`; a link whose context holds
    /// no span context is ignored.
    public func addLink(_ link: Tracing.SpanLink) {
        guard let recording, let target = link.context.spanContext else { return }
        recording.addLink(target, attributes: link.attributes)
    }

    /// Ends the span and hands it to the tracer's span processors; only the first call
    /// counts. An end time before the start time is taken as the start time.
    public func end<Instant: TracerInstant>(at instant: @autoclosure () -> Instant) {
        recording?.end(atUnixNano: instant().nanosecondsSinceEpoch)
    }
}
