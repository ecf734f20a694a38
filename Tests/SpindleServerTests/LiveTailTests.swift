import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Prometheus
import SpindleModel
import SpindleQuery
import SpindleWire
import Synchronization
import Testing

@testable import SpindleServer

/// The live tail, `GET /api/spindle/live`: a real server, real SSE clients over HTTP
/// (AsyncHTTPClient streaming the response), spans sent over OTLP/HTTP.
@Suite struct LiveTailTests {
    static let base: UInt64 = 1_700_000_000_000_000_000

    // MARK: Over HTTP

    @Test func matchingSpans_arriveInOrder_withExactFields() async throws {
        try await withServer { server in
            let query = "{ resource.service.name = \"checkout\" && (status = error || span.items > 2) }"
            let stream = try await EventStream.open(server, query: query)
            defer { stream.cancel() }
            #expect(stream.headers["content-type"] == ["text/event-stream; charset=utf-8"])
            #expect(stream.headers["cache-control"] == ["no-cache"])

            let trace = TraceID(high: 0xABC, low: 0xDEF)
            let first = Self.batch([
                Self.span(1, "GET /cart", service: "frontend", kind: .server, status: .error, trace: trace),
                Self.span(2, "charge", parent: 1, service: "checkout", kind: .client, status: .error, message: "card declined", trace: trace,
                          attributes: [Attribute("items", .int(1)), Attribute("db.password", "hunter2")]),
                Self.span(3, "reserve", parent: 1, service: "checkout", trace: trace, attributes: [Attribute("items", .int(2))]),
                Self.span(4, "ship", parent: 1, service: "checkout", kind: .producer, trace: trace, attributes: [Attribute("items", .int(5))]),
            ])
            try await Self.ingest(first, into: server)
            let events = try await stream.spans(count: 2)
            #expect(events.map { $0["name"] as? String } == ["charge", "ship"])

            // Every field of the span: the redacted attribute as it was stored.
            let charge = events[0]
            #expect(charge["traceID"] as? String == trace.hexString)
            #expect(charge["spanID"] as? String == SpanID(2).hexString)
            #expect(charge["parentSpanID"] as? String == SpanID(1).hexString)
            #expect(charge["service"] as? String == "checkout")
            #expect(charge["kind"] as? String == "client")
            #expect(charge["startTimeUnixNano"] as? String == String(Self.base + 2_000_000))
            #expect((charge["durationNanos"] as? NSNumber)?.uint64Value == 10_000_000)
            #expect(charge["status"] as? String == "error")
            #expect(charge["statusMessage"] as? String == "card declined")
            let attributes = try #require(charge["attributes"] as? [[String: Any]])
            #expect(attributes.count == 2)
            #expect(attributes.first?["key"] as? String == "items")
            #expect((attributes.first?["value"] as? [String: String]) == ["intValue": "1"])
            #expect(attributes.last?["key"] as? String == "db.password")
            #expect((attributes.last?["value"] as? [String: String]) == ["stringValue": "[REDACTED]"])
            #expect(Set(charge.keys) == [
                "traceID", "spanID", "parentSpanID", "service", "name", "kind", "startTimeUnixNano", "durationNanos", "status",
                "statusMessage", "attributes",
            ])
            #expect(events[1]["kind"] as? String == "producer")
            #expect(events[1]["status"] as? String == "unset")

            // A root span has an empty parent; later requests follow in order.
            try await Self.ingest(Self.batch([
                Self.span(9, "checkout", service: "checkout", kind: .server, status: .error, trace: TraceID(high: 0, low: 9)),
                Self.span(10, "noise", service: "other", status: .error, trace: TraceID(high: 0, low: 9)),
                Self.span(11, "refund", parent: 9, service: "checkout", trace: TraceID(high: 0, low: 9), attributes: [Attribute("items", .int(3))]),
            ]), into: server)
            let all = try await stream.spans(count: 4)
            #expect(all.map { $0["name"] as? String } == ["charge", "ship", "checkout", "refund"])
            #expect(all[2]["parentSpanID"] as? String == "")

            // The stream opened with the reconnection hint, then only span events.
            let raw = stream.events
            #expect(raw.first == EventStream.Event(retry: "3000"))
            #expect(raw.dropFirst().allSatisfy { $0.event == "span" })
        }
    }

    /// With `limit=4`, four spans go at once and the fifth a quarter of a second later:
    /// paced, none lost (the buffer holds them meanwhile).
    @Test func anEmptyQuery_streamsEverySpan_andALimitOnlyPacesIt() async throws {
        try await withServer { server in
            let stream = try await EventStream.open(server, query: nil)
            defer { stream.cancel() }
            let limited = try await EventStream.open(server, query: "", parameters: "&limit=4")
            defer { limited.cancel() }
            let batch = Self.batch((1...5).map { Self.span(UInt64($0), "op\($0)", service: "s\($0 % 2)") })
            try await Self.ingest(batch, into: server)
            #expect(try await stream.spans(count: 5).map { $0["name"] as? String } == ["op1", "op2", "op3", "op4", "op5"])
            #expect(try await limited.spans(count: 5).map { $0["name"] as? String } == ["op1", "op2", "op3", "op4", "op5"])
            #expect(!limited.events.contains { $0.event == "dropped" })
        }
    }

    @Test func aBadQueryOrParameter_is400NamingTheProblem_beforeAnyStream() async throws {
        try await withServer { server in
            func refusal(_ parameters: String) async throws -> (Int, String?, Int?) {
                let result = try await get("\(server.http)/api/spindle/live?\(parameters)")
                #expect(result.headers["content-type"] == ["application/json"])
                let error = try #require(try JSONSerialization.jsonObject(with: Data(result.body)) as? [String: Any])["error"] as? [String: Any]
                return (result.status, error?["message"] as? String, error?["column"] as? Int)
            }
            var syntax: TraceQLError?
            do throws(TraceQLError) { _ = try TraceQLQuery.parse("{ name = }") } catch { syntax = error }
            let parseError = try #require(syntax)
            let bad = try await refusal("q=" + Self.encoded("{ name = }"))
            #expect(bad.0 == 400)
            #expect(bad.1 == "parameter q: invalid TraceQL query: \(parseError)")
            #expect(bad.2 == parseError.column)

            let structural = try await refusal("q=" + Self.encoded("{ name = \"a\" } >> { name = \"b\" }"))
            #expect(structural.0 == 400)
            #expect(structural.1 == "parameter q: not supported by live tail: line 1, column 16: the structural operator \">>\" relates spans of a whole trace; live tail filters single spans as they arrive, so it takes { } conditions joined by && and ||")
            #expect(structural.2 == 16)
            let aggregate = try await refusal("q=" + Self.encoded("{} | count() > 1"))
            #expect(aggregate.1?.hasPrefix("parameter q: not supported by live tail: line 1, column 4: the aggregate count() needs a whole spanset") == true)
            let metrics = try await refusal("q=" + Self.encoded("{} | rate()"))
            #expect(metrics.1?.hasPrefix("parameter q: not supported by live tail: line 1, column 4: the metrics function rate()") == true)

            #expect(try await refusal("limit=0") == (400, "parameter limit: must be at least 1", nil))
            #expect(try await refusal("limit=fast") == (400, "parameter limit: expected a non-negative integer, got \"fast\"", nil))
            #expect(try await refusal("limit=1000001") == (400, "parameter limit: 1000001 is more than the maximum of 1000000", nil))
            #expect(try await refusal("buffer=1001") == (400, "parameter buffer: 1001 is more than the maximum of 1000", nil))
            #expect(try await refusal("buffer=-1") == (400, "parameter buffer: expected a non-negative integer, got \"-1\"", nil))

            let post = try await send(.POST, "\(server.http)/api/spindle/live", body: [])
            #expect(post.status == 405)
            #expect(post.headers["allow"] == ["GET"])
            #expect(try Self.gauge(server) == 0)
        }
    }

    /// One request of 10 matching spans into a client that buffers 3 and is not read
    /// meanwhile: it loses the 7 oldest, and is told so before the 3 it gets. A client
    /// with the default buffer gets all 10; the request succeeds.
    @Test func aSlowClient_isToldExactlyHowManySpansItLost_whileAFastClientGetsEverything() async throws {
        try await withServer { server in
            let slow = try await EventStream.open(server, query: "{ kind = server }", parameters: "&buffer=3", read: false)
            defer { slow.cancel() }
            let fast = try await EventStream.open(server, query: "{ kind = server }")
            defer { fast.cancel() }
            var spans = (1...10).map { Self.span(UInt64($0), "op\($0)", service: "svc", kind: .server) }
            spans.insert(Self.span(100, "internal", service: "svc"), at: 4)
            try await Self.ingest(Self.batch(spans), into: server)

            #expect(try await fast.spans(count: 10).map { $0["name"] as? String } == (1...10).map { "op\($0)" })
            slow.startReading()
            let received = try await slow.wait { events in events.filter { $0.event == "span" }.count == 3 }
            #expect(received.map(\.event) == [nil, "dropped", "span", "span", "span"])
            #expect(received[1].data == "{\"dropped\":7}")
            #expect(try slow.spans.map { $0["name"] as? String } == ["op8", "op9", "op10"])

            #expect(Self.value("spindle_live_tail_dropped_spans_total", in: server.server.metricsText()) == 7)
            // Counted once each write has returned.
            try await Self.waitForValue(server, "spindle_live_tail_sent_spans_total", 13)
        }
    }

    /// A client that does not read holds up nothing: every request succeeds, a reading
    /// client gets every span, and the stalled client, once it reads, has every matching
    /// span either delivered (in order) or counted in a `dropped` event. (Its 10-span
    /// buffer overflows with each 100-span request, whatever the socket still absorbs.)
    @Test func aClientThatNeverReads_holdsUpNoIngest_andEverySpanIsSentOrCountedDropped() async throws {
        try await withServer { server in
            let stalled = try await EventStream.open(server, query: "{ span.seq >= 0 }", parameters: "&buffer=10", read: false)
            defer { stalled.cancel() }
            let reader = try await EventStream.open(server, query: "{ span.seq >= 0 }")
            defer { reader.cancel() }
            let padding = String(repeating: "x", count: 2_048)
            let requests = 30
            let perRequest = 100
            for request in 0..<requests {
                let spans = (0..<perRequest).map { index in
                    let seq = request * perRequest + index
                    return Self.span(UInt64(seq + 1), "op", service: "svc", attributes: [Attribute("seq", .int(Int64(seq))), Attribute("pad", .string(padding))])
                }
                try await Self.ingest(Self.batch(spans), into: server)
                // The reading client keeps up: it has this request's spans before the next.
                _ = try await reader.spans(count: (request + 1) * perRequest)
            }
            let total = requests * perRequest
            #expect(try reader.spans.compactMap(Self.seq) == Array(0..<total))

            stalled.startReading()
            let events = try await stalled.wait { events in
                let spans = events.filter { $0.event == "span" }.count
                return spans + events.compactMap(Self.dropped).reduce(0, +) >= total
            }
            let delivered = try stalled.spans.compactMap(Self.seq)
            let dropped = events.compactMap(Self.dropped).reduce(0, +)
            #expect(delivered.count + dropped == total)
            #expect(dropped >= requests * (perRequest - 10))
            #expect(delivered == delivered.sorted() && Set(delivered).count == delivered.count)
            #expect(delivered.last == total - 1)
            #expect(Self.value("spindle_live_tail_dropped_spans_total", in: server.server.metricsText()).map(Int.init) == dropped)
        }
    }

    @Test func clientsBeyondTheLimit_get429_untilOneLeaves() async throws {
        try await withServer({
            $0.liveTail.maxClients = 2
            // The server learns that a client left when a write fails: a heartbeat at the latest.
            $0.liveTail.heartbeatInterval = .milliseconds(20)
        }) { server in
            let first = try await EventStream.open(server, query: nil)
            let second = try await EventStream.open(server, query: "{ status = error }")
            defer { second.cancel() }
            let refused = try await get("\(server.http)/api/spindle/live")
            #expect(refused.status == 429)
            #expect(refused.headers["retry-after"] == ["3"])
            #expect(refused.text == "{\"error\":{\"status\":429,\"message\":\"too many live-tail clients: at most 2 may stream at once; try again later\"}}")
            #expect(try Self.gauge(server) == 2)
            #expect(Self.value("spindle_live_tail_refused_clients_total", in: server.server.metricsText()) == 1)

            first.cancel()
            try await Self.waitForGauge(server, 1)
            let third = try await EventStream.open(server, query: nil)
            defer { third.cancel() }
            #expect(try Self.gauge(server) == 2)
        }
    }

    /// The server finds out at its next write (a heartbeat at the latest) that the client
    /// went away, and removes it.
    @Test func aClientThatDisconnects_isRemoved() async throws {
        try await withServer({ $0.liveTail.heartbeatInterval = .milliseconds(20) }) { server in
            let stream = try await EventStream.open(server, query: nil)
            #expect(try Self.gauge(server) == 1)
            // Idle, the stream carries heartbeats.
            let events = try await stream.wait { $0.contains { $0.comments == ["keep-alive"] } }
            #expect(events.first == EventStream.Event(retry: "3000"))
            stream.cancel()
            try await Self.waitForGauge(server, 0)
            // Spans that arrive afterwards go nowhere, and cost nothing.
            try await Self.ingest(Self.batch([Self.span(1, "after", service: "svc")]), into: server)
            #expect(Self.value("spindle_live_tail_sent_spans_total", in: server.server.metricsText()) == 0)
        }
    }

    /// With a shutdown timeout far beyond the test's bound, only the live tail ending its
    /// streams lets the server stop in time; the client sees its stream end cleanly.
    @Test func shutdown_endsOpenStreams_andReturns() async throws {
        var configuration = SpindleServerConfiguration.ephemeral()
        configuration.logLevel = .warning
        configuration.shutdownTimeout = .seconds(3_600)
        let server = try SpindleServer(configuration: configuration)
        let running = Task { try await server.run() }
        let ports = try await withUpperBound { try await server.waitUntilListening() }
        let handle = RunningServer(server: server, ports: ports)
        let stream = try await EventStream.open(handle, query: nil)
        let other = try await EventStream.open(handle, query: "{ status = error }")
        try await Self.ingest(Self.batch([Self.span(1, "before", service: "svc")]), into: handle)
        _ = try await stream.spans(count: 1)

        await server.shutdown()
        try await withUpperBound { try await running.value }
        let ended = try await stream.waitUntilEnded()
        #expect(ended == nil, "the stream failed: \(ended ?? "")")
        #expect(try await other.waitUntilEnded() == nil)
        #expect(try stream.spans.map { $0["name"] as? String } == ["before"])
    }

    // MARK: The hub, without HTTP

    @Test func hub_withoutSubscribers_observesNothing_andRefusesWhenFullOrShutDown() async throws {
        let registry = PrometheusCollectorRegistry()
        let hub = LiveTailHub(configuration: LiveTailConfiguration(maxClients: 1), registry: registry)
        hub.observe(Self.batch([Self.span(1, "a", service: "svc")]))
        let filter = try LiveSpanFilter("{ name = \"b\" }")
        let subscription = try hub.subscribe(filter: filter)
        #expect(hub.clientCount == 1)
        #expect(throws: LiveTailHub.Refusal.tooManyClients(1)) { _ = try hub.subscribe(filter: filter) }

        hub.observe(Self.batch([Self.span(1, "a", service: "svc"), Self.span(2, "b", service: "svc")]))
        guard case .events(let events, dropped: 0) = await subscription.next(maxSpans: 10) else {
            Issue.record("expected events")
            return
        }
        #expect(events == [LiveTailEvents.span(at: 1, of: Self.batch([Self.span(1, "a", service: "svc"), Self.span(2, "b", service: "svc")]))])

        hub.shutdown()
        #expect(await subscription.next(maxSpans: 10) == .finished)
        subscription.cancel()
        subscription.cancel()
        #expect(hub.clientCount == 0)
        #expect(throws: LiveTailHub.Refusal.shuttingDown) { _ = try hub.subscribe(filter: filter) }
        let text = registry.emitToString()
        #expect(Self.value("spindle_live_tail_clients", in: text) == 0)
        #expect(Self.value("spindle_live_tail_refused_clients_total", in: text) == 2)
    }

    /// Batches observed while the client does not read: drops across batches add up and
    /// are reported once, before what is left.
    @Test func hub_countsDropsAcrossBatches_forAClientThatDoesNotRead() async throws {
        let registry = PrometheusCollectorRegistry()
        let hub = LiveTailHub(configuration: LiveTailConfiguration(bufferedSpans: 4), registry: registry)
        let subscription = try hub.subscribe(filter: LiveSpanFilter(""), bufferedSpans: 3)
        for request in 0..<5 {
            hub.observe(Self.batch((0..<2).map { Self.span(UInt64(request * 2 + $0 + 1), "op\(request * 2 + $0)", service: "svc") }))
        }
        guard case .events(let events, let dropped) = await subscription.next(maxSpans: 2) else {
            Issue.record("expected events")
            return
        }
        #expect(dropped == 7)
        #expect(events.count == 2)
        #expect(String(decoding: events[0], as: UTF8.self).contains("\"name\":\"op7\""))
        #expect(String(decoding: events[1], as: UTF8.self).contains("\"name\":\"op8\""))
        let last = Self.batch([Self.span(9, "op8", service: "svc"), Self.span(10, "op9", service: "svc")])
        #expect(await subscription.next(maxSpans: 2) == .events([LiveTailEvents.span(at: 1, of: last)], dropped: 0))
        #expect(Self.value("spindle_live_tail_dropped_spans_total", in: registry.emitToString()) == 7)
        subscription.cancel()
    }

    @Test func hub_subscriberWaiting_isWokenBySpans_andEndsWhenItsTaskIsCancelled() async throws {
        let hub = LiveTailHub(configuration: LiveTailConfiguration(), registry: PrometheusCollectorRegistry())
        let subscription = try hub.subscribe(filter: LiveSpanFilter("{ status = error }"))
        let waiting = Task { await subscription.next(maxSpans: .max) }
        hub.observe(Self.batch([Self.span(1, "ok", service: "svc")]))
        hub.observe(Self.batch([Self.span(2, "bad", service: "svc", status: .error)]))
        let delivery = try await withUpperBound { await waiting.value }
        guard case .events(let events, dropped: 0) = delivery else {
            Issue.record("expected events, got \(delivery)")
            return
        }
        #expect(events.count == 1)
        #expect(String(decoding: events[0], as: UTF8.self).contains("\"name\":\"bad\""))

        let cancelled = Task { await subscription.next(maxSpans: .max) }
        cancelled.cancel()
        #expect(try await withUpperBound { await cancelled.value } == .finished)
        subscription.cancel()
    }

    // MARK: State machines

    @Test func buffer_dropsTheOldest_byCountAndBytes_andReportsDropsOnce() {
        var buffer = LiveTailBuffer(maxSpans: 3, maxBytes: 10)
        #expect(buffer.next(maxSpans: 5) == nil)
        #expect(buffer.append([[1], [2], [3], [4], [5]]) == 2)
        #expect(buffer.count == 3)
        #expect(buffer.next(maxSpans: 2) == .events([[3], [4]], dropped: 2))
        #expect(buffer.next(maxSpans: 2) == .events([[5]], dropped: 0))
        #expect(buffer.next(maxSpans: 2) == nil)
        // By bytes: 4 + 4 + 4 > 10 drops the first; an event over the cap alone is dropped too.
        #expect(buffer.append([[1, 1, 1, 1], [2, 2, 2, 2], [3, 3, 3, 3]]) == 1)
        #expect(buffer.bytes == 8)
        #expect(buffer.append([Array(repeating: 9, count: 11)]) == 3)
        #expect(buffer.bytes == 0)
        // Drops are reported even when nothing may be sent now.
        #expect(buffer.next(maxSpans: 0) == .events([], dropped: 4))
        #expect(buffer.next(maxSpans: 0) == nil)
    }

    @Test func buffer_heartbeats_onlyAfterASilentInterval_andFinishes() {
        var buffer = LiveTailBuffer(maxSpans: 10, maxBytes: 100)
        buffer.tick()
        #expect(buffer.next(maxSpans: 1) == .heartbeat)
        #expect(buffer.next(maxSpans: 1) == nil)
        // Something was sent in the interval: no heartbeat at its end.
        buffer.tick()
        _ = buffer.append([[1]])
        #expect(buffer.next(maxSpans: 1) == .events([[1]], dropped: 0))
        buffer.tick()
        #expect(buffer.next(maxSpans: 1) == nil)
        buffer.tick()
        #expect(buffer.next(maxSpans: 1) == .heartbeat)

        _ = buffer.append([[2]])
        buffer.finish()
        #expect(buffer.next(maxSpans: 1) == .finished)
        #expect(buffer.append([[3]]) == 0)
        #expect(buffer.count == 0)
        #expect(buffer.next(maxSpans: 1) == .finished)
    }

    @Test func rateLimit_allowsASecondsBurst_thenRefillsAtTheRate() {
        var limit = SpanRateLimit(perSecond: 4, now: .seconds(10))
        #expect(limit.allowance(at: .seconds(10)) == 4)
        limit.spend(4)
        #expect(limit.allowance(at: .seconds(10)) == 0)
        #expect(limit.delayUntilNextSpan(at: .seconds(10)) == .milliseconds(250))
        #expect(limit.allowance(at: .seconds(10) + .milliseconds(249)) == 0)
        #expect(limit.delayUntilNextSpan(at: .seconds(10) + .milliseconds(249)) == .milliseconds(1))
        #expect(limit.allowance(at: .seconds(10) + .milliseconds(250)) == 1)
        limit.spend(1)
        #expect(limit.allowance(at: .seconds(11) + .milliseconds(750)) == 4)
        // Hours later, still one second's worth; never more than the rate's cap.
        #expect(limit.allowance(at: .seconds(100_000)) == 4)
        var huge = SpanRateLimit(perSecond: .max, now: .zero)
        #expect(huge.perSecond == SpanRateLimit.maxPerSecond)
        #expect(huge.allowance(at: .seconds(1_000_000_000)) == SpanRateLimit.maxPerSecond)
        #expect(SpanRateLimit(perSecond: 0, now: .zero).perSecond == 1)
    }

    @Test func spanEvents_areOneLineOfJSON_whateverTheSpanHolds() throws {
        let batch = Self.batch([Self.span(1, "line\nbreak\r\u{2028}é🙂", service: "s\n", attributes: [Attribute("k\n", "v\r\n\u{0}")])])
        let event = String(decoding: LiveTailEvents.span(at: 0, of: batch), as: UTF8.self)
        #expect(event.hasPrefix("event: span\ndata: {"))
        #expect(event.hasSuffix("}\n\n"))
        let data = String(event.dropFirst("event: span\ndata: ".count).dropLast(2))
        #expect(!data.contains("\n") && !data.contains("\r"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any])
        #expect(object["name"] as? String == "line\nbreak\r\u{2028}é🙂")
        #expect(object["service"] as? String == "s\n")
        #expect(String(decoding: LiveTailEvents.dropped(12), as: UTF8.self) == "event: dropped\ndata: {\"dropped\":12}\n\n")
        #expect(String(decoding: LiveTailEvents.preamble(retry: .milliseconds(2_500)), as: UTF8.self) == "retry: 2500\n\n")
    }

    @Test func configuration_isValidated() {
        for bad in [
            LiveTailConfiguration(maxClients: 0), LiveTailConfiguration(bufferedSpans: 0), LiveTailConfiguration(bufferedBytes: 0),
            LiveTailConfiguration(heartbeatInterval: .zero), LiveTailConfiguration(retryInterval: .seconds(-1)),
        ] {
            var configuration = SpindleServerConfiguration.ephemeral()
            configuration.liveTail = bad
            #expect(throws: SpindleServerError.self) { try configuration.validate() }
        }
    }

    // MARK: Support

    static func span(
        _ id: UInt64, _ name: String, parent: UInt64 = 0, service: String, kind: SpanKind = .internal, status: StatusCode = .unset,
        message: String = "", trace: TraceID = TraceID(high: 1, low: 1), attributes: [Attribute] = []
    ) -> (SpanRecord, String) {
        let record = SpanRecord(
            traceID: trace, spanID: SpanID(id), parentSpanID: SpanID(parent), name: name, kind: kind,
            startTimeUnixNano: base + id * 1_000_000, endTimeUnixNano: base + id * 1_000_000 + 10_000_000,
            attributes: attributes, status: SpanStatus(code: status, message: message)
        )
        return (record, service)
    }

    static func batch(_ spans: [(SpanRecord, String)]) -> SpanBatch {
        var builder = SpanBatchBuilder()
        for (record, service) in spans {
            builder.append(record, resource: Resource(attributes: [Attribute("service.name", .string(service))]), scope: InstrumentationScope(name: "live"))
        }
        return builder.build()
    }

    static func ingest(_ batch: SpanBatch, into server: RunningServer) async throws {
        let response = try await send(.POST, server.otlpHTTP + "/v1/traces", headers: OTLPHTTPListenerTests.protobuf, body: OTLPProtobuf.encodeExportRequest(batch))
        #expect(response.status == 200, "\(response.text)")
    }

    static func encoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text
    }

    static func seq(_ span: [String: Any]) -> Int? {
        let attributes = span["attributes"] as? [[String: Any]]
        let value = attributes?.first { $0["key"] as? String == "seq" }?["value"] as? [String: String]
        return value?["intValue"].flatMap { Int($0) }
    }

    static func dropped(_ event: EventStream.Event) -> Int? {
        guard event.event == "dropped", let data = event.data,
              let object = try? JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any] else { return nil }
        return object["dropped"] as? Int
    }

    /// A sample's value in Prometheus text (`name 3` or `name 3.0`), or nil.
    static func value(_ name: String, in text: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
            return Double(line.dropFirst(name.count + 1))
        }
        return nil
    }

    static func gauge(_ server: RunningServer) throws -> Int {
        Int(try #require(value("spindle_live_tail_clients", in: server.server.metricsText())))
    }

    static func waitForGauge(_ server: RunningServer, _ expected: Int) async throws {
        try await waitForValue(server, "spindle_live_tail_clients", Double(expected))
    }

    static func waitForValue(_ server: RunningServer, _ name: String, _ expected: Double) async throws {
        try await withUpperBound {
            while value(name, in: server.server.metricsText()) != expected { try await Task.sleep(for: .milliseconds(5)) }
        }
    }
}

/// A Server-Sent Events stream, read with AsyncHTTPClient by a task of its own.
final class EventStream: Sendable {
    /// One event block: its fields, and its comment lines.
    struct Event: Equatable, Sendable {
        var event: String?
        var data: String?
        var retry: String?
        var comments: [String] = []
    }

    let headers: HTTPHeaders
    private let state: Mutex<State>

    private struct State {
        var body: HTTPClientResponse.Body?
        var task: Task<Void, Never>?
        var events: [Event] = []
        /// Set when the body ended: nil for a clean end, else the error.
        var ended: String??
    }

    private init(headers: HTTPHeaders, body: HTTPClientResponse.Body) {
        self.headers = headers
        state = Mutex(State(body: body))
    }

    /// Opens `/api/spindle/live?q=…` (and `parameters`), expecting 200; reads it at once
    /// unless `read` is false (then ``startReading()`` does).
    static func open(_ server: RunningServer, query: String?, parameters: String = "", read: Bool = true) async throws -> EventStream {
        let url = "\(server.http)/api/spindle/live?q=\(LiveTailTests.encoded(query ?? ""))\(parameters)"
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: Limits.request)
        guard response.status == .ok else {
            let body = try await response.body.collect(upTo: 1 << 20)
            throw OpenFailed(status: Int(response.status.code), body: String(buffer: body))
        }
        let stream = EventStream(headers: response.headers, body: response.body)
        if read { stream.startReading() }
        return stream
    }

    struct OpenFailed: Error {
        var status: Int
        var body: String
    }

    func startReading() {
        state.withLock { state in
            guard let body = state.body.take() else { return }
            state.task = Task { [self] in
                var parser = EventParser()
                do {
                    for try await chunk in body {
                        let parsed = parser.feed(chunk)
                        if !parsed.isEmpty { self.state.withLock { $0.events += parsed } }
                    }
                    self.state.withLock { $0.ended = .some(nil) }
                } catch {
                    self.state.withLock { $0.ended = .some("\(error)") }
                }
            }
        }
    }

    /// Closes the connection.
    func cancel() {
        let (task, body) = state.withLock { state in (state.task, state.body.take()) }
        task?.cancel()
        _ = body
    }

    var events: [Event] { state.withLock { $0.events } }

    /// The `data` of every `span` event so far, decoded.
    var spans: [[String: Any]] {
        get throws {
            try events.filter { $0.event == "span" }.map { event in
                try #require(try JSONSerialization.jsonObject(with: Data((event.data ?? "").utf8)) as? [String: Any])
            }
        }
    }

    /// Waits until `predicate` holds for the events so far (the bound only guards a hang).
    func wait(until predicate: @escaping @Sendable ([Event]) -> Bool) async throws -> [Event] {
        try await withUpperBound { [self] in
            while true {
                let events = self.events
                if predicate(events) { return events }
                if let ended = state.withLock({ $0.ended }) {
                    throw OpenFailed(status: 200, body: "the stream ended (\(ended ?? "cleanly")) after \(events)")
                }
                try await Task.sleep(for: .milliseconds(5))
            }
        }
    }

    /// Waits for `count` span events, and returns them decoded.
    func spans(count: Int) async throws -> [[String: Any]] {
        _ = try await wait { $0.filter { $0.event == "span" }.count >= count }
        return try spans
    }

    /// Waits until the body ends; nil when it ended cleanly, else the error.
    func waitUntilEnded() async throws -> String? {
        try await withUpperBound { [self] in
            while true {
                if let ended = state.withLock({ $0.ended }) { return ended }
                try await Task.sleep(for: .milliseconds(5))
            }
        }
    }
}

/// Splits a `text/event-stream` body into event blocks (lines ending in `\n`).
struct EventParser {
    private var pending: [UInt8] = []

    mutating func feed(_ chunk: ByteBuffer) -> [EventStream.Event] {
        pending += chunk.readableBytesView
        var events: [EventStream.Event] = []
        while let end = blockEnd() {
            let block = String(decoding: pending[..<end], as: UTF8.self)
            pending.removeFirst(end + 2)
            var event = EventStream.Event()
            for line in block.split(separator: "\n", omittingEmptySubsequences: false) {
                if line.hasPrefix(":") {
                    event.comments.append(String(line.dropFirst().drop { $0 == " " }))
                    continue
                }
                let colon = line.firstIndex(of: ":") ?? line.endIndex
                let name = line[..<colon]
                var value = colon < line.endIndex ? line[line.index(after: colon)...] : ""
                if value.hasPrefix(" ") { value = value.dropFirst() }
                switch name {
                case "event": event.event = String(value)
                case "data": event.data = (event.data.map { $0 + "\n" } ?? "") + value
                case "retry": event.retry = String(value)
                default: break
                }
            }
            events.append(event)
        }
        return events
    }

    private func blockEnd() -> Int? {
        guard pending.count >= 2 else { return nil }
        for index in 0..<(pending.count - 1) where pending[index] == 0x0A && pending[index + 1] == 0x0A {
            return index
        }
        return nil
    }
}
