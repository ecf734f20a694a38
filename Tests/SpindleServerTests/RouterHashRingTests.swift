import Metrics
import SpindleModel
import SpindleStorage
import SpindleTesting
import Testing

@testable import SpindleServer

/// The router's ring, health state machine, answer reading and settings, without I/O.
@Suite struct RouterHashRingTests {
    static let urls = (1...4).map { "http://10.0.0.\($0):4318" }

    /// 10,000 trace IDs from a fixed seed: the same on every run.
    static let traceIDs: [TraceID] = {
        var random = SplitMix64(seed: 2026)
        return (0..<10_000).map { _ in TraceID(high: random.next(), low: random.next()) }
    }()

    @Test func addingACollector_movesAboutOneNthOfTheTraces_allToTheNewCollector() {
        let before = HashRing(members: Array(Self.urls.prefix(3)), virtualNodes: 160)
        let after = HashRing(members: Self.urls, virtualNodes: 160)
        var moved = 0
        for id in Self.traceIDs where before.owner(of: id) != after.owner(of: id) {
            moved += 1
            // Exact: a trace moves only into an arc the new collector's points took.
            #expect(after.owner(of: id) == 3, "trace \(id) moved between old collectors")
        }
        let fraction = Double(moved) / Double(Self.traceIDs.count)
        // What moves is exactly the new collector's share of the ring; a sample of n IDs
        // hits it within 4 binomial standard deviations.
        let share = after.share(of: 3)
        let tolerance = 4 * (share * (1 - share) / Double(Self.traceIDs.count)).squareRoot()
        #expect(abs(fraction - share) <= tolerance, "moved \(fraction), the new collector's share is \(share)")
        // And that share is about 1/4: with 160 points a collector's share has a relative
        // standard deviation of about 1/sqrt(160) ≈ 8 %, so 3 of them bound it at ±25 %.
        #expect(share >= 0.25 * 0.75 && share <= 0.25 * 1.25, "share \(share)")
        #expect(fraction >= 0.25 * 0.75 && fraction <= 0.25 * 1.25, "moved \(fraction)")
    }

    @Test func removingACollector_movesOnlyItsTraces_toTheirNextCollectorOnTheRing() {
        let all = HashRing(members: Self.urls, virtualNodes: 160)
        let withoutSecond = HashRing(members: [Self.urls[0], Self.urls[2], Self.urls[3]], virtualNodes: 160)
        let indexWithoutSecond = [0, 2, 3]
        let tried = [false, true, false, false]
        let none = [Bool](repeating: false, count: 4)
        for id in Self.traceIDs {
            let owner = all.owner(of: id)
            let successor = all.target(for: id, tried: tried, avoiding: none)
            // Failing over past collector 1 is the same as removing it from the ring.
            #expect(successor == indexWithoutSecond[withoutSecond.owner(of: id)])
            if owner != 1 { #expect(successor == owner) }
            #expect(all.preferenceList(for: id).first == owner)
        }
    }

    @Test func eachCollector_ownsAboutItsShare_andTheOrderOfTheListDoesNotMatter() {
        let ring = HashRing(members: Array(Self.urls.prefix(3)), virtualNodes: 160)
        let reversed = HashRing(members: Array(Self.urls.prefix(3).reversed()), virtualNodes: 160)
        var counts = [0, 0, 0]
        for id in Self.traceIDs {
            let owner = ring.owner(of: id)
            counts[owner] += 1
            #expect(2 - reversed.owner(of: id) == owner)
        }
        for count in counts {
            #expect(count >= Self.traceIDs.count / 3 * 3 / 4 && count <= Self.traceIDs.count / 3 * 5 / 4, "\(counts)")
        }
        #expect(counts.reduce(0, +) == Self.traceIDs.count)
        let shares = (0..<3).map { ring.share(of: $0) }
        #expect(abs(shares.reduce(0, +) - 1) < 1e-9)
    }

    @Test func aPreferenceList_namesEveryCollectorOnce() {
        let ring = HashRing(members: Self.urls, virtualNodes: 7)
        for id in Self.traceIDs.prefix(500) {
            #expect(ring.preferenceList(for: id).sorted() == [0, 1, 2, 3])
        }
        let avoidAllButLast = [true, true, true, false]
        let noneTried = [false, false, false, false]
        let triedAllButFirst = [false, true, true, true]
        for id in Self.traceIDs.prefix(500) {
            #expect(ring.target(for: id, tried: noneTried, avoiding: avoidAllButLast) == 3)
            // Avoided collectors are still tried when nothing else is left.
            #expect(ring.target(for: id, tried: triedAllButFirst, avoiding: avoidAllButLast) == 0)
            #expect(ring.target(for: id, tried: [true, true, true, true], avoiding: noneTried) == nil)
        }
    }

    /// The hashes are the routing contract of a fleet: routers of different versions
    /// must agree on them, so they are pinned.
    @Test func theHashes_arePinned() {
        // FNV-1a 64 then fmix64, checked against an independent implementation.
        #expect(HashRing.hash("") == 0xefd0_1f60_ba99_2926)
        #expect(HashRing.hash("http://127.0.0.1:4318#0") == 0xed91_ba04_2dcc_46d7)
        #expect(HashRing.hash(TraceID(high: 0x0102_0304_0506_0708, low: 0x090a_0b0c_0d0e_0f10)) == 0xcb39_fa7a_3a8c_c705)
        let ring = HashRing(members: Self.urls, virtualNodes: 160)
        #expect(Self.traceIDs.prefix(8).map { ring.owner(of: $0) } == [0, 0, 0, 0, 2, 1, 3, 3])
    }

    @Test func aSingleCollector_ownsEverything() {
        let ring = HashRing(members: ["http://a:4318"], virtualNodes: 1)
        #expect(Self.traceIDs.allSatisfy { ring.owner(of: $0) == 0 })
        #expect(ring.share(of: 0) == 1)
    }

    // MARK: Health

    @Test func aFailedCollector_isDown_avoidedForTheInterval_andUpWhenItAnswers() {
        var health = CollectorHealth(collectorCount: 2, retryInterval: .seconds(2))
        #expect(health.avoided(at: .zero) == [false, false])
        #expect(health.failed(1, reason: "HTTP 503", at: .seconds(10)) == .wentDown(reason: "HTTP 503"))
        #expect(health.failed(1, reason: "refused", at: .seconds(11)) == nil)
        #expect(health.entries[1] == CollectorHealth.Entry(isUp: false, lastFailureAt: .seconds(11), lastFailure: "refused"))
        #expect(health.avoided(at: .milliseconds(12_999)) == [false, true])
        #expect(health.avoided(at: .seconds(13)) == [false, false])
        #expect(health.answered(0) == nil)
        #expect(health.answered(1) == .cameUp)
        #expect(health.avoided(at: .seconds(11)) == [false, false])
        #expect(health.entries[1].isUp)
    }

    // MARK: Answers

    @Test func anErrorAnswer_givesTheStatusMessage_orPrintableText_orABriefNote() {
        let status: [UInt8] = [0x08, 0x0e, 0x12, 0x05] + Array("gone!".utf8)
        #expect(CollectorReply.message(from: status) == "gone!")
        #expect(CollectorReply.message(from: Array("<html>\n<b>502 Bad Gateway</b>\n</html>".utf8)) == "<html> <b>502 Bad Gateway</b> </html>")
        #expect(CollectorReply.message(from: [0x12, 0x7f, 0x00]) == "(3 bytes that are not text)")
        #expect(CollectorReply.message(from: [0xff, 0xfe, 0x01]) == "(3 bytes that are not text)")
        #expect(CollectorReply.message(from: []) == "")
        let long = CollectorReply.message(from: Array(String(repeating: "é", count: 10_000).utf8))
        #expect(long == String(repeating: "é", count: CollectorReply.maxMessageCharacters) + "…")
    }

    // MARK: Settings

    @Test(arguments: [
        ([], "at least one collector"),
        (["http://a:4318", "http://a:4318/"], "given twice"),
        (["ftp://a:4318"], "is not a collector's OTLP/HTTP base URL"),
        (["a:4318"], "is not a collector's OTLP/HTTP base URL"),
        (["http://"], "is not a collector's OTLP/HTTP base URL"),
        (["http://a:4318/v1/traces"], "without /v1/traces"),
    ] as [([String], String)])
    func badCollectorLists_areRefusedWithTheReason(urls: [String], reason: String) {
        #expect {
            _ = try ForwardingTraceWriter(collectors: urls, httpClient: ForwardingTraceWriter.sharedHTTPClient, metrics: NOOPMetricsHandler.instance)
        } throws: { error in
            guard let error = error as? SpindleServerError else { return false }
            return error.code == .invalidConfiguration && error.message.contains(reason)
        }
    }

    @Test func collectorURLs_loseTrailingSlashes_andKeepTheirOrder() throws {
        let router = try ForwardingTraceWriter(
            collectors: ["http://b:4318/", " http://a:4318"], httpClient: ForwardingTraceWriter.sharedHTTPClient, metrics: NOOPMetricsHandler.instance
        )
        #expect(router.collectors == ["http://b:4318", "http://a:4318"])
        #expect(router.endpoints == ["http://b:4318/v1/traces", "http://a:4318/v1/traces"])
        #expect(router.status == [
            .init(url: "http://b:4318", isUp: true, lastFailure: nil),
            .init(url: "http://a:4318", isUp: true, lastFailure: nil),
        ])
    }
}
