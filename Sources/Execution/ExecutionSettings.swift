import JobService

/// How jobs are executed on this server: where Fn API servers bind, where
/// staged artifacts live, how long a harness may take to connect, and how
/// often a bundle is tried when its harness dies.
public struct ExecutionSettings: Sendable {
    public var host: String
    public var artifacts: ArtifactStore
    public var workerStartTimeout: Duration
    public var bundleAttempts: Int

    public init(host: String = "127.0.0.1", artifacts: ArtifactStore,
                workerStartTimeout: Duration = .seconds(120), bundleAttempts: Int = 2) {
        self.host = host
        self.artifacts = artifacts
        self.workerStartTimeout = workerStartTimeout
        self.bundleAttempts = bundleAttempts
    }
}
