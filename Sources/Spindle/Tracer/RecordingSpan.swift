import SpindleModel
import Synchronization
import Tracing

/// The mutable state of a sampled span: the one object allocated per sampled span.
/// Everything set after start lives under one `Mutex`; `end` takes it once, marks the
/// span ended, and builds the `FinishedSpan` outside the lock.
final class RecordingSpan: Sendable {
    let spanContext: SpanContext
    let parentSpanID: SpanID?
    let kind: SpindleModel.SpanKind
    let startTimeUnixNano: UInt64
    let pipeline: SpanPipeline
    private let state: Mutex<State>

    private struct State {
        var name: String
        var attributes = SpanAttributes()
        var droppedAttributes = 0
        var events: [Tracing.SpanEvent] = []
        var droppedEvents = 0
        var links: [(context: SpanContext, attributes: SpanAttributes)] = []
        var droppedLinks = 0
        var status = SpindleModel.SpanStatus.unset
        var hasEnded = false
    }

    init(
        name: String, spanContext: SpanContext, parentSpanID: SpanID?, kind: SpindleModel.SpanKind,
        startTimeUnixNano: UInt64, pipeline: SpanPipeline
    ) {
        self.spanContext = spanContext
        self.parentSpanID = parentSpanID
        self.kind = kind
        self.startTimeUnixNano = startTimeUnixNano
        self.pipeline = pipeline
        self.state = Mutex(State(name: name))
    }

    var name: String {
        get { state.withLock { $0.name } }
        set { state.withLock { if !$0.hasEnded { $0.name = newValue } } }
    }

    var attributes: SpanAttributes {
        get { state.withLock { $0.attributes } }
        set {
            let limit = pipeline.limits.attributeCountLimit
            state.withLock { state in
                guard !state.hasEnded else { return }
                if newValue.count <= limit {
                    state.attributes = newValue
                } else {
                    let (kept, dropped) = newValue.limited(to: limit, keeping: state.attributes)
                    state.attributes = kept
                    state.droppedAttributes += dropped
                }
            }
        }
    }

    var hasEnded: Bool { state.withLock { $0.hasEnded } }

    /// OpenTelemetry's rules: `Ok` is final; a description is kept only with `Error`.
    func setStatus(_ status: Tracing.SpanStatus) {
        let converted = switch status.code {
        case .ok: SpindleModel.SpanStatus(code: .ok)
        case .error: SpindleModel.SpanStatus(code: .error, message: status.message ?? "")
        }
        state.withLock { state in
            guard !state.hasEnded, state.status.code != .ok else { return }
            state.status = converted
        }
    }

    func addEvent(_ event: Tracing.SpanEvent) {
        let limit = pipeline.limits.eventCountLimit
        state.withLock { state in
            guard !state.hasEnded else { return }
            if state.events.count < limit {
                state.events.append(event)
            } else {
                state.droppedEvents += 1
            }
        }
    }

    func addLink(_ context: SpanContext, attributes: SpanAttributes) {
        let limit = pipeline.limits.linkCountLimit
        state.withLock { state in
            guard !state.hasEnded else { return }
            if state.links.count < limit {
                state.links.append((context, attributes))
            } else {
                state.droppedLinks += 1
            }
        }
    }

    /// Ends the span once; later calls do nothing.
    func end(atUnixNano endTime: UInt64) {
        let ended: State? = state.withLock { state in
            guard !state.hasEnded else { return nil }
            state.hasEnded = true
            return state
        }
        guard let ended else { return }
        let finished = finishedSpan(ended, endTimeUnixNano: endTime)
        for processor in pipeline.processors {
            processor.onEnd(finished)
        }
    }

    private func finishedSpan(_ state: State, endTimeUnixNano: UInt64) -> FinishedSpan {
        let limits = pipeline.limits
        let (attributes, droppedByConversion) = state.attributes.spindleAttributes(
            countLimit: limits.attributeCountLimit, valueLengthLimit: limits.attributeValueLengthLimit)
        let events = state.events.map { event in
            let (attributes, dropped) = event.attributes.spindleAttributes(
                countLimit: limits.attributePerEventCountLimit, valueLengthLimit: limits.attributeValueLengthLimit)
            return FinishedSpan.Event(
                name: event.name, timeUnixNano: event.nanosecondsSinceEpoch, attributes: attributes,
                droppedAttributesCount: dropped)
        }
        let links = state.links.map { link in
            let (attributes, dropped) = link.attributes.spindleAttributes(
                countLimit: limits.attributePerLinkCountLimit, valueLengthLimit: limits.attributeValueLengthLimit)
            return FinishedSpan.Link(context: link.context, attributes: attributes, droppedAttributesCount: dropped)
        }
        return FinishedSpan(
            context: spanContext, parentSpanID: parentSpanID, name: state.name, kind: kind,
            startTimeUnixNano: startTimeUnixNano, endTimeUnixNano: max(endTimeUnixNano, startTimeUnixNano),
            attributes: attributes, events: events, links: links, status: state.status,
            droppedAttributesCount: UInt32(clamping: state.droppedAttributes) &+ droppedByConversion,
            droppedEventsCount: UInt32(clamping: state.droppedEvents),
            droppedLinksCount: UInt32(clamping: state.droppedLinks),
            resource: pipeline.resource, scope: pipeline.scope
        )
    }
}
