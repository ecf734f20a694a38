public import SpindleModel
public import SpindleStorage

/// The traces the storage conformance suite writes, and what every backend must answer
/// about them. Deterministic: the same values on every run and every machine.
///
/// Five traces, fourteen spans, five resources, times in milliseconds after
/// ``baseTime`` (`T`):
///
/// | trace | span | service | kind | name | start | duration | status |
/// |---|---|---|---|---|---|---|---|
/// | A | A1 | frontend | server | GET /checkout | T+1000 | 250 ms | unset |
/// | A | A2 | checkout | server | POST /cart/checkout | T+1010 | 200 ms | ok |
/// | A | A3 | checkout | client | charge | T+1020 | 150 ms | error |
/// | A | A4 | payments | server | charge | T+1025 | 140 ms | error |
/// | A | A5 | inventory | client | SELECT stock | T+1100 | 30 ms | unset |
/// | B | B1 | frontend | server | GET /products | T+2000 | 80 ms | unset |
/// | B | B2 | inventory | client | SELECT products | T+2005 | 60 ms | unset |
/// | B | B3 | inventory | internal | cache.lookup | T+2070 | 1 ms | ok |
/// | C | C1 | payments | internal | refund (parent not stored) | T+3000 | 500 ms | error |
/// | C | C2 | payments | producer | publish refund | T+3100 | 5 ms | unset |
/// | C | C3 | checkout | consumer | consume refund | T+3200 | 10 ms | unset |
/// | D | D1 | frontend | unspecified | heartbeat | T+4000 | 0 | unset |
/// | D | D2 | frontend | client | heartbeat | T+4001 | 2 ms | unset |
/// | E | E1 | (none) | internal | orphan | T+5000 | 10 ms | unset |
///
/// Attributes cover every value type (string, int, double, bool, bytes, array,
/// key-value list, empty), unicode keys and values, an empty string and a 100 KB string;
/// `http.response.status_code` is an int on A1, A2, A3, B1 and the double 200.0 on D1.
public enum ConformanceFixtures {
    /// A span with the resource and scope it was reported under.
    public struct StoredSpan: Hashable, Sendable, CustomStringConvertible {
        public var resource: Resource
        public var scope: InstrumentationScope
        public var span: SpanRecord

        public init(resource: Resource, scope: InstrumentationScope, span: SpanRecord) {
            self.resource = resource
            self.scope = scope
            self.span = span
        }

        public var description: String {
            "\(span.traceID)/\(span.spanID) \(resource.serviceName ?? "-") \(span.name)"
        }
    }

    // MARK: Time and identity

    /// `T`: 2023-11-14T22:13:20Z in Unix nanoseconds.
    public static let baseTime: UInt64 = 1_700_000_000_000_000_000

    /// `T` plus `milliseconds` plus `nanoseconds`.
    public static func time(_ milliseconds: UInt64, plus nanoseconds: UInt64 = 0) -> UInt64 {
        baseTime + milliseconds * 1_000_000 + nanoseconds
    }

    public static let traceA = TraceID(high: 0x0A00_0000_0000_0000, low: 0x0000_0000_0000_00A0)
    public static let traceB = TraceID(high: 0x0B00_0000_0000_0000, low: 0x0000_0000_0000_00B0)
    public static let traceC = TraceID(high: 0x0C00_0000_0000_0000, low: 0x0000_0000_0000_00C0)
    public static let traceD = TraceID(high: 0x0D00_0000_0000_0000, low: 0x0000_0000_0000_00D0)
    public static let traceE = TraceID(high: 0x0E00_0000_0000_0000, low: 0x0000_0000_0000_00E0)
    /// A trace ID no fixture uses.
    public static let unknownTrace = TraceID(high: 0x0F00_0000_0000_0000, low: 0x0000_0000_0000_00F0)

    // MARK: Values

    /// A 102,400-byte attribute value (on A4's `payload`).
    public static let hugeValue = String(repeating: "0123456789abcdef", count: 6400)
    /// A unicode attribute value (on A2's `message`).
    public static let unicodeValue = "Grüße, 世界 🌍"

    // MARK: Resources and scopes

    public static let frontend = Resource(
        attributes: [
            Attribute("service.name", "frontend"), Attribute("service.version", "1.4.0"),
            Attribute("host.cpu.count", .int(8)), Attribute("deployment.weight", .double(0.75)),
            Attribute("feature.enabled", .bool(true)),
        ],
        schemaURL: "https://opentelemetry.io/schemas/1.26.0"
    )
    public static let checkout = Resource(attributes: [
        Attribute("service.name", "checkout"), Attribute("service.version", "2.0.1"),
        Attribute("host.cpu.count", .int(4)), Attribute("deployment.weight", .double(1.0)),
        Attribute("feature.enabled", .bool(false)),
    ])
    public static let payments = Resource(
        attributes: [
            Attribute("service.name", "payments"), Attribute("service.version", "2.0.1"),
            Attribute("host.cpu.count", .int(16)), Attribute("region", "eu-west-1"),
        ],
        droppedAttributesCount: 2
    )
    public static let inventory = Resource(attributes: [
        Attribute("service.name", "inventory"), Attribute("service.version", "0.9.0"),
        Attribute("team", "équipe données"),
    ])
    /// A resource without `service.name`.
    public static let unnamed = Resource(attributes: [Attribute("host.name", "orphan-host")])

    public static let httpScope = InstrumentationScope(name: "spindle.conformance.http", version: "1.0.0")
    public static let databaseScope = InstrumentationScope(
        name: "spindle.conformance.db", version: "0.3.0",
        attributes: [Attribute("db.driver", "postgres-nio")], droppedAttributesCount: 1
    )
    public static let messagingScope = InstrumentationScope(name: "spindle.conformance.messaging", schemaURL: "https://example.com/messaging")

    // MARK: Traces

    public static let traceASpans: [StoredSpan] = [
        StoredSpan(resource: frontend, scope: httpScope, span: SpanRecord(
            traceID: traceA, spanID: SpanID(0xA1), traceState: "vendor=abc", flags: 0x101,
            name: "GET /checkout", kind: .server,
            startTimeUnixNano: time(1000), endTimeUnixNano: time(1250),
            attributes: [
                Attribute("http.request.method", "GET"), Attribute("http.response.status_code", .int(200)),
                Attribute("http.route", "/checkout"), Attribute("user.premium", .bool(true)),
                Attribute("retry.ratio", .double(0.5)),
            ]
        )),
        StoredSpan(resource: checkout, scope: httpScope, span: SpanRecord(
            traceID: traceA, spanID: SpanID(0xA2), parentSpanID: SpanID(0xA1), flags: 0x301,
            name: "POST /cart/checkout", kind: .server,
            startTimeUnixNano: time(1010), endTimeUnixNano: time(1210),
            attributes: [
                Attribute("http.request.method", "POST"), Attribute("http.response.status_code", .int(200)),
                Attribute("cart.items", .int(3)), Attribute("cart.total", .double(149.99)),
                Attribute("message", .string(unicodeValue)),
            ],
            events: [SpanEvent(timeUnixNano: time(1015), name: "cart.validated", attributes: [Attribute("items", .int(3))])],
            status: SpanStatus(code: .ok)
        )),
        StoredSpan(resource: checkout, scope: httpScope, span: SpanRecord(
            traceID: traceA, spanID: SpanID(0xA3), parentSpanID: SpanID(0xA2),
            name: "charge", kind: .client,
            startTimeUnixNano: time(1020), endTimeUnixNano: time(1170),
            attributes: [
                Attribute("peer.service", "payments"), Attribute("http.response.status_code", .int(502)),
                Attribute("retry.ratio", .double(2.0)),
            ],
            links: [SpanLink(traceID: traceC, spanID: SpanID(0xC1), traceState: "k=v", attributes: [Attribute("link.reason", "refund")])],
            status: SpanStatus(code: .error, message: "bad gateway")
        )),
        StoredSpan(resource: payments, scope: httpScope, span: SpanRecord(
            traceID: traceA, spanID: SpanID(0xA4), parentSpanID: SpanID(0xA3),
            name: "charge", kind: .server,
            startTimeUnixNano: time(1025), endTimeUnixNano: time(1165),
            attributes: [
                Attribute("payment.amount", .double(149.99)), Attribute("payment.attempt", .int(2)),
                Attribute("payment.card.last4", "4242"), Attribute("payload", .string(hugeValue)),
                Attribute("note", ""),
            ],
            droppedAttributesCount: 3,
            status: SpanStatus(code: .error, message: "card declined")
        )),
        StoredSpan(resource: inventory, scope: databaseScope, span: SpanRecord(
            traceID: traceA, spanID: SpanID(0xA5), parentSpanID: SpanID(0xA2),
            name: "SELECT stock", kind: .client,
            startTimeUnixNano: time(1100), endTimeUnixNano: time(1130),
            attributes: [
                Attribute("db.system", "postgresql"), Attribute("db.rows", .int(42)),
                Attribute("digest", .bytes([0xDE, 0xAD, 0x00, 0xFF])),
                Attribute("tags", .array(["a", .int(1), .array([.bool(true)])])),
                Attribute("meta", .keyValueList([Attribute("k", .int(1)), Attribute("nested", .keyValueList([Attribute("deep", "yes")]))])),
                Attribute("none", .empty),
            ]
        )),
    ]

    public static let traceBSpans: [StoredSpan] = [
        StoredSpan(resource: frontend, scope: httpScope, span: SpanRecord(
            traceID: traceB, spanID: SpanID(0xB1), name: "GET /products", kind: .server,
            startTimeUnixNano: time(2000), endTimeUnixNano: time(2080),
            attributes: [
                Attribute("http.request.method", "GET"), Attribute("http.response.status_code", .int(200)),
                Attribute("user.premium", .bool(false)), Attribute("retry.ratio", .double(0.0)),
            ]
        )),
        StoredSpan(resource: inventory, scope: databaseScope, span: SpanRecord(
            traceID: traceB, spanID: SpanID(0xB2), parentSpanID: SpanID(0xB1),
            name: "SELECT products", kind: .client,
            startTimeUnixNano: time(2005), endTimeUnixNano: time(2065),
            attributes: [Attribute("db.system", "postgresql"), Attribute("db.rows", .int(1500))]
        )),
        StoredSpan(resource: inventory, scope: databaseScope, span: SpanRecord(
            traceID: traceB, spanID: SpanID(0xB3), parentSpanID: SpanID(0xB1),
            name: "cache.lookup", kind: .internal,
            startTimeUnixNano: time(2070), endTimeUnixNano: time(2071),
            attributes: [Attribute("cache.hit", .bool(true))],
            status: SpanStatus(code: .ok)
        )),
    ]

    public static let traceCSpans: [StoredSpan] = [
        StoredSpan(resource: payments, scope: messagingScope, span: SpanRecord(
            traceID: traceC, spanID: SpanID(0xC1), parentSpanID: SpanID(0xDEAD),
            name: "refund", kind: .internal,
            startTimeUnixNano: time(3000), endTimeUnixNano: time(3500),
            attributes: [Attribute("payment.amount", .int(20)), Attribute("payment.attempt", .int(1))],
            status: SpanStatus(code: .error, message: "refund window closed")
        )),
        StoredSpan(resource: payments, scope: messagingScope, span: SpanRecord(
            traceID: traceC, spanID: SpanID(0xC2), parentSpanID: SpanID(0xC1),
            name: "publish refund", kind: .producer,
            startTimeUnixNano: time(3100), endTimeUnixNano: time(3105),
            attributes: [Attribute("messaging.system", "kafka")]
        )),
        StoredSpan(resource: checkout, scope: messagingScope, span: SpanRecord(
            traceID: traceC, spanID: SpanID(0xC3), parentSpanID: SpanID(0xC2),
            name: "consume refund", kind: .consumer,
            startTimeUnixNano: time(3200), endTimeUnixNano: time(3210),
            attributes: [Attribute("messaging.system", "kafka")]
        )),
    ]

    public static let traceDSpans: [StoredSpan] = [
        StoredSpan(resource: frontend, scope: httpScope, span: SpanRecord(
            traceID: traceD, spanID: SpanID(0xD1), name: "heartbeat", kind: .unspecified,
            startTimeUnixNano: time(4000), endTimeUnixNano: time(4000),
            attributes: [Attribute("http.response.status_code", .double(200.0))]
        )),
        StoredSpan(resource: frontend, scope: httpScope, span: SpanRecord(
            traceID: traceD, spanID: SpanID(0xD2), parentSpanID: SpanID(0xD1),
            name: "heartbeat", kind: .client,
            startTimeUnixNano: time(4001), endTimeUnixNano: time(4003)
        )),
    ]

    public static let traceESpans: [StoredSpan] = [
        StoredSpan(resource: unnamed, scope: InstrumentationScope(), span: SpanRecord(
            traceID: traceE, spanID: SpanID(0xE1), name: "orphan", kind: .internal,
            startTimeUnixNano: time(5000), endTimeUnixNano: time(5010),
            attributes: [Attribute("ключ", "значение")]
        )),
    ]

    /// Every fixture span, trace by trace.
    public static var all: [StoredSpan] {
        traceASpans + traceBSpans + traceCSpans + traceDSpans + traceESpans
    }

    /// The spans of one fixture trace.
    public static func spans(of trace: TraceID) -> [StoredSpan] {
        all.filter { $0.span.traceID == trace }
    }

    // MARK: Expected summaries

    public static let summaryA = TraceSummary(
        traceID: traceA, rootService: "frontend", rootOperation: "GET /checkout",
        startTimeUnixNano: time(1000), endTimeUnixNano: time(1250), spanCount: 5, errorCount: 2,
        services: ["checkout", "frontend", "inventory", "payments"]
    )
    public static let summaryB = TraceSummary(
        traceID: traceB, rootService: "frontend", rootOperation: "GET /products",
        startTimeUnixNano: time(2000), endTimeUnixNano: time(2080), spanCount: 3, errorCount: 0,
        services: ["frontend", "inventory"]
    )
    /// C's root is not stored, so its earliest span stands in.
    public static let summaryC = TraceSummary(
        traceID: traceC, rootService: "payments", rootOperation: "refund",
        startTimeUnixNano: time(3000), endTimeUnixNano: time(3500), spanCount: 3, errorCount: 1,
        services: ["checkout", "payments"]
    )
    public static let summaryD = TraceSummary(
        traceID: traceD, rootService: "frontend", rootOperation: "heartbeat",
        startTimeUnixNano: time(4000), endTimeUnixNano: time(4003), spanCount: 2, errorCount: 0,
        services: ["frontend"]
    )
    /// E's only resource has no `service.name`.
    public static let summaryE = TraceSummary(
        traceID: traceE, rootService: "", rootOperation: "orphan",
        startTimeUnixNano: time(5000), endTimeUnixNano: time(5010), spanCount: 1, errorCount: 0,
        services: []
    )

    /// Every summary, most recent first: what a search matching everything returns.
    public static let summaries = [summaryE, summaryD, summaryC, summaryB, summaryA]

    // MARK: Batches

    /// A batch of `spans` in this order, each under its own resource and scope.
    public static func batch(_ spans: [StoredSpan]) -> SpanBatch {
        var builder = SpanBatchBuilder(reservingSpans: spans.count)
        for entry in spans { builder.append(entry.span, resource: entry.resource, scope: entry.scope) }
        return builder.build()
    }

    /// Every span of `batch` with its resource and scope, ordered by trace ID then span
    /// ID, so that results compare whatever order a backend returns spans in.
    public static func storedSpans(in batch: SpanBatch) -> [StoredSpan] {
        (0..<batch.spanCount)
            .map { StoredSpan(resource: batch.resource(ofSpanAt: $0), scope: batch.scope(ofSpanAt: $0), span: batch.span(at: $0)) }
            .sorted(by: isOrderedBefore)
    }

    /// `spans` ordered by trace ID then span ID.
    public static func sorted(_ spans: [StoredSpan]) -> [StoredSpan] {
        spans.sorted(by: isOrderedBefore)
    }

    private static func isOrderedBefore(_ lhs: StoredSpan, _ rhs: StoredSpan) -> Bool {
        (lhs.span.traceID, lhs.span.spanID) < (rhs.span.traceID, rhs.span.spanID)
    }
}
