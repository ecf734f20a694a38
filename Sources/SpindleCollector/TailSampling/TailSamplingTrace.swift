import SpindleModel

/// Some spans of one buffered trace: their indices in one offered batch, read in place.
///
/// Buffering copies nothing: most traces are dropped, so only kept ones are ever copied
/// (once, into the batch returned to write). The offered batch stays alive while any of
/// its traces is buffered, and ``TailSamplingBuffer`` counts its bytes until then.
struct TailSamplingPiece: Sendable {
    /// Which offered batch (see ``TailSamplingBuffer``).
    let source: UInt64
    let batch: SpanBatch
    /// Ascending indices into `batch`'s spans.
    let indices: [Int]
}

/// The spans of one buffered trace, as pieces of the batches they arrived in.
struct TailSamplingTrace {
    var pieces: [TailSamplingPiece] = []
    var spanCount = 0
    /// Its own bytes, apart from the batches it shares (see ``overheadBytes``).
    var ownBytes = TailSamplingTrace.overheadBytes
    /// When the trace is due: its first span's arrival plus the decision wait.
    let deadline: Duration
    /// Arrival order among buffered traces (see ``TailSamplingBuffer``).
    let sequence: UInt64

    init(deadline: Duration, sequence: UInt64) {
        self.deadline = deadline
        self.sequence = sequence
    }

    /// A guess at what buffering one trace costs apart from its batches: its entries in
    /// the buffer's dictionary and arrival queue, and its pieces array.
    static let overheadBytes = 160
    /// A piece's own bytes apart from its indices: its slot in the pieces array and the
    /// indices array's header.
    static let pieceOverheadBytes = 64

    mutating func append(_ piece: TailSamplingPiece) {
        pieces.append(piece)
        spanCount += piece.indices.count
        ownBytes += Self.pieceOverheadBytes + piece.indices.count * MemoryLayout<Int>.stride
    }

    /// The bytes a batch holds: its arena and the rows of every table, plus a small
    /// overhead per array.
    static func approximateBytes(of batch: SpanBatch) -> Int {
        let tables = batch.tables
        let attributeRows = tables.resourceAttributes.count + tables.scopeAttributes.count + tables.spanAttributes.count
            + tables.eventAttributes.count + tables.linkAttributes.count + tables.nestedAttributes.count
        var bytes = tables.arena.count
        bytes += tables.resources.count * MemoryLayout<ResourceRow>.stride
        bytes += tables.scopes.count * MemoryLayout<ScopeRow>.stride
        bytes += tables.spans.count * MemoryLayout<SpanRow>.stride
        bytes += tables.events.count * MemoryLayout<EventRow>.stride
        bytes += tables.links.count * MemoryLayout<LinkRow>.stride
        bytes += attributeRows * MemoryLayout<AttributeSlot>.stride
        bytes += tables.nestedValues.count * MemoryLayout<ValueSlot>.stride
        // 13 arrays with a heap header each, and the batch's storage object.
        return bytes + 14 * 32
    }
}

// MARK: - Reading a trace's spans in place

extension TailSamplingTrace {
    var hasErrorSpan: Bool {
        for piece in pieces {
            let spans = piece.batch.tables.spans
            for index in piece.indices where spans[index].statusCode == .error { return true }
        }
        return false
    }

    /// The latest span end minus the earliest span start, in nanoseconds (0 when the trace
    /// has no spans or ends before it starts).
    var durationNanoseconds: UInt64 {
        var earliestStart = UInt64.max
        var latestEnd = UInt64.min
        for piece in pieces {
            let spans = piece.batch.tables.spans
            for index in piece.indices {
                earliestStart = min(earliestStart, spans[index].startTimeUnixNano)
                latestEnd = max(latestEnd, spans[index].endTimeUnixNano)
            }
        }
        return latestEnd > earliestStart ? latestEnd - earliestStart : 0
    }

    /// True when a span of `service` (any service when nil) named `operation` (any name
    /// when nil) lasts at least `thresholdNanoseconds`.
    func hasSlowSpan(thresholdNanoseconds: UInt64, service: String?, operation: String?) -> Bool {
        for piece in pieces {
            let tables = piece.batch.tables
            for index in piece.indices {
                let row = tables.spans[index]
                let duration = row.endTimeUnixNano >= row.startTimeUnixNano ? row.endTimeUnixNano - row.startTimeUnixNano : 0
                guard duration >= thresholdNanoseconds else { continue }
                if let operation, !tables.equals(row.name, operation) { continue }
                if let service {
                    let resourceIndex = Int(tables.scopes[Int(row.scopeIndex)].resourceIndex)
                    guard let name = tables.tailSamplingServiceName(ofResourceAt: resourceIndex), tables.equals(name, service) else { continue }
                }
                return true
            }
        }
        return false
    }

    func matches(_ condition: TailSamplingConditionMatcher) -> Bool {
        for piece in pieces {
            let tables = piece.batch.tables
            var lastResource = -1
            for index in piece.indices {
                let row = tables.spans[index]
                if condition.searchesSpans, condition.matches(row.attributes, of: tables.spanAttributes, in: tables) {
                    return true
                }
                // Spans of one resource are contiguous: test each resource once per run.
                let resourceIndex = Int(tables.scopes[Int(row.scopeIndex)].resourceIndex)
                if condition.searchesResources, resourceIndex != lastResource {
                    lastResource = resourceIndex
                    if condition.matches(tables.resources[resourceIndex].attributes, of: tables.resourceAttributes, in: tables) {
                        return true
                    }
                }
            }
        }
        return false
    }

    /// The `service.name` of the root span's resource; without a root span in the buffer,
    /// of the earliest-starting span's; "" when that resource names no service.
    var rootServiceName: String {
        var best: (piece: Int, scopeIndex: Int, start: UInt64, isRoot: Bool)?
        for (pieceIndex, piece) in pieces.enumerated() {
            let spans = piece.batch.tables.spans
            for index in piece.indices {
                let row = spans[index]
                let isRoot = !row.parentSpanID.isValid
                if let current = best {
                    let better = (isRoot && !current.isRoot) || (isRoot == current.isRoot && row.startTimeUnixNano < current.start)
                    if !better { continue }
                }
                best = (pieceIndex, Int(row.scopeIndex), row.startTimeUnixNano, isRoot)
            }
        }
        guard let best else { return "" }
        let tables = pieces[best.piece].batch.tables
        let resourceIndex = Int(tables.scopes[best.scopeIndex].resourceIndex)
        return tables.tailSamplingServiceName(ofResourceAt: resourceIndex).map { tables.string($0) } ?? ""
    }
}

fileprivate extension SpanTables {
    /// The arena bytes of the first string `service.name` attribute of a resource.
    func tailSamplingServiceName(ofResourceAt index: Int) -> ByteRef? {
        for attributeIndex in resources[index].attributes.indices {
            let slot = resourceAttributes[attributeIndex]
            if slot.value.kind == .string, equals(slot.key, "service.name") { return slot.value.byteRef }
        }
        return nil
    }
}
