import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTPTypes
import Prometheus
import SpindleCollector

/// The transport half of an ingest route (`POST /v1/traces`, `POST /api/v2/spans`): reads
/// the body within the cap and the read timeout, undoes its `Content-Encoding`, and hands
/// the bytes to a receiver, which owns everything the payload means.
///
/// - A `Content-Length` over the cap is refused before a byte of the body is read.
/// - The cap holds after decompression too: a decompression bomb stops at the cap.
/// - A body that does not arrive within ``readTimeout`` of the request's start gets its
///   connection closed, so a client that stalls holds nothing but its own socket.
/// - A body shorter than its `Content-Length` (the connection ended early) is never
///   handed to the receiver.
struct IngestEndpoint: Sendable {
    /// The listener, for logs: "otlp-http", "zipkin".
    let name: String
    /// The cap on the decompressed body, bytes.
    let maxBodyBytes: Int
    let readTimeout: Duration
    let logger: Logger
    /// Builds the answer to a request refused here (413, 415, 400) in the listener's
    /// error format; `contentType` is the request's.
    let refusal: @Sendable (_ status: HTTPResponse.Status, _ message: String, _ contentType: String?) -> Response
    /// The receiver: payload semantics, pipeline, response.
    let receive: @Sendable (_ contentType: String?, _ body: [UInt8]) async -> ReceiverResponse
    /// Counts requests refused here.
    let refusals: RefusalCounters

    func respond(to request: Request, context: ListenerRequestContext) async throws -> Response {
        let contentType = request.headers[.contentType]
        let coding: ContentCoding
        do {
            let encodings = request.headers[values: .contentEncoding]
            coding = try ContentCoding.parse(encodings.isEmpty ? nil : encodings.joined(separator: ","))
        } catch {
            return refuse(error, contentType: contentType)
        }

        // What may arrive on the wire: the cap itself, or a little more for a compressed
        // body whose decompressed size is within the cap.
        let wireLimit = coding == .identity ? maxBodyBytes : RequestBodyDecoding.compressedLimit(for: maxBodyBytes)
        let declaredLength = request.headers[.contentLength].flatMap { Int($0) }
        if let declaredLength, declaredLength > wireLimit {
            return refuse(.tooLarge(limit: maxBodyBytes), contentType: contentType)
        }

        if request.headers[.expect]?.lowercased() == "100-continue" {
            // curl sends this for larger bodies and waits a second for the go-ahead;
            // Hummingbird does not answer it, so say "send it" here (the request was
            // not refused above). The connection writes nothing else until this
            // request's response, so the interim response cannot interleave.
            try await context.channel.writeAndFlush(HTTPResponsePart.head(HTTPResponse(status: .continue)))
        }

        let wire: ByteBuffer
        do {
            wire = try await readBody(of: request, limit: wireLimit, channel: context.channel)
        } catch is NIOTooManyBytesError {
            return refuse(.tooLarge(limit: maxBodyBytes), contentType: contentType)
        }
        if let declaredLength, wire.readableBytes != declaredLength {
            return refuse(
                BodyError(.malformed, "the body ended after \(wire.readableBytes) of the \(declaredLength) bytes its Content-Length announced"),
                contentType: contentType
            )
        }

        let body: ByteBuffer
        do {
            body = try RequestBodyDecoding.decode(wire, coding: coding, limit: maxBodyBytes)
        } catch {
            return refuse(error, contentType: contentType)
        }
        let answer = await receive(contentType, Array(body.readableBytesView))
        return Response(answer)
    }

    /// The whole body, or a thrown error when the connection ends or stalls first.
    private func readBody(of request: Request, limit: Int, channel: any Channel) async throws -> ByteBuffer {
        // Closing the channel ends the body stream, which makes `collectBody` throw; the
        // timer is cancelled as soon as the body is in.
        let logger = self.logger
        let name = self.name
        let readTimeout = self.readTimeout
        let deadline = channel.eventLoop.scheduleTask(in: TimeAmount(readTimeout)) {
            logger.debug("closing a connection whose request body did not arrive in time", metadata: [
                "listener": .string(name), "timeout": .string("\(readTimeout)"),
            ])
            channel.close(promise: nil)
        }
        defer { deadline.cancel() }
        var request = request
        return try await request.collectBody(upTo: limit)
    }

    private func refuse(_ error: BodyError, contentType: String?) -> Response {
        let status: HTTPResponse.Status =
            switch error.kind {
            case .tooLarge: .contentTooLarge
            case .unsupportedMediaType: .unsupportedMediaType
            case .malformed: .badRequest
            }
        refusals.count(error.kind)
        logger.debug("refused a request", metadata: [
            "listener": .string(name), "status": .stringConvertible(status.code), "reason": .string(error.message),
        ])
        return refusal(status, error.message, contentType)
    }
}

extension Response {
    /// A receiver's answer as it is.
    init(_ answer: ReceiverResponse) {
        var headers = HTTPFields()
        for header in answer.headers {
            if let name = HTTPField.Name(header.name) {
                headers.append(HTTPField(name: name, value: header.value))
            }
        }
        self.init(
            status: HTTPResponse.Status(code: answer.status),
            headers: headers,
            body: .init(byteBuffer: ByteBuffer(bytes: answer.body))
        )
    }
}

/// `spindle_refused_bodies_total{protocol, reason}`: requests an ingest listener refused
/// before their payload reached a receiver (`too_large`, `unsupported_encoding`,
/// `malformed_encoding`). Payloads that do not decode are counted by the pipeline.
struct RefusalCounters: Sendable {
    private let tooLarge: Counter
    private let unsupportedEncoding: Counter
    private let malformedEncoding: Counter

    init(registry: PrometheusCollectorRegistry, protocol name: String) {
        let descriptor = MetricNameDescriptor(
            namespace: "spindle",
            metricName: "refused_bodies",
            unitName: "total",
            helpText: "Requests refused before decoding: too large, or a Content-Encoding that is unsupported or corrupt."
        )
        func counter(_ reason: String) -> Counter {
            registry.makeCounter(descriptor: descriptor, labels: [("protocol", name), ("reason", reason)])
        }
        tooLarge = counter("too_large")
        unsupportedEncoding = counter("unsupported_encoding")
        malformedEncoding = counter("malformed_encoding")
    }

    func count(_ kind: BodyError.Kind) {
        switch kind {
        case .tooLarge: tooLarge.increment()
        case .unsupportedMediaType: unsupportedEncoding.increment()
        case .malformed: malformedEncoding.increment()
        }
    }
}
