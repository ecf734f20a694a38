import SpindleModel

/// What ``SpanMetrics`` keeps under its lock, and the ingest path that fills it.
extension SpanMetrics {
    /// The label value of the overflow series and edge.
    static let overflowLabel = "__overflow__"
    /// The client of calls to a root server span.
    static let userClient = "user"

    /// Total histograms of a series, by status.
    enum StatusGroup {
        static let unset = 0
        static let ok = 1
        static let error = 2
        static let count = 3
    }

    /// Total histograms of an edge.
    enum EdgeGroup {
        static let server = 0
        static let client = 1
        static let count = 2
    }

    final class SeriesEntry {
        let key: SpanMetricsSeriesKey
        let isOverflow: Bool
        /// A ``NameTable`` id; -1 for the overflow series.
        let serviceID: Int32
        let operationBytes: [UInt8]
        let counters: MetricCounters

        init(key: SpanMetricsSeriesKey, isOverflow: Bool, serviceID: Int32, operationBytes: [UInt8], counters: MetricCounters) {
            self.key = key
            self.isOverflow = isOverflow
            self.serviceID = serviceID
            self.operationBytes = operationBytes
            self.counters = counters
        }
    }

    struct EdgeKey: Hashable {
        /// ``NameTable`` ids.
        var client: Int32
        var server: Int32
        var connectionType: ServiceGraphConnectionType

        /// A cheap hash for ``HashIndex``: the ids are ours (dense, assigned in order), not
        /// the client's, so a multiplicative mix spreads them without a seeded hasher.
        var mixed: Int {
            let type: UInt64 = switch connectionType {
            case .direct: 0
            case .messagingSystem: 1
            case .database: 2
            case .virtualNode: 3
            }
            var value = UInt64(UInt32(bitPattern: client)) << 32 | UInt64(UInt32(bitPattern: server))
            value = (value ^ type &* 0x9E37_79B9_7F4A_7C15) &* 0xBF58_476D_1CE4_E5B9
            value ^= value >> 31
            return Int(truncatingIfNeeded: value)
        }
    }

    struct EdgeEntry {
        let key: EdgeKey
        let isOverflow: Bool
        /// Totals of server and client latencies, `failed`, and a ring of server
        /// latencies whose errors are failed calls.
        let counters: MetricCounters
    }

    struct State {
        let buckets: LatencyBuckets
        let slotCount: Int
        let resolution: Int64
        let maxSeries: Int
        let maxEdges: Int
        /// The latest time seen, in nanoseconds; time never goes back from it.
        var latest: Int64 = .min
        /// Services and peers. Room for every series' service and every edge's server.
        var names: NameTable
        var series: [SeriesEntry] = []
        /// Series by the hash of (service id, kind, span name bytes).
        var seriesIndex: HashIndex
        var overflowSeries: SeriesEntry?
        var overflowSpans: UInt64 = 0
        var edges: [EdgeEntry] = []
        /// Edges by ``EdgeKey/mixed``.
        var edgeIndex: HashIndex
        var overflowEdgeIndex: Int?
        var overflowCalls: UInt64 = 0
        var pairing: ServiceGraphPairing

        static func slotCount(_ configuration: SpanMetricsConfiguration) -> Int {
            let resolution = configuration.resolution.spanMetricsNanoseconds
            return Int(SpanMetrics.ceilDivide(configuration.retention.spanMetricsNanoseconds, resolution)) + 1
        }

        init(_ configuration: SpanMetricsConfiguration) {
            buckets = LatencyBuckets(configuration.histogramBuckets)
            slotCount = Self.slotCount(configuration)
            resolution = configuration.resolution.spanMetricsNanoseconds
            maxSeries = configuration.maxSeries
            maxEdges = configuration.maxEdges
            names = NameTable(capacity: configuration.maxSeries + configuration.maxEdges)
            seriesIndex = HashIndex(capacity: configuration.maxSeries)
            edgeIndex = HashIndex(capacity: configuration.maxEdges)
            pairing = ServiceGraphPairing(maxPending: configuration.maxPendingEdges, waitNanoseconds: configuration.serviceGraphWait.spanMetricsNanoseconds)
        }

        /// Moves time to `time` unless it is behind; the time to use.
        mutating func advance(to time: Int64) -> Int64 {
            latest = max(latest, time)
            return latest
        }

        func slot(of time: Int64) -> Int64 { SpanMetrics.floorDivide(time, resolution) }

        mutating func expirePending(now: Int64) {
            let slot = slot(of: now)
            let position = MetricCounters.position(of: slot, slotCount: slotCount)
            var calls: [ServiceGraphPairing.Call] = []
            pairing.expire(now: now) { calls.append($0) }
            for call in calls { record(call, slot: slot, position: position) }
        }

        // MARK: Recording spans

        /// Hot path: per span, one hash of its name and a table probe find its series, and
        /// counting is a few stores; a String is made only for a series, name or edge seen
        /// for the first time.
        mutating func record(_ reading: ArenaReading, now: Int64) {
            let tables = reading.tables
            let slot = slot(of: now)
            let position = MetricCounters.position(of: slot, slotCount: slotCount)
            var lastResource = -1
            var serviceID: Int32?
            var serviceHasher = Hasher()
            for spanIndex in tables.spans.indices {
                let span = tables.spans[spanIndex]
                let scopeIndex = Int(span.scopeIndex)
                guard scopeIndex < tables.scopes.count else { continue }
                let resourceIndex = Int(tables.scopes[scopeIndex].resourceIndex)
                if resourceIndex != lastResource {
                    lastResource = resourceIndex
                    let serviceBytes = reading.serviceName(ofResource: resourceIndex).map(reading.name) ?? SpanMetrics.unknownServiceBytes
                    serviceID = names.intern(serviceBytes)
                    serviceHasher = Hasher()
                    serviceHasher.combine(serviceID ?? -1)
                }
                let latency = span.endTimeUnixNano > span.startTimeUnixNano ? span.endTimeUnixNano - span.startTimeUnixNano : 0
                let bucket = buckets.bucket(ofNanoseconds: latency)
                let status = Self.statusGroup(span.statusCode)
                let kind = Self.knownKind(span.kind)

                let entry = seriesEntry(serviceID: serviceID, hasher: serviceHasher, name: reading.name(span.name), kind: kind)
                entry.counters.recordTotal(group: status, bucket: bucket, nanoseconds: latency)
                entry.counters.record(slot: slot, position: position, bucket: bucket, isError: status == StatusGroup.error)

                if kind == .client || kind == .producer || kind == .server || kind == .consumer {
                    pair(span, kind: kind, service: serviceID ?? NameTable.overflowID, latency: latency, reading: reading, now: now, slot: slot, position: position)
                }
            }
        }

        static func statusGroup(_ code: StatusCode) -> Int {
            switch code {
            case .ok: StatusGroup.ok
            case .error: StatusGroup.error
            default: StatusGroup.unset
            }
        }

        static func knownKind(_ kind: SpanKind) -> SpanKind {
            (0...5).contains(kind.rawValue) ? kind : .unspecified
        }

        /// The series of this service, kind and name: found by hash and confirmed by
        /// bytes, created while there is room, else the overflow series. A service the
        /// name table had no room for (nil) is overflow too.
        @inline(__always)
        mutating func seriesEntry(serviceID: Int32?, hasher: Hasher, name: UnsafeRawBufferPointer, kind: SpanKind) -> SeriesEntry {
            guard let serviceID else { return overflowEntry() }
            var hasher = hasher
            hasher.combine(kind.rawValue)
            hasher.combine(bytes: name)
            let hash = hasher.finalize()
            let found = seriesIndex.find(hash) { id in
                let entry = series[Int(id)]
                return entry.serviceID == serviceID && entry.key.kind == kind && ArenaReading.equal(name, entry.operationBytes)
            }
            if let id = found.id { return series[Int(id)] }
            guard series.count < maxSeries else { return overflowEntry() }
            let entry = SeriesEntry(
                key: SpanMetricsSeriesKey(service: names[serviceID], operation: String(decoding: name, as: UTF8.self), kind: kind),
                isOverflow: false,
                serviceID: serviceID,
                operationBytes: Array(name),
                counters: MetricCounters(slotCount: slotCount, bucketCount: buckets.count, groups: StatusGroup.count)
            )
            seriesIndex.insert(Int32(series.count), hash: hash, slot: found.slot)
            series.append(entry)
            return entry
        }

        mutating func overflowEntry() -> SeriesEntry {
            overflowSpans &+= 1
            if let overflowSeries { return overflowSeries }
            let label = SpanMetrics.overflowLabel
            let entry = SeriesEntry(
                key: SpanMetricsSeriesKey(service: label, operation: label, kind: .unspecified),
                isOverflow: true,
                serviceID: -1,
                operationBytes: [],
                counters: MetricCounters(slotCount: slotCount, bucketCount: buckets.count, groups: StatusGroup.count)
            )
            overflowSeries = entry
            return entry
        }

        /// Every series, the overflow series last if there is one.
        var allSeries: [SeriesEntry] {
            overflowSeries.map { series + [$0] } ?? series
        }

        // MARK: Service graph

        mutating func pair(_ span: SpanRow, kind: SpanKind, service: Int32, latency: UInt64, reading: ArenaReading, now: Int64, slot: Int64, position: Int) {
            let side = ServiceGraphPairing.Side(service: service, latencyNanoseconds: latency, failed: span.statusCode == .error)
            let isMessaging = kind == .producer || kind == .consumer
            let outcome: ServiceGraphPairing.Outcome
            if kind == .client || kind == .producer {
                let key = ServiceGraphPairing.Key(traceID: span.traceID, spanID: span.spanID)
                outcome = pairing.addClient(key, side, peer: peer(of: span, reading), isMessaging: isMessaging, now: now)
            } else if span.parentSpanID.isValid {
                let key = ServiceGraphPairing.Key(traceID: span.traceID, spanID: span.parentSpanID)
                outcome = pairing.addServer(key, side, isMessaging: isMessaging, now: now)
            } else {
                // A root server span: nobody instrumented called it, so the caller is the
                // user (Tempo's virtual `user` node). It can never pair, so it need not wait.
                outcome = .completed(ServiceGraphPairing.Call(
                    client: NameTable.userID, server: service, connectionType: .virtualNode,
                    clientLatencyNanoseconds: latency, serverLatencyNanoseconds: latency, failed: side.failed
                ))
            }
            if case .completed(let call) = outcome { record(call, slot: slot, position: position) }
        }

        /// What a client span says about the server it calls, for when no server span
        /// comes: `peer.service`, else `db.name`, else `db.system`.
        mutating func peer(of span: SpanRow, _ reading: ArenaReading) -> ServiceGraphPairing.Peer? {
            guard span.attributes.count > 0 else { return nil }
            let (peerService, dbName, dbSystem) = reading.stringAttributes("peer.service", "db.name", "db.system", in: span.attributes, of: reading.tables.spanAttributes)
            let isDatabase = dbName != nil || dbSystem != nil
            guard let ref = peerService ?? dbName ?? dbSystem, ref.count > 0 else { return nil }
            return ServiceGraphPairing.Peer(name: names.intern(reading.name(ref)) ?? NameTable.overflowID, isDatabase: isDatabase)
        }

        mutating func record(_ call: ServiceGraphPairing.Call, slot: Int64, position: Int) {
            let counters = edgeCounters(EdgeKey(client: call.client, server: call.server, connectionType: call.connectionType))
            let serverBucket = buckets.bucket(ofNanoseconds: call.serverLatencyNanoseconds)
            if call.failed { counters.failed &+= 1 }
            counters.recordTotal(group: EdgeGroup.server, bucket: serverBucket, nanoseconds: call.serverLatencyNanoseconds)
            counters.recordTotal(group: EdgeGroup.client, bucket: buckets.bucket(ofNanoseconds: call.clientLatencyNanoseconds), nanoseconds: call.clientLatencyNanoseconds)
            counters.record(slot: slot, position: position, bucket: serverBucket, isError: call.failed)
        }

        mutating func edgeCounters(_ key: EdgeKey) -> MetricCounters {
            let hash = key.mixed
            let found = edgeIndex.find(hash) { edges[Int($0)].key == key }
            if let index = found.id { return edges[Int(index)].counters }
            guard edges.count - (overflowEdgeIndex == nil ? 0 : 1) < maxEdges else {
                overflowCalls &+= 1
                if let overflowEdgeIndex { return edges[overflowEdgeIndex].counters }
                let id = NameTable.overflowID
                edges.append(newEdge(EdgeKey(client: id, server: id, connectionType: .direct), isOverflow: true))
                overflowEdgeIndex = edges.count - 1
                return edges[edges.count - 1].counters
            }
            edgeIndex.insert(Int32(edges.count), hash: hash, slot: found.slot)
            edges.append(newEdge(key, isOverflow: false))
            return edges[edges.count - 1].counters
        }

        func newEdge(_ key: EdgeKey, isOverflow: Bool) -> EdgeEntry {
            EdgeEntry(key: key, isOverflow: isOverflow, counters: MetricCounters(slotCount: slotCount, bucketCount: buckets.count, groups: EdgeGroup.count))
        }

        // MARK: Reading windows

        /// The series `selector` matches; the overflow series only for ``SpanMetricsSelector/all``.
        func matchingSeries(_ selector: SpanMetricsSelector) -> [SeriesEntry] {
            var matching = series.filter { entry in
                if let service = selector.service, service != entry.key.service { return false }
                if let operation = selector.operation, operation != entry.key.operation { return false }
                if let kind = selector.kind, kind != entry.key.kind { return false }
                return true
            }
            if let overflowSeries, selector == .all { matching.append(overflowSeries) }
            return matching
        }

        func accumulate(_ selector: SpanMetricsSelector, slots: ClosedRange<Int64>) -> HistogramAccumulator {
            var accumulator = HistogramAccumulator(bucketCount: buckets.count)
            for entry in matchingSeries(selector) {
                entry.counters.accumulate(slots, into: &accumulator)
            }
            return accumulator
        }
    }

    /// `unknown_service`, the OpenTelemetry SDKs' default, for resources without a
    /// `service.name`: its bytes, to hash and compare like arena bytes (a static string's
    /// bytes live as long as the program).
    static var unknownServiceBytes: UnsafeRawBufferPointer {
        let name: StaticString = "unknown_service"
        return UnsafeRawBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)
    }
}
