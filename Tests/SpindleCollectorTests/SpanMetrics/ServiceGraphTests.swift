import SpindleModel
import Testing
@testable import SpindleCollector

@Suite("Span metrics: service graph")
struct ServiceGraphTests {
    let clock = MetricsClock()

    func edge(_ client: String, _ server: String, _ type: ServiceGraphConnectionType = .direct, calls: UInt64 = 1, errors: UInt64 = 0, latency: Duration) -> ServiceGraphEdge {
        // One call in the (2 ms, 4 ms] bucket interpolates to these quantiles; other
        // buckets are given by the tests that use them.
        let buckets = LatencyBuckets([.milliseconds(2), .milliseconds(4), .milliseconds(8)])
        var counts: [UInt64] = [0, 0, 0, 0]
        counts[buckets.bucket(ofNanoseconds: UInt64(latency.spanMetricsNanoseconds))] = calls
        return ServiceGraphEdge(
            client: client, server: server, connectionType: type, calls: calls, errors: errors,
            p50: buckets.quantile(0.5, of: counts), p95: buckets.quantile(0.95, of: counts), p99: buckets.quantile(0.99, of: counts)
        )
    }

    @Test func serviceGraph_pairsAClientSpanWithTheServerSpanThatArrivesLater() throws {
        let metrics = smallMetrics(clock)
        metrics.observe(metricsBatch(service: "frontend", [metricsSpan("GET /cart", kind: .client, duration: .milliseconds(5), id: 10, parent: 1)]))
        #expect(metrics.pendingServiceGraphSpans == 1)
        #expect(metrics.serviceGraph(last: .seconds(60)) == [])
        clock.advance(by: .seconds(3))
        metrics.observe(metricsBatch(service: "checkout", [metricsSpan("GET /cart", kind: .server, duration: .milliseconds(3), id: 11, parent: 10)]))

        #expect(metrics.pendingServiceGraphSpans == 0)
        #expect(metrics.serviceGraph(last: .seconds(60)) == [edge("frontend", "checkout", latency: .milliseconds(3))])
        let samples = try PrometheusExposition.parse(metrics.prometheusText())
        let labels = ["client": "frontend", "server": "checkout", "connection_type": ""]
        #expect(samples.value("traces_service_graph_request_total", labels) == 1)
        #expect(samples.value("traces_service_graph_request_failed_total", labels) == 0)
        #expect(samples.value("traces_service_graph_request_server_seconds_sum", labels) == 0.003)
        #expect(samples.value("traces_service_graph_request_client_seconds_sum", labels) == 0.005)
        #expect(samples.value("traces_service_graph_request_server_seconds_bucket", labels.merging(["le": "0.004"]) { $1 }) == 1)
        #expect(samples.value("traces_service_graph_request_client_seconds_bucket", labels.merging(["le": "0.004"]) { $1 }) == 0)
    }

    @Test func serviceGraph_pairsAServerSpanWithTheClientSpanThatArrivesLaterAndCountsEitherSidesError() {
        let metrics = smallMetrics(clock)
        metrics.observe(metricsBatch(service: "checkout", [metricsSpan("charge", kind: .server, duration: .milliseconds(3), status: .error, id: 21, parent: 20)]))
        metrics.observe(metricsBatch(service: "frontend", [metricsSpan("charge", kind: .client, id: 20, parent: 1)]))
        // The client fails on its own this time.
        metrics.observe(metricsBatch([
            (service: "frontend", spans: [metricsSpan("charge", kind: .client, status: .error, id: 30, parent: 1)]),
            (service: "checkout", spans: [metricsSpan("charge", kind: .server, duration: .milliseconds(3), id: 31, parent: 30)]),
        ]))
        #expect(metrics.serviceGraph(last: .seconds(60)) == [edge("frontend", "checkout", calls: 2, errors: 2, latency: .milliseconds(3))])
    }

    @Test func serviceGraph_pairsOnlyWithinOneTrace() {
        let metrics = smallMetrics(clock)
        metrics.observe(metricsBatch(service: "frontend", [metricsSpan("call", kind: .client, trace: TraceID(high: 1, low: 1), id: 10)]))
        metrics.observe(metricsBatch(service: "checkout", [metricsSpan("call", kind: .server, trace: TraceID(high: 2, low: 2), id: 11, parent: 10)]))
        #expect(metrics.serviceGraph(last: .seconds(60)) == [])
        #expect(metrics.pendingServiceGraphSpans == 2)
    }

    @Test func serviceGraph_expiresSpansWhosePairDoesNotComeWithinTheWait() throws {
        let metrics = smallMetrics(clock)
        metrics.observe(metricsBatch(service: "frontend", [metricsSpan("call", kind: .client, id: 10, parent: 1)]))
        metrics.observe(metricsBatch(service: "checkout", [metricsSpan("call", kind: .server, id: 21, parent: 20)]))
        clock.advance(by: .seconds(10) - .nanoseconds(1))
        #expect(metrics.serviceGraph(last: .seconds(60)) == [])
        #expect(metrics.pendingServiceGraphSpans == 2)
        clock.advance(by: .nanoseconds(1))
        #expect(metrics.pendingServiceGraphSpans == 2)
        #expect(metrics.serviceGraph(last: .seconds(60)) == [])
        #expect(metrics.pendingServiceGraphSpans == 0)
        let samples = try PrometheusExposition.parse(metrics.prometheusText())
        #expect(samples.value("spindle_service_graph_expired_spans_total") == 2)
        // The pair arriving late finds nothing and waits in its turn.
        metrics.observe(metricsBatch(service: "checkout", [metricsSpan("call", kind: .server, id: 11, parent: 10)]))
        #expect(metrics.serviceGraph(last: .seconds(60)) == [])
        #expect(metrics.pendingServiceGraphSpans == 1)
    }

    @Test func serviceGraph_makesExpiredClientSpansWithAPeerCallsToAVirtualNode() {
        let metrics = smallMetrics(clock)
        metrics.observe(metricsBatch(service: "checkout", [
            metricsSpan("POST /charges", kind: .client, duration: .milliseconds(3), id: 10, attributes: [Attribute("peer.service", "stripe")]),
            metricsSpan("SELECT", kind: .client, duration: .milliseconds(3), status: .error, id: 11, attributes: [Attribute("db.system", "postgresql")]),
            metricsSpan("SELECT", kind: .client, duration: .milliseconds(3), id: 12, attributes: [Attribute("db.system", "postgresql"), Attribute("db.name", "orders")]),
            metricsSpan("GET", kind: .client, duration: .milliseconds(3), id: 13, attributes: [Attribute("db.system", "redis"), Attribute("peer.service", "cache")]),
            metricsSpan("unnamed", kind: .client, id: 14),
            metricsSpan("empty peer", kind: .client, id: 15, attributes: [Attribute("peer.service", "")]),
        ]))
        #expect(metrics.serviceGraph(last: .seconds(60)) == [])
        clock.advance(by: .seconds(10))
        #expect(metrics.serviceGraph(last: .seconds(60)) == [
            edge("checkout", "cache", .database, latency: .milliseconds(3)),
            edge("checkout", "orders", .database, latency: .milliseconds(3)),
            edge("checkout", "postgresql", .database, errors: 1, latency: .milliseconds(3)),
            edge("checkout", "stripe", .virtualNode, latency: .milliseconds(3)),
        ])
    }

    @Test func serviceGraph_countsRootServerSpansAsCallsFromTheUser() {
        let metrics = smallMetrics(clock)
        metrics.observe(metricsBatch(service: "frontend", [metricsSpan("GET /", kind: .server, duration: .milliseconds(3), id: 1)]))
        #expect(metrics.pendingServiceGraphSpans == 0)
        #expect(metrics.serviceGraph(last: .seconds(60)) == [edge("user", "frontend", .virtualNode, latency: .milliseconds(3))])
    }

    @Test func serviceGraph_pairsProducersWithConsumersAsMessaging() {
        let metrics = smallMetrics(clock)
        metrics.observe(metricsBatch(service: "consumer-svc", [metricsSpan("process", kind: .consumer, duration: .milliseconds(3), id: 2, parent: 1)]))
        metrics.observe(metricsBatch(service: "producer-svc", [metricsSpan("publish", kind: .producer, id: 1, parent: 9)]))
        #expect(metrics.serviceGraph(last: .seconds(60)) == [edge("producer-svc", "consumer-svc", .messagingSystem, latency: .milliseconds(3))])
    }

    @Test func serviceGraph_dropsSpansThatWouldWaitPastMaxPendingEdges() throws {
        let metrics = smallMetrics(clock, maxPendingEdges: 2)
        metrics.observe(metricsBatch(service: "frontend", [
            metricsSpan("a", kind: .client, id: 10),
            metricsSpan("b", kind: .client, id: 11),
            metricsSpan("c", kind: .client, id: 12),
        ]))
        #expect(metrics.pendingServiceGraphSpans == 2)
        // Pairs of waiting spans still complete; the server span of the dropped client
        // finds room again and waits for a client that will never come.
        metrics.observe(metricsBatch(service: "checkout", [
            metricsSpan("a", kind: .server, duration: .milliseconds(3), id: 20, parent: 10),
            metricsSpan("c", kind: .server, id: 22, parent: 12),
        ]))
        #expect(metrics.pendingServiceGraphSpans == 2)
        #expect(metrics.serviceGraph(last: .seconds(60)) == [edge("frontend", "checkout", latency: .milliseconds(3))])
        let samples = try PrometheusExposition.parse(metrics.prometheusText())
        #expect(samples.value("spindle_service_graph_dropped_spans_total") == 1)
        #expect(samples.value("spindle_service_graph_pending_spans") == 2)
    }

    @Test func serviceGraph_countsEdgesPastMaxEdgesInOneOverflowEdge() throws {
        let metrics = smallMetrics(clock, maxEdges: 1)
        metrics.observe(metricsBatch([
            (service: "a", spans: [metricsSpan("x", kind: .server, duration: .milliseconds(3), id: 1)]),
            (service: "b", spans: [metricsSpan("x", kind: .server, duration: .milliseconds(3), id: 2)]),
            (service: "c", spans: [metricsSpan("x", kind: .server, duration: .milliseconds(3), id: 3)]),
        ]))
        #expect(metrics.serviceGraph(last: .seconds(60)) == [
            edge("__overflow__", "__overflow__", calls: 2, latency: .milliseconds(3)),
            edge("user", "a", .virtualNode, latency: .milliseconds(3)),
        ])
        let samples = try PrometheusExposition.parse(metrics.prometheusText())
        #expect(samples.value("traces_service_graph_request_total", ["client": "__overflow__", "server": "__overflow__", "connection_type": "__overflow__"]) == 2)
        #expect(samples.value("spindle_service_graph_overflow_total") == 2)
    }

    @Test func serviceGraph_windowsCallsLikeSeries() {
        let metrics = smallMetrics(clock)
        metrics.observe(metricsBatch(service: "a", [metricsSpan("x", kind: .server, duration: .milliseconds(3), id: 1)]))
        clock.advance(by: .seconds(30))
        metrics.observe(metricsBatch(service: "a", [metricsSpan("x", kind: .server, duration: .milliseconds(3), id: 2)]))
        #expect(metrics.serviceGraph(last: .seconds(10)).map(\.calls) == [1])
        #expect(metrics.serviceGraph(last: .seconds(40)).map(\.calls) == [2])
    }

    // MARK: The pairing state machine alone

    @Test func pairing_keepsItsDeadlineQueueBoundedWhilePairsComplete() {
        var pairing = ServiceGraphPairing(maxPending: 100, waitNanoseconds: 10_000_000_000)
        let trace = TraceID(high: 1, low: 2)
        var completed = 0
        for id in 1...10_000 as ClosedRange<UInt64> {
            let key = ServiceGraphPairing.Key(traceID: trace, spanID: SpanID(id))
            let side = ServiceGraphPairing.Side(service: 5, latencyNanoseconds: 1, failed: false)
            _ = pairing.addClient(key, side, peer: nil, isMessaging: false, now: Int64(id))
            if case .completed = pairing.addServer(key, side, isMessaging: false, now: Int64(id)) { completed += 1 }
            #expect(pairing.queuedDeadlineCount <= 2 * pairing.pendingCount + 65)
        }
        #expect(completed == 10_000)
        #expect(pairing.pendingCount == 0)
    }

    @Test func pairing_replacesADuplicateSideAndKeepsItsDeadline() {
        var pairing = ServiceGraphPairing(maxPending: 10, waitNanoseconds: 100)
        let key = ServiceGraphPairing.Key(traceID: TraceID(high: 1, low: 1), spanID: SpanID(7))
        let other = ServiceGraphPairing.Key(traceID: TraceID(high: 1, low: 1), spanID: SpanID(8))
        #expect(pairing.addClient(key, .init(service: 5, latencyNanoseconds: 1, failed: false), peer: nil, isMessaging: false, now: 0) == .waiting)
        #expect(pairing.addClient(other, .init(service: 5, latencyNanoseconds: 1, failed: false), peer: nil, isMessaging: false, now: 0) == .waiting)
        #expect(pairing.addClient(key, .init(service: 6, latencyNanoseconds: 2, failed: false), peer: nil, isMessaging: false, now: 50) == .waiting)
        #expect(pairing.addClient(other, .init(service: 6, latencyNanoseconds: 2, failed: false), peer: nil, isMessaging: false, now: 50) == .waiting)
        var expired: [ServiceGraphPairing.Call] = []
        pairing.expire(now: 99) { expired.append($0) }
        #expect(pairing.pendingCount == 2)
        #expect(pairing.addServer(key, .init(service: 7, latencyNanoseconds: 3, failed: true), isMessaging: false, now: 99) == .completed(ServiceGraphPairing.Call(
            client: 6, server: 7, connectionType: .direct, clientLatencyNanoseconds: 2, serverLatencyNanoseconds: 3, failed: true
        )))
        pairing.expire(now: 100) { expired.append($0) }
        #expect(pairing.pendingCount == 0)
        #expect(pairing.expiredSpans == 1)
        #expect(expired == [])
    }
}
