public import SpindleModel
public import Tracing

/// Follows the parent's decision when there is a parent, and asks `root` otherwise
/// (OpenTelemetry `ParentBased`, with its five delegates).
///
/// | parent                       | delegate                  | default       |
/// |------------------------------|---------------------------|---------------|
/// | none                         | `root`                    | (required)    |
/// | remote, sampled              | `remoteParentSampled`     | `AlwaysOn`    |
/// | remote, not sampled          | `remoteParentNotSampled`  | `AlwaysOff`   |
/// | local, sampled               | `localParentSampled`      | `AlwaysOn`    |
/// | local, not sampled           | `localParentNotSampled`   | `AlwaysOff`   |
///
/// A parent span context that is not valid (zero IDs) counts as no parent.
public struct ParentBasedSampler: Sampler {
    public let root: any Sampler
    public let remoteParentSampled: any Sampler
    public let remoteParentNotSampled: any Sampler
    public let localParentSampled: any Sampler
    public let localParentNotSampled: any Sampler

    public init(
        root: any Sampler,
        remoteParentSampled: any Sampler = AlwaysOnSampler(),
        remoteParentNotSampled: any Sampler = AlwaysOffSampler(),
        localParentSampled: any Sampler = AlwaysOnSampler(),
        localParentNotSampled: any Sampler = AlwaysOffSampler()
    ) {
        self.root = root
        self.remoteParentSampled = remoteParentSampled
        self.remoteParentNotSampled = remoteParentNotSampled
        self.localParentSampled = localParentSampled
        self.localParentNotSampled = localParentNotSampled
    }

    public func shouldSample(
        parent: SpanContext?, traceID: TraceID, name: String, kind: SpindleModel.SpanKind, attributes: SpanAttributes
    ) -> SamplingDecision {
        let delegate: any Sampler
        if let parent, parent.isValid {
            delegate = switch (parent.isRemote, parent.isSampled) {
            case (true, true): remoteParentSampled
            case (true, false): remoteParentNotSampled
            case (false, true): localParentSampled
            case (false, false): localParentNotSampled
            }
        } else {
            delegate = root
        }
        return delegate.shouldSample(parent: parent, traceID: traceID, name: name, kind: kind, attributes: attributes)
    }

    public var description: String {
        "ParentBased{root=\(root.description),remoteParentSampled=\(remoteParentSampled.description),"
            + "remoteParentNotSampled=\(remoteParentNotSampled.description),"
            + "localParentSampled=\(localParentSampled.description),"
            + "localParentNotSampled=\(localParentNotSampled.description)}"
    }
}
