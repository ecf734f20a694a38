import SpindleModel
import SpindleStorage
import SpindleWire
import Testing
@testable import SpindleCollector

@Suite struct RedactionCountTests {
    @Test func counts_areExact_byRuleAndPlace() throws {
        let batch = redactionBatch(
            name: "GET /u/bob@example.com",
            status: SpanStatus(code: .error, message: "card 4111111111111111"),
            attributes: [
                Attribute("message", "to a@example.com and b@example.com"),
                Attribute("authorization", .array(["Bearer x1y2z3w4v5", "Bearer a1b2c3d4e5"])),
                Attribute("url.full", "https://u:p@h/?token=t&sig=s"),
            ],
            events: [SpanEvent(timeUnixNano: 1, name: "e", attributes: [Attribute("password", "p")])]
        )
        let counts = Redactor().redact(batch).counts
        #expect(counts.nonzero.map { "\($0.rule)/\($0.place.rawValue)=\($0.count)" } == [
            "secret_key/span_attribute=1", "secret_key/event_attribute=1",
            "card_number/status_message=1",
            "email/span_attribute=2", "email/span_name=1",
            "url_password/span_attribute=1",
            "secret_parameter/span_attribute=2",
        ])
        #expect(counts.total == 9)
    }

    @Test func aBatchWithNothingToRedact_comesBackAsItWas_withoutACopy() throws {
        let spans = (0..<50).map { index in
            SpanRecord(
                traceID: traceA, spanID: SpanID(UInt64(index + 1)), name: "GET /api/v1/orders/{id}", kind: .server,
                startTimeUnixNano: 1_733_040_000_000_000_000, endTimeUnixNano: 1_733_040_000_004_000_000,
                attributes: [
                    Attribute("http.request.method", "GET"), Attribute("url.path", .string("/api/v1/orders/\(1000 + index)")),
                    Attribute("http.response.status_code", .int(200)), Attribute("server.address", "api.example.com"),
                    Attribute("user_agent.original", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)"),
                    Attribute("gen_ai.usage.input_tokens", .int(12)),
                ],
                events: [SpanEvent(timeUnixNano: 1_733_040_000_001_000_000, name: "cache.miss")],
                status: SpanStatus(code: .ok)
            )
        }
        let batch = SpanBatch([resourceSpans(spans)])
        let result = Redactor().redact(batch)
        #expect(result.counts.isEmpty)
        #expect(sameTables(result.batch, batch))
        // The same storage: the arena was not even copied.
        let before = batch.tables.arena.withUnsafeBufferPointer { $0.baseAddress }
        let after = result.batch.tables.arena.withUnsafeBufferPointer { $0.baseAddress }
        #expect(before == after)
    }
}

@Suite struct RedactionPipelineTests {
    /// A batch with a secret of each kind, and what must be stored of it.
    static let secretSpan = SpanRecord(
        traceID: traceA, spanID: SpanID(1), name: "login bob@example.com", kind: .server, startTimeUnixNano: 1000, endTimeUnixNano: 2000,
        attributes: [Attribute("http.request.header.authorization", "Bearer abc123def456ghi789"), Attribute("http.method", "POST")],
        status: SpanStatus(code: .error, message: "card 4111111111111111 declined")
    )
    static let storedSpan = SpanRecord(
        traceID: traceA, spanID: SpanID(1), name: "login [REDACTED:email]", kind: .server, startTimeUnixNano: 1000, endTimeUnixNano: 2000,
        attributes: [Attribute("http.request.header.authorization", "[REDACTED]"), Attribute("http.method", "POST")],
        status: SpanStatus(code: .error, message: "card [REDACTED:card] declined")
    )

    @Test func storedSpans_areRedacted_andTheRedactionsCounted() async throws {
        let writer = RecordingWriter()
        let metrics = RecordingMetrics()
        let outcome = try await withPipeline(writer: writer, metrics: metrics) { pipeline in
            try await pipeline.ingest(batch([Self.secretSpan]), byteCount: 100, protocol: .otlpHTTP)
        }
        #expect(outcome == IngestOutcome(accepted: 1, rejected: 0, rejectionMessage: ""))
        #expect(await writer.spans == [Self.storedSpan])
        #expect(metrics.counter("spindle_redactions_total", [("rule", "secret_key"), ("place", "span_attribute")]) == 1)
        #expect(metrics.counter("spindle_redactions_total", [("rule", "email"), ("place", "span_name")]) == 1)
        #expect(metrics.counter("spindle_redactions_total", [("rule", "card_number"), ("place", "status_message")]) == 1)
        #expect(metrics.counter("spindle_redactions_total", [("rule", "email"), ("place", "span_attribute")]) == 0)
    }

    @Test func everyProtocol_isRedactedBeforeStorage() async throws {
        let request = batch([Self.secretSpan])
        let bodies: [(String, [UInt8], (IngestPipeline, [UInt8]) async -> ReceiverResponse)] = [
            ("otlp protobuf", OTLPProtobuf.encodeExportRequest(request), { await OTLPHTTPReceiver(pipeline: $0).handle(contentType: "application/x-protobuf", body: $1) }),
            ("otlp json", OTLPJSON.encodeExportRequest(request), { await OTLPHTTPReceiver(pipeline: $0).handle(contentType: "application/json", body: $1) }),
            ("zipkin", ZipkinJSON.encode(request), { await ZipkinReceiver(pipeline: $0).handle(contentType: "application/json", body: $1) }),
        ]
        for (name, body, send) in bodies {
            let writer = RecordingWriter()
            let response = try await withPipeline(writer: writer) { pipeline in await send(pipeline, body) }
            #expect(response.status == 200 || response.status == 202, "\(name)")
            let stored = try #require(await writer.spans.first, "\(name)")
            #expect(stored.name == "login [REDACTED:email]", "\(name)")
            #expect(stored.attributes["http.request.header.authorization"] == "[REDACTED]", "\(name)")
            #expect(stored.status.message == "card [REDACTED:card] declined" || stored.attributes.contains { $0.value == "card [REDACTED:card] declined" }, "\(name)")
        }
    }

    @Test func aPipelineWithRedactionOff_storesWhatItGets() async throws {
        let writer = RecordingWriter()
        let metrics = RecordingMetrics()
        let pipeline = IngestPipeline(writer: writer, redactor: .disabled, metrics: metrics, logger: quietLogger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await pipeline.run() }
            _ = try await pipeline.ingest(batch([Self.secretSpan]), byteCount: 100, protocol: .zipkin)
            pipeline.shutdown()
            try await group.waitForAll()
        }
        #expect(await writer.spans == [Self.secretSpan])
        #expect(metrics.counter("spindle_redactions_total", [("rule", "email"), ("place", "span_name")]) == 0)
    }
}
