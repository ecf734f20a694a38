/// A batch of spans in flat tables: the unit that moves from a receiver through the
/// pipeline into storage.
///
/// Every string and byte value lives in one byte ``SpanTables/arena`` and is referred to by
/// a ``ByteRef``; attributes, events and links live in flat tables and are referred to by
/// ``TableRange``. The OTLP/protobuf decoder uses the request body itself as the arena, so
/// decoding a request allocates a few tables per batch rather than several objects per
/// span. ``resourceSpans`` gives the same data as plain ``ResourceSpans`` values.
///
/// A batch is immutable and cheap to copy (one reference).
public struct SpanBatch: Sendable {
    @usableFromInline
    final class Storage: Sendable {
        @usableFromInline let tables: SpanTables
        init(_ tables: SpanTables) { self.tables = tables }
    }

    @usableFromInline
    let storage: Storage

    /// Wraps tables that satisfy ``SpanTables``' invariants (producers in this package
    /// guarantee them; ``SpanTables/validate()`` checks them).
    public init(tables: SpanTables) {
        storage = Storage(tables)
    }

    /// An empty batch.
    public init() {
        self.init(tables: SpanTables())
    }

    /// A batch holding exactly these resource and scope groups, in order.
    public init(_ resourceSpans: [ResourceSpans]) {
        var builder = SpanBatchBuilder()
        for group in resourceSpans { builder.append(group) }
        self = builder.build()
    }

    /// The tables. Bind them once (`let tables = batch.tables`) in loops.
    @inlinable
    public var tables: SpanTables { storage.tables }

    /// The number of spans.
    @inlinable
    public var spanCount: Int { storage.tables.spans.count }

    public var isEmpty: Bool { spanCount == 0 }

    /// The span at `index` (0..<spanCount) as a plain value.
    public func span(at index: Int) -> SpanRecord { tables.spanRecord(at: index) }

    /// The resource that produced the span at `index`.
    public func resource(ofSpanAt index: Int) -> Resource {
        let tables = self.tables
        return tables.resource(at: Int(tables.scopes[Int(tables.spans[index].scopeIndex)].resourceIndex))
    }

    /// The instrumentation scope of the span at `index`.
    public func scope(ofSpanAt index: Int) -> InstrumentationScope {
        let tables = self.tables
        return tables.scope(at: Int(tables.spans[index].scopeIndex))
    }

    /// All spans, as plain values, in batch order.
    public var spans: [SpanRecord] { (0..<spanCount).map { span(at: $0) } }

    /// The batch as OTLP's hierarchy of plain values: nothing is lost, empty resource
    /// and scope groups included.
    public var resourceSpans: [ResourceSpans] {
        let tables = self.tables
        return tables.resources.indices.map { resourceIndex in
            let row = tables.resources[resourceIndex]
            let scopes = row.scopes.indices.map { scopeIndex in
                let scopeRow = tables.scopes[scopeIndex]
                return ScopeSpans(
                    scope: tables.scope(at: scopeIndex),
                    spans: scopeRow.spans.indices.map { tables.spanRecord(at: $0) }
                )
            }
            return ResourceSpans(resource: tables.resource(at: resourceIndex), scopeSpans: scopes)
        }
    }
}

extension SpanBatch: Equatable {
    /// Two batches are equal when they hold the same resource, scope and span values in
    /// the same order, wherever their bytes live.
    public static func == (lhs: SpanBatch, rhs: SpanBatch) -> Bool {
        lhs.storage === rhs.storage || lhs.resourceSpans == rhs.resourceSpans
    }
}

extension SpanBatch: CustomStringConvertible {
    public var description: String {
        "SpanBatch(\(tables.resources.count) resources, \(tables.scopes.count) scopes, \(spanCount) spans)"
    }
}

/// A run of bytes in a batch's arena.
public struct ByteRef: Hashable, Sendable {
    public var offset: UInt32
    public var count: UInt32

    @inlinable
    public init(offset: UInt32, count: UInt32) {
        self.offset = offset
        self.count = count
    }

    @inlinable public static var empty: ByteRef { ByteRef(offset: 0, count: 0) }

    @inlinable
    public var range: Range<Int> { Int(offset)..<(Int(offset) + Int(count)) }
}

/// A run of rows in one of a batch's tables.
public struct TableRange: Hashable, Sendable {
    public var start: UInt32
    public var count: UInt32

    @inlinable
    public init(start: UInt32, count: UInt32) {
        self.start = start
        self.count = count
    }

    @inlinable public static var empty: TableRange { TableRange(start: 0, count: 0) }

    @inlinable
    public var indices: Range<Int> { Int(start)..<(Int(start) + Int(count)) }
}

/// An attribute value in a batch: OTLP's `AnyValue` as a tag and 8 bytes.
///
/// - string, bytes: `payload` holds a ``ByteRef`` into the arena (offset high, count low);
/// - bool, int, double: `payload` holds the value's bits;
/// - array: `payload` holds a ``TableRange`` into ``SpanTables/nestedValues``;
/// - keyValueList: `payload` holds a ``TableRange`` into ``SpanTables/nestedAttributes``.
public struct ValueSlot: Hashable, Sendable {
    public enum Kind: UInt8, Sendable {
        case empty, string, bool, int, double, bytes, array, keyValueList
    }

    public var kind: Kind
    public var payload: UInt64

    @inlinable
    public init(kind: Kind, payload: UInt64) {
        self.kind = kind
        self.payload = payload
    }

    @inlinable public static var empty: ValueSlot { ValueSlot(kind: .empty, payload: 0) }

    @inlinable
    public static func string(_ ref: ByteRef) -> ValueSlot {
        ValueSlot(kind: .string, payload: UInt64(ref.offset) << 32 | UInt64(ref.count))
    }

    @inlinable
    public static func bytes(_ ref: ByteRef) -> ValueSlot {
        ValueSlot(kind: .bytes, payload: UInt64(ref.offset) << 32 | UInt64(ref.count))
    }

    @inlinable
    public static func bool(_ value: Bool) -> ValueSlot { ValueSlot(kind: .bool, payload: value ? 1 : 0) }

    @inlinable
    public static func int(_ value: Int64) -> ValueSlot { ValueSlot(kind: .int, payload: UInt64(bitPattern: value)) }

    @inlinable
    public static func double(_ value: Double) -> ValueSlot { ValueSlot(kind: .double, payload: value.bitPattern) }

    @inlinable
    public static func array(_ range: TableRange) -> ValueSlot {
        ValueSlot(kind: .array, payload: UInt64(range.start) << 32 | UInt64(range.count))
    }

    @inlinable
    public static func keyValueList(_ range: TableRange) -> ValueSlot {
        ValueSlot(kind: .keyValueList, payload: UInt64(range.start) << 32 | UInt64(range.count))
    }

    /// The arena bytes of a string or bytes value.
    @inlinable
    public var byteRef: ByteRef { ByteRef(offset: UInt32(truncatingIfNeeded: payload >> 32), count: UInt32(truncatingIfNeeded: payload)) }

    /// The child rows of an array or key-value list.
    @inlinable
    public var tableRange: TableRange { TableRange(start: UInt32(truncatingIfNeeded: payload >> 32), count: UInt32(truncatingIfNeeded: payload)) }

    @inlinable
    public var boolValue: Bool { payload != 0 }
    @inlinable
    public var intValue: Int64 { Int64(bitPattern: payload) }
    @inlinable
    public var doubleValue: Double { Double(bitPattern: payload) }
}

/// A key and value in a batch.
public struct AttributeSlot: Hashable, Sendable {
    public var key: ByteRef
    public var value: ValueSlot

    @inlinable
    public init(key: ByteRef, value: ValueSlot) {
        self.key = key
        self.value = value
    }
}

/// A resource in a batch; its scopes are contiguous rows of ``SpanTables/scopes``.
public struct ResourceRow: Hashable, Sendable {
    public var attributes: TableRange
    public var droppedAttributesCount: UInt32
    public var schemaURL: ByteRef
    public var scopes: TableRange

    public init(attributes: TableRange = .empty, droppedAttributesCount: UInt32 = 0, schemaURL: ByteRef = .empty, scopes: TableRange = .empty) {
        self.attributes = attributes
        self.droppedAttributesCount = droppedAttributesCount
        self.schemaURL = schemaURL
        self.scopes = scopes
    }
}

/// An instrumentation scope in a batch; its spans are contiguous rows of ``SpanTables/spans``.
public struct ScopeRow: Hashable, Sendable {
    public var resourceIndex: UInt32
    public var name: ByteRef
    public var version: ByteRef
    public var attributes: TableRange
    public var droppedAttributesCount: UInt32
    public var schemaURL: ByteRef
    public var spans: TableRange

    public init(resourceIndex: UInt32, name: ByteRef = .empty, version: ByteRef = .empty, attributes: TableRange = .empty, droppedAttributesCount: UInt32 = 0, schemaURL: ByteRef = .empty, spans: TableRange = .empty) {
        self.resourceIndex = resourceIndex
        self.name = name
        self.version = version
        self.attributes = attributes
        self.droppedAttributesCount = droppedAttributesCount
        self.schemaURL = schemaURL
        self.spans = spans
    }
}

/// A span in a batch.
public struct SpanRow: Hashable, Sendable {
    public var scopeIndex: UInt32
    public var traceID: TraceID
    public var spanID: SpanID
    public var parentSpanID: SpanID
    public var traceState: ByteRef
    public var flags: UInt32
    public var name: ByteRef
    public var kind: SpanKind
    public var startTimeUnixNano: UInt64
    public var endTimeUnixNano: UInt64
    /// Rows of ``SpanTables/spanAttributes``.
    public var attributes: TableRange
    public var droppedAttributesCount: UInt32
    /// Rows of ``SpanTables/events``.
    public var events: TableRange
    public var droppedEventsCount: UInt32
    /// Rows of ``SpanTables/links``.
    public var links: TableRange
    public var droppedLinksCount: UInt32
    public var statusCode: StatusCode
    public var statusMessage: ByteRef

    @inlinable
    public init(scopeIndex: UInt32) {
        self.scopeIndex = scopeIndex
        traceID = .zero
        spanID = .zero
        parentSpanID = .zero
        traceState = .empty
        flags = 0
        name = .empty
        kind = .unspecified
        startTimeUnixNano = 0
        endTimeUnixNano = 0
        attributes = .empty
        droppedAttributesCount = 0
        events = .empty
        droppedEventsCount = 0
        links = .empty
        droppedLinksCount = 0
        statusCode = .unset
        statusMessage = .empty
    }
}

/// A span event in a batch; its attributes are rows of ``SpanTables/eventAttributes``.
public struct EventRow: Hashable, Sendable {
    public var timeUnixNano: UInt64
    public var name: ByteRef
    public var attributes: TableRange
    public var droppedAttributesCount: UInt32

    @inlinable
    public init(timeUnixNano: UInt64 = 0, name: ByteRef = .empty, attributes: TableRange = .empty, droppedAttributesCount: UInt32 = 0) {
        self.timeUnixNano = timeUnixNano
        self.name = name
        self.attributes = attributes
        self.droppedAttributesCount = droppedAttributesCount
    }
}

/// A span link in a batch; its attributes are rows of ``SpanTables/linkAttributes``.
public struct LinkRow: Hashable, Sendable {
    public var traceID: TraceID
    public var spanID: SpanID
    public var traceState: ByteRef
    public var attributes: TableRange
    public var droppedAttributesCount: UInt32
    public var flags: UInt32

    @inlinable
    public init(traceID: TraceID = .zero, spanID: SpanID = .zero, traceState: ByteRef = .empty, attributes: TableRange = .empty, droppedAttributesCount: UInt32 = 0, flags: UInt32 = 0) {
        self.traceID = traceID
        self.spanID = spanID
        self.traceState = traceState
        self.attributes = attributes
        self.droppedAttributesCount = droppedAttributesCount
        self.flags = flags
    }
}
