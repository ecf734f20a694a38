@testable import Spindle
import SpindleModel
import Synchronization
import Testing

@Suite struct ExportSupportTests {
    static let policy = ExportRetryPolicy(
        maxAttempts: 5, initialBackoff: .seconds(1), maxBackoff: .seconds(5), exportTimeout: .seconds(30)
    )

    @Test func retryPolicy_decidesByStatus() {
        let policy = Self.policy
        #expect(policy.decide(.success, attempt: 1, elapsed: .zero, jitter: 0.5) == .succeed)
        #expect(policy.decide(.status(400, retryAfter: nil, message: "bad"), attempt: 1, elapsed: .zero, jitter: 0.5) == .fail(.rejected("HTTP 400: bad")))
        #expect(policy.decide(.status(413, retryAfter: nil, message: ""), attempt: 1, elapsed: .zero, jitter: 0.5) == .fail(.rejected("HTTP 413")))
        #expect(policy.decide(.status(500, retryAfter: nil, message: ""), attempt: 1, elapsed: .zero, jitter: 0.5) == .fail(.failed("HTTP 500")))
        for code in [429, 502, 503, 504] {
            #expect(policy.decide(.status(code, retryAfter: nil, message: ""), attempt: 1, elapsed: .zero, jitter: 0.5) == .retry(after: .seconds(1)))
        }
        #expect(policy.decide(.status(503, retryAfter: .seconds(7), message: ""), attempt: 2, elapsed: .zero, jitter: 0.5) == .retry(after: .seconds(7)))
        #expect(policy.decide(.transportError("refused"), attempt: 3, elapsed: .zero, jitter: 0.5) == .retry(after: .seconds(4)))
        #expect(policy.decide(.transportError("refused"), attempt: 5, elapsed: .zero, jitter: 0.5) == .fail(.failed("refused (gave up after 5 attempts)")))
        #expect(policy.decide(.status(503, retryAfter: .seconds(20), message: ""), attempt: 1, elapsed: .seconds(15), jitter: 0.5)
            == .fail(.failed("HTTP 503 (a retry in 20.0 seconds would pass the export timeout of 30.0 seconds)")))
    }

    @Test func backoff_doublesUpToTheMaximum_withJitter() {
        let policy = Self.policy
        #expect((1...5).map { policy.backoff(attempt: $0, jitter: 0.5) } == [.seconds(1), .seconds(2), .seconds(4), .seconds(5), .seconds(5)])
        #expect(policy.backoff(attempt: 1, jitter: 0) == .milliseconds(800))
        let largest = policy.backoff(attempt: 2, jitter: 1)
        #expect(largest > .milliseconds(2399) && largest < .milliseconds(2401))
    }

    @Test func retryAfter_parsesSecondsAndHTTPDates() {
        #expect(RetryAfter.delay("120", nowUnixSeconds: 0) == .seconds(120))
        #expect(RetryAfter.delay(" 3 ", nowUnixSeconds: 0) == .seconds(3))
        // 784111777 is Sun, 06 Nov 1994 08:49:37 GMT (RFC 9110's example).
        #expect(RetryAfter.unixSeconds(imfFixdate: "Sun, 06 Nov 1994 08:49:37 GMT") == 784_111_777)
        #expect(RetryAfter.delay("Sun, 06 Nov 1994 08:49:37 GMT", nowUnixSeconds: 784_111_770) == .seconds(7))
        #expect(RetryAfter.delay("Sun, 06 Nov 1994 08:49:37 GMT", nowUnixSeconds: 784_111_800) == .zero)
        #expect(RetryAfter.delay("-1", nowUnixSeconds: 0) == nil)
        #expect(RetryAfter.delay("soon", nowUnixSeconds: 0) == nil)
        #expect(RetryAfter.delay("Sun, 06 Nov 1994 25:49:37 GMT", nowUnixSeconds: 0) == nil)
    }

    @Test func rpcStatusMessage_isReadTotally() {
        let message = Array("bad".utf8)
        #expect(RPCStatusMessage.decode([0x08, 0x03, 0x12, 0x03] + message) == "bad")
        #expect(RPCStatusMessage.decode([0x08, 0x03]) == nil)
        #expect(RPCStatusMessage.decode([0x12, 0x09, 0x61]) == nil)  // length past the end
        #expect(RPCStatusMessage.decode([0x08]) == nil)  // truncated varint
        #expect(RPCStatusMessage.decode([0x12, 0x01, 0xFF]) == nil)  // not UTF-8
    }

    @Test func consoleExporter_writesOneLinePerSpan() async throws {
        let lines = Mutex<[String]>([])
        let exporter = ConsoleSpanExporter { text in lines.withLock { $0.append(text) } }
        var span = EncoderFixture.spans[0]
        span.attributes = [Attribute("http.method", "GET"), Attribute("n", 3), Attribute("list", .array([1, "a"]))]
        try await exporter.export([span, EncoderFixture.spans[2]])
        #expect(lines.withLock { $0 } == [
            "2023-11-14T22:13:20.123456Z checkout 0102030405060708090a0b0c0d0e0f10 a1a2a3a4a5a6a7a8 server \"GET /cart\" 100.000ms error:\"card declined\" http.method=\"GET\" n=3 list=[1,\"a\"] events=2 links=2\n"
                + "1970-01-01T00:00:00.000000Z payments 0102030405060708090a0b0c0d0e0f10 00000000000000f3 client \"charge\" 0.000ms ok\n",
        ])
        await exporter.shutdown()
        await #expect(throws: ExportError.shutDown) { try await exporter.export([span]) }
    }

    @Test func utcTimestamp_handlesLeapYears() {
        // 2024-02-29T23:59:59.999999Z
        #expect(UTCTimestamp.string(unixNano: 1_709_251_199_999_999_000) == "2024-02-29T23:59:59.999999Z")
    }
}
