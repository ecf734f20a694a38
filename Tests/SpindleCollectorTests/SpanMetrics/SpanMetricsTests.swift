import SpindleModel
import Testing
@testable import SpindleCollector

@Suite("Span metrics: series, counts, buckets, windows")
struct SpanMetricsTests {
    let clock = MetricsClock()

    @Test func observe_countsRequestsErrorsAndBucketsPerSeries() {
        let metrics = smallMetrics(clock)
        metrics.observe(metricsBatch(service: "checkout", [
            metricsSpan("GET /cart", kind: .internal, duration: .milliseconds(1)),
            metricsSpan("GET /cart", kind: .internal, duration: .milliseconds(3), status: .error),
            metricsSpan("GET /cart", kind: .internal, duration: .milliseconds(3), status: .ok),
            metricsSpan("GET /cart", kind: .internal, duration: .milliseconds(20)),
            metricsSpan("charge", kind: .client, duration: .milliseconds(5), id: 2),
        ]))

        let cart = metrics.window(SpanMetricsSelector(service: "checkout", operation: "GET /cart"), last: .seconds(60))
        #expect(cart.requests == 4)
        #expect(cart.errors == 1)
        #expect(cart.bucketCounts == [1, 2, 0, 1])
        #expect(cart.bucketBounds == [.milliseconds(2), .milliseconds(4), .milliseconds(8)])
        #expect(cart.errorRate == 0.25)
        #expect(cart.duration == .seconds(60))
        #expect(cart.ratePerSecond == 4.0 / 60.0)

        let clients = metrics.window(SpanMetricsSelector(service: "checkout", kind: .client), last: .seconds(60))
        #expect(clients.requests == 1)
        #expect(clients.bucketCounts == [0, 0, 1, 0])
        #expect(metrics.window(.all, last: .seconds(60)).requests == 5)
        #expect(metrics.window(SpanMetricsSelector(service: "payments"), last: .seconds(60)).requests == 0)

        #expect(metrics.operations() == [
            SpanMetricsSeriesKey(service: "checkout", operation: "GET /cart", kind: .internal),
            SpanMetricsSeriesKey(service: "checkout", operation: "charge", kind: .client),
        ])
    }

    @Test func observe_namesSeriesOfResourcesWithoutServiceNameUnknownService() {
        let metrics = smallMetrics(clock)
        metrics.observe(metricsBatch([
            (service: nil, spans: [metricsSpan("work", kind: .internal)]),
            (service: "billing", spans: [metricsSpan("work", kind: .internal, id: 2)]),
        ]))
        #expect(metrics.operations() == [
            SpanMetricsSeriesKey(service: "billing", operation: "work", kind: .internal),
            SpanMetricsSeriesKey(service: "unknown_service", operation: "work", kind: .internal),
        ])
    }

    @Test func observe_findsTheSameSeriesAcrossBatchesAndResources() {
        let metrics = smallMetrics(clock)
        for _ in 0..<3 {
            metrics.observe(metricsBatch([
                (service: "a", spans: [metricsSpan("op", kind: .internal)]),
                (service: "b", spans: [metricsSpan("op", kind: .internal)]),
                (service: "a", spans: [metricsSpan("op", kind: .internal), metricsSpan("op", kind: .consumer, parent: 9)]),
            ]))
        }
        #expect(metrics.operations().count == 3)
        #expect(metrics.window(SpanMetricsSelector(service: "a", kind: .internal), last: .seconds(10)).requests == 6)
        #expect(metrics.window(SpanMetricsSelector(service: "b"), last: .seconds(10)).requests == 3)
    }

    @Test func observe_countsSpansPastMaxSeriesInOneOverflowSeries() throws {
        let metrics = smallMetrics(clock, maxSeries: 2)
        metrics.observe(metricsBatch(service: "svc", [
            metricsSpan("a", kind: .internal),
            metricsSpan("b", kind: .internal),
            metricsSpan("c", kind: .internal),
            metricsSpan("d", kind: .internal, status: .error),
            metricsSpan("a", kind: .internal),
        ]))
        #expect(metrics.operations().map(\.operation) == ["a", "b"])
        #expect(metrics.window(.all, last: .seconds(10)).requests == 5)
        #expect(metrics.window(.all, last: .seconds(10)).errors == 1)
        #expect(metrics.window(SpanMetricsSelector(service: "svc"), last: .seconds(10)).requests == 3)

        let samples = try PrometheusExposition.parse(metrics.prometheusText())
        let overflow = ["service": "__overflow__", "span_name": "__overflow__", "span_kind": "__overflow__", "status_code": "__overflow__"]
        #expect(samples.value("traces_spanmetrics_calls_total", overflow) == 2)
        #expect(samples.value("traces_spanmetrics_latency_count", overflow) == 2)
        #expect(samples.value("spindle_spanmetrics_series_overflow_total") == 2)
        #expect(samples.value("spindle_spanmetrics_series") == 3)
    }

    @Test func observe_countsServicesPastTheNameTableInTheOverflowSeries() {
        // Room for 1 series and 1 edge: the name table holds `__overflow__`, `user` and
        // two more names.
        let metrics = smallMetrics(clock, maxSeries: 1, maxEdges: 1)
        metrics.observe(metricsBatch([
            (service: "a", spans: [metricsSpan("op", kind: .internal)]),
            (service: "b", spans: [metricsSpan("op", kind: .internal)]),
            (service: "c", spans: [metricsSpan("op", kind: .internal)]),
            (service: "a", spans: [metricsSpan("op", kind: .internal)]),
        ]))
        #expect(metrics.operations() == [SpanMetricsSeriesKey(service: "a", operation: "op", kind: .internal)])
        #expect(metrics.window(SpanMetricsSelector(service: "a"), last: .seconds(10)).requests == 2)
        #expect(metrics.window(.all, last: .seconds(10)).requests == 4)
    }

    @Test func hashIndex_confirmsEntriesWhoseHashesCollide() {
        var index = HashIndex(capacity: 4)
        let names = ["x", "y", "z"]
        for (id, name) in names.enumerated() {
            let found = index.find(42) { names[Int($0)] == name }
            #expect(found.id == nil)
            index.insert(Int32(id), hash: 42, slot: found.slot)
        }
        #expect(index.find(42) { names[Int($0)] == "z" }.id == 2)
        #expect(index.find(42) { names[Int($0)] == "x" }.id == 0)
        #expect(index.find(43) { _ in true }.id == nil)
    }

    @Test func observe_cutsNamesTo1024BytesAtACharacterBoundary() {
        let metrics = smallMetrics(clock)
        let prefix = String(repeating: "a", count: 1_023)
        // "é" is two bytes, the 1,024th and 1,025th: the cut falls inside it.
        metrics.observe(metricsBatch(service: String(repeating: "s", count: 5_000), [
            metricsSpan(prefix + "é tail one", kind: .internal),
            metricsSpan(prefix + "é tail two", kind: .internal),
        ]))
        #expect(metrics.operations() == [SpanMetricsSeriesKey(service: String(repeating: "s", count: 1_024), operation: prefix, kind: .internal)])
        #expect(metrics.window(.all, last: .seconds(10)).requests == 2)
    }

    @Test func observe_countsLatencyOfSpansEndingBeforeTheyStartAsZero() {
        let metrics = smallMetrics(clock)
        var span = metricsSpan("backwards", kind: .internal)
        span.endTimeUnixNano = span.startTimeUnixNano - 5
        metrics.observe(metricsBatch(service: "svc", [span]))
        #expect(metrics.window(.all, last: .seconds(10)).bucketCounts == [1, 0, 0, 0])
    }

    @Test func observe_countsKindsItDoesNotKnowAsUnspecified() {
        let metrics = smallMetrics(clock)
        metrics.observe(metricsBatch(service: "svc", [metricsSpan("odd", kind: SpanKind(rawValue: 42))]))
        #expect(metrics.operations() == [SpanMetricsSeriesKey(service: "svc", operation: "odd", kind: .unspecified)])
    }

    @Test func observe_readsReferencesOutsideTheArenaOrTablesAsAbsent() {
        var tables = SpanTables(arena: Array("service.name".utf8))
        tables.resourceAttributes = [AttributeSlot(key: ByteRef(offset: 0, count: 12), value: .string(ByteRef(offset: 500, count: 4)))]
        tables.resources = [ResourceRow(attributes: TableRange(start: 0, count: 1), scopes: TableRange(start: 0, count: 1))]
        tables.scopes = [ScopeRow(resourceIndex: 0, spans: TableRange(start: 0, count: 3))]
        var span = SpanRow(scopeIndex: 0)
        span.name = ByteRef(offset: 4_000_000_000, count: 100)
        span.kind = .client
        span.spanID = SpanID(1)
        span.attributes = TableRange(start: 90, count: 5)
        var strayScope = SpanRow(scopeIndex: 7)
        strayScope.name = ByteRef(offset: 0, count: 7)
        var longName = SpanRow(scopeIndex: 0)
        longName.name = ByteRef(offset: 8, count: 10)
        tables.spans = [span, strayScope, longName]
        let metrics = smallMetrics(clock)
        metrics.observe(SpanBatch(tables: tables))
        // The service value lies outside the arena: an empty service name. The span of a
        // scope that does not exist is skipped.
        #expect(metrics.operations() == [
            SpanMetricsSeriesKey(service: "", operation: "", kind: .unspecified),
            SpanMetricsSeriesKey(service: "", operation: "", kind: .client),
        ])
        #expect(metrics.window(.all, last: .seconds(10)).requests == 2)
    }

    // MARK: Windows

    @Test func window_coversTheSlotOfItsEndAndTheOnesBefore() {
        let metrics = smallMetrics(clock)
        let start = clock.now
        metrics.observe(metricsBatch(service: "svc", [metricsSpan("op", kind: .internal), metricsSpan("op", kind: .internal)]))
        clock.advance(by: .seconds(10))
        metrics.observe(metricsBatch(service: "svc", [metricsSpan("op", kind: .internal)]))
        clock.advance(by: .seconds(15))
        metrics.observe(metricsBatch(service: "svc", [metricsSpan("op", kind: .internal)]))

        #expect(metrics.window(.all, last: .seconds(10)).requests == 1)
        #expect(metrics.window(.all, last: .seconds(20)).requests == 2)
        #expect(metrics.window(.all, last: .seconds(21)).requests == 4)
        #expect(metrics.window(.all, last: .seconds(21)).duration == .seconds(30))
        #expect(metrics.window(.all, last: .zero).requests == 1)
        #expect(metrics.window(.all, last: .seconds(10), endingAt: start).requests == 2)
        #expect(metrics.window(.all, last: .seconds(10), endingAt: start + .seconds(9)).requests == 2)
        #expect(metrics.window(.all, last: .seconds(10), endingAt: start + .seconds(10)).requests == 1)
    }

    @Test func window_forgetsSlotsOlderThanTheRetention() {
        let metrics = smallMetrics(clock)
        metrics.observe(metricsBatch(service: "svc", [metricsSpan("op", kind: .internal)]))
        // 61 slots: the ring holds the 600 s retention plus the slot now filling.
        clock.advance(by: .seconds(600))
        #expect(metrics.window(.all, last: .seconds(3_600)).requests == 1)
        #expect(metrics.window(.all, last: .seconds(3_600)).duration == .seconds(610))
        metrics.observe(metricsBatch(service: "svc", [metricsSpan("op", kind: .internal)]))
        clock.advance(by: .seconds(10))
        #expect(metrics.window(.all, last: .seconds(3_600)).requests == 1)
        // A write in the slot that reuses the earlier write's place clears it.
        clock.set(clock.now + .seconds(600))
        metrics.observe(metricsBatch(service: "svc", [metricsSpan("op", kind: .internal)]))
        #expect(metrics.window(.all, last: .seconds(3_600)).requests == 1)
    }

    @Test func observe_countsAtTheLatestTimeWhenTheClockGoesBack() {
        let metrics = smallMetrics(clock)
        let start = clock.now
        clock.advance(by: .seconds(20))
        metrics.observe(metricsBatch(service: "svc", [metricsSpan("op", kind: .internal)]))
        clock.set(start)
        metrics.observe(metricsBatch(service: "svc", [metricsSpan("op", kind: .internal)]))
        #expect(metrics.window(.all, last: .seconds(10), endingAt: start + .seconds(20)).requests == 2)
        #expect(metrics.window(.all, last: .seconds(10), endingAt: start).requests == 0)
    }

    @Test func window_quantilesInterpolateWithinBucketsAsPrometheus() {
        let metrics = smallMetrics(clock)
        metrics.observe(metricsBatch(service: "svc", [
            metricsSpan("op", kind: .internal, duration: .milliseconds(3)),
            metricsSpan("op", kind: .internal, duration: .milliseconds(3)),
            metricsSpan("op", kind: .internal, duration: .milliseconds(3)),
            metricsSpan("op", kind: .internal, duration: .milliseconds(1)),
        ]))
        let window = metrics.window(.all, last: .seconds(10))
        // Rank 2 of 4: the first of the three in (2 ms, 4 ms].
        #expect(window.quantile(0.5) == .nanoseconds(2_666_667))
        #expect(window.quantile(0.25) == .milliseconds(2))
        #expect(window.quantile(0.125) == .milliseconds(1))
        #expect(window.quantile(1) == .milliseconds(4))
        #expect(window.quantile(0) == .zero)
        #expect(window.quantile(1.5) == nil)
        #expect(window.quantile(-0.1) == nil)

        metrics.observe(metricsBatch(service: "slow", [metricsSpan("op", kind: .internal, duration: .seconds(30))]))
        // A quantile in the +Inf bucket answers the highest finite bound.
        #expect(metrics.window(SpanMetricsSelector(service: "slow"), last: .seconds(10)).quantile(0.99) == .milliseconds(8))
        let empty = metrics.window(SpanMetricsSelector(service: "none"), last: .seconds(10))
        #expect(empty.quantile(0.5) == nil)
        #expect(empty.errorRate == nil)
        #expect(empty.ratePerSecond == 0)
    }

    // MARK: Chart series

    @Test func series_givesOnePointPerStepOfTheSlotsInIt() {
        let metrics = smallMetrics(clock)
        let start = clock.now
        metrics.observe(metricsBatch(service: "svc", [metricsSpan("op", kind: .internal), metricsSpan("op", kind: .internal)]))
        clock.advance(by: .seconds(10))
        metrics.observe(metricsBatch(service: "svc", [metricsSpan("op", kind: .internal, status: .error)]))
        clock.advance(by: .seconds(10))
        metrics.observe(metricsBatch(service: "svc", [metricsSpan("op", kind: .internal, duration: .milliseconds(1))]))

        let points = metrics.series(SpanMetricsSelector(service: "svc"), from: start, to: start + .seconds(20), step: .seconds(10))
        #expect(points == [
            SpanMetricsPoint(time: start, requests: 2, errors: 0, p50: .milliseconds(3), p95: .nanoseconds(3_900_000), p99: .nanoseconds(3_980_000)),
            SpanMetricsPoint(time: start + .seconds(10), requests: 1, errors: 1, p50: .milliseconds(3), p95: .nanoseconds(3_900_000), p99: .nanoseconds(3_980_000)),
            SpanMetricsPoint(time: start + .seconds(20), requests: 1, errors: 0, p50: .milliseconds(1), p95: .nanoseconds(1_900_000), p99: .nanoseconds(1_980_000)),
        ])

        let wide = metrics.series(.all, from: start, to: start + .seconds(20), step: .seconds(20))
        #expect(wide.map(\.requests) == [3, 1])
        // A step below the resolution is the resolution.
        #expect(metrics.series(.all, from: start, to: start + .seconds(20), step: .seconds(1)).map(\.requests) == [2, 1, 1])
        #expect(metrics.series(.all, from: start + .seconds(30), to: start, step: .seconds(10)) == [])
        // `to` stops at now.
        #expect(metrics.series(.all, from: start, to: start + .seconds(3_600), step: .seconds(10)).count == 3)
        // `from` starts at the oldest slot kept: 61 slots back from now.
        let all = metrics.series(.all, from: .zero, to: clock.now, step: .seconds(10))
        #expect(all.count == 61)
        #expect(all.first?.time == start - .seconds(580))
        #expect(all.first?.p50 == nil)
    }

    // MARK: Configuration

    @Test func configuration_validateNamesTheWrongSetting() {
        func message(_ configuration: SpanMetricsConfiguration) -> String? {
            do {
                try configuration.validate()
                return nil
            } catch {
                return error.message
            }
        }
        #expect(message(SpanMetricsConfiguration()) == nil)
        #expect(message(SpanMetricsConfiguration(histogramBuckets: [])) == "histogram_buckets: give 1 to 64 bucket bounds, not 0")
        #expect(message(SpanMetricsConfiguration(histogramBuckets: [.milliseconds(4), .milliseconds(2)])) == "histogram_buckets: bounds must be strictly ascending, but bound 2 (2ms) is not greater than bound 1 (4ms)")
        #expect(message(SpanMetricsConfiguration(histogramBuckets: [.zero])) == "histogram_buckets: bound 1 is 0s; bounds must be greater than zero")
        #expect(message(SpanMetricsConfiguration(maxSeries: 0)) == "max_series: must be at least 1, not 0")
        #expect(message(SpanMetricsConfiguration(resolution: .microseconds(10))) == "resolution: must be at least 1ms, not 0.01ms")
        #expect(message(SpanMetricsConfiguration(resolution: .seconds(10), retention: .seconds(5))) == "retention: must be at least the resolution (10s), not 5s")
        #expect(message(SpanMetricsConfiguration(resolution: .milliseconds(1), retention: .seconds(3_600))) == "retention / resolution: at most 100000 slots, not 3600000; raise the resolution or lower the retention")
    }

    @Test func configuration_normalizedClampsWhatIsOutOfRange() {
        let normalized = SpanMetricsConfiguration(
            histogramBuckets: [.milliseconds(8), .zero, .milliseconds(2), .milliseconds(8)],
            maxSeries: -3,
            maxEdges: 0,
            resolution: .zero,
            retention: .seconds(3_600),
            serviceGraphWait: .seconds(-1),
            maxPendingEdges: -1
        ).normalized
        #expect(normalized.histogramBuckets == [.milliseconds(2), .milliseconds(8)])
        #expect(normalized.maxSeries == 1)
        #expect(normalized.maxEdges == 1)
        #expect(normalized.resolution == .milliseconds(1))
        #expect(normalized.retention == .seconds(100))
        #expect(normalized.serviceGraphWait == .zero)
        #expect(normalized.maxPendingEdges == 0)
        #expect(SpanMetricsConfiguration().histogramBuckets.first == .milliseconds(2))
        #expect(SpanMetricsConfiguration().histogramBuckets.last == .milliseconds(16_384))
        #expect(SpanMetricsConfiguration(histogramBuckets: []).normalized.histogramBuckets == SpanMetricsConfiguration.defaultHistogramBuckets)
    }
}
