import BeamCore
import BeamModel
import Foundation
import JobService
import Logging
import SwiftProtobuf
import Worker

/// The server's SDK harnesses: the one Fn API server every job's harnesses
/// connect to (control, data, state, logging, provision, artifacts), and
/// harnesses kept warm between jobs. A job leases workers for its
/// environments; when it ends DONE it gives them back, and the next job whose
/// environment matches (URN, payload, dependencies) gets one without starting
/// a harness. An idle worker is stopped after its keep time.
///
/// Created once by the executable (or the executor's defaults); shared by every job.
public actor WorkerPool {
    private let host: String
    private let artifacts: ArtifactStore
    private let logger: Logger
    private let launchers: EnvironmentLaunchers
    private let instructionTimeout: Duration
    private var server: FnAPIServer?
    private var starting: Task<FnAPIServer, any Error>?
    private var idle: [EnvironmentFingerprint: [IdleWorker]] = [:]
    private var nextIdleToken = 0
    private var isShutDown = false

    private struct IdleWorker {
        let worker: SDKWorker
        let token: Int
    }

    /// `launchers`: how harnesses start, by environment URN (the server's
    /// DOCKER launcher carries its container engine and limits).
    /// `instructionTimeout`: see `SDKWorker.instructionTimeout`.
    public init(host: String, artifacts: ArtifactStore, launchers: EnvironmentLaunchers = .standard,
                instructionTimeout: Duration = .seconds(120), logger: Logger) {
        self.host = host
        self.artifacts = artifacts
        self.launchers = launchers
        self.instructionTimeout = instructionTimeout
        self.logger = logger
    }

    /// The shared Fn API server, started on first use.
    public func fnAPIServer() async throws -> FnAPIServer {
        if let server { return server }
        if let starting { return try await starting.value }
        guard !isShutDown else { throw CancellationError() }
        let (host, artifacts, launchers, logger) = (host, artifacts, launchers, logger)
        let task = Task {
            try await FnAPIServer.start(host: host, extraServices: [ArtifactRetrievalService(store: artifacts)],
                                        launchers: launchers, instructionTimeout: instructionTimeout, logger: logger)
        }
        starting = task
        defer { starting = nil }
        let started = try await task.value
        server = started
        return started
    }

    /// A worker for `environment`: a warm one when one matches, else a new
    /// harness (`id`, provisioned with `provisionInfo`). Its logs go to `logSink`.
    func lease(_ environment: Environment, id: String, provisionInfo: ProvisionInfo, logSink: @escaping FnLogSink,
               timeout: Duration) async throws -> (worker: SDKWorker, warm: Bool) {
        let key = EnvironmentFingerprint(environment, options: provisionInfo.pipelineOptions)
        while let candidate = idle[key]?.popLast() {
            if candidate.worker.deathReason == nil {
                candidate.worker.logSink = logSink
                return (candidate.worker, true)
            }
            await candidate.worker.stop()
        }
        let server = try await fnAPIServer()
        let worker = try await server.startWorker(id: id, environment: environment, provisionInfo: provisionInfo,
                                                  logSink: logSink, timeout: timeout)
        return (worker, false)
    }

    /// Keeps a healthy worker for the next job with its environment, for `keepFor`.
    func giveBack(_ worker: SDKWorker, keepFor: Duration) async {
        guard !isShutDown, keepFor > .zero, worker.deathReason == nil else {
            await worker.stop()
            return
        }
        worker.logSink = nil
        nextIdleToken += 1
        let token = nextIdleToken
        let key = EnvironmentFingerprint(worker.environment, options: worker.provisionInfo.pipelineOptions)
        idle[key, default: []].append(IdleWorker(worker: worker, token: token))
        Task {
            try? await Task.sleep(for: keepFor)
            await self.expire(token)
        }
    }

    /// How many live workers for `environment` (and these pipeline options) wait for a next job.
    func idleCount(for environment: Environment, options: Google_Protobuf_Struct) -> Int {
        idle[EnvironmentFingerprint(environment, options: options)]?.count { $0.worker.deathReason == nil } ?? 0
    }

    private func expire(_ token: Int) async {
        for (key, workers) in idle {
            guard let index = workers.firstIndex(where: { $0.token == token }) else { continue }
            let worker = workers[index].worker
            idle[key]?.remove(at: index)
            logger.debug("stopping idle SDK worker", metadata: ["worker": "\(worker.id)"])
            await worker.stop()
            return
        }
    }

    /// Stops every idle worker and the Fn API server.
    public func shutdown() async {
        isShutDown = true
        let workers = idle.values.flatMap { $0.map(\.worker) }
        idle = [:]
        for worker in workers { await worker.stop() }
        await server?.stop()
        server = nil
    }
}

/// What makes a harness fit for another job: the environment's URN, payload
/// and dependencies (by content hash where the artifact has one, so the same
/// file staged by two jobs matches), and the pipeline options it was
/// provisioned with (a harness reads them once, at start), less the ones that
/// name the run itself.
struct EnvironmentFingerprint: Hashable {
    let urn: String
    let payload: Data
    let dependencies: [Data]
    let options: Data

    /// Options that differ for every submission without changing what a harness does.
    static let perRunOptions: Set<String> = ["beam:option:job_name:v1", "beam:option:options_id:v1"]

    init(_ environment: Environment, options: Google_Protobuf_Struct) {
        var kept = options
        for name in Self.perRunOptions { kept.fields[name] = nil }
        self.options = (try? kept.serializedData(partial: true, options: Self.deterministic)) ?? Data()
        urn = environment.urn
        payload = environment.payload
        dependencies = environment.dependencies.map { artifact in
            var identity = artifact
            if artifact.typeUrn == ArtifactURNs.fileType,
               let file = try? ArtifactFilePayload(serializedBytes: artifact.typePayload), !file.sha256.isEmpty {
                identity.typePayload = Data(file.sha256.utf8)
            }
            return (try? identity.serializedData()) ?? Data()
        }
    }

    private static let deterministic: BinaryEncodingOptions = {
        var options = BinaryEncodingOptions()
        options.useDeterministicOrdering = true
        return options
    }()
}
