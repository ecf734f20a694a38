import SpindleModel
import Testing
@testable import SpindleCollector

@Suite struct IngestQueueTests {
    typealias Queue = IngestQueue<String>

    private func write(_ step: Queue.Step) throws -> Queue.Write {
        guard case .write(let write) = step else {
            Issue.record("expected a write, got \(step)")
            throw CancellationError()
        }
        return write
    }

    @Test func admission_allowsUpToTheBound_andRefusesPastIt() {
        var queue = Queue(maxBytesInFlight: 100, maxSpansPerWrite: 10)
        #expect(queue.admit(byteCount: 60) == .admitted)
        #expect(queue.admit(byteCount: 40) == .admitted)
        #expect(queue.admit(byteCount: 1) == .overloaded)
        #expect(queue.admit(byteCount: .max) == .overloaded)
        #expect(queue.bytesInFlight == 100)
    }

    @Test func admission_alwaysAdmitsWhenNothingIsInFlight() {
        var queue = Queue(maxBytesInFlight: 100, maxSpansPerWrite: 10)
        #expect(queue.admit(byteCount: 1_000_000) == .admitted)
        #expect(queue.admit(byteCount: 0) == .overloaded)
        queue.withdraw(byteCount: 1_000_000)
        #expect(queue.bytesInFlight == 0)
        #expect(queue.admit(byteCount: 0) == .admitted)
    }

    @Test func writes_mergeQueuedRequestsInOrder_upToMaxSpansPerWrite_andCutLargeOnes() throws {
        var queue = Queue(maxBytesInFlight: 1000, maxSpansPerWrite: 3)
        for (name, count) in [("a", 1), ("b", 2), ("c", 4)] {
            #expect(queue.admit(byteCount: 10) == .admitted)
            queue.enqueue(batch(spans(name, count: count)), byteCount: 10, waiter: name)
        }
        #expect(queue.queuedRequestCount == 3)
        let first = try write(queue.nextStep())
        #expect(first.batches.map(\.spanCount) == [1, 2])
        #expect(queue.finished(first, failure: nil).map(\.waiter) == ["a", "b"])
        #expect(queue.bytesInFlight == 10)

        // "c" is cut into 3 + 1 spans and completes with its last part.
        let second = try write(queue.nextStep())
        #expect(second.batches.flatMap(\.spans).map(\.name) == ["c-0", "c-1", "c-2"])
        #expect(queue.finished(second, failure: .internalError("x")).isEmpty)
        let third = try write(queue.nextStep())
        #expect(third.batches.flatMap(\.spans).map(\.name) == ["c-3"])
        let completions = queue.finished(third, failure: nil)
        #expect(completions.map(\.waiter) == ["c"])
        guard case .failure(let error)? = completions.first?.result else {
            Issue.record("a request with a failed part fails")
            return
        }
        #expect(error == .internalError("x"))
        #expect(queue.bytesInFlight == 0)
        #expect(queue.queuedRequestCount == 0)
        guard case .wait = queue.nextStep() else {
            Issue.record("an idle queue waits")
            return
        }
    }

    @Test func shutdown_refusesNewRequests_andFinishesOnlyWhenDrained() throws {
        var queue = Queue(maxBytesInFlight: 1000, maxSpansPerWrite: 10)
        #expect(queue.admit(byteCount: 10) == .admitted)
        #expect(queue.admit(byteCount: 10) == .admitted)
        queue.shutdown()
        #expect(queue.admit(byteCount: 10) == .shuttingDown)
        // Two requests admitted but not yet queued: wait for them.
        #expect(queue.hasWork == false)
        queue.enqueue(batch(spans("a", count: 1)), byteCount: 10, waiter: "a")
        #expect(queue.hasWork)
        let write = try write(queue.nextStep())
        #expect(queue.finished(write, failure: nil).map(\.waiter) == ["a"])
        guard case .wait = queue.nextStep() else {
            Issue.record("one admitted request is still being validated")
            return
        }
        queue.withdraw(byteCount: 10)
        #expect(queue.hasWork)
        guard case .finish = queue.nextStep() else {
            Issue.record("a drained queue finishes")
            return
        }
    }
}
