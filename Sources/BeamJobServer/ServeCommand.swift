import ArgumentParser
import Execution
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import JobService
import Logging
import ServiceLifecycle
import Web

/// `beam-job-server [serve]`: serves Beam's Job Management and artifact APIs
/// on one port and the web UI on another, keeps the job history in the state
/// folder, and runs submitted jobs until SIGINT or SIGTERM.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the job server (the default when no subcommand is given)."
    )

    @Option(name: [.customLong("job-port"), .customLong("job_port")],
            help: "Port for the Job Management and artifact services (0 picks a free one).")
    var jobPort: Int = 8099

    @Option(help: "Address to bind; 0.0.0.0 serves every interface.")
    var host: String = "127.0.0.1"

    @Option(name: [.customLong("worker-host"), .customLong("worker_host")],
            help: "Address the per-job Fn API servers bind to; SDK harnesses must reach it.")
    var workerHost: String = "127.0.0.1"

    @Option(name: [.customLong("artifacts-dir"), .customLong("artifacts_dir")],
            help: "Folder for staged artifacts (default: a fresh temporary folder).")
    var artifactsDir: String?

    @Option(name: [.customLong("max-workers"), .customLong("max_workers")],
            help: "SDK workers per environment that running jobs may use between them (default: the machine's cores).")
    var maxWorkers: Int = WorkerBudget.cores

    @Option(name: [.customLong("bundle-max-elements"), .customLong("bundle_max_elements")],
            help: "Most elements a bundle carries.")
    var bundleMaxElements: Int = BundleSizing().maxElements

    @Option(name: [.customLong("bundle-max-bytes"), .customLong("bundle_max_bytes")],
            help: "About the most bytes of input a bundle carries.")
    var bundleMaxBytes: Int = BundleSizing().maxBytes

    @Option(name: [.customLong("environment-cache-ms"), .customLong("environment_cache_ms")],
            help: "How long a finished job's SDK workers wait for a next job with the same environment (0: stop them).")
    var environmentCacheMillis: Int = 5_000

    @Option(name: [.customLong("max-bundle-attempts"), .customLong("max_bundle_attempts")],
            help: "Tries of a failing bundle (harness death, lost connection, user error) before its job fails (default: \(BundleRetryPolicy.batchAttempts) for batch jobs, unlimited for streaming ones).")
    var maxBundleAttempts: Int?

    @Option(name: [.customLong("max-concurrent-jobs"), .customLong("max_concurrent_jobs")],
            help: "Jobs that execute at once; later ones wait STARTING, in Run order (default: no limit).")
    var maxConcurrentJobs: Int?

    @Option(name: [.customLong("web-port"), .customLong("web_port")],
            help: "Port for the web UI, its JSON API and Prometheus /metrics (0 turns it off).")
    var webPort: Int = 8074

    @Option(name: [.customLong("state-dir"), .customLong("state_dir")],
            help: "Folder for the job history (default: $XDG_DATA_HOME/beam-job-server or ~/.local/share/beam-job-server; '' keeps nothing).")
    var stateDir: String = ServerPaths.defaultStateFolder.path

    @OptionGroup(title: "Spark backend")
    var spark: SparkOptions

    @OptionGroup(title: "DOCKER environments")
    var containers: ContainerOptions

    @OptionGroup(title: "Access control and TLS")
    var security: SecurityOptions

    @Flag(help: "Keep no job history on disk (same as --state-dir '').")
    var ephemeral = false

    @Option(help: "Largest request message (a pipeline, an artifact chunk) in bytes; larger ones get RESOURCE_EXHAUSTED.")
    var maxMessageSize = 256 << 20

    @Option(help: "Seconds an SDK harness may take to start and connect; the error then carries its last output.")
    var workerStartTimeout = 120

    @Option(help: "Seconds an SDK harness may take to answer a control request other than ProcessBundle (register, progress, split); one that does not is stopped and its bundles retried.")
    var instructionTimeout = 120

    @Option(help: "Most bytes of artifacts one job may stage (0: no limit); beyond it staging fails with RESOURCE_EXHAUSTED.")
    var maxArtifactBytes = 4 << 30

    @Flag(inversion: .prefixedNo,
          help: "Run batch jobs again from their pipeline when a restarted server finds them unfinished (needs a state folder; a job may choose with --experiments=recover_after_restart or no_recover_after_restart).")
    var recoverJobs = true

    @Option(help: "Seconds between checkpoints of a streaming job's runner-side state (in the state folder), from which it resumes after a crash; 0 takes none.")
    var checkpointInterval: Double = 10

    @Option(name: [.customLong("job-history"), .customLong("job_history")],
            help: "Finished jobs to keep: a count and/or an age, e.g. 500, 7d or 500,7d.")
    var jobHistory: String = "1000,30d"

    @Option(name: [.customLong("job-log-limit"), .customLong("job_log_limit")],
            help: "SDK harness log entries kept as job messages per job; later ones are counted, not kept.")
    var jobLogLimit: Int = 1_000

    @Option(name: [.customLong("log-level"), .customLong("log_level")],
            help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"

    func validate() throws {
        guard (0...65535).contains(jobPort) else { throw ValidationError("--job-port must be between 0 and 65535") }
        if security.tlsCertFile != nil, jobPort != 0, security.tlsJobPort == jobPort {
            throw ValidationError("--tls-job-port must differ from --job-port")
        }
        guard (0...65535).contains(webPort) else { throw ValidationError("--web-port must be between 0 and 65535 (0 turns the web UI off)") }
        guard (maxConcurrentJobs ?? 1) >= 1 else { throw ValidationError("--max-concurrent-jobs must be at least 1") }
        guard (maxBundleAttempts ?? 1) >= 1 else { throw ValidationError("--max-bundle-attempts must be at least 1") }
        // Beam's Python client stages artifacts in 2 MiB chunks.
        guard maxMessageSize >= 4 << 20 else { throw ValidationError("--max-message-size must be at least 4194304 (4 MiB)") }
        guard workerStartTimeout >= 1 else { throw ValidationError("--worker-start-timeout must be at least 1 second") }
        guard instructionTimeout >= 1 else { throw ValidationError("--instruction-timeout must be at least 1 second") }
        guard maxArtifactBytes >= 0 else { throw ValidationError("--max-artifact-bytes must not be negative") }
        guard checkpointInterval == 0 || checkpointInterval >= 0.05 else {
            throw ValidationError("--checkpoint-interval must be 0 (no checkpoints) or at least 0.05 seconds")
        }
        guard jobLogLimit >= 0 else { throw ValidationError("--job-log-limit must not be negative") }
        do { _ = try JobRetention(parsing: jobHistory) } catch { throw ValidationError("\(error)") }
        guard environmentCacheMillis >= 0 else { throw ValidationError("--environment-cache-ms must not be negative") }
        guard maxWorkers >= 1 else { throw ValidationError("--max-workers must be at least 1") }
        guard bundleMaxElements >= 1, bundleMaxBytes >= 1 else {
            throw ValidationError("--bundle-max-elements and --bundle-max-bytes must be at least 1")
        }
        guard Logger.Level(rawValue: logLevel.lowercased()) != nil else {
            throw ValidationError("--log-level must be one of: \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() async throws {
        MemoryTuning.apply()
        StandardErrorLogging.bootstrap(level: Logger.Level(rawValue: logLevel.lowercased()) ?? .info)
        let logger = Logger(label: "beam-job-server")
        let access = try security.policy()
        let tls = try security.tls()
        if let warning = security.clearTextWarning(host: host) { logger.warning("\(warning)") }
        if access.requiresToken {
            logger.info("the Job, artifact and web APIs require the bearer token\(access.trustsLoopback ? " from peers off this machine" : "")")
        }

        let stateFolder = ephemeral || stateDir.isEmpty ? nil : URL(fileURLWithPath: stateDir)
        let jobStore: JobStore?
        do {
            jobStore = try stateFolder.map { try JobStore(folder: $0, logger: logger) }
        } catch {
            throw ValidationError("\(error)")
        }
        let store = try artifactsDir.map { try ArtifactStore(root: URL(fileURLWithPath: $0)) }
            ?? stateFolder.map { try ArtifactStore(root: $0.appendingPathComponent("artifacts")) }
            ?? ArtifactStore.temporary()
        let registry = JobRegistry(store: jobStore, artifacts: store, retention: try JobRetention(parsing: jobHistory),
                                   harnessLogLimit: jobLogLimit, logger: logger)
        let checkpoints = try checkpointInterval > 0 ? stateFolder.map { try CheckpointStore(folder: $0.appendingPathComponent("checkpoints")) } : nil
        let restored = try registry.restore(recovery: JobRecovery(enabled: recoverJobs, checkpoints: checkpoints))
        if let stateFolder {
            logger.info("job history in \(stateFolder.path) (\(restored.count) job(s) from earlier runs, \(restored.startOver.count) run again)")
        }
        let exporter = PrometheusExporter(jobs: registry)
        exporter.bootstrapMetricsSystem()
        let engine = containers.engine()
        let pool = WorkerPool(host: workerHost, artifacts: store, launchers: containers.launchers(engine: engine),
                              instructionTimeout: .seconds(instructionTimeout), logger: logger)
        var settings = ExecutionSettings(
            host: workerHost, artifacts: store, workerStartTimeout: .seconds(workerStartTimeout), bundleRetries: BundleRetryPolicy(maxAttempts: maxBundleAttempts), workerBudget: WorkerBudget(maxWorkers: maxWorkers),
            bundleSizing: BundleSizing(maxElements: bundleMaxElements, maxBytes: bundleMaxBytes),
            workerPool: pool, environmentCache: .milliseconds(max(0, environmentCacheMillis)),
            dockerFallback: containers.fallback(engine: engine), logger: logger)
        settings.checkpoints = checkpoints
        settings.checkpointInterval = .milliseconds(Int64(checkpointInterval * 1000))
        settings.spark = try await spark.settings()
        if let master = settings.spark?.master { logger.info("bounded jobs run on Spark (\(master))") }
        let executor = PipelineExecutor(settings: settings, logger: logger)
        let runner = JobRunner(executor: executor, maxConcurrentJobs: maxConcurrentJobs, logger: logger)
        restored.startOver.forEach(runner.launch)
        let listeners = JobAPIListeners(host: host, jobPort: jobPort, tls: tls, tlsJobPort: security.tlsJobPort,
                                        maxMessageSize: maxMessageSize)
        let services: [any RegistrableRPCService] = [
            JobManagementService(registry: registry, runner: runner, logger: logger, stagingEndpoint: listeners.stagingEndpoint),
            ArtifactStagingService(registry: registry, store: store, quota: maxArtifactBytes > 0 ? maxArtifactBytes : nil,
                                   logger: logger),
            ArtifactRetrievalService(store: store),
        ]
        let interceptors: [any ServerInterceptor] = [RequestCountingInterceptor(), AccessInterceptor(policy: access)]
        var lifecycle: [any Service] = listeners.services(services, interceptors: interceptors, logger: logger)
        lifecycle.append(JobRunnerService(runner: runner, registry: registry))
        if webPort != 0 {
            lifecycle.append(WebServer(jobs: registry, exporter: exporter, host: host, port: webPort, access: access,
                                       tls: tls?.web, logger: logger))
        }
        let group = ServiceGroup(
            services: lifecycle,
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
        logger.info("artifacts stored under \(store.root.path)")
        try await group.run()
        await pool.shutdown()
        registry.flush()
        logger.info("beam-job-server stopped")
    }
}
