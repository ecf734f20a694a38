import Hummingbird
import Logging
import NIOCore

/// The request context of every Spindle HTTP listener: Hummingbird's core storage, the
/// connection (so a stalled upload can be cut off), and the body cap.
struct ListenerRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// The connection the request arrived on.
    let channel: any Channel
    /// Hummingbird's limit for its own body helpers; ``BodyLimitMiddleware`` raises it to
    /// the listener's cap (the default is 2 MiB).
    var maxUploadSize: Int

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
        self.maxUploadSize = 2 << 20
    }
}

/// Sets ``ListenerRequestContext/maxUploadSize`` to the listener's cap.
struct BodyLimitMiddleware: RouterMiddleware {
    typealias Context = ListenerRequestContext
    let maxUploadSize: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.maxUploadSize = maxUploadSize
        return try await next(request, context)
    }
}

/// Answers 405 Method Not Allowed, with an `Allow` header, for a known path asked with a
/// method it does not serve (Hummingbird's router would answer 404).
struct MethodNotAllowedMiddleware: RouterMiddleware {
    typealias Context = ListenerRequestContext
    /// Path → the methods it serves.
    let allowed: [String: [HTTPRequest.Method]]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var path = request.uri.path
        if path.count > 1, path.hasSuffix("/") { path.removeLast() }
        if let methods = allowed[path], !methods.contains(request.method) {
            let allow = methods.map(\.rawValue).joined(separator: ", ")
            return Response.text(
                status: .methodNotAllowed,
                "method \(request.method.rawValue) is not allowed on \(path); use \(allow)\n",
                headers: [.allow: allow]
            )
        }
        return try await next(request, context)
    }
}

/// Logs every request at debug: method, path, status, sizes, duration and peer.
struct RequestLogMiddleware: RouterMiddleware {
    typealias Context = ListenerRequestContext
    let listener: String
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard logger.logLevel <= .debug else { return try await next(request, context) }
        let start = ContinuousClock.now
        var metadata: Logger.Metadata = [
            "listener": .string(listener),
            "method": .string(request.method.rawValue),
            "path": .string(request.uri.path),
        ]
        if let peer = context.channel.remoteAddress { metadata["peer"] = .string("\(peer)") }
        if let length = request.headers[.contentLength] { metadata["request_bytes"] = .string(length) }
        if let encoding = request.headers[.contentEncoding] { metadata["content_encoding"] = .string(encoding) }
        do {
            let response = try await next(request, context)
            metadata["status"] = .stringConvertible(response.status.code)
            if let length = response.body.contentLength { metadata["response_bytes"] = .stringConvertible(length) }
            metadata["duration"] = .string("\(ContinuousClock.now - start)")
            logger.debug("request", metadata: metadata)
            return response
        } catch {
            metadata["error"] = .string("\(error)")
            metadata["duration"] = .string("\(ContinuousClock.now - start)")
            logger.debug("request failed", metadata: metadata)
            throw error
        }
    }
}

extension Response {
    /// A plain-text response.
    static func text(status: HTTPResponse.Status, _ text: String, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = "text/plain; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// A response with a body of bytes.
    static func bytes(status: HTTPResponse.Status, _ bytes: [UInt8], contentType: String, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = contentType
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
