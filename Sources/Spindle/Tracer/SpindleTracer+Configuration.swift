extension SpindleTracer {
    /// A tracer as `configuration` describes it: its resource, sampler, span limits and
    /// propagator; a no-op tracer when `isSDKDisabled`.
    public convenience init(configuration: SpindleConfiguration, processors: [any SpanProcessor]) {
        self.init(
            resource: configuration.makeResource(),
            processors: configuration.isSDKDisabled ? [] : processors,
            sampler: configuration.sampler,
            limits: configuration.spanLimits,
            propagator: configuration.propagator,
            isEnabled: !configuration.isSDKDisabled
        )
    }
}
