import BeamModel
import Planner
import Worker

/// The SDK harnesses of one job, one per environment its stages use: starts
/// them, registers their stages' descriptors, replaces one that died, and
/// stops them all.
actor WorkerSet {
    private let server: FnAPIServer
    private let plan: ExecutionPlan
    private let jobID: String
    private let timeout: Duration
    private var workers: [String: SDKWorker] = [:]
    private var started = 0
    private var stopped = false

    init(server: FnAPIServer, plan: ExecutionPlan, jobID: String, timeout: Duration) {
        self.server = server
        self.plan = plan
        self.jobID = jobID
        self.timeout = timeout
    }

    func startAll() async throws {
        for environmentID in plan.environments.keys.sorted() {
            try await start(environmentID)
        }
    }

    func worker(for environmentID: String) async throws -> SDKWorker {
        if let worker = workers[environmentID] { return worker }
        return try await start(environmentID)
    }

    /// Replaces the worker of `environmentID` with a fresh one.
    func restart(_ environmentID: String) async throws {
        if let old = workers.removeValue(forKey: environmentID) { await old.stop() }
        try await start(environmentID)
    }

    func stopAll() async {
        stopped = true
        let all = workers.values
        workers = [:]
        for worker in all { await worker.stop() }
    }

    @discardableResult
    private func start(_ environmentID: String) async throws -> SDKWorker {
        guard !stopped else { throw CancellationError() }
        guard let environment = plan.environments[environmentID] else {
            throw ExecutionError("Stage environment '\(environmentID)' is not in the pipeline")
        }
        started += 1
        let worker = try await server.startWorker(id: "\(jobID.prefix(40))-w\(started)", environment: environment, timeout: timeout)
        let descriptors = plan.registeredStages.filter { $0.environmentID == environmentID }.map { $0.descriptor(endpoint: server.endpoint) }
        try await worker.register(descriptors)
        workers[environmentID] = worker
        return worker
    }
}
