import GRPCCore
import Spindle
import Testing

@testable import SpindleOTLPGRPC

/// How failed calls count for the retry policy, without a network.
@Suite struct OTLPGRPCExporterFailuresTests {
    /// `google.rpc.Status { code: 8, message: "slow down", details: [RetryInfo { retry_delay: 2.5 s }] }`,
    /// serialized by the official Python classes.
    static let statusWithRetryInfo = bytes(
        "08081209736c6f7720646f776e1a360a28747970652e676f6f676c65617069732e636f6d2f676f6f676c652e7270632e5265747279496e666f120a0a0808021080cab5ee01"
    )
    /// The same with a `google.rpc.DebugInfo` detail before the `RetryInfo`.
    static let statusWithDebugInfoFirst = bytes(
        "08081209736c6f7720646f776e1a2f0a28747970652e676f6f676c65617069732e636f6d2f676f6f676c652e7270632e4465627567496e666f12031201781a360a28747970652e676f6f676c65617069732e636f6d2f676f6f676c652e7270632e5265747279496e666f120a0a0808021080cab5ee01"
    )
    /// `google.rpc.RetryInfo { retry_delay: 2.5 s }` alone.
    static let retryInfo = bytes("0a0808021080cab5ee01")
    /// `google.rpc.RetryInfo { retry_delay: -1 s }`.
    static let negativeRetryInfo = bytes("0a0b08ffffffffffffffffff01")

    @Test func theSpecificationsRetryableCodes_areRetriedWithBackoff() {
        for code in [RPCError.Code.cancelled, .deadlineExceeded, .aborted, .outOfRange, .unavailable, .dataLoss] {
            #expect(OTLPGRPCExporter.outcome(of: RPCError(code: code, message: "m")).isRetryable(after: nil), "\(code)")
        }
        #expect(OTLPGRPCExporter.outcome(of: RPCError(code: .unavailable, message: "down")) == .retryable("gRPC UNAVAILABLE: down", retryAfter: nil))
        #expect(OTLPGRPCExporter.outcome(of: RPCError(code: .unavailable, message: "")) == .retryable("gRPC UNAVAILABLE", retryAfter: nil))
    }

    @Test func resourceExhausted_isRetryableOnlyWithRetryInfo() {
        #expect(OTLPGRPCExporter.outcome(of: RPCError(code: .resourceExhausted, message: "quota")) == .rejected("gRPC RESOURCE_EXHAUSTED: quota"))
        var trailers = Metadata()
        trailers.addBinary(Self.statusWithRetryInfo, forKey: "grpc-status-details-bin")
        #expect(
            OTLPGRPCExporter.outcome(of: RPCError(code: .resourceExhausted, message: "slow down", metadata: trailers))
                == .retryable("gRPC RESOURCE_EXHAUSTED: slow down", retryAfter: .milliseconds(2500))
        )
    }

    @Test func everyOtherCode_isRejected() {
        let others: [RPCError.Code] = [
            .unknown, .invalidArgument, .notFound, .alreadyExists, .permissionDenied, .failedPrecondition,
            .unimplemented, .internalError, .unauthenticated,
        ]
        for code in others {
            guard case .rejected = OTLPGRPCExporter.outcome(of: RPCError(code: code, message: "m")) else {
                Issue.record("\(code) is not rejected")
                continue
            }
        }
        #expect(OTLPGRPCExporter.outcome(of: RPCError(code: .invalidArgument, message: "bad span")) == .rejected("gRPC INVALID_ARGUMENT: bad span"))
    }

    @Test func retryInfo_isReadFromEitherTrailer() {
        var details = Metadata()
        details.addBinary(Self.statusWithDebugInfoFirst, forKey: "grpc-status-details-bin")
        #expect(OTLPGRPCExporter.retryDelay(details) == .milliseconds(2500))
        var alone = Metadata()
        alone.addBinary(Self.retryInfo, forKey: "google.rpc.retryinfo-bin")
        #expect(OTLPGRPCExporter.retryDelay(alone) == .milliseconds(2500))
        #expect(OTLPGRPCExporter.retryDelay(Metadata()) == nil)
    }

    @Test func malformedRetryInfo_isIgnored() {
        var negative = Metadata()
        negative.addBinary(Self.negativeRetryInfo, forKey: "google.rpc.retryinfo-bin")
        #expect(OTLPGRPCExporter.retryDelay(negative) == nil)
        var truncated = Metadata()
        truncated.addBinary(Array(Self.statusWithRetryInfo.dropLast(3)), forKey: "grpc-status-details-bin")
        #expect(OTLPGRPCExporter.retryDelay(truncated) == nil)
        var garbage = Metadata()
        garbage.addBinary([0xFF, 0xFF, 0xFF], forKey: "grpc-status-details-bin")
        #expect(OTLPGRPCExporter.retryDelay(garbage) == nil)
    }

    @Test func thePolicy_waitsTheAskedDelay_andFailsARejectedCallAtOnce() {
        let policy = ExportRetryPolicy(maxAttempts: 5, initialBackoff: .seconds(1), maxBackoff: .seconds(5), exportTimeout: .seconds(10))
        #expect(policy.decide(.retryable("gRPC UNAVAILABLE", retryAfter: .seconds(3)), attempt: 1, elapsed: .zero, jitter: 0.5) == .retry(after: .seconds(3)))
        #expect(policy.decide(.retryable("gRPC UNAVAILABLE", retryAfter: nil), attempt: 2, elapsed: .zero, jitter: 0.5) == .retry(after: .seconds(2)))
        #expect(
            policy.decide(.retryable("gRPC UNAVAILABLE", retryAfter: nil), attempt: 5, elapsed: .zero, jitter: 0.5)
                == .fail(.failed("gRPC UNAVAILABLE (gave up after 5 attempts)"))
        )
        #expect(
            policy.decide(.retryable("gRPC ABORTED", retryAfter: .seconds(4)), attempt: 1, elapsed: .seconds(7), jitter: 0.5)
                == .fail(.failed("gRPC ABORTED (a retry in 4.0 seconds would pass the export timeout of 10.0 seconds)"))
        )
        #expect(policy.decide(.rejected("gRPC INVALID_ARGUMENT: bad"), attempt: 1, elapsed: .zero, jitter: 0.5) == .fail(.rejected("gRPC INVALID_ARGUMENT: bad")))
    }

    private static func bytes(_ hex: String) -> [UInt8] {
        var result: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            result.append(UInt8(hex[index..<next], radix: 16) ?? 0)
            index = next
        }
        return result
    }
}

extension ExportRetryPolicy.Outcome {
    fileprivate func isRetryable(after delay: Duration?) -> Bool {
        guard case .retryable(_, let retryAfter) = self else { return false }
        return retryAfter == delay
    }
}
