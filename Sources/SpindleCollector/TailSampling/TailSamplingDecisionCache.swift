import SpindleModel

/// The most recent decisions, trace ID → kept, so that spans arriving after their trace
/// was decided follow the decision. First in, first out: when full, recording a new trace
/// forgets the one decided longest ago. A trace decided again (its late spans came after
/// it was forgotten) keeps its place and takes the new decision.
struct TailSamplingDecisionCache: Sendable {
    let capacity: Int
    private var decisions: [TraceID: Bool] = [:]
    /// Trace IDs in the order first recorded: a ring once `capacity` is reached.
    private var order: [TraceID] = []
    private var oldest = 0

    init(capacity: Int) {
        self.capacity = max(0, capacity)
    }

    var count: Int { decisions.count }

    /// true: kept; false: dropped; nil: not remembered.
    func decision(for traceID: TraceID) -> Bool? { decisions[traceID] }

    mutating func record(_ traceID: TraceID, kept: Bool) {
        guard capacity > 0 else { return }
        if decisions.updateValue(kept, forKey: traceID) != nil { return }
        if order.count < capacity {
            order.append(traceID)
            return
        }
        decisions[order[oldest]] = nil
        order[oldest] = traceID
        oldest = (oldest + 1) % capacity
    }
}
