/// The bounds of the live tail, `GET /api/spindle/live` (docs/api.md, "Live tail"): how
/// many clients may stream at once and how much each may fall behind.
///
/// A client that reads slower than matching spans arrive loses the oldest of its buffered
/// spans, and is told how many (an SSE `dropped` event); ingest never waits for a client.
public struct LiveTailConfiguration: Sendable, Hashable {
    /// Clients streaming at once; one more is answered 429.
    public var maxClients: Int
    /// Spans buffered per client (its `buffer` parameter may ask for fewer).
    public var bufferedSpans: Int
    /// Bytes of encoded spans buffered per client, whatever their number.
    public var bufferedBytes: Int
    /// How long a stream may stay silent before a `: keep-alive` comment is sent: keeps
    /// proxies from closing an idle stream, and finds clients that went away.
    public var heartbeatInterval: Duration
    /// The reconnection delay suggested to clients (the SSE `retry:` field).
    public var retryInterval: Duration

    public init(
        maxClients: Int = 32,
        bufferedSpans: Int = 1_000,
        bufferedBytes: Int = 4 << 20,
        heartbeatInterval: Duration = .seconds(15),
        retryInterval: Duration = .seconds(3)
    ) {
        self.maxClients = maxClients
        self.bufferedSpans = bufferedSpans
        self.bufferedBytes = bufferedBytes
        self.heartbeatInterval = heartbeatInterval
        self.retryInterval = retryInterval
    }

    /// Checks what cannot work before anything is started.
    func validate() throws(SpindleServerError) {
        if maxClients < 1 {
            throw SpindleServerError(.invalidConfiguration, "live tail: maxClients must be at least 1, not \(maxClients)")
        }
        if bufferedSpans < 1 {
            throw SpindleServerError(.invalidConfiguration, "live tail: bufferedSpans must be at least 1, not \(bufferedSpans)")
        }
        if bufferedBytes < 1 {
            throw SpindleServerError(.invalidConfiguration, "live tail: bufferedBytes must be at least 1, not \(bufferedBytes)")
        }
        if heartbeatInterval <= .zero {
            throw SpindleServerError(.invalidConfiguration, "live tail: heartbeatInterval must be positive, not \(heartbeatInterval)")
        }
        if retryInterval <= .zero {
            throw SpindleServerError(.invalidConfiguration, "live tail: retryInterval must be positive, not \(retryInterval)")
        }
    }
}
