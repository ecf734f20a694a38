public import SpindleModel

/// A span after `end()`: what span processors and exporters receive. Values only, so it
/// can cross threads and be encoded without touching the live span.
public struct FinishedSpan: Sendable {
    public var context: SpanContext
    /// The parent's span ID, or nil for a root span.
    public var parentSpanID: SpanID?
    public var name: String
    public var kind: SpanKind
    public var startTimeUnixNano: UInt64
    public var endTimeUnixNano: UInt64
    public var attributes: [Attribute]
    public var events: [Event]
    public var links: [Link]
    public var status: SpanStatus
    /// Attributes, events and links dropped by the span limits.
    public var droppedAttributesCount: UInt32
    public var droppedEventsCount: UInt32
    public var droppedLinksCount: UInt32
    /// The process's resource and the instrumentation scope, shared by every span of a tracer.
    public var resource: Resource
    public var scope: InstrumentationScope

    public init(
        context: SpanContext, parentSpanID: SpanID?, name: String, kind: SpanKind,
        startTimeUnixNano: UInt64, endTimeUnixNano: UInt64,
        attributes: [Attribute] = [], events: [Event] = [], links: [Link] = [], status: SpanStatus = SpanStatus(),
        droppedAttributesCount: UInt32 = 0, droppedEventsCount: UInt32 = 0, droppedLinksCount: UInt32 = 0,
        resource: Resource, scope: InstrumentationScope
    ) {
        self.context = context
        self.parentSpanID = parentSpanID
        self.name = name
        self.kind = kind
        self.startTimeUnixNano = startTimeUnixNano
        self.endTimeUnixNano = endTimeUnixNano
        self.attributes = attributes
        self.events = events
        self.links = links
        self.status = status
        self.droppedAttributesCount = droppedAttributesCount
        self.droppedEventsCount = droppedEventsCount
        self.droppedLinksCount = droppedLinksCount
        self.resource = resource
        self.scope = scope
    }

    public struct Event: Sendable, Hashable {
        public var name: String
        public var timeUnixNano: UInt64
        public var attributes: [Attribute]
        public var droppedAttributesCount: UInt32

        public init(name: String, timeUnixNano: UInt64, attributes: [Attribute] = [], droppedAttributesCount: UInt32 = 0) {
            self.name = name
            self.timeUnixNano = timeUnixNano
            self.attributes = attributes
            self.droppedAttributesCount = droppedAttributesCount
        }
    }

    public struct Link: Sendable, Hashable {
        public var context: SpanContext
        public var attributes: [Attribute]
        public var droppedAttributesCount: UInt32

        public init(context: SpanContext, attributes: [Attribute] = [], droppedAttributesCount: UInt32 = 0) {
            self.context = context
            self.attributes = attributes
            self.droppedAttributesCount = droppedAttributesCount
        }
    }
}

/// The entity that produces spans (`service.name`, host, process, `telemetry.sdk.*`).
/// A final class so every span of a process shares one copy.
public final class Resource: Sendable {
    public let attributes: [Attribute]

    public init(attributes: [Attribute]) {
        self.attributes = attributes
    }

    /// `service.name`, or nil.
    public var serviceName: String? {
        for attribute in attributes where attribute.key == "service.name" {
            if case .string(let name) = attribute.value { return name }
        }
        return nil
    }
}

/// The library that created a span (OTLP's InstrumentationScope).
public struct InstrumentationScope: Sendable, Hashable {
    public var name: String
    public var version: String

    public init(name: String, version: String = "") {
        self.name = name
        self.version = version
    }
}
