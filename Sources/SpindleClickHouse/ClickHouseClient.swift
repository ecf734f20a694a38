public import AsyncHTTPClient
import SpindleWire
import NIOCore
import NIOHTTP1
public import SpindleStorage

/// ClickHouse's HTTP interface (`POST /` with the query in the body), over AsyncHTTPClient.
///
/// - The user and password travel in the `X-ClickHouse-User` / `X-ClickHouse-Key`
///   headers, never in the URL, and never appear in an error message or description.
/// - The database is chosen with the `database` URL parameter.
/// - Every call names its output `FORMAT` in its SQL; the client adds nothing to the text.
/// - Errors: a connection that fails, and an HTTP 5xx without a ClickHouse exception in
///   the body, throw ``StorageError`` `.unavailable` (retry later); a ClickHouse exception
///   (`Code: N, e.displayText() = ...`) keeps its text, with `.unavailable` for the codes
///   that mean "overloaded, retry" and `.invalidArgument` for the others.
public struct ClickHouseClient: Sendable {
    /// Where and as whom to connect.
    public struct Configuration: Sendable, CustomStringConvertible {
        /// The HTTP interface's base URL, e.g. `http://127.0.0.1:8123`.
        public var url: String
        /// The database every query runs in (`database` URL parameter); nil for the
        /// server's default.
        public var database: String?
        public var user: String
        /// Sent only in the `X-ClickHouse-Key` header.
        public var password: String
        /// The longest a single request may take, connection included.
        public var timeout: Duration
        /// The largest response body the client reads; larger answers fail.
        public var maxResponseBytes: Int
        /// Compress insert bodies with gzip (`Content-Encoding: gzip`, which 18.16 accepts).
        public var compressInserts: Bool

        public init(
            url: String, database: String? = nil, user: String = "default", password: String = "",
            timeout: Duration = .seconds(60), maxResponseBytes: Int = 256 << 20, compressInserts: Bool = true
        ) {
            self.url = url
            self.database = database
            self.user = user
            self.password = password
            self.timeout = timeout
            self.maxResponseBytes = maxResponseBytes
            self.compressInserts = compressInserts
        }

        /// The URL, database and user; never the password.
        public var description: String {
            "ClickHouse \(url) database \(database ?? "(default)") user \(user)"
        }
    }

    public let configuration: Configuration
    private let httpClient: HTTPClient

    /// The process-wide HTTP client ClickHouse clients share unless given another, never
    /// shut down (like `HTTPClient.shared`). A failed connection attempt fails its request
    /// at once (`retryConnectionEstablishment` off) instead of retrying until the request's
    /// deadline, so a stopped server is reported `.unavailable` promptly; the caller retries.
    public static let sharedHTTPClient: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(10)
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    /// A client sending requests through `httpClient` (the caller owns its lifecycle;
    /// by default ``sharedHTTPClient``).
    public init(_ configuration: Configuration, httpClient: HTTPClient = ClickHouseClient.sharedHTTPClient) {
        self.configuration = configuration
        self.httpClient = httpClient
    }

    /// The same server and credentials with another database (nil: the default).
    public func using(database: String?) -> ClickHouseClient {
        var configuration = configuration
        configuration.database = database
        return ClickHouseClient(configuration, httpClient: httpClient)
    }

    // MARK: Queries

    /// Runs `sql` (which names its `FORMAT` if it returns rows) and returns the body.
    ///
    /// The whole result is computed before the answer starts (`wait_end_of_query`):
    /// otherwise a query that fails midway has already answered 200, and the error text
    /// would arrive as part of the rows. The server stops the query after the
    /// configuration's timeout (`max_execution_time`), as the client gives up then anyway.
    public func query(_ sql: String) async throws(StorageError) -> [UInt8] {
        let seconds = max(1, configuration.timeout.components.seconds)
        return try await send(body: Array(sql.utf8), gzip: false, what: "query", settings: [("wait_end_of_query", "1"), ("max_execution_time", String(seconds))])
    }

    /// Runs a statement that returns no rows (DDL, `INSERT ... SELECT`).
    public func execute(_ sql: String) async throws(StorageError) {
        _ = try await send(body: Array(sql.utf8), gzip: false, what: "statement")
    }

    /// Runs `statement` (`INSERT INTO t (columns) FORMAT RowBinary`) with `data` after
    /// it, in one request body, gzip-compressed when the configuration says so. Returns
    /// once ClickHouse answered 200: the rows are then in the table's parts on disk.
    /// `settings` are ClickHouse settings for this request (such as
    /// `insert_distributed_sync`).
    public func insert(_ statement: String, data: [UInt8], settings: [(String, String)] = []) async throws(StorageError) {
        var body: [UInt8] = []
        body.reserveCapacity(statement.utf8.count + 1 + data.count)
        body.append(contentsOf: statement.utf8)
        body.append(UInt8(ascii: "\n"))
        body.append(contentsOf: data)
        if configuration.compressInserts {
            // zlib's fastest level: inserts are large and frequent, and level 1 already
            // shrinks RowBinary spans several times over. zlib counts input in 32 bits.
            guard body.count < Int(UInt32.max) else {
                throw StorageError(.invalidArgument, "an insert body of \(body.count) bytes is too large to compress; write smaller batches")
            }
            body = Gzip.compress(body, level: 1)
        }
        _ = try await send(body: body, gzip: configuration.compressInserts, what: "insert", settings: settings)
    }

    /// The server's version (`SELECT version()`).
    public func serverVersion() async throws(StorageError) -> ClickHouseVersion {
        let text = String(decoding: try await query("SELECT version() FORMAT TabSeparated"), as: UTF8.self)
            .trimmingSuffix(while: { $0 == "\n" })
        guard let version = ClickHouseVersion(text) else {
            throw StorageError(.unsupported, "\(redacted(configuration.description)) reported a version Spindle cannot read: \(redacted(String(text.prefix(100))))")
        }
        return version
    }

    /// What the server can do, from its version.
    public func features() async throws(StorageError) -> ClickHouseFeatures {
        ClickHouseFeatures(version: try await serverVersion())
    }

    // MARK: Transport

    private func send(body: [UInt8], gzip: Bool, what: String, settings: [(String, String)] = []) async throws(StorageError) -> [UInt8] {
        var url = configuration.url
        while url.hasSuffix("/") { url.removeLast() }
        url += "/"
        var parameters = settings
        if let database = configuration.database {
            parameters.insert(("database", database), at: 0)
        }
        if !parameters.isEmpty {
            url += "?" + parameters.map { "\($0.0)=" + Self.percentEncoded($0.1) }.joined(separator: "&")
        }
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "X-ClickHouse-User", value: configuration.user)
        if !configuration.password.isEmpty {
            request.headers.add(name: "X-ClickHouse-Key", value: configuration.password)
        }
        request.headers.add(name: "Content-Type", value: "application/octet-stream")
        if gzip { request.headers.add(name: "Content-Encoding", value: "gzip") }
        request.body = .bytes(body)

        let response: HTTPClientResponse
        let responseBody: ByteBuffer
        do {
            let (seconds, attoseconds) = configuration.timeout.components
            response = try await httpClient.execute(request, timeout: .nanoseconds(seconds &* 1_000_000_000 &+ attoseconds / 1_000_000_000))
            responseBody = try await response.body.collect(upTo: configuration.maxResponseBytes)
        } catch let error as NIOTooManyBytesError {
            throw StorageError(.invalidArgument, "the \(what) answer from \(redacted(configuration.description)) is larger than \(configuration.maxResponseBytes) bytes", underlying: error)
        } catch {
            throw StorageError(.unavailable, "cannot reach \(redacted(configuration.description)) for a \(what): \(redacted(String(describing: error)))")
        }
        let bytes = Array(responseBody.readableBytesView)
        if response.status == .ok { return bytes }
        throw mapError(status: response.status.code, body: bytes, what: what)
    }

    func mapError(status: UInt, body: [UInt8], what: String) -> StorageError {
        // Redacted before it is shortened, so that a cut cannot split the password.
        let text = String(redacted(String(decoding: body, as: UTF8.self)).prefix(4096)).trimmingSuffix(while: { $0 == "\n" })
        let target = redacted(configuration.description)
        if let exception = ClickHouseException(text: text) {
            let code: StorageError.Code = ClickHouseException.retryableCodes.contains(exception.code) ? .unavailable : .invalidArgument
            return StorageError(code, "\(target) refused a \(what): \(exception.message)", underlying: exception)
        }
        if status >= 500 {
            return StorageError(.unavailable, "\(target) answered HTTP \(status) to a \(what): \(text)")
        }
        return StorageError(.invalidArgument, "\(target) answered HTTP \(status) to a \(what): \(text)")
    }

    /// `text` with every occurrence of the password, as it is and as a SQL literal
    /// escapes it, replaced (ClickHouse quotes the query text in syntax errors; the
    /// password must never reach a log).
    func redacted(_ text: String) -> String {
        let password = configuration.password
        guard !password.isEmpty else { return text }
        let escaped = String(ClickHouseSQL.literal(password).dropFirst().dropLast())
        return text.replacing(password, with: "[password]").replacing(escaped, with: "[password]")
    }

    private static func percentEncoded(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".unicodeScalars)
                out.unicodeScalars.append("%")
                out.unicodeScalars.append(hex[Int(byte >> 4)])
                out.unicodeScalars.append(hex[Int(byte & 0xF)])
            }
        }
        return out
    }
}

/// An exception ClickHouse reported: its numeric code and text
/// (`Code: 60, e.displayText() = DB::Exception: Table default.x doesn't exist., ...`).
public struct ClickHouseException: Error, Sendable, CustomStringConvertible {
    public var code: Int
    public var message: String

    /// Codes that mean "overloaded or briefly unable, retry later": 159 TIMEOUT_EXCEEDED,
    /// 201 QUOTA_EXPIRED, 202 TOO_MANY_SIMULTANEOUS_QUERIES, 203 NO_FREE_CONNECTION,
    /// 209 SOCKET_TIMEOUT, 210 NETWORK_ERROR, 236 ABORTED, 241 MEMORY_LIMIT_EXCEEDED,
    /// 242 TABLE_IS_READ_ONLY, 252 TOO_MANY_PARTS, 279 ALL_CONNECTION_TRIES_FAILED.
    static let retryableCodes: Set<Int> = [159, 201, 202, 203, 209, 210, 236, 241, 242, 252, 279]

    /// Parses the `Code: N, ...` text ClickHouse answers an error with; nil for other text.
    init?(text: String) {
        guard let rest = text.firstRange(of: "Code: ").map({ text[$0.upperBound...] }) else { return nil }
        let digits = rest.prefix(while: { $0.isASCII && $0.isNumber }).prefix(6)
        guard let code = Int(digits) else { return nil }
        self.code = code
        message = text
    }

    public var description: String { message }
}

extension String {
    fileprivate func trimmingSuffix(while predicate: (Character) -> Bool) -> String {
        var copy = self
        while let last = copy.last, predicate(last) { copy.removeLast() }
        return copy
    }
}
