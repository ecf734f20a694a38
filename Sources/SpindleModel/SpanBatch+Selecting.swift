extension SpanBatch {
    /// A batch of only the spans at `indices` (ascending, each in 0..<spanCount), under
    /// their own resources and scopes; groups left without spans are dropped.
    ///
    /// Cheap: the arena and the attribute, event and link tables are shared, not copied;
    /// only span, scope and resource rows are rebuilt. The collector uses it to drop
    /// invalid spans from a request and keep the rest.
    public func selecting(spansAt indices: some Sequence<Int>) -> SpanBatch {
        let source = tables
        var result = source
        result.spans = []
        result.scopes = []
        result.resources = []
        var previous = -1
        var lastSourceScope = -1
        var lastSourceResource = -1
        for index in indices {
            precondition(index > previous && index < source.spans.count, "span indices must ascend within 0..<\(source.spans.count)")
            previous = index
            var span = source.spans[index]
            let sourceScope = Int(span.scopeIndex)
            let sourceResource = Int(source.scopes[sourceScope].resourceIndex)
            if sourceResource != lastSourceResource {
                var resource = source.resources[sourceResource]
                resource.scopes = TableRange(start: UInt32(result.scopes.count), count: 0)
                result.resources.append(resource)
                lastSourceResource = sourceResource
                lastSourceScope = -1
            }
            if sourceScope != lastSourceScope {
                var scope = source.scopes[sourceScope]
                scope.resourceIndex = UInt32(result.resources.count - 1)
                scope.spans = TableRange(start: UInt32(result.spans.count), count: 0)
                result.scopes.append(scope)
                result.resources[result.resources.count - 1].scopes.count += 1
                lastSourceScope = sourceScope
            }
            span.scopeIndex = UInt32(result.scopes.count - 1)
            result.spans.append(span)
            result.scopes[result.scopes.count - 1].spans.count += 1
        }
        return SpanBatch(tables: result)
    }
}
