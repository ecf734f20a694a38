public import Instrumentation
import SpindleModel
public import Tracing

/// Spindle's implementation of swift-distributed-tracing's `Tracer`.
///
/// `startSpan` reads the parent from `context().spanContext`, keeps its trace ID (or
/// draws a new one for a root span), draws a new span ID and asks the sampler:
/// - sampled: the span records; `end()` hands a `FinishedSpan` to every span processor.
/// - dropped: the span records nothing and reaches no processor, but its context still
///   carries a span context with the sampled flag cleared, so downstream services see the
///   decision. When the parent itself is unsampled (and not remote), the dropped child
///   reuses the parent's context unchanged: nobody will record either span.
///
/// Neither kind allocates a `ServiceContext` of its own until its `context` is read (see
/// `SpindleSpan`): a dropped span allocates nothing, a sampled one only its recording
/// state.
///
/// A disabled tracer (`OTEL_SDK_DISABLED=true`) starts only non-recording spans that
/// keep the caller's context, without calling the sampler; it still injects and extracts
/// with its propagator, so a disabled service does not break the traces passing through.
public final class SpindleTracer: Tracer, Sendable {
    public typealias Span = SpindleSpan

    /// False for a tracer that records nothing (`OTEL_SDK_DISABLED`).
    public let isEnabled: Bool
    public let sampler: any Sampler
    /// Injects and extracts span contexts (and baggage) for `inject`/`extract`.
    public let propagator: any Instrument
    let pipeline: SpanPipeline
    /// Built once: what root spans and the sampler's start attributes start from.
    private let noAttributes = SpanAttributes()
    private let noTraceState = TraceState()

    /// - Parameters:
    ///   - resource: describes this process; shared by every span.
    ///   - processors: receive every sampled span as it ends.
    ///   - sampler: the head-sampling rule; by default OpenTelemetry's default,
    ///     `ParentBased(root: AlwaysOn)`.
    ///   - limits: bounds on attributes, events and links per span.
    ///   - propagator: used by `inject`/`extract`; by default W3C `traceparent`/`tracestate`
    ///     and W3C `baggage`.
    ///   - scope: the instrumentation scope reported with every span.
    ///   - isEnabled: false makes a no-op tracer (see the type's documentation).
    public init(
        resource: Resource,
        processors: [any SpanProcessor],
        sampler: any Sampler = ParentBasedSampler(root: AlwaysOnSampler()),
        limits: SpanLimits = SpanLimits(),
        propagator: any Instrument = CompositePropagator([W3CTraceContextPropagator(), W3CBaggagePropagator()]),
        scope: InstrumentationScope = InstrumentationScope(name: SpindleSDK.name, version: SpindleSDK.version),
        isEnabled: Bool = true
    ) {
        self.isEnabled = isEnabled
        self.sampler = sampler
        self.propagator = propagator
        self.pipeline = SpanPipeline(processors: processors, resource: resource, scope: scope, limits: limits)
    }

    /// The resource every span of this tracer reports.
    public var resource: Resource { pipeline.resource }

    public func startSpan<Instant: TracerInstant>(
        _ operationName: String,
        context: @autoclosure () -> ServiceContext,
        ofKind kind: Tracing.SpanKind,
        at instant: @autoclosure () -> Instant,
        function: String,
        file fileID: String,
        line: UInt
    ) -> SpindleSpan {
        let context = context()
        guard isEnabled else { return SpindleSpan(context: context, recording: nil) }
        let parent = context.spanContext.flatMap { $0.isValid ? $0 : nil }
        let traceID: TraceID
        let spanID: SpanID
        if let parent {
            traceID = parent.traceID
            spanID = RandomIDGenerator.spanID()
        } else {
            (traceID, spanID) = RandomIDGenerator.rootIDs()
        }
        let spindleKind = SpindleModel.SpanKind(kind)
        let decision = sampler.shouldSample(
            parent: parent, traceID: traceID, name: operationName, kind: spindleKind, attributes: noAttributes)
        let parentFlags = parent?.traceFlags ?? []
        let traceState = parent?.traceState ?? noTraceState

        switch decision {
        case .drop:
            // A local parent that does not record either: nobody records this trace here,
            // so the child keeps the parent's context as it is.
            if let parent, !parent.isSampled, !parent.isRemote {
                return SpindleSpan(context: context, recording: nil)
            }
            let spanContext = SpanContext(
                traceID: traceID, spanID: spanID, traceFlags: parentFlags.subtracting(.sampled), traceState: traceState)
            return SpindleSpan(parentContext: context, dropped: spanContext)
        case .recordAndSample:
            let spanContext = SpanContext(
                traceID: traceID, spanID: spanID, traceFlags: parentFlags.union(.sampled), traceState: traceState)
            let recording = RecordingSpan(
                name: operationName, spanContext: spanContext, parentSpanID: parent?.spanID, kind: spindleKind,
                startTimeUnixNano: instant().nanosecondsSinceEpoch, pipeline: pipeline)
            return SpindleSpan(parentContext: context, recording: recording)
        }
    }

    /// The span whose context `context` is: a recording span started by this process, or
    /// a non-recording one for a local unsampled span context; nil when the context holds
    /// no span context or only a remote (extracted) one.
    public func activeSpan(identifiedBy context: ServiceContext) -> SpindleSpan? {
        if let recording = context.recordingSpan {
            return SpindleSpan(context: context, recording: recording)
        }
        guard let spanContext = context.spanContext, !spanContext.isRemote else { return nil }
        return SpindleSpan(context: context, recording: nil)
    }

    /// Starts flushing every span processor and returns at once (the protocol's
    /// `forceFlush` is synchronous). Await `flush()` to know when it is done.
    public func forceFlush() {
        Task { await self.flush() }
    }

    /// Flushes every span processor concurrently; returns when all are done.
    public func flush() async {
        await withTaskGroup(of: Void.self) { group in
            for processor in pipeline.processors {
                group.addTask { await processor.forceFlush() }
            }
        }
    }

    /// Shuts every span processor down concurrently (each flushes first).
    public func shutdown() async {
        await withTaskGroup(of: Void.self) { group in
            for processor in pipeline.processors {
                group.addTask { await processor.shutdown() }
            }
        }
    }

    public func inject<Carrier, Inject: Injector>(
        _ context: ServiceContext, into carrier: inout Carrier, using injector: Inject
    ) where Inject.Carrier == Carrier {
        propagator.inject(context, into: &carrier, using: injector)
    }

    public func extract<Carrier, Extract: Extractor>(
        _ carrier: Carrier, into context: inout ServiceContext, using extractor: Extract
    ) where Extract.Carrier == Carrier {
        propagator.extract(carrier, into: &context, using: extractor)
    }
}

extension SpindleModel.SpanKind {
    /// The OTLP kind of a swift-distributed-tracing kind.
    init(_ kind: Tracing.SpanKind) {
        self = switch kind {
        case .server: .server
        case .client: .client
        case .producer: .producer
        case .consumer: .consumer
        case .internal: .internal
        }
    }
}
