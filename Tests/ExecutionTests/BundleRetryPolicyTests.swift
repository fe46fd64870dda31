import Testing
@testable import Execution

@Suite struct BundleRetryPolicyTests {
    @Test func batchGetsFourAttemptsAndStreamingRetriesUnlessTold() {
        #expect(BundleRetryPolicy().attempts(streaming: false) == 4)
        #expect(BundleRetryPolicy().attempts(streaming: true) == nil)
        #expect(BundleRetryPolicy().attempts(streaming: true, scripted: true) == 4)
        #expect(BundleRetryPolicy(maxAttempts: 9).attempts(streaming: true, scripted: true) == 9)
        #expect(BundleRetryPolicy(maxAttempts: 2).attempts(streaming: true) == 2)
        #expect(BundleRetryPolicy(maxAttempts: 0).attempts(streaming: false) == 1)
    }

    @Test func backoffDoublesUpToItsCap() {
        let policy = BundleRetryPolicy(firstBackoff: .milliseconds(500), maxBackoff: .seconds(30))
        #expect((2...9).map { policy.backoff(beforeAttempt: $0) }
            == [.milliseconds(500), .seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(16), .seconds(30), .seconds(30)])
        #expect(policy.backoff(beforeAttempt: 1_000) == .seconds(30))
    }
}
