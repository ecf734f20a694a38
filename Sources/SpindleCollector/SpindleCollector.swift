/// The `SpindleCollector` module: receivers and the pipeline between them and storage,
/// with no HTTP or gRPC server of its own (SpindleServer's listeners sit on top).
///
/// - ``IngestPipeline``: redaction, validation, backpressure (bytes in flight), group
///   commit into a ``SpindleStorage/TraceWriter``, shutdown that drains; its metrics are
///   listed on `IngestMetrics`.
/// - ``Redactor`` (in `Redaction/`): secrets masked, hashed or dropped before anything is
///   stored, configured by ``RedactionConfiguration``.
/// - ``OTLPHTTPReceiver``, ``ZipkinReceiver``: a decompressed body and its
///   `Content-Type` in, a ``ReceiverResponse`` out, with OTLP/HTTP's and Zipkin's status
///   codes and bodies.
/// - ``OTLPGRPCReceiver``: an `Export` message in, the response bytes or a gRPC
///   failure out.
public enum SpindleCollectorModule {
    public static let summary = "receivers and the pipeline between them and storage"
}
