import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
public import SpindleModel
public import SpindleStorage
import SpindleWire

extension ForwardingTraceWriter {
    /// Spans of one batch on their way to one collector.
    struct Part: Sendable {
        var collector: Int
        /// Indices into the batch, ascending.
        var spans: [Int]
        /// The collectors that already failed for these spans, and why (each once).
        var failures: [Failure]
    }

    struct Failure: Sendable {
        var collector: Int
        var reason: String
        /// Not tried in this write: it failed moments ago (`reason` is that failure).
        var skipped = false
    }

    /// What became of one POST.
    enum Attempt: Sendable {
        /// The collector stored the part (perhaps rejecting some spans in its answer).
        case delivered
        /// The collector refused the part for good (4xx).
        case rejected
        /// The part is larger than the collector takes (413): it is sent again in halves.
        case tooLarge
        /// The collector did not take it; the part goes to the next collector.
        case failed(String)
    }

    /// The most bytes of a collector's answer that are read; the rest is skipped.
    static let maxAnswerBytes = 64 << 10

    /// Forwards every span of `batch` to its trace's collector and returns once each part
    /// was stored or refused for good; throws ``StorageError`` `.unavailable` if some
    /// spans could not be delivered to any collector (see the type's guarantees).
    public func write(_ batch: SpanBatch) async throws(StorageError) {
        if batch.isEmpty { return }
        // First choices: each trace's owner, or while it is avoided the next collector
        // that is not; the owner all the same if every collector is avoided, so that a
        // write always tries.
        let tried = [Bool](repeating: false, count: collectors.count)
        let parts = split(batch, spans: 0..<batch.spanCount, tried: tried, avoiding: avoidedCollectors().avoided, orAvoided: true, failures: [])
        let undeliverable = await deliver(parts, of: batch)
        guard undeliverable.isEmpty else { throw undeliverableError(undeliverable, of: batch) }
    }

    /// `spans` (ascending) in parts by where their traces go: past the `tried`
    /// collectors, around the `avoiding` ones (see ``HashRing/target(for:tried:avoiding:orAvoided:)``).
    /// A collector must be left for every trace.
    func split(_ batch: SpanBatch, spans: some Sequence<Int>, tried: [Bool], avoiding: [Bool], orAvoided: Bool, failures: [Failure]) -> [Part] {
        let tables = batch.tables
        var byCollector = [[Int]](repeating: [], count: collectors.count)
        var lastTrace: TraceID?
        var lastTarget = 0
        for index in spans {
            let traceID = tables.spans[index].traceID
            // Spans of a trace usually come together: one ring walk per run of them.
            if traceID != lastTrace {
                guard let target = ring.target(for: traceID, tried: tried, avoiding: avoiding, orAvoided: orAvoided) else {
                    preconditionFailure("split is called only while a collector is left for every trace")
                }
                lastTrace = traceID
                lastTarget = target
            }
            byCollector[lastTarget].append(index)
        }
        var parts: [Part] = []
        for (collector, indices) in byCollector.enumerated() where !indices.isEmpty {
            var start = 0
            while start < indices.count {
                let end = min(start + maxSpansPerRequest, indices.count)
                parts.append(Part(collector: collector, spans: Array(indices[start..<end]), failures: failures))
                start = end
            }
        }
        return parts
    }

    /// Where the spans of a part go after its collector failed: split by the next
    /// collector of each trace that is neither tried nor avoided. When only avoided
    /// collectors are left (they failed moments ago), the part is undeliverable, with
    /// their last failures as the reasons: after the first choice, a write goes only to
    /// collectors that are not known to be down.
    func next(after failed: Part, of batch: SpanBatch) -> (parts: [Part], undeliverable: Part?) {
        var tried = [Bool](repeating: false, count: collectors.count)
        for failure in failed.failures { tried[failure.collector] = true }
        let (avoiding, entries) = avoidedCollectors()
        let left = collectors.indices.filter { !tried[$0] && !avoiding[$0] }
        guard left.isEmpty else {
            return (split(batch, spans: failed.spans, tried: tried, avoiding: avoiding, orAvoided: false, failures: failed.failures), nil)
        }
        var gaveUp = failed
        for collector in collectors.indices where !tried[collector] {
            gaveUp.failures.append(Failure(collector: collector, reason: "down: \(entries[collector].lastFailure ?? "failed")", skipped: true))
        }
        return ([], gaveUp)
    }

    /// Sends every part concurrently; a part that fails is split again by the next
    /// collector of each of its traces and sent on, each collector at most once.
    /// Returns the parts no collector took, with every failure.
    func deliver(_ parts: [Part], of batch: SpanBatch) async -> [Part] {
        await withTaskGroup(of: (Part, Attempt).self, returning: [Part].self) { group in
            for part in parts {
                group.addTask { (part, await self.send(part, of: batch)) }
            }
            var undeliverable: [Part] = []
            while let (part, attempt) = await group.next() {
                if case .tooLarge = attempt {
                    // Halves to the same collector, down to single spans (one span over
                    // the collector's limit is rejected there).
                    let middle = part.spans.count / 2
                    for half in [Array(part.spans[..<middle]), Array(part.spans[middle...])] {
                        let halfPart = Part(collector: part.collector, spans: half, failures: part.failures)
                        group.addTask { (halfPart, await self.send(halfPart, of: batch)) }
                    }
                    continue
                }
                guard case .failed(let reason) = attempt else { continue }
                var failed = part
                failed.failures.append(Failure(collector: part.collector, reason: reason))
                if failed.failures.count == collectors.count || Task.isCancelled {
                    undeliverable.append(failed)
                    continue
                }
                let (nextParts, gaveUp) = next(after: failed, of: batch)
                if let gaveUp { undeliverable.append(gaveUp) }
                if !nextParts.isEmpty { metrics[part.collector].retries.increment() }
                for nextPart in nextParts {
                    group.addTask { (nextPart, await self.send(nextPart, of: batch)) }
                }
            }
            return undeliverable
        }
    }

    /// One POST of `part` to its collector, and what the answer means.
    func send(_ part: Part, of batch: SpanBatch) async -> Attempt {
        let collector = part.collector
        var body = OTLPProtobuf.encodeExportRequest(batch.selecting(spansAt: part.spans))
        var request = HTTPClientRequest(url: endpoints[collector])
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-protobuf")
        // zlib counts input in 32 bits; a body that large goes as it is.
        if let minimum = gzipMinimumBytes, body.count >= minimum, body.count < Int(UInt32.max) {
            // The fastest level: spans' repeated keys and values shrink several times
            // over already, and the router's CPU is what forwarding costs.
            body = Gzip.compress(body, level: 1)
            request.headers.add(name: "Content-Encoding", value: "gzip")
        }
        request.body = .bytes(body)

        let response: HTTPClientResponse
        do {
            response = try await httpClient.execute(request, timeout: timeAmount)
        } catch {
            if Task.isCancelled { return .failed("the write was cancelled") }
            return failed(collector, reason: describe(error))
        }
        let code = Int(response.status.code)
        // A body that breaks off is read as far as it came: the status is the answer.
        let answer = (try? await Self.prefix(of: response.body, upTo: Self.maxAnswerBytes)) ?? []
        switch code {
        case 200..<300:
            delivered(part, answer: answer)
            return .delivered
        case 413 where part.spans.count > 1:
            return .tooLarge
        case 400, 413:
            // The spans' own fault (malformed, or larger than the collector takes): another
            // collector would refuse them too. Any other 4xx (401, 403, 404 from a wrong
            // port or path, 405, 415 from a proxy) says this collector cannot take spans
            // now, so it fails over like a 5xx rather than dropping them.
            recordAnswer(from: collector)
            metrics[collector].rejected.increment()
            metrics[collector].rejectedSpans.increment(by: part.spans.count)
            logger.error(
                "router: a collector refused spans for good; they are dropped, not retried",
                metadata: [
                    "collector": "\(collectors[collector])", "status": "\(code)", "spans": "\(part.spans.count)",
                    "message": "\(CollectorReply.message(from: answer))",
                ]
            )
            return .rejected
        default:
            let message = CollectorReply.message(from: answer)
            return failed(collector, reason: message.isEmpty ? "HTTP \(code)" : "HTTP \(code): \(message)")
        }
    }

    private func delivered(_ part: Part, answer: [UInt8]) {
        let collector = part.collector
        recordAnswer(from: collector)
        metrics[collector].delivered.increment()
        var rejected = 0
        if !answer.isEmpty {
            do {
                let response = try OTLPProtobuf.decodeExportResponse(answer)
                // The count is the collector's word; it cannot exceed what was sent.
                rejected = Int(min(max(response.rejectedSpans, 0), Int64(part.spans.count)))
                if response.isPartialSuccess {
                    logger.warning(
                        "router: a collector rejected some spans; they are dropped, not retried",
                        metadata: [
                            "collector": "\(collectors[collector])", "rejected": "\(rejected)", "spans": "\(part.spans.count)",
                            "message": "\(CollectorReply.shortened(response.errorMessage))",
                        ]
                    )
                }
            } catch {
                logger.warning(
                    "router: a collector's 200 answer is not an ExportTraceServiceResponse; its spans are counted as forwarded",
                    metadata: ["collector": "\(collectors[collector])", "error": "\(error)"]
                )
            }
        }
        metrics[collector].forwardedSpans.increment(by: part.spans.count - rejected)
        if rejected > 0 { metrics[collector].rejectedSpans.increment(by: rejected) }
    }

    private func failed(_ collector: Int, reason: String) -> Attempt {
        metrics[collector].failed.increment()
        recordFailure(of: collector, reason: reason)
        return .failed(reason)
    }

    /// The error for spans no collector took: counted, logged, and naming every
    /// collector tried with its last reason, in the order the collectors were given.
    private func undeliverableError(_ parts: [Part], of batch: SpanBatch) -> StorageError {
        let tables = batch.tables
        var spanCount = 0
        var traces: Set<TraceID> = []
        var reasons: [Int: String] = [:]
        for part in parts {
            spanCount += part.spans.count
            for index in part.spans { traces.insert(tables.spans[index].traceID) }
            // What happened in this write wins over an earlier failure's reason.
            for failure in part.failures where !failure.skipped || reasons[failure.collector] == nil {
                reasons[failure.collector] = failure.reason
            }
        }
        metrics.undeliverableSpans.increment(by: spanCount)
        let tried = reasons.keys.sorted().map { "\(collectors[$0]) (\(reasons[$0] ?? ""))" }.joined(separator: "; ")
        let message = "the router could not deliver \(spanCount) spans of \(traces.count) traces to any collector; tried \(tried)"
        logger.error("router: spans are undeliverable; the client is told to retry", metadata: ["spans": "\(spanCount)", "traces": "\(traces.count)", "tried": "\(tried)"])
        return StorageError(.unavailable, message)
    }

    private func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .writeTimeout: return "no answer within \(timeout)"
            case .connectTimeout: return "cannot connect: timed out"
            default: break
            }
        }
        if let error = error as? IOError {
            return "cannot reach it: " + String(cString: strerror(error.errnoCode))
        }
        return "cannot reach it: " + CollectorReply.shortened(String(describing: error))
    }

    private var timeAmount: TimeAmount {
        let (seconds, attoseconds) = timeout.components
        // The initializer keeps the timeout within a day, so this cannot overflow.
        return .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    /// The first `limit` bytes of `body`; the rest is read and dropped, so the
    /// connection can be reused.
    private static func prefix(of body: HTTPClientResponse.Body, upTo limit: Int) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        for try await chunk in body {
            let room = limit - bytes.count
            if room > 0 { bytes += chunk.readableBytesView.prefix(room) }
        }
        return bytes
    }
}
