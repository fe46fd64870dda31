/// How often a failing bundle is tried (`--max-bundle-attempts`) and how long
/// to wait between tries. A bundle fails when its harness dies, its
/// connection is lost or the user's code raises; every failure is retried
/// alike, as the Python SDK does not say which errors are deterministic.
/// Unset, batch jobs get 4 attempts (Dataflow's figure) and streaming jobs
/// retry without end (each retry is a job message), as Dataflow does, except
/// those a TestStream drives: their input is a fixed script, so an error
/// recurs on every attempt and retrying without end would only hang them.
public struct BundleRetryPolicy: Sendable, Equatable {
    /// Nil: the default per job kind (see `attempts(streaming:scripted:)`).
    public var maxAttempts: Int?
    public var firstBackoff: Duration
    public var maxBackoff: Duration

    public static let batchAttempts = 4

    public init(maxAttempts: Int? = nil, firstBackoff: Duration = .milliseconds(500), maxBackoff: Duration = .seconds(30)) {
        self.maxAttempts = maxAttempts.map { max(1, $0) }
        self.firstBackoff = firstBackoff
        self.maxBackoff = maxBackoff
    }

    /// The attempts a job's bundles get; nil means unbounded. `scripted`: a
    /// TestStream drives the job.
    public func attempts(streaming: Bool, scripted: Bool = false) -> Int? {
        maxAttempts ?? (streaming && !scripted ? nil : Self.batchAttempts)
    }

    /// The wait before attempt `attempt` (2, 3, …): doubling from `firstBackoff`, at most `maxBackoff`.
    public func backoff(beforeAttempt attempt: Int) -> Duration {
        let doublings = min(max(0, attempt - 2), 30)
        return min(maxBackoff, firstBackoff * (1 << doublings))
    }
}
