import SpindleModel
public import Tracing

/// A span of `SpindleTracer`: a small value that either records (sampled spans) or only
/// carries its context (spans the sampler dropped).
///
/// A value type so that dropped spans cost no allocation of their own: only sampled spans
/// allocate their recording state (one object), which all copies of the value share, so
/// copies of a `SpindleSpan` act on the same span.
///
/// Once ended, a span ignores every change. Unsampled spans (`isRecording == false`)
/// ignore every change.
public struct SpindleSpan: Span {
    /// The context the span was started in, with `spanContext` set to this span's own
    /// span context: start children in it, or inject it into outgoing requests.
    public let context: ServiceContext
    let recording: RecordingSpan?

    init(context: ServiceContext, recording: RecordingSpan?) {
        self.context = context
        self.recording = recording
    }

    /// This span's identity (trace ID, span ID, flags, trace state).
    public var spanContext: SpanContext? {
        recording?.spanContext ?? context.spanContext
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
