import Foundation
import JobService
import Logging

/// How jobs are executed on this server: where Fn API servers bind, where
/// staged artifacts live, how long a harness may take to connect, how often
/// a failing bundle is tried, how many SDK workers jobs may
/// use between them and how large a bundle may be.
public struct ExecutionSettings: Sendable {
    public var host: String
    public var artifacts: ArtifactStore
    public var workerStartTimeout: Duration
    public var bundleRetries: BundleRetryPolicy
    /// Shared by every job of the server: `--max-workers`.
    public var workerBudget: WorkerBudget
    public var bundleSizing: BundleSizing
    /// The shared Fn API server and warm harnesses.
    public var workerPool: WorkerPool
    /// How long a finished job's healthy workers wait for a next job with their environment.
    public var environmentCache: Duration
    /// `--docker-fallback process`: Beam's Python SDK images as local PROCESS harnesses when no container engine runs.
    public var dockerFallback: DockerFallback?
    /// `--spark-master`: where bounded jobs run, unless they ask for the local engine.
    public var spark: SparkSettings?
    /// Where streaming jobs' checkpoints go (`<state-dir>/checkpoints`); nil: none are taken.
    public var checkpoints: CheckpointStore?
    /// `--checkpoint-interval`.
    public var checkpointInterval: Duration = .seconds(10)

    public init(host: String = "127.0.0.1", artifacts: ArtifactStore,
                workerStartTimeout: Duration = .seconds(120), bundleRetries: BundleRetryPolicy = BundleRetryPolicy(),
                workerBudget: WorkerBudget = WorkerBudget(maxWorkers: WorkerBudget.cores),
                bundleSizing: BundleSizing = BundleSizing(), workerPool: WorkerPool? = nil,
                environmentCache: Duration = .seconds(5), dockerFallback: DockerFallback? = nil, logger: Logger = Logger(label: "beam-job-server")) {
        self.host = host
        self.artifacts = artifacts
        self.workerPool = workerPool ?? WorkerPool(host: host, artifacts: artifacts, logger: logger)
        self.environmentCache = environmentCache
        self.dockerFallback = dockerFallback
        self.workerStartTimeout = workerStartTimeout
        self.bundleRetries = bundleRetries
        self.workerBudget = workerBudget
        self.bundleSizing = bundleSizing
    }
}

/// The most a bundle carries: ready input is cut into bundles of at most
/// `maxElements` elements and about `maxBytes` bytes, and shared evenly among
/// the idle workers below that.
public struct BundleSizing: Sendable {
    public var maxElements: Int
    public var maxBytes: Int

    public init(maxElements: Int = 100_000, maxBytes: Int = 8 << 20) {
        self.maxElements = max(1, maxElements)
        self.maxBytes = max(1, maxBytes)
    }

    /// The bounds of one bundle when `bytes` are ready for `workers` idle workers.
    func share(of bytes: Int, among workers: Int) -> (elements: Int, bytes: Int) {
        let even = (bytes + max(1, workers) - 1) / max(1, workers)
        return (maxElements, max(1, min(maxBytes, even)))
    }
}
