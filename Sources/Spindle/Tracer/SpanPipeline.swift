import SpindleModel

/// What every recording span of one tracer shares: where finished spans go and what
/// describes them. One instance per tracer, referenced (not copied) by each span.
final class SpanPipeline: Sendable {
    let processors: [any SpanProcessor]
    let resource: Resource
    let scope: InstrumentationScope
    let limits: SpanLimits

    init(processors: [any SpanProcessor], resource: Resource, scope: InstrumentationScope, limits: SpanLimits) {
        self.processors = processors
        self.resource = resource
        self.scope = scope
        self.limits = limits
    }
}
