extension BatchSpanProcessor {
    /// The batch span processor's settings, with the OpenTelemetry SDK defaults
    /// (`OTEL_BSP_MAX_QUEUE_SIZE`, `OTEL_BSP_SCHEDULE_DELAY`, `OTEL_BSP_MAX_EXPORT_BATCH_SIZE`,
    /// `OTEL_BSP_EXPORT_TIMEOUT`).
    public struct Configuration: Sendable, Hashable {
        /// Spans held before new ones are dropped (2048).
        public var maxQueueSize: Int
        /// The longest a span waits in the queue before an export is started (5 s).
        public var scheduledDelay: Duration
        /// Spans per export; an export starts as soon as this many are queued (512).
        /// Clamped to `maxQueueSize`.
        public var maxExportBatchSize: Int
        /// How long one export may take before it is cancelled and its spans counted as
        /// failed (30 s).
        public var exportTimeout: Duration

        public init(
            maxQueueSize: Int = 2048,
            scheduledDelay: Duration = .milliseconds(5000),
            maxExportBatchSize: Int = 512,
            exportTimeout: Duration = .milliseconds(30000)
        ) {
            self.maxQueueSize = maxQueueSize
            self.scheduledDelay = scheduledDelay
            self.maxExportBatchSize = maxExportBatchSize
            self.exportTimeout = exportTimeout
        }
    }

    /// What happened to the spans the processor received. `received` equals `exported +
    /// failed + droppedQueueFull + queued` at any time, `queued` being the spans waiting.
    public struct Counters: Sendable, Hashable {
        /// Spans handed to `onEnd` before shutdown began.
        public var received: Int = 0
        /// Spans of exports that succeeded.
        public var exported: Int = 0
        /// Spans dropped because the queue was full.
        public var droppedQueueFull: Int = 0
        /// Spans of exports that failed or timed out.
        public var failed: Int = 0
        /// Spans refused because the processor was shutting down or shut down.
        public var refusedAfterShutdown: Int = 0

        public init() {}
    }
}
