import SpindleModel
import Synchronization
import Tracing

/// The mutable state of a sampled span: the one object allocated per sampled span.
/// Everything set after start lives under one `Mutex` (`State`); `end` takes it once,
/// marks the span ended, and builds the `FinishedSpan` outside the lock.
final class RecordingSpan: Sendable {
    let spanContext: SpanContext
    let parentSpanID: SpanID?
    let kind: SpindleModel.SpanKind
    let startTimeUnixNano: UInt64
    let pipeline: SpanPipeline
    private let state: Mutex<State>

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
                state.store(newValue, limit: limit, keeping: state.attributes)
            }
        }
    }

    /// The attributes, to change in place (`SpindleSpan.attributes`'s `_modify`): moved
    /// out of the state when far from the count limit, else copied. Hand them back with
    /// `putBack`.
    func takeAttributes() -> (attributes: SpanAttributes, moved: Bool) {
        let limit = pipeline.limits.attributeCountLimit
        return state.withLock { $0.takeAttributes(limit: limit) }
    }

    /// Stores attributes changed after `takeAttributes`; finishes the span when an `end`
    /// came meanwhile.
    func putBack(_ attributes: SpanAttributes, moved: Bool) {
        let limit = pipeline.limits.attributeCountLimit
        if let (ended, endTime) = state.withLock({ $0.putBack(attributes, moved: moved, limit: limit) }) {
            finish(ended, endTimeUnixNano: endTime)
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
        if let ended = state.withLock({ $0.end(at: endTime) }) {
            finish(ended, endTimeUnixNano: endTime)
        }
    }

    /// Hands the finished span to every processor.
    private func finish(_ ended: Ended, endTimeUnixNano: UInt64) {
        let finished = finishedSpan(ended, endTimeUnixNano: endTimeUnixNano)
        for processor in pipeline.processors {
            processor.onEnd(finished)
        }
    }

    private func finishedSpan(_ state: Ended, endTimeUnixNano: UInt64) -> FinishedSpan {
        let limits = pipeline.limits
        let (attributes, droppedByConversion) = state.attributes.spindleAttributes(
            countLimit: limits.attributeCountLimit, valueLengthLimit: limits.attributeValueLengthLimit)
        let events: [FinishedSpan.Event] = state.events.isEmpty ? [] : state.events.map { event in
            let (attributes, dropped) = event.attributes.spindleAttributes(
                countLimit: limits.attributePerEventCountLimit, valueLengthLimit: limits.attributeValueLengthLimit)
            return FinishedSpan.Event(
                name: event.name, timeUnixNano: event.nanosecondsSinceEpoch, attributes: attributes,
                droppedAttributesCount: dropped)
        }
        let links: [FinishedSpan.Link] = state.links.isEmpty ? [] : state.links.map { link in
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
