import Foundation
import SpindleWire
import Synchronization

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Sends spans to an OTLP/HTTP endpoint as protobuf (`POST /v1/traces`,
/// `Content-Type: application/x-protobuf`), optionally gzip-compressed.
///
/// Failures follow the OTLP specification: network errors and HTTP 429, 502, 503 and
/// 504 are retried with exponential backoff and jitter, or after the `Retry-After` the
/// server asks for (seconds or an HTTP date), up to `maxAttempts` requests and within
/// `exportTimeout`; then the export throws ``ExportError/failed(_:)``. HTTP 400 and
/// every other 4xx throw ``ExportError/rejected(_:)`` at once, with the message of the
/// response's `google.rpc.Status` (or its text). A 200 with a partial success is a
/// success.
///
/// The exporter's requests are never traced: it uses `URLSession`, which no tracing
/// instrumentation wraps, and processors call it from detached tasks that carry no
/// application `ServiceContext`. Cancelling the calling task cancels the request.
public final class OTLPHTTPExporter: SpanExporter {
    private let configuration: Configuration
    private let timing: RetryTiming
    private let session: URLSession
    private let isShutDown = Atomic<Bool>(false)

    /// - Parameter clock: Measures the export timeout and performs the waits between
    ///   attempts; tests pass one that records the waits instead of sleeping.
    public init<C: Clock>(configuration: Configuration, clock: C) where C.Duration == Duration {
        self.configuration = configuration
        timing = RetryTiming(clock)
        session = URLSession(configuration: .ephemeral)
    }

    /// An exporter that waits on the continuous clock.
    public convenience init(configuration: Configuration) {
        self.init(configuration: configuration, clock: ContinuousClock())
    }

    public func export(_ spans: [FinishedSpan]) async throws(ExportError) {
        guard !isShutDown.load(ordering: .relaxed) else { throw .shutDown }
        guard !spans.isEmpty else { return }
        let request = makeRequest(OTLPSpanEncoder.encode(spans))
        try await configuration.retryPolicy.run(timing: timing) { _ in await attemptOnce(request) }
    }

    public func shutdown() async {
        if !isShutDown.exchange(true, ordering: .relaxed) { session.finishTasksAndInvalidate() }
    }

    private func makeRequest(_ body: [UInt8]) -> URLRequest {
        var request = URLRequest(url: configuration.endpoint, timeoutInterval: Self.seconds(configuration.timeout))
        request.httpMethod = "POST"
        for (name, value) in configuration.headers { request.setValue(value, forHTTPHeaderField: name) }
        request.setValue("application/x-protobuf", forHTTPHeaderField: "Content-Type")
        request.setValue("\(SpindleSDK.name)-\(SpindleSDK.language)/\(SpindleSDK.version)", forHTTPHeaderField: "User-Agent")
        switch configuration.compression {
        case .none:
            request.httpBody = Data(body)
        case .gzip:
            request.setValue("gzip", forHTTPHeaderField: "Content-Encoding")
            request.httpBody = Data(Gzip.compress(body))
        }
        return request
    }

    private func attemptOnce(_ request: URLRequest) async -> ExportRetryPolicy.Outcome {
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await session.data(for: request)
        } catch {
            return .transportError("POST \(configuration.endpoint.absoluteString) failed: \(error.localizedDescription)")
        }
        guard let http = response as? HTTPURLResponse else {
            return .transportError("POST \(configuration.endpoint.absoluteString) got a response that is not HTTP")
        }
        if (200..<300).contains(http.statusCode) { return .success }
        let retryAfter = http.value(forHTTPHeaderField: "Retry-After").flatMap {
            RetryAfter.delay($0, nowUnixSeconds: Int64(Date().timeIntervalSince1970))
        }
        return .status(http.statusCode, retryAfter: retryAfter, message: Self.message(data, contentType: http.value(forHTTPHeaderField: "Content-Type")))
    }

    /// The error message of a response body: a `google.rpc.Status` for protobuf, else text.
    static func message(_ body: Data, contentType: String?) -> String {
        let bytes = [UInt8](body)
        if contentType?.lowercased().contains("protobuf") == true, let message = RPCStatusMessage.decode(bytes) {
            return message
        }
        let text = String(decoding: bytes.prefix(1024), as: UTF8.self)
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private static func seconds(_ duration: Duration) -> TimeInterval {
        let (seconds, attoseconds) = duration.components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}
