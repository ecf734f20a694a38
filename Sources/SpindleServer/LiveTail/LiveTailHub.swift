import Prometheus
import SpindleCollector
import SpindleModel
import SpindleQuery
import Synchronization

/// The live tail's fan-out: an ingest observer that hands every matching span to the
/// clients streaming `GET /api/spindle/live`.
///
/// - **Cost only when watched.** With no subscriber, ``observe(_:)`` returns after one
///   atomic load. Otherwise each subscriber's filter runs over the batch and each matching
///   span is encoded once (shared by the subscribers it matches) on the request's task.
/// - **Never waits for a client.** Spans go into each subscriber's bounded
///   ``LiveTailBuffer``; a client that falls behind loses its oldest spans, counted and
///   reported to it.
/// - **Bounded clients.** At most ``LiveTailConfiguration/maxClients`` subscribe at once;
///   ``subscribe(filter:bufferedSpans:)`` refuses the next.
/// - **Shutdown.** ``shutdown()`` ends every stream and refuses new subscribers, so a
///   server's graceful shutdown does not wait on streams that never end by themselves.
///
/// Metrics (in the server's registry): `spindle_live_tail_clients` (gauge),
/// `spindle_live_tail_sent_spans_total`, `spindle_live_tail_dropped_spans_total`,
/// `spindle_live_tail_refused_clients_total`.
final class LiveTailHub: IngestObserver, Sendable {
    enum Refusal: Error, Equatable {
        case tooManyClients(Int)
        case shuttingDown
    }

    let configuration: LiveTailConfiguration
    let metrics: LiveTailMetrics
    /// Time since the hub was created, on the injected clock.
    let elapsed: @Sendable () -> Duration
    /// Sleeps on the injected clock; throws when cancelled.
    let sleep: @Sendable (Duration) async throws -> Void

    /// Subscribers right now, read without the lock on every batch.
    private let subscriberCount = Atomic<Int>(0)
    private let state = Mutex(State())

    private struct State {
        /// Replaced, never mutated in place while shared: ``observe(_:)`` takes a copy.
        var subscribers: [LiveTailSubscriber] = []
        var nextID = 0
        var isShutDown = false
    }

    convenience init(configuration: LiveTailConfiguration, registry: PrometheusCollectorRegistry) {
        self.init(configuration: configuration, registry: registry, clock: ContinuousClock())
    }

    /// A hub whose heartbeats and rate limits run on `clock`.
    init<C: Clock>(configuration: LiveTailConfiguration, registry: PrometheusCollectorRegistry, clock: C) where C.Duration == Duration {
        self.configuration = configuration
        metrics = LiveTailMetrics(registry: registry)
        let origin = clock.now
        elapsed = { origin.duration(to: clock.now) }
        sleep = { try await clock.sleep(for: $0) }
    }

    var clientCount: Int { subscriberCount.load(ordering: .relaxed) }

    // MARK: Subscribing

    /// A new subscriber with `filter` and room for `bufferedSpans` spans (at most the
    /// configured number); throws when the hub is full or shut down.
    func subscribe(filter: LiveSpanFilter, bufferedSpans: Int? = nil) throws(Refusal) -> LiveTailSubscription {
        let capacity = min(max(1, bufferedSpans ?? configuration.bufferedSpans), configuration.bufferedSpans)
        let result: Result<LiveTailSubscriber, Refusal> = state.withLock { state in
            if state.isShutDown { return .failure(.shuttingDown) }
            guard state.subscribers.count < configuration.maxClients else { return .failure(.tooManyClients(configuration.maxClients)) }
            let subscriber = LiveTailSubscriber(
                id: state.nextID, filter: filter,
                buffer: LiveTailBuffer(maxSpans: capacity, maxBytes: configuration.bufferedBytes)
            )
            state.nextID += 1
            state.subscribers.append(subscriber)
            subscriberCount.store(state.subscribers.count, ordering: .relaxed)
            metrics.clients.set(Int64(state.subscribers.count))
            return .success(subscriber)
        }
        switch result {
        case .success(let subscriber):
            return LiveTailSubscription(hub: self, subscriber: subscriber)
        case .failure(let refusal):
            metrics.refusedClients.increment()
            throw refusal
        }
    }

    /// Removes the subscriber (again: nothing happens) and ends its stream.
    func remove(_ subscriber: LiveTailSubscriber) {
        state.withLock { state in
            guard let index = state.subscribers.firstIndex(where: { $0 === subscriber }) else { return }
            state.subscribers.remove(at: index)
            subscriberCount.store(state.subscribers.count, ordering: .relaxed)
            metrics.clients.set(Int64(state.subscribers.count))
        }
        subscriber.finish()
    }

    /// Ends every stream now and refuses new subscribers from now on.
    func shutdown() {
        let subscribers = state.withLock { state in
            state.isShutDown = true
            return state.subscribers
        }
        for subscriber in subscribers { subscriber.finish() }
    }

    // MARK: IngestObserver

    func observe(_ batch: SpanBatch) {
        // Hot path: with nobody watching, one relaxed load and nothing else.
        guard subscriberCount.load(ordering: .relaxed) > 0 else { return }
        let subscribers = state.withLock { $0.subscribers }
        guard !subscribers.isEmpty else { return }
        // Each matching span is encoded once, whichever subscribers it matches.
        var encoded: [Int: [UInt8]] = [:]
        var dropped = 0
        for subscriber in subscribers {
            let matching = subscriber.filter.matchingSpans(in: batch)
            if matching.isEmpty { continue }
            let events = matching.map { index in
                if let event = encoded[index] { return event }
                let event = LiveTailEvents.span(at: index, of: batch)
                if subscribers.count > 1 { encoded[index] = event }
                return event
            }
            dropped += subscriber.push(events)
        }
        if dropped > 0 { metrics.droppedSpans.increment(by: Int64(dropped)) }
    }
}

/// One client's filter and buffer, shared by the ingesting tasks (``push(_:)``) and the
/// task streaming to the client (``next(maxSpans:)``).
final class LiveTailSubscriber: Sendable {
    let id: Int
    let filter: LiveSpanFilter
    private let state: Mutex<State>

    private struct State {
        var buffer: LiveTailBuffer
        /// The streaming task, while it waits for something to send.
        var waiter: CheckedContinuation<LiveTailBuffer.Delivery?, Never>?
    }

    init(id: Int, filter: LiveSpanFilter, buffer: LiveTailBuffer) {
        self.id = id
        self.filter = filter
        state = Mutex(State(buffer: buffer))
    }

    /// Buffers encoded span events; returns how many spans were dropped to make room.
    func push(_ events: [[UInt8]]) -> Int {
        let (dropped, waiter) = state.withLock { state in
            (state.buffer.append(events), state.waiter.take())
        }
        waiter?.resume(returning: nil)
        return dropped
    }

    /// The heartbeat interval has passed.
    func tick() {
        let waiter = state.withLock { state in
            state.buffer.tick()
            return state.waiter.take()
        }
        waiter?.resume(returning: nil)
    }

    /// Ends the stream: ``next(maxSpans:)`` answers `.finished` from now on.
    func finish() {
        let waiter = state.withLock { state in
            state.buffer.finish()
            return state.waiter.take()
        }
        waiter?.resume(returning: nil)
    }

    /// Waits until there is something to send: events (at most `maxSpans`) or drops, a
    /// heartbeat, or the end. Cancelling the waiting task ends the stream.
    func next(maxSpans: Int) async -> LiveTailBuffer.Delivery {
        while true {
            let delivery = await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<LiveTailBuffer.Delivery?, Never>) in
                    let ready: LiveTailBuffer.Delivery?? = state.withLock { state in
                        if let delivery = state.buffer.next(maxSpans: maxSpans) { return .some(delivery) }
                        state.waiter = continuation
                        return .none
                    }
                    if let ready { continuation.resume(returning: ready) }
                }
            } onCancel: {
                finish()
            }
            if let delivery { return delivery }
        }
    }
}

/// A client's hold on the hub: ends the subscription when cancelled, or at the latest
/// when released (if the response carrying it is dropped before it streams).
final class LiveTailSubscription: Sendable {
    private let hub: LiveTailHub
    let subscriber: LiveTailSubscriber

    init(hub: LiveTailHub, subscriber: LiveTailSubscriber) {
        self.hub = hub
        self.subscriber = subscriber
    }

    func next(maxSpans: Int) async -> LiveTailBuffer.Delivery {
        await subscriber.next(maxSpans: maxSpans)
    }

    func cancel() {
        hub.remove(subscriber)
    }

    deinit {
        hub.remove(subscriber)
    }
}

/// The live tail's metrics, registered once per server.
struct LiveTailMetrics: Sendable {
    let clients: Gauge
    let sentSpans: Counter
    let droppedSpans: Counter
    let refusedClients: Counter

    init(registry: PrometheusCollectorRegistry) {
        func descriptor(_ name: String, unit: String = "", _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(namespace: "spindle", subsystem: "live_tail", metricName: name, unitName: unit, helpText: help)
        }
        clients = registry.makeGauge(descriptor: descriptor("clients", "Clients streaming GET /api/spindle/live now."))
        sentSpans = registry.makeCounter(descriptor: descriptor("sent_spans", unit: "total", "Spans sent to live-tail clients."))
        droppedSpans = registry.makeCounter(
            descriptor: descriptor("dropped_spans", unit: "total", "Spans that matched a live-tail client's filter but were dropped because it fell behind.")
        )
        refusedClients = registry.makeCounter(
            descriptor: descriptor("refused_clients", unit: "total", "Live-tail clients refused: the server had its maximum of clients, or was shutting down.")
        )
        clients.set(Int64(0))
    }
}
