import ArgumentParser
import AsyncHTTPClient
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Synchronization
import Tracing

/// `spindle demo-service`: one service of the demo system, run by `spindle demo` as a
/// child process. It traces itself with the Spindle SDK (`service.name` is its name) and
/// exports to the demo's collector; incoming requests are traced by Hummingbird's
/// TracingMiddleware and outgoing ones by AsyncHTTPClient, which propagates the context.
struct DemoServiceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo-service",
        abstract: "One service of `spindle demo` (started by it).",
        shouldDisplay: false
    )

    @Option(help: "frontend, api, payments, inventory or db.")
    var service: DemoTopology.Service

    @Option(name: .customLong("base-port"), help: "The frontend's port; the others follow it.")
    var basePort: Int

    @Option(name: .customLong("otlp-endpoint"), help: "The OTLP/HTTP traces endpoint to export to.")
    var otlpEndpoint: String

    @Option(help: "Seeds the random latencies and errors.")
    var seed: UInt64 = 1

    func run() async throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .warning
            return handler
        }
        let tracing = try DemoTracing.bootstrap(service: service, endpoint: otlpEndpoint)
        var clientConfiguration = HTTPClient.Configuration()
        clientConfiguration.tracing.tracer = InstrumentationSystem.tracer
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfiguration)
        let backend = DemoBackend(service: service, basePort: basePort, client: client, seed: seed)

        let router = Router()
        router.add(middleware: TracingMiddleware())
        backend.register(on: router)
        let application = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: service.port(base: basePort)), serverName: nil),
            logger: Logger(label: "demo-\(service.rawValue)")
        )
        let group = ServiceGroup(
            services: [application, tracing],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: Logger(label: "demo-\(service.rawValue)")
        )
        try await group.run()
        try await client.shutdown()
    }
}

extension DemoTopology.Service: ExpressibleByArgument {}

/// What each demo service does with a request.
final class DemoBackend: Sendable {
    let service: DemoTopology.Service
    let basePort: Int
    let client: HTTPClient
    private let dice: Mutex<DemoDice>

    init(service: DemoTopology.Service, basePort: Int, client: HTTPClient, seed: UInt64) {
        self.service = service
        self.basePort = basePort
        self.client = client
        dice = Mutex(DemoDice(seed: seed &* 31 &+ UInt64(service.port(base: 0))))
    }

    func register(on router: Router<BasicRequestContext>) {
        router.get("/health") { _, _ in "ok" }
        switch service {
        case .frontend:
            router.get("/") { [self] _, _ in
                try await work("render home", 3, 8)
                return try await call(.api, .GET, "/products")
            }
            router.get("/product/:id") { [self] _, context in
                let id = context.parameters.get("id") ?? "0"
                let product = try await call(.api, .GET, "/products/\(id)")
                try await work("render product", 2, 6)
                return product
            }
            router.get("/cart") { [self] _, _ in
                try await call(.api, .GET, "/cart")
            }
            router.post("/checkout") { [self] _, _ in
                try await work("validate cart", 1, 3)
                return try await call(.api, .POST, "/orders")
            }
        case .api:
            router.get("/products") { [self] _, _ in
                try await call(.db, .POST, "/query", body: "SELECT id, name, price FROM products ORDER BY rank LIMIT 20")
            }
            router.get("/products/:id") { [self] _, context in
                let id = context.parameters.get("id") ?? "0"
                let hit = roll { $0.chance(0.7) }
                try await work("cache.get product:\(id)", 0.3, 1.2, attributes: ["cache.hit": .bool(hit)])
                if hit { return "product \(id)" }
                return try await call(.db, .POST, "/query", body: "SELECT * FROM products WHERE id = $1")
            }
            router.get("/cart") { [self] _, _ in
                try await call(.db, .POST, "/query", body: "SELECT * FROM cart_items WHERE session_id = $1")
            }
            router.post("/orders") { [self] _, _ in
                _ = try await call(.inventory, .POST, "/reserve")
                _ = try await call(.payments, .POST, "/charge")
                return try await call(.db, .POST, "/query", body: "INSERT INTO orders (user_id, total) VALUES ($1, $2)")
            }
        case .payments:
            router.post("/charge") { [self] _, _ in
                let slow = roll { $0.chance(0.03) }
                try await work("authorize card", slow ? 1200 : 25, slow ? 1800 : 70, attributes: ["payment.provider": "acmepay"])
                if roll({ $0.chance(0.05) }) {
                    throw HTTPError(.badGateway, message: "card processor unavailable")
                }
                return "charged"
            }
        case .inventory:
            router.post("/reserve") { [self] _, _ in
                _ = try await call(.db, .POST, "/query", body: "UPDATE stock SET reserved = reserved + 1 WHERE sku = $1")
                if roll({ $0.chance(0.02) }) {
                    throw HTTPError(.conflict, message: "out of stock")
                }
                return "reserved"
            }
        case .db:
            router.post("/query") { [self] request, _ in
                let statement = String(buffer: try await request.body.collect(upTo: 4096))
                let slow = roll { $0.chance(0.03) }
                try await work(
                    "execute", slow ? 200 : 1, slow ? 400 : 12,
                    kind: .internal,
                    attributes: ["db.system": "postgresql", "db.statement": .string(statement), "db.lock_wait": .bool(slow)]
                )
                return "rows"
            }
        }
    }

    private func roll<T>(_ body: (inout DemoDice) -> T) -> T {
        dice.withLock { body(&$0) }
    }

    /// A span of local work that takes between `low` and `high` milliseconds.
    private func work(
        _ name: String, _ low: Double, _ high: Double, kind: SpanKind = .internal, attributes: SpanAttributes = [:]
    ) async throws {
        let delay = roll { $0.millis(low, high) }
        try await withSpan(name, ofKind: kind) { span in
            span.attributes.merge(attributes)
            try await Task.sleep(for: delay)
        }
    }

    /// Calls another demo service; a failure there is a 502 here, with its message.
    private func call(_ target: DemoTopology.Service, _ method: HTTPMethod, _ path: String, body: String? = nil) async throws -> String {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(target.port(base: basePort))\(path)")
        request.method = method
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await client.execute(request, timeout: .seconds(10))
        let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
        guard response.status.code < 400 else {
            throw HTTPError(.badGateway, message: "\(target.rawValue) answered \(response.status.code): \(text)")
        }
        return text
    }
}
