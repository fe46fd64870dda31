import BeamModel
import JobService
import Planner
import Worker

/// The SDK harnesses of one job: `perEnvironment` workers for each
/// environment its stages use, leased from the server's `WorkerPool` (warm
/// ones when an earlier job left some). Registers the stages' descriptors on
/// them (ids scoped to the job, as harnesses outlive it), hands the least
/// busy one to each bundle, replaces one that died (only that one: the
/// others keep their bundles), and at the end gives them back or stops them.
actor WorkerSet {
    private let pool: WorkerPool
    private let server: FnAPIServer
    private let plan: ExecutionPlan
    private let jobID: String
    private let provisionInfo: ProvisionInfo
    private let logSink: FnLogSink
    private let timeout: Duration
    /// Workers per environment at the start; autoscaling adds and retires them later.
    let perEnvironment: Int
    private var pools: [String: [Member]] = [:]
    private var started = 0
    /// Workers being started now, per environment.
    private var starting: [String: Int] = [:]
    private(set) var warmCount = 0
    private var stopped = false

    private struct Member {
        let worker: SDKWorker
        var bundles = 0
        var completed = 0
    }

    init(pool: WorkerPool, server: FnAPIServer, plan: ExecutionPlan, jobID: String, provisionInfo: ProvisionInfo,
         logSink: @escaping FnLogSink, timeout: Duration, perEnvironment: Int) {
        self.pool = pool
        self.server = server
        self.plan = plan
        self.jobID = jobID
        self.provisionInfo = provisionInfo
        self.logSink = logSink
        self.timeout = timeout
        self.perEnvironment = max(1, perEnvironment)
    }

    /// The id `stage`'s descriptor is registered under: unique across jobs.
    nonisolated func descriptorID(of stage: FusedStage) -> String {
        "\(jobID)/\(stage.id)"
    }


    /// Starts every environment's workers at once, `perEnvironment` each, or
    /// up to `upTo` where the pool holds that many warm ones (they cost
    /// nothing to take); throws if any fails to start. Returns the count per environment.
    func startAll(upTo maximum: Int) async throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for (environmentID, environment) in plan.environments {
            let warm = await pool.idleCount(for: environment, options: provisionInfo.pipelineOptions)
            counts[environmentID] = max(perEnvironment, min(maximum, warm))
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (environmentID, count) in counts {
                for _ in 0..<count {
                    group.addTask { _ = try await self.start(environmentID) }
                }
            }
            try await group.waitForAll()
        }
        return counts
    }

    /// Starts one more worker for `environmentID` (autoscaling up).
    func addWorker(_ environmentID: String) async throws {
        _ = try await start(environmentID)
    }

    /// Takes an idle worker of `environmentID` out of the job (autoscaling
    /// down) and gives it back to the server's pool; false if none is idle.
    func retireIdleWorker(_ environmentID: String, keepWarm: Duration) -> Bool {
        guard let members = pools[environmentID], members.count > 1,
              let index = members.lastIndex(where: { $0.bundles == 0 }) else { return false }
        let worker = members[index].worker
        pools[environmentID]?.remove(at: index)
        Task { [pool] in await pool.giveBack(worker, keepFor: keepWarm) }
        return true
    }

    /// The environment's least busy live worker, counted as running one more
    /// bundle until `release`. Workers found dead (also idle ones) are
    /// replaced first, so the job keeps its worker count.
    func acquire(_ environmentID: String) async throws -> SDKWorker {
        let dead = pools[environmentID]?.filter { $0.worker.deathReason != nil }.map(\.worker) ?? []
        pools[environmentID]?.removeAll { $0.worker.deathReason != nil }
        for worker in dead {
            await worker.stop()
            _ = try await start(environmentID)
        }
        // With none alive, one caller starts a worker; the others wait for it.
        while pools[environmentID]?.isEmpty ?? true {
            if starting[environmentID, default: 0] > 0 {
                try await Task.sleep(for: .milliseconds(20))
            } else {
                _ = try await start(environmentID)
            }
        }
        guard var members = pools[environmentID], let index = members.indices.min(by: { members[$0].bundles < members[$1].bundles })
        else { throw ExecutionError("No SDK worker is running for environment '\(environmentID)'") }
        members[index].bundles += 1
        pools[environmentID] = members
        return members[index].worker
    }

    func release(_ worker: SDKWorker) {
        guard let environmentID = pools.first(where: { $0.value.contains { $0.worker === worker } })?.key,
              let index = pools[environmentID]?.firstIndex(where: { $0.worker === worker }) else { return }
        pools[environmentID]?[index].bundles -= 1
        pools[environmentID]?[index].completed += 1
    }

    /// The job's workers as dashboards show them.
    func status() -> [JobRuntimeStatus.Worker] {
        pools.sorted { $0.key < $1.key }.flatMap { environmentID, members in
            members.map { member in
                JobRuntimeStatus.Worker(
                    id: member.worker.id, environment: environmentID, pid: member.worker.processID,
                    state: member.worker.deathReason != nil ? "dead" : member.bundles > 0 ? "busy" : "idle",
                    bundles: member.completed)
            }
        }
    }

    /// Replaces `worker` (which died) with a fresh one, unless another bundle already did.
    func replace(_ worker: SDKWorker, in environmentID: String) async throws {
        guard let index = pools[environmentID]?.firstIndex(where: { $0.worker === worker }) else { return }
        pools[environmentID]?.remove(at: index)
        await worker.stop()
        _ = try await start(environmentID)
    }

    /// Ends the job's use of its workers: healthy ones go back to the pool for
    /// `keepWarm` (a job that ended DONE), the rest are stopped.
    func finish(keepWarm: Duration?) async {
        stopped = true
        let all = pools.values.flatMap { $0.map(\.worker) }
        pools = [:]
        server.unregister(descriptorIDs: plan.registeredStages.map(descriptorID(of:)))
        await withTaskGroup(of: Void.self) { group in
            for worker in all {
                group.addTask { [pool] in
                    if let keepWarm { await pool.giveBack(worker, keepFor: keepWarm) } else { await worker.stop() }
                }
            }
        }
    }

    func stopAll() async {
        await finish(keepWarm: nil)
    }

    private func start(_ environmentID: String) async throws -> SDKWorker {
        guard !stopped else { throw CancellationError() }
        guard let environment = plan.environments[environmentID] else {
            throw ExecutionError("Stage environment '\(environmentID)' is not in the pipeline")
        }
        started += 1
        starting[environmentID, default: 0] += 1
        defer { starting[environmentID, default: 1] -= 1 }
        let (worker, warm) = try await pool.lease(environment, id: "\(jobID.prefix(40))-w\(started)",
                                                  provisionInfo: provisionInfo, logSink: logSink, timeout: timeout)
        if warm { warmCount += 1 }
        let descriptors = plan.registeredStages.filter { $0.environmentID == environmentID }.map { stage in
            var descriptor = stage.descriptor(endpoint: server.endpoint)
            descriptor.id = descriptorID(of: stage)
            return descriptor
        }
        do {
            try await worker.register(descriptors)
        } catch {
            await worker.stop()
            throw error
        }
        guard !stopped else {
            await worker.stop()
            throw CancellationError()
        }
        pools[environmentID, default: []].append(Member(worker: worker))
        return worker
    }
}
