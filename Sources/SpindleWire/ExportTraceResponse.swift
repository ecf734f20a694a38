/// The answer to an export: OTLP's `ExportTraceServiceResponse` with its
/// `ExportTracePartialSuccess`.
///
/// A fully accepted request is answered with `rejectedSpans == 0` and an empty
/// `errorMessage`, which both encodings write as an unset `partial_success`, as the
/// OTLP specification asks ("Partial Success").
public struct ExportTraceResponse: Hashable, Sendable {
    /// Spans the server rejected; the client must not retry them.
    public var rejectedSpans: Int64
    /// Why spans were rejected, for a person.
    public var errorMessage: String

    public init(rejectedSpans: Int64 = 0, errorMessage: String = "") {
        self.rejectedSpans = rejectedSpans
        self.errorMessage = errorMessage
    }

    /// True when this response reports a partial success (something to tell the client).
    public var isPartialSuccess: Bool { rejectedSpans != 0 || !errorMessage.isEmpty }
}
