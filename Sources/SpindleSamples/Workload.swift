public import SpindleModel

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A deterministic stream of realistic traces, for benchmarks, load generators and for
/// filling a store: the same configuration and seed give the same spans on every run.
///
/// The shape follows what a microservice shop sends a collector:
/// - ``Configuration/services`` services, each with its own ``Resource`` (`service.name`,
///   `service.namespace`, `service.version`, `deployment.environment`, `host.name`,
///   `telemetry.sdk.*`) and three instrumentation scopes (HTTP/RPC, database, the
///   service's own code);
/// - ``Configuration/operations`` operations (span names, distinct within a service),
///   spread round-robin over the services: HTTP and gRPC server endpoints, database and
///   cache calls, internal functions; every service has at least one server operation,
///   and a client span takes the name of the server operation it calls;
/// - trace sizes log-normal around ``Configuration/medianTraceSpans`` (σ = 1.4) and
///   clamped to ``Configuration/traceSpans``: with the defaults (median 16, 1...500) the
///   mean is about 40 spans, 10 % of traces have more than ~95 spans and 1 % more than ~400;
/// - a tree per trace: a server span at an entry service (the first fifth of the services)
///   is the root; server and internal spans have children — client calls to another
///   service (a client span with the callee's server span under it, flagged as having a
///   remote parent), database and cache calls, internal spans — at most
///   ``maxDepth`` levels deep;
/// - durations from each operation's typical latency; every child lies inside its parent,
///   siblings mostly one after another;
/// - ``Configuration/attributesPerSpan`` attributes per span, from the keys the
///   instrumentation of each kind emits (`http.method`, `http.route`, `http.status_code`,
///   `db.system`, `db.statement`, `net.peer.name`, `enduser.id`, …), strings, ints,
///   doubles and bools; user IDs take ``Configuration/users`` values;
/// - a fraction ``Configuration/errorRate`` of traces fail: one span gets status error
///   and an `exception` event (`exception.type`, `exception.message`,
///   `exception.stacktrace`), and every ancestor gets status error too (server spans
///   answer 500);
/// - trace *k* starts at `baseTimeUnixNano + k × traceIntervalNanos` plus a jitter below
///   one interval.
///
/// Cost, measured on this project's 2-core machines in a release build: about 1 µs per
/// span for ``nextTrace()`` and 2.5 µs per span for ``nextBatch(targetSpans:)``, which
/// also builds the ``SpanBatch`` — ten million spans in under half a minute on one core.
/// Workloads with different seeds are independent, so loaders can run several at once.
public struct Workload: Sendable {
    /// What to generate. Every field has a realistic default.
    public struct Configuration: Sendable, Hashable {
        /// Services, each its own resource (at least 1).
        public var services: Int
        /// Distinct operations over all services; raised to `services` when lower, so
        /// every service has a server operation.
        public var operations: Int
        /// Attributes on every span (0 or more).
        public var attributesPerSpan: Int
        /// The smallest and largest trace, in spans (the lower bound at least 1).
        public var traceSpans: ClosedRange<Int>
        /// The median trace size before clamping to ``traceSpans``.
        public var medianTraceSpans: Double
        /// The fraction of traces that end in an error, 0...1.
        public var errorRate: Double
        /// Distinct `enduser.id` values (at least 1).
        public var users: Int
        /// When the first trace starts, in nanoseconds since the Unix epoch.
        public var baseTimeUnixNano: UInt64
        /// Nanoseconds between the starts of consecutive traces.
        public var traceIntervalNanos: UInt64
        /// The seed: one seed, one stream of traces.
        public var seed: UInt64

        public init(
            services: Int = 20,
            operations: Int = 200,
            attributesPerSpan: Int = 10,
            traceSpans: ClosedRange<Int> = 1...500,
            medianTraceSpans: Double = 16,
            errorRate: Double = 0.02,
            users: Int = 10_000,
            baseTimeUnixNano: UInt64 = 1_700_000_000_000_000_000,
            traceIntervalNanos: UInt64 = 1_000_000,
            seed: UInt64 = 1
        ) {
            self.services = services
            self.operations = operations
            self.attributesPerSpan = attributesPerSpan
            self.traceSpans = traceSpans
            self.medianTraceSpans = medianTraceSpans
            self.errorRate = errorRate
            self.users = users
            self.baseTimeUnixNano = baseTimeUnixNano
            self.traceIntervalNanos = traceIntervalNanos
            self.seed = seed
        }
    }

    /// One generated trace: its spans in creation order (the root first, every parent
    /// before its children), each with the index of its resource and scope.
    public struct Trace: Sendable, Hashable {
        public var traceID: TraceID
        public var spans: [SpanRecord]
        /// `resourceIndices[i]` indexes ``Workload/resources`` for `spans[i]`.
        public var resourceIndices: [Int]
        /// `scopeIndices[i]` indexes ``Workload/scopes`` for `spans[i]`.
        public var scopeIndices: [Int]

        /// True when a span of the trace has status error.
        public var hasError: Bool { spans.contains { $0.status.code == .error } }
    }

    /// The deepest a span may sit under its root (the root is at depth 0).
    public static let maxDepth = 10

    public let configuration: Configuration
    /// One resource per service.
    public let resources: [Resource]
    /// Three scopes per service: `scopes[3 × s]` HTTP/RPC instrumentation,
    /// `scopes[3 × s + 1]` the database client, `scopes[3 × s + 2]` the service's code.
    public let scopes: [InstrumentationScope]
    /// Traces generated so far.
    public private(set) var tracesGenerated = 0
    /// Spans generated so far.
    public private(set) var spansGenerated = 0

    private var random: SplitMix64
    private let services: [ServiceModel]
    private let operations: [Operation]
    private let entryServices: Int
    /// Keys for attributes past the end of a kind's realistic list (`app.extra.N`).
    private let extraKeys: [String]
    /// Per-trace scratch, reused so a trace allocates only its output.
    private var nodes: [Node] = []
    private var expandable: [Int] = []

    public init(_ configuration: Configuration = Configuration()) {
        precondition(configuration.services >= 1, "a workload needs at least one service")
        precondition(configuration.traceSpans.lowerBound >= 1, "a trace has at least one span")
        precondition(configuration.attributesPerSpan >= 0 && configuration.users >= 1, "attributesPerSpan must be ≥ 0 and users ≥ 1")
        self.configuration = configuration
        var random = SplitMix64(seed: configuration.seed)
        var services: [ServiceModel] = []
        var resources: [Resource] = []
        var scopes: [InstrumentationScope] = []
        for index in 0..<configuration.services {
            let service = ServiceModel(index: index, random: &random)
            services.append(service)
            resources.append(service.resource)
            scopes.append(contentsOf: service.scopes)
        }
        let operationCount = max(configuration.operations, configuration.services)
        var operations: [Operation] = []
        operations.reserveCapacity(operationCount)
        for index in 0..<operationCount {
            let serviceIndex = index % configuration.services
            let ordinal = index / configuration.services
            let operation = Operation(ordinal: ordinal, service: services[serviceIndex], random: &random)
            services[serviceIndex].add(operation, index: operations.count)
            operations.append(operation)
        }
        self.random = random
        self.services = services
        self.operations = operations
        self.resources = resources
        self.scopes = scopes
        entryServices = max(1, configuration.services / 5)
        extraKeys = (0..<max(0, configuration.attributesPerSpan)).map { "app.extra.\($0)" }
    }

    // MARK: Batches

    /// Whole traces until the batch holds at least `targetSpans` spans (at least one
    /// trace): every span of a trace is in this batch. Spans are grouped by service,
    /// then by scope, as a collector's batch of exports from many services would be.
    public mutating func nextBatch(targetSpans: Int) -> SpanBatch {
        var buckets = [[SpanRecord]](repeating: [], count: scopes.count)
        var count = 0
        repeat {
            let trace = nextTrace()
            for index in trace.spans.indices {
                buckets[trace.scopeIndices[index]].append(trace.spans[index])
            }
            count += trace.spans.count
        } while count < targetSpans
        return SpanBatch(group(buckets))
    }

    /// The OTLP grouping of `traces`: one ``ResourceSpans`` per service that has spans,
    /// one ``ScopeSpans`` per scope that has spans, spans in trace order.
    public func resourceSpans(of traces: [Trace]) -> [ResourceSpans] {
        var buckets = [[SpanRecord]](repeating: [], count: scopes.count)
        for trace in traces {
            for index in trace.spans.indices {
                buckets[trace.scopeIndices[index]].append(trace.spans[index])
            }
        }
        return group(buckets)
    }

    private func group(_ buckets: [[SpanRecord]]) -> [ResourceSpans] {
        var groups: [ResourceSpans] = []
        for serviceIndex in resources.indices {
            var scopeSpans: [ScopeSpans] = []
            for scopeIndex in (3 * serviceIndex)..<(3 * serviceIndex + 3) where !buckets[scopeIndex].isEmpty {
                scopeSpans.append(ScopeSpans(scope: scopes[scopeIndex], spans: buckets[scopeIndex]))
            }
            if !scopeSpans.isEmpty {
                groups.append(ResourceSpans(resource: resources[serviceIndex], scopeSpans: scopeSpans))
            }
        }
        return groups
    }

    // MARK: Traces

    /// The next trace of the stream.
    public mutating func nextTrace() -> Trace {
        let size = drawTraceSize()
        let traceID = TraceID(high: random.next(), low: random.next() | 1)
        let interval = configuration.traceIntervalNanos
        let traceStart = configuration.baseTimeUnixNano
            &+ UInt64(tracesGenerated) &* interval
            &+ (interval > 0 ? random.next() % interval : 0)
        buildTree(size: size, start: traceStart)
        if uniform() < configuration.errorRate { markError() }

        var spans: [SpanRecord] = []
        spans.reserveCapacity(nodes.count)
        var resourceIndices: [Int] = []
        resourceIndices.reserveCapacity(nodes.count)
        var scopeIndices: [Int] = []
        scopeIndices.reserveCapacity(nodes.count)
        for index in nodes.indices {
            let node = nodes[index]
            spans.append(record(node, traceID: traceID))
            resourceIndices.append(node.service)
            scopeIndices.append(3 * node.service + operations[node.operation].kind.scopeOffset)
        }
        tracesGenerated += 1
        spansGenerated += spans.count
        return Trace(traceID: traceID, spans: spans, resourceIndices: resourceIndices, scopeIndices: scopeIndices)
    }

    /// A span of the trace being built, before it becomes a ``SpanRecord``.
    private struct Node {
        var spanID: SpanID
        var parent: Int  // -1 for the root
        var service: Int
        var operation: Int
        var kind: SpanKind
        /// For a client call, the server operation it calls.
        var callee: Int
        var start: UInt64
        var end: UInt64
        /// Where the next sequential child starts.
        var cursor: UInt64
        var depth: Int
        var error: ErrorRole
    }

    private enum ErrorRole { case none, origin, propagated }

    /// Log-normal around the median (σ = 1.4), clamped to the configured range.
    private mutating func drawTraceSize() -> Int {
        let bounds = configuration.traceSpans
        if bounds.lowerBound == bounds.upperBound { return bounds.lowerBound }
        let value = (configuration.medianTraceSpans * exp(1.4 * gaussian())).rounded()
        if !(value >= Double(bounds.lowerBound)) { return bounds.lowerBound }
        if value >= Double(bounds.upperBound) { return bounds.upperBound }
        return Int(value)
    }

    private mutating func buildTree(size: Int, start: UInt64) {
        nodes.removeAll(keepingCapacity: true)
        expandable.removeAll(keepingCapacity: true)
        let rootService = below(entryServices)
        let rootOperation = services[rootService].servers[below(services[rootService].servers.count)]
        // Bigger traces take longer: their roots wait on more work.
        let rootLatency = operations[rootOperation].latencyNanos * (1 + Double(size) / 25) * exp(0.4 * gaussian())
        let rootEnd = start &+ UInt64(max(rootLatency, 1_000))
        nodes.append(Node(
            spanID: nextSpanID(), parent: -1, service: rootService, operation: rootOperation, kind: .server,
            callee: -1, start: start, end: rootEnd, cursor: start &+ (rootEnd - start) / 50, depth: 0, error: .none
        ))
        expandable.append(0)

        while nodes.count < size {
            // Half the time the newest open span (depth), otherwise any open span (breadth).
            let parent = uniform() < 0.5 ? expandable[expandable.count - 1] : expandable[below(expandable.count)]
            let parentService = nodes[parent].service
            let remaining = size - nodes.count
            let choice = uniform()
            let model = services[parentService]
            if choice < 0.4, remaining >= 2, services.count > 1, nodes[parent].depth + 2 <= Self.maxDepth {
                var callee = below(services.count - 1)
                if callee >= parentService { callee += 1 }
                let serverOperation = services[callee].servers[below(services[callee].servers.count)]
                let client = addChild(of: parent, service: parentService, operation: serverOperation, kind: .client, callee: serverOperation)
                // The callee's server span sits inside the client span, less the network time.
                let clientStart = nodes[client].start
                let clientEnd = nodes[client].end
                let network = (clientEnd - clientStart) / UInt64(10 + below(30))
                let serverStart = clientStart + network
                let serverEnd = clientEnd - network
                nodes.append(Node(
                    spanID: nextSpanID(), parent: client, service: callee, operation: serverOperation, kind: .server,
                    callee: -1, start: serverStart, end: serverEnd, cursor: serverStart + (serverEnd - serverStart) / 50,
                    depth: nodes[client].depth + 1, error: .none
                ))
                if nodes[nodes.count - 1].depth < Self.maxDepth { expandable.append(nodes.count - 1) }
            } else if choice < 0.75, !model.datastores.isEmpty {
                let operation = model.datastores[below(model.datastores.count)]
                _ = addChild(of: parent, service: parentService, operation: operation, kind: .client, callee: -1)
            } else {
                let operation = model.internals.isEmpty
                    ? (model.datastores.isEmpty ? model.servers[0] : model.datastores[below(model.datastores.count)])
                    : model.internals[below(model.internals.count)]
                let kind: SpanKind = operations[operation].kind == .internal || model.internals.isEmpty && model.datastores.isEmpty ? .internal : .client
                let child = addChild(of: parent, service: parentService, operation: operation, kind: kind, callee: -1)
                if kind == .internal, nodes[child].depth < Self.maxDepth { expandable.append(child) }
            }
        }
    }

    /// Appends a child of `parent` timed inside it; returns its index.
    private mutating func addChild(of parent: Int, service: Int, operation: Int, kind: SpanKind, callee: Int) -> Int {
        let parentStart = nodes[parent].start
        let parentEnd = nodes[parent].end
        let span = parentEnd - parentStart
        let latency = UInt64(max(operations[operation].latencyNanos * exp(0.5 * gaussian()), 1_000))
        var start = nodes[parent].cursor
        // Mostly sequential after the previous sibling; a fifth run in parallel, and when
        // the parent's time is used up, children land anywhere inside it.
        if uniform() < 0.2 || parentEnd - min(start, parentEnd) < span / 10 {
            start = parentStart + (span > 0 ? random.next() % span : 0)
        } else {
            start += span / UInt64(200 + below(800))
        }
        start = min(start, parentEnd)
        let end = start + min(latency, parentEnd - start)
        if end > nodes[parent].cursor { nodes[parent].cursor = end }
        nodes.append(Node(
            spanID: nextSpanID(), parent: parent, service: service, operation: operation, kind: kind,
            callee: callee, start: start, end: end, cursor: start + (end - start) / 50,
            depth: nodes[parent].depth + 1, error: .none
        ))
        return nodes.count - 1
    }

    /// Fails the trace: one of the last four spans created (mostly leaves) gets the
    /// exception; its ancestors return errors.
    private mutating func markError() {
        var index = nodes.count - 1 - (nodes.count > 1 ? below(min(nodes.count - 1, 4)) : 0)
        nodes[index].error = .origin
        index = nodes[index].parent
        while index >= 0 {
            nodes[index].error = .propagated
            index = nodes[index].parent
        }
    }

    // MARK: Spans

    private mutating func record(_ node: Node, traceID: TraceID) -> SpanRecord {
        // Fields are read in place: copying an Operation would retain all its strings.
        let operation = (kind: operations[node.operation].kind, name: operations[node.operation].name)
        let parentID = node.parent >= 0 ? nodes[node.parent].spanID : .zero
        // A server span under another service's client span has a remote parent (OTLP
        // flags bits 8 and 9); every span is sampled (bit 0).
        let remoteParent = node.kind == .server && node.parent >= 0
        let flags: UInt32 = remoteParent ? 0x301 : 0x101

        var attributes: [Attribute] = []
        let count = configuration.attributesPerSpan
        attributes.reserveCapacity(count)
        let status = node.callee >= 0 || operation.kind == .httpServer ? httpStatus(node) : 0
        for index in 0..<count {
            attributes.append(attribute(index, node: node, httpStatus: status))
        }

        var events: [SpanEvent] = []
        var spanStatus = SpanStatus.unset
        switch node.error {
        case .none: break
        case .origin:
            let failure = Failure.all[below(Failure.all.count)]
            let failureKind = operation.kind == .database || operation.kind == .cache ? failure.database : failure.application
            spanStatus = SpanStatus(code: .error, message: failureKind.message)
            events.append(SpanEvent(
                timeUnixNano: node.end - (node.end - node.start) / 20,
                name: "exception",
                attributes: [
                    Attribute("exception.type", .string(failureKind.type)),
                    Attribute("exception.message", .string(failureKind.message)),
                    Attribute("exception.stacktrace", .string(failureKind.stacktrace)),
                    Attribute("exception.escaped", .bool(node.kind != .client)),
                ]
            ))
        case .propagated:
            spanStatus = SpanStatus(code: .error, message: node.kind == .server ? "Internal Server Error" : "")
        }

        return SpanRecord(
            traceID: traceID, spanID: node.spanID, parentSpanID: parentID, flags: flags,
            name: operation.name, kind: node.kind,
            startTimeUnixNano: node.start, endTimeUnixNano: node.end,
            attributes: attributes, events: events, status: spanStatus
        )
    }

    /// The HTTP (or gRPC) status a server span or a client call answers with.
    private mutating func httpStatus(_ node: Node) -> Int64 {
        if node.error != .none { return 500 }
        let draw = below(1000)
        switch draw {
        case 0..<20: return 404
        case 20..<28: return 401
        case 28..<33: return 400
        case 33..<40: return 201
        case 40..<45: return 304
        default: return 200
        }
    }

    /// The `index`th attribute of a span: first the keys its instrumentation emits, then
    /// application keys, then `app.extra.N`.
    private mutating func attribute(
        _ index: Int, node: Node, httpStatus: Int64
    ) -> Attribute {
        let specific: Int
        if node.callee >= 0, operations[node.callee].kind == .grpcServer {
            // A gRPC call to another service.
            specific = 8
            switch index {
            case 0: return Attribute("rpc.system", .string("grpc"))
            case 1: return Attribute("rpc.service", .string(operations[node.callee].route))
            case 2: return Attribute("rpc.method", .string(operations[node.callee].method))
            case 3: return Attribute("rpc.grpc.status_code", .int(node.error == .none ? 0 : 13))
            case 4: return Attribute("net.peer.name", .string(services[operations[node.callee].serviceIndex].name))
            case 5: return Attribute("net.peer.port", .int(50051))
            case 6: return Attribute("peer.service", .string(services[operations[node.callee].serviceIndex].name))
            case 7: return Attribute("message.uncompressed_size", .int(Int64(50 + below(4_000))))
            default: break
            }
        } else if node.callee >= 0 {
            // An HTTP call to another service.
            specific = 9
            switch index {
            case 0: return Attribute("http.method", .string(operations[node.callee].method))
            case 1: return Attribute("http.url", .string("http://\(services[operations[node.callee].serviceIndex].name):8080\(operations[node.callee].concretePath(below(100_000)))"))
            case 2: return Attribute("http.status_code", .int(httpStatus))
            case 3: return Attribute("net.peer.name", .string(services[operations[node.callee].serviceIndex].name))
            case 4: return Attribute("net.peer.port", .int(8080))
            case 5: return Attribute("http.flavor", .string("1.1"))
            case 6: return Attribute("http.response_content_length", .int(Int64(200 + below(20_000))))
            case 7: return Attribute("peer.service", .string(services[operations[node.callee].serviceIndex].name))
            case 8: return Attribute("http.resend_count", .int(below(50) == 0 ? 1 : 0))
            default: break
            }
        } else {
            switch operations[node.operation].kind {
            case .httpServer:
                specific = 10
                switch index {
                case 0: return Attribute("http.method", .string(operations[node.operation].method))
                case 1: return Attribute("http.route", .string(operations[node.operation].route))
                case 2: return Attribute("http.status_code", .int(httpStatus))
                case 3: return Attribute("http.target", .string(operations[node.operation].concretePath(below(100_000))))
                case 4: return Attribute("net.host.name", .string(services[node.service].hostName))
                case 5: return Attribute("net.host.port", .int(8080))
                case 6: return Attribute("http.user_agent", .string(Vocabulary.userAgents[below(Vocabulary.userAgents.count)]))
                case 7: return Attribute("http.scheme", .string("http"))
                case 8: return Attribute("http.request_content_length", .int(operations[node.operation].method == "GET" ? 0 : Int64(100 + below(8_000))))
                case 9: return Attribute("net.sock.peer.addr", .string("10.\(below(4)).\(below(256)).\(below(256))"))
                default: break
                }
            case .grpcServer:
                specific = 8
                switch index {
                case 0: return Attribute("rpc.system", .string("grpc"))
                case 1: return Attribute("rpc.service", .string(operations[node.operation].route))
                case 2: return Attribute("rpc.method", .string(operations[node.operation].method))
                case 3: return Attribute("rpc.grpc.status_code", .int(node.error == .none ? 0 : 13))
                case 4: return Attribute("net.host.name", .string(services[node.service].hostName))
                case 5: return Attribute("net.host.port", .int(50051))
                case 6: return Attribute("net.sock.peer.addr", .string("10.\(below(4)).\(below(256)).\(below(256))"))
                case 7: return Attribute("message.uncompressed_size", .int(Int64(50 + below(4_000))))
                default: break
                }
            case .database:
                specific = 10
                switch index {
                case 0: return Attribute("db.system", .string(operations[node.operation].route))
                case 1: return Attribute("db.name", .string(services[node.service].databaseName))
                case 2: return Attribute("db.statement", .string(operations[node.operation].statement))
                case 3: return Attribute("db.operation", .string(operations[node.operation].method))
                case 4: return Attribute("db.sql.table", .string(operations[node.operation].table))
                case 5: return Attribute("net.peer.name", .string(services[node.service].databaseHost))
                case 6: return Attribute("net.peer.port", .int(operations[node.operation].route == "mysql" ? 3306 : 5432))
                case 7: return Attribute("db.user", .string(services[node.service].name))
                case 8: return Attribute("db.rows_affected", .int(Int64(below(4) == 0 ? below(200) : below(2))))
                case 9: return Attribute("db.connection_pool.utilization", .double(Double(below(1000)) / 1000))
                default: break
                }
            case .cache:
                specific = 7
                switch index {
                case 0: return Attribute("db.system", .string("redis"))
                case 1: return Attribute("db.statement", .string("\(operations[node.operation].method) \(operations[node.operation].table):\(below(50_000))"))
                case 2: return Attribute("db.operation", .string(operations[node.operation].method))
                case 3: return Attribute("db.redis.database_index", .int(Int64(node.service % 4)))
                case 4: return Attribute("net.peer.name", .string(services[node.service].cacheHost))
                case 5: return Attribute("net.peer.port", .int(6379))
                case 6: return Attribute("cache.hit", .bool(below(10) < 8))
                default: break
                }
            case .internal:
                specific = 6
                switch index {
                case 0: return Attribute("code.function", .string(operations[node.operation].method))
                case 1: return Attribute("code.namespace", .string(operations[node.operation].route))
                case 2: return Attribute("code.filepath", .string(operations[node.operation].table))
                case 3: return Attribute("code.lineno", .int(Int64(operations[node.operation].line)))
                case 4: return Attribute("thread.id", .int(Int64(1 + below(64))))
                case 5: return Attribute("thread.name", .string(Vocabulary.threadNames[below(Vocabulary.threadNames.count)]))
                default: break
                }
            }
        }
        // Application attributes every service adds, then numbered extras.
        switch index - specific {
        case 0: return Attribute("enduser.id", .string("user-\(below(configuration.users))"))
        case 1: return Attribute("app.tenant", .string(Vocabulary.tenants[below(Vocabulary.tenants.count)]))
        case 2: return Attribute("app.feature.new_checkout", .bool(below(4) == 0))
        case 3: return Attribute("app.items.count", .int(Int64(below(below(8) == 0 ? 100 : 6))))
        case 4: return Attribute("app.order.amount", .double(Double(100 + below(100_000)) / 100))
        case 5: return Attribute("app.region", .string(Vocabulary.regions[below(Vocabulary.regions.count)]))
        case 6: return Attribute("app.retry", .bool(below(30) == 0))
        case 7: return Attribute("app.queue.depth", .int(Int64(below(500))))
        default: return Attribute(extraKeys[index], .string(Vocabulary.tenants[below(Vocabulary.tenants.count)]))
        }
    }

    // MARK: Random draws

    private mutating func nextSpanID() -> SpanID { SpanID(random.next() | 1) }

    /// Uniform in 0..<bound (bound ≥ 1); the modulo bias is immaterial at these sizes.
    private mutating func below(_ bound: Int) -> Int { Int(random.next() % UInt64(bound)) }

    /// Uniform in [0, 1).
    private mutating func uniform() -> Double { Double(random.next() >> 11) * 0x1p-53 }

    /// Standard normal (Box–Muller, one of the pair).
    private mutating func gaussian() -> Double {
        let u1 = max(uniform(), 0x1p-53)
        let u2 = uniform()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}

// MARK: - The modelled shop

extension Workload {
    enum OperationKind: Sendable {
        case httpServer, grpcServer, database, cache, `internal`

        /// Which of its service's three scopes records this kind.
        var scopeOffset: Int {
            switch self {
            case .httpServer, .grpcServer: 0
            case .database, .cache: 1
            case .internal: 2
            }
        }
    }

    /// One span name of one service. Fields are reused per kind: `route` is the HTTP
    /// route, the gRPC service, the database system or the code namespace; `method` the
    /// HTTP method, gRPC method, SQL or Redis command, or function; `table` the SQL table,
    /// cache key prefix or source file.
    struct Operation: Sendable {
        var serviceIndex: Int
        var kind: OperationKind
        var name: String
        var route: String
        var method: String
        var table: String
        var statement: String
        var line: Int
        /// The typical latency, in nanoseconds.
        var latencyNanos: Double
        /// Whether `route` ends in `{id}`, and the route before it (found once, not per span).
        var hasID = false
        var routePrefix = ""

        init(ordinal: Int, service: ServiceModel, random: inout SplitMix64) {
            serviceIndex = service.index
            let noun = Vocabulary.nouns[(service.index * 7 + ordinal) % Vocabulary.nouns.count]
            let variant = ordinal / 10
            let suffix = variant == 0 ? "" : "\(variant + 1)"
            statement = ""
            line = 20 + Int(random.next() % 900)
            // Per service: server endpoints first and every fourth, then database,
            // cache and internal operations in turn.
            let pattern = ordinal == 0 || ordinal % 4 == 0 ? 0 : ordinal % 4
            let jitter = 0.5 + Double(random.next() % 1000) / 1000
            switch pattern {
            case 0 where service.usesGRPC:
                kind = .grpcServer
                let verb = ["Get", "List", "Create", "Update"][(ordinal / 4) % 4]
                route = "shop.\(service.typeName)Service"
                method = "\(verb)\(noun.capitalizedFirst)\(suffix)"
                name = "\(route)/\(method)"
                table = ""
                latencyNanos = 8_000_000 * jitter
            case 0:
                kind = .httpServer
                let forms: [(String, String)] = [
                    ("GET", "/api/v1/\(noun)s/{id}"), ("GET", "/api/v1/\(noun)s"),
                    ("POST", "/api/v1/\(noun)s"), ("PUT", "/api/v1/\(noun)s/{id}"),
                ]
                let form = forms[(ordinal / 4) % forms.count]
                method = form.0
                route = variant == 0 ? form.1 : "/api/v\(variant + 1)" + form.1.dropFirst(7)
                name = "\(method) \(route)"
                table = ""
                latencyNanos = 25_000_000 * jitter
            case 1 where service.databaseSystem != nil, 3 where service.databaseSystem != nil && !service.hasCache:
                kind = .database
                let system = service.databaseSystem ?? "postgresql"
                let verb = ["SELECT", "INSERT", "UPDATE", "SELECT"][ordinal % 4 == 1 ? (ordinal / 4) % 4 : 3]
                route = system
                method = verb
                table = "\(noun)s\(suffix)"
                statement = switch verb {
                case "INSERT": "INSERT INTO \(table) (id, owner_id, payload, created_at) VALUES ($1, $2, $3, now())"
                case "UPDATE": "UPDATE \(table) SET status = $1, updated_at = now() WHERE id = $2"
                default: "SELECT id, owner_id, status, payload FROM \(table) WHERE owner_id = $1 ORDER BY created_at DESC LIMIT 50"
                }
                name = "\(verb) \(service.databaseName).\(table)"
                latencyNanos = 2_000_000 * jitter
            case 2 where service.hasCache:
                kind = .cache
                method = ["GET", "SET", "MGET", "EXPIRE"][(ordinal / 4) % 4]
                route = "redis"
                table = "\(noun)\(suffix)"
                name = "\(method) \(table)"
                latencyNanos = 300_000 * jitter
            default:
                kind = .internal
                let verb = ["validate", "render", "compute", "load", "serialize", "authorize"][(ordinal + service.index) % 6]
                method = "\(verb)\(noun.capitalizedFirst)\(suffix)"
                route = "com.shop.\(service.typeName.lowercased())"
                table = "src/\(service.typeName.lowercased())/\(noun.capitalizedFirst)\(service.fileExtension)"
                name = method
                latencyNanos = 1_500_000 * jitter
            }
            if let brace = route.firstIndex(of: "{") {
                hasID = true
                routePrefix = String(route[..<brace])
            }
        }

        /// The route with `{id}` filled in.
        func concretePath(_ id: Int) -> String {
            hasID ? routePrefix + "\(id)" : route
        }
    }

    struct ServiceModel: Sendable {
        var index: Int
        var name: String
        var typeName: String
        var hostName: String
        var usesGRPC: Bool
        var databaseSystem: String?
        var databaseName: String
        var databaseHost: String
        var hasCache: Bool
        var cacheHost: String
        var fileExtension: String
        var resource: Resource
        var scopes: [InstrumentationScope]
        /// Operation indices by role.
        var servers: [Int] = []
        var datastores: [Int] = []
        var internals: [Int] = []

        init(index: Int, random: inout SplitMix64) {
            self.index = index
            let base = Vocabulary.services[index % Vocabulary.services.count]
            let round = index / Vocabulary.services.count
            name = round == 0 ? base : "\(base)-\(round + 1)"
            typeName = name.split(separator: "-").map { $0.capitalizedFirst }.joined()
            let pod = String(random.next() % 0xFFFFF, radix: 36)
            hostName = "\(name)-\(String(random.next() % 0xFFFFFFF, radix: 16))-\(pod)"
            usesGRPC = index % 3 == 2
            let systems: [String?] = ["postgresql", "postgresql", nil, "mysql"]
            let system = index < 2 ? nil : systems[index % systems.count]
            let database = name.replacingHyphens
            databaseSystem = system
            databaseName = database
            databaseHost = system.map { "\($0 == "mysql" ? "mysql" : "pg")-\(database).db.internal" } ?? ""
            hasCache = index % 2 == 1
            cacheHost = "redis-\(index % 3).cache.internal"
            let language = Vocabulary.languages[index % Vocabulary.languages.count]
            fileExtension = language.1
            resource = Resource(attributes: [
                Attribute("service.name", .string(name)),
                Attribute("service.namespace", "shop"),
                Attribute("service.version", .string("\(1 + index % 3).\(random.next() % 20).\(random.next() % 10)")),
                Attribute("service.instance.id", .string(hostName)),
                Attribute("deployment.environment", "production"),
                Attribute("host.name", .string(hostName)),
                Attribute("k8s.namespace.name", "shop"),
                Attribute("cloud.region", .string(Vocabulary.regions[index % Vocabulary.regions.count])),
                Attribute("telemetry.sdk.name", "opentelemetry"),
                Attribute("telemetry.sdk.language", .string(language.0)),
                Attribute("telemetry.sdk.version", "1.28.0"),
            ], schemaURL: "https://opentelemetry.io/schemas/1.21.0")
            scopes = [
                InstrumentationScope(name: usesGRPC ? "io.opentelemetry.grpc-1.6" : "io.opentelemetry.http", version: "1.28.0"),
                InstrumentationScope(name: "io.opentelemetry.\(databaseSystem == "mysql" ? "jdbc" : "sql")", version: "1.28.0"),
                InstrumentationScope(name: "com.shop.\(typeName.lowercased())", version: "1.0.0"),
            ]
        }

        mutating func add(_ operation: Operation, index: Int) {
            switch operation.kind {
            case .httpServer, .grpcServer: servers.append(index)
            case .database, .cache: datastores.append(index)
            case .internal: internals.append(index)
            }
        }
    }

    /// Exceptions a failing span throws: one for code, one for a database call.
    struct Failure: Sendable {
        struct Exception: Sendable {
            var type: String
            var message: String
            var stacktrace: String
        }

        var application: Exception
        var database: Exception

        static let all: [Failure] = [
            Failure(
                application: Exception(
                    type: "java.lang.IllegalStateException", message: "order is already being processed",
                    stacktrace: "java.lang.IllegalStateException: order is already being processed\n\tat com.shop.orders.OrderService.place(OrderService.java:212)\n\tat com.shop.orders.OrderController.post(OrderController.java:88)"
                ),
                database: Exception(
                    type: "org.postgresql.util.PSQLException", message: "ERROR: deadlock detected",
                    stacktrace: "org.postgresql.util.PSQLException: ERROR: deadlock detected\n\tat org.postgresql.core.v3.QueryExecutorImpl.receiveErrorResponse(QueryExecutorImpl.java:2675)"
                )
            ),
            Failure(
                application: Exception(
                    type: "TimeoutError", message: "upstream request timed out after 5000 ms",
                    stacktrace: "TimeoutError: upstream request timed out after 5000 ms\n    at Timeout._onTimeout (/app/src/client.js:41:19)\n    at listOnTimeout (node:internal/timers:573:17)"
                ),
                database: Exception(
                    type: "redis.exceptions.ConnectionError", message: "Error 111 connecting to redis:6379. Connection refused.",
                    stacktrace: "Traceback (most recent call last):\n  File \"/app/cache.py\", line 52, in get\n    return self.client.get(key)\nredis.exceptions.ConnectionError: Error 111 connecting to redis:6379. Connection refused."
                )
            ),
            Failure(
                application: Exception(
                    type: "*errors.errorString", message: "payment declined: insufficient funds",
                    stacktrace: "goroutine 81 [running]:\nmain.(*PaymentService).Charge(0xc000126000)\n\t/app/payment.go:133 +0x1a5"
                ),
                database: Exception(
                    type: "java.sql.SQLTransientConnectionException", message: "HikariPool-1 - Connection is not available, request timed out after 30000ms.",
                    stacktrace: "java.sql.SQLTransientConnectionException: HikariPool-1 - Connection is not available, request timed out after 30000ms.\n\tat com.zaxxer.hikari.pool.HikariPool.createTimeoutException(HikariPool.java:696)"
                )
            ),
        ]
    }

    enum Vocabulary {
        static let services = [
            "frontend", "api-gateway", "checkout", "cart", "payment", "orders", "inventory", "shipping",
            "user", "auth", "catalog", "search", "recommendation", "notification", "email", "ad",
            "currency", "fraud-detection", "pricing", "reviews", "loyalty", "warehouse", "tax", "media",
        ]
        static let nouns = [
            "order", "item", "cart", "user", "product", "payment", "invoice", "shipment", "address",
            "review", "coupon", "session", "price", "stock", "category", "wishlist", "refund", "account",
            "token", "quote", "rating",
        ]
        static let languages: [(String, String)] = [
            ("java", ".java"), ("go", ".go"), ("python", ".py"), ("nodejs", ".js"), ("dotnet", ".cs"), ("swift", ".swift"),
        ]
        static let regions = ["eu-west-1", "us-east-1", "us-west-2", "ap-southeast-1"]
        static let tenants = (0..<50).map { "tenant-\($0)" }
        static let threadNames = ["main", "http-nio-8080-exec-1", "http-nio-8080-exec-7", "worker-3", "pool-2-thread-4", "event-loop-1"]
        static let userAgents = [
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
            "okhttp/4.12.0", "python-requests/2.31.0", "Go-http-client/1.1",
        ]
    }
}

extension StringProtocol {
    fileprivate var capitalizedFirst: String {
        guard let first else { return "" }
        return first.uppercased() + dropFirst()
    }

    fileprivate var replacingHyphens: String {
        String(map { $0 == "-" ? "_" : $0 })
    }
}
