public import SpindleModel

/// Span data for tests and benchmarks: one place that every codec, backend and benchmark
/// draws from, so they all exercise the same shapes.
public enum Samples {
    /// Every field of every OTLP message set of every message set, nested values included.
    public static func richResourceSpans() -> [ResourceSpans] {
        let trace = TraceID(high: 0x5B8E_FFF7_9803_8103, low: 0xD269_B633_813F_C60C)
        let root = SpanRecord(
            traceID: trace, spanID: SpanID(0x53995C3F42CD8AD8), traceState: "congo=t61rcWkgMzE",
            flags: 0x301, name: "POST /checkout", kind: .server,
            startTimeUnixNano: 1_700_000_000_123_456_789, endTimeUnixNano: 1_700_000_000_987_654_321,
            attributes: [
                Attribute("http.request.method", "POST"),
                Attribute("nested", .keyValueList([
                    Attribute("list", .array([.int(1), .array([.string("deep")]), .keyValueList([Attribute("k", .bool(false))])])),
                    Attribute("none", .empty),
                ])),
                Attribute("bytes", .bytes([0, 1, 0xAB, 0xFF])),
            ],
            droppedAttributesCount: 2,
            events: [SpanEvent(timeUnixNano: 1_700_000_000_200_000_000, name: "retry", attributes: [Attribute("attempt", 2)], droppedAttributesCount: 1)],
            droppedEventsCount: 3,
            links: [SpanLink(traceID: TraceID(high: 1, low: 2), spanID: SpanID(3), traceState: "a=b", attributes: [Attribute("why", "fan-in")], droppedAttributesCount: 4, flags: 0x100)],
            droppedLinksCount: 5,
            status: SpanStatus(code: .error, message: "card declined")
        )
        let child = SpanRecord(
            traceID: trace, spanID: SpanID(0xA2FB4A1D1A96D312), parentSpanID: root.spanID,
            name: "charge", kind: .client, startTimeUnixNano: 1_700_000_000_200_000_000, endTimeUnixNano: 1_700_000_000_650_000_500
        )
        return [
            ResourceSpans(
                resource: Resource(attributes: [Attribute("service.name", "checkout")], droppedAttributesCount: 1, schemaURL: "https://opentelemetry.io/schemas/1.21.0"),
                scopeSpans: [
                    ScopeSpans(
                        scope: InstrumentationScope(name: "checkout.http", version: "0.9.1", attributes: [Attribute("owner", "payments")], droppedAttributesCount: 6, schemaURL: "https://example.com/s"),
                        spans: [root, child]
                    ),
                    ScopeSpans(scope: InstrumentationScope(name: "empty"), spans: []),
                ]
            ),
            ResourceSpans(resource: Resource(), scopeSpans: []),
        ]
    }

    /// A realistic export: `spans` spans of one service in traces of 10, each with
    /// `attributes` attributes of the shapes HTTP and database instrumentation emit and
    /// `events` events with two attributes. Deterministic for a given `seed`.
    public static func realisticBatch(spans: Int = 100, attributes: Int = 10, events: Int = 2, seed: UInt64 = 1) -> SpanBatch {
        var random = SplitMix64(seed: seed)
        let keys = [
            "http.request.method", "http.route", "http.response.status_code", "url.full", "server.address",
            "server.port", "user_agent.original", "db.system", "db.statement", "net.peer.name",
            "thread.id", "code.function", "code.filepath", "code.lineno", "enduser.id",
        ]
        var records: [SpanRecord] = []
        records.reserveCapacity(spans)
        var traceID = TraceID(high: random.next(), low: random.next())
        var rootID = SpanID(random.next())
        let start: UInt64 = 1_700_000_000_000_000_000
        for index in 0..<spans {
            if index % 10 == 0 {
                traceID = TraceID(high: random.next(), low: random.next())
                rootID = SpanID(random.next() | 1)
            }
            let spanID = index % 10 == 0 ? rootID : SpanID(random.next() | 1)
            var attributeList: [Attribute] = []
            for attributeIndex in 0..<attributes {
                let key = keys[attributeIndex % keys.count]
                let value: AttributeValue
                switch attributeIndex % 5 {
                case 0: value = .string(["GET", "POST", "PUT"][Int(random.next() % 3)])
                case 1: value = .string("/api/v1/orders/\(random.next() % 100_000)/items")
                case 2: value = .int(Int64(200 + random.next() % 300))
                case 3: value = .string("https://shop.example.com/api/v1/orders/\(random.next() % 100_000)?expand=items")
                default: value = .double(Double(random.next() % 10_000) / 100)
                }
                attributeList.append(Attribute(key, value))
            }
            let spanStart = start + UInt64(index) * 1_000_000 + random.next() % 1000
            var eventList: [SpanEvent] = []
            for eventIndex in 0..<events {
                let cacheKey = "order:\(random.next() % 100_000)"
                let eventAttributes = [Attribute("cache.key", .string(cacheKey)), Attribute("attempt", .int(Int64(eventIndex)))]
                let time = spanStart + UInt64(eventIndex + 1) * 1000
                let name = eventIndex % 2 == 0 ? "cache.miss" : "retry"
                eventList.append(SpanEvent(timeUnixNano: time, name: name, attributes: eventAttributes))
            }
            records.append(SpanRecord(
                traceID: traceID, spanID: spanID, parentSpanID: index % 10 == 0 ? .zero : rootID,
                flags: 0x101, name: index % 10 == 0 ? "GET /api/v1/orders/{id}" : "SELECT orders",
                kind: index % 10 == 0 ? .server : .client,
                startTimeUnixNano: spanStart, endTimeUnixNano: spanStart + 250_000 + random.next() % 1_000_000,
                attributes: attributeList, events: eventList,
                status: index % 17 == 0 ? SpanStatus(code: .error, message: "upstream timeout") : .unset
            ))
        }
        return SpanBatch([
            ResourceSpans(
                resource: Resource(attributes: [
                    Attribute("service.name", "orders"), Attribute("service.version", "2.3.1"),
                    Attribute("host.name", "orders-7f9c6d5b8-xk2lp"), Attribute("telemetry.sdk.language", "swift"),
                ]),
                scopeSpans: [ScopeSpans(scope: InstrumentationScope(name: "io.opentelemetry.http", version: "1.2.0"), spans: records)]
            ),
        ])
    }
}

/// A small deterministic generator (SplitMix64), so samples are the same on every run.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
