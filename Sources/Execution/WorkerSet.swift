import BeamModel
import Planner
import Worker

/// The SDK harnesses of one job: `perEnvironment` workers for each
/// environment its stages use. Starts them, registers their stages'
/// descriptors, hands the least busy one to each bundle, replaces one that
/// died (only that one: the others keep their bundles), and stops them all.
actor WorkerSet {
    private let server: FnAPIServer
    private let plan: ExecutionPlan
    private let jobID: String
    private let timeout: Duration
    let perEnvironment: Int
    private var pools: [String: [Member]] = [:]
    private var started = 0
    private var stopped = false

    private struct Member {
        let worker: SDKWorker
        var bundles = 0
    }

    init(server: FnAPIServer, plan: ExecutionPlan, jobID: String, timeout: Duration, perEnvironment: Int) {
        self.server = server
        self.plan = plan
        self.jobID = jobID
        self.timeout = timeout
        self.perEnvironment = max(1, perEnvironment)
    }

    /// Starts every environment's workers at once; throws if any fails to start.
    func startAll() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for environmentID in plan.environments.keys.sorted() {
                for _ in 0..<perEnvironment {
                    group.addTask { _ = try await self.start(environmentID) }
                }
            }
            try await group.waitForAll()
        }
    }

    /// The environment's least busy live worker, counted as running one more
    /// bundle until `release`; starts one if none is alive.
    func acquire(_ environmentID: String) async throws -> SDKWorker {
        pools[environmentID]?.removeAll { $0.worker.deathReason != nil }
        if pools[environmentID]?.isEmpty ?? true {
            _ = try await start(environmentID)
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
    }

    /// Replaces `worker` (which died) with a fresh one, unless another bundle already did.
    func replace(_ worker: SDKWorker, in environmentID: String) async throws {
        guard let index = pools[environmentID]?.firstIndex(where: { $0.worker === worker }) else { return }
        pools[environmentID]?.remove(at: index)
        await worker.stop()
        _ = try await start(environmentID)
    }

    func stopAll() async {
        stopped = true
        let all = pools.values.flatMap { $0.map(\.worker) }
        pools = [:]
        await withTaskGroup(of: Void.self) { group in
            for worker in all { group.addTask { await worker.stop() } }
        }
    }

    private func start(_ environmentID: String) async throws -> SDKWorker {
        guard !stopped else { throw CancellationError() }
        guard let environment = plan.environments[environmentID] else {
            throw ExecutionError("Stage environment '\(environmentID)' is not in the pipeline")
        }
        started += 1
        let worker = try await server.startWorker(id: "\(jobID.prefix(40))-w\(started)", environment: environment, timeout: timeout)
        let descriptors = plan.registeredStages.filter { $0.environmentID == environmentID }.map { $0.descriptor(endpoint: server.endpoint) }
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
