import HTTPTypes
import Hummingbird
import NIOCore
import ServiceLifecycle
import SpindleQuery
import SpindleWire

/// `GET /api/spindle/live?q=&limit=&buffer=`: matching spans as they arrive, as
/// Server-Sent Events (docs/api.md, "Live tail").
///
/// Everything that can be refused is refused before the stream starts, with a JSON error
/// like the rest of Spindle's API: a bad parameter or query (400), too many clients (429),
/// shutting down (503). Then the stream sends `retry:`, and from then on `span` events,
/// `dropped` events and `: keep-alive` comments, until the client goes away or the
/// server shuts down.
enum LiveTailEndpoint {
    static let path = "\(SpindleAPI.prefix)/live"

    static func register(on router: Router<ListenerRequestContext>, hub: LiveTailHub) {
        router.get(RouterPath(path)) { request, _ in
            do throws(Refusal) {
                return try subscribe(QueryParameters(request), hub: hub)
            } catch {
                return json(error.body, status: error.status, headers: error.headers)
            }
        }
    }

    /// A refusal: the status, its JSON body, and headers to add.
    struct Refusal: Error {
        var status: HTTPResponse.Status
        var body: [UInt8]
        var headers: HTTPFields = [:]

        init(_ error: APIError, headers: HTTPFields = [:]) {
            status = error.status
            body = SpindleJSON.error(error)
            self.headers = headers
        }

        init(query error: TraceQLError, refused: Bool) {
            status = .badRequest
            body = LiveTailEndpoint.queryError(error, refused: refused)
        }
    }

    private static func subscribe(_ parameters: QueryParameters, hub: LiveTailHub) throws(Refusal) -> Response {
        let filter = try filter(parameters["q"] ?? "")
        let limit: Int?
        let bufferedSpans: Int
        do {
            limit = try positive(parameters, "limit", maximum: SpanRateLimit.maxPerSecond)
            bufferedSpans = try positive(parameters, "buffer", maximum: hub.configuration.bufferedSpans) ?? hub.configuration.bufferedSpans
        } catch {
            throw Refusal(error)
        }
        let subscription: LiveTailSubscription
        do {
            subscription = try hub.subscribe(filter: filter, bufferedSpans: bufferedSpans)
        } catch {
            switch error {
            case .tooManyClients(let maximum):
                throw Refusal(
                    APIError(status: .tooManyRequests, message: "too many live-tail clients: at most \(maximum) may stream at once; try again later"),
                    headers: [.retryAfter: String(min(max(hub.configuration.retryInterval.components.seconds, 1), 3_600))]
                )
            case .shuttingDown:
                throw Refusal(APIError(status: .serviceUnavailable, message: "the server is shutting down"))
            }
        }
        var headers: HTTPFields = [.contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-cache"]
        // Asks proxies such as nginx not to hold events back.
        if let name = HTTPField.Name("X-Accel-Buffering") { headers[name] = "no" }
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            defer { subscription.cancel() }
            try await stream(subscription, limit: limit, hub: hub, to: &writer)
        })
    }

    /// The filter for `q`: a syntax error reads as for the other TraceQL endpoints; a
    /// construct live tail cannot evaluate span by span is named with its position.
    private static func filter(_ text: String) throws(Refusal) -> LiveSpanFilter {
        if !text.unicodeScalars.allSatisfy(\.properties.isWhitespace) {
            do {
                _ = try TraceQLQuery.parse(text)
            } catch {
                throw Refusal(query: error, refused: false)
            }
        }
        do {
            return try LiveSpanFilter(text)
        } catch {
            throw Refusal(query: error, refused: true)
        }
    }

    /// An optional integer parameter from 1 to `maximum`.
    private static func positive(_ parameters: QueryParameters, _ name: String, maximum: Int) throws(APIError) -> Int? {
        guard parameters[name] != nil else { return nil }
        let value = try parameters.count(name, default: 0, maximum: maximum)
        guard value >= 1 else { throw .badParameter(name, "must be at least 1") }
        return value
    }

    // MARK: Streaming

    /// Sends what the subscription delivers until it finishes (the server shuts down, the
    /// task is cancelled) or a write fails (the client went away).
    private static func stream(
        _ subscription: LiveTailSubscription, limit: Int?, hub: LiveTailHub, to writer: inout any ResponseBodyWriter
    ) async throws {
        let subscriber = subscription.subscriber
        try await writer.write(ByteBuffer(bytes: LiveTailEvents.preamble(retry: hub.configuration.retryInterval)))
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask {
                // The heartbeat timer; ends when the stream does (the group is cancelled).
                while true {
                    do { try await hub.sleep(hub.configuration.heartbeatInterval) } catch { return }
                    subscriber.tick()
                }
            }
            defer { group.cancelAll() }
            var rateLimit = limit.map { SpanRateLimit(perSecond: $0, now: hub.elapsed()) }
            while true {
                var allowance = Int.max
                if rateLimit != nil {
                    allowance = rateLimit?.allowance(at: hub.elapsed()) ?? 0
                    if allowance == 0 {
                        // At most a second (a span's worth at the lowest rate); the buffer
                        // keeps filling, and dropping, meanwhile.
                        try await hub.sleep(rateLimit?.delayUntilNextSpan(at: hub.elapsed()) ?? .zero)
                        continue
                    }
                }
                switch await subscriber.next(maxSpans: allowance) {
                case .finished:
                    return
                case .heartbeat:
                    try await writer.write(ByteBuffer(bytes: LiveTailEvents.heartbeat))
                case .events(let events, let dropped):
                    var buffer = ByteBuffer()
                    if dropped > 0 { buffer.writeBytes(LiveTailEvents.dropped(dropped)) }
                    for event in events { buffer.writeBytes(event) }
                    try await writer.write(buffer)
                    rateLimit?.spend(events.count)
                    hub.metrics.sentSpans.increment(by: Int64(events.count))
                }
            }
        }
        try await writer.finish(nil)
    }

    // MARK: Responses

    /// A refused `q`, with its position as the other TraceQL endpoints give it.
    static func queryError(_ error: TraceQLError, refused: Bool) -> [UInt8] {
        JSONWriter.object { writer in
            writer.key("error")
            writer.object { writer in
                writer.member("status", 400)
                writer.member("message", refused ? "parameter q: not supported by live tail: \(error)" : "parameter q: invalid TraceQL query: \(error)")
                writer.member("line", error.line)
                writer.member("column", error.column)
            }
        }
    }

    private static func json(_ bytes: [UInt8], status: HTTPResponse.Status, headers: HTTPFields) -> Response {
        Response.bytes(status: status, bytes, contentType: "application/json", headers: headers)
    }
}

/// The UI listener with the live tail: on graceful shutdown (or when the listener stops)
/// the hub ends every stream, so the listener's wait for requests in progress does not
/// wait on streams that never end by themselves.
struct LiveTailListener: Service {
    let hub: LiveTailHub
    let listener: any Service

    func run() async throws {
        defer { hub.shutdown() }
        try await withGracefulShutdownHandler {
            try await listener.run()
        } onGracefulShutdown: {
            hub.shutdown()
        }
    }
}
