import BeamModel
import GRPCCore
import Logging
import Synchronization

/// What the Fn API services of one `FnAPIServer` share: its workers by id,
/// the registered ProcessBundleDescriptors, the state handlers of running
/// bundles by instruction id, and the instruction id counter. The server owns
/// it; every service and every `SDKWorker` of that server holds a reference.
final class FnAPIRegistry: Sendable {
    /// Where harnesses reach this server ("host:port"); set once the server is bound.
    var endpoint: String { boundEndpoint.withLock { $0 } }
    let provisionInfo: Org_Apache_Beam_Model_FnExecution_V1_ProvisionInfo
    let logSink: FnLogSink
    let logger: Logger

    private let boundEndpoint = Mutex("")
    private let workers = Mutex<[String: SDKWorker]>([:])
    private let descriptors = Mutex<[String: RegisteredDescriptor]>([:])
    private let stateHandlers = Mutex<[String: any BundleStateHandler]>([:])
    private let instructionCounter = Atomic<Int>(0)

    struct RegisteredDescriptor: Sendable {
        let descriptor: Org_Apache_Beam_Model_FnExecution_V1_ProcessBundleDescriptor
        let shape: DescriptorShape
    }

    init(
        provisionInfo: Org_Apache_Beam_Model_FnExecution_V1_ProvisionInfo,
        logSink: @escaping FnLogSink,
        logger: Logger
    ) {
        self.provisionInfo = provisionInfo
        self.logSink = logSink
        self.logger = logger
    }

    func bound(to endpoint: String) {
        boundEndpoint.withLock { $0 = endpoint }
    }

    /// A fresh instruction id, unique on this server: "inst-1", "inst-2", ...
    func newInstructionID() -> String {
        "inst-\(instructionCounter.wrappingAdd(1, ordering: .relaxed).newValue)"
    }

    // MARK: Workers

    func add(_ worker: SDKWorker) throws {
        try workers.withLock { workers in
            guard workers[worker.id] == nil else { throw WorkerError.duplicateWorker(worker.id) }
            workers[worker.id] = worker
        }
    }

    func remove(_ worker: SDKWorker) {
        workers.withLock { workers in
            if workers[worker.id] === worker { workers[worker.id] = nil }
        }
    }

    func worker(id: String) -> SDKWorker? {
        workers.withLock { $0[id] }
    }

    var allWorkers: [SDKWorker] {
        workers.withLock { Array($0.values) }
    }

    /// The worker a harness stream belongs to, from its `worker_id` metadata.
    /// Without one, the only worker still waiting for its harness is assumed.
    func worker(connecting metadata: Metadata, to service: String) throws -> SDKWorker {
        if let id = metadata.workerID {
            guard let worker = worker(id: id) else {
                throw RPCError(code: .notFound, message: "No worker '\(id)' was started on this server (\(service) stream)")
            }
            return worker
        }
        let waiting = workers.withLock { $0.values.filter(\.isWaitingForHarness) }
        guard waiting.count == 1, let worker = waiting.first else {
            throw RPCError(code: .invalidArgument, message: "The \(service) stream carries no worker_id metadata")
        }
        return worker
    }

    // MARK: Descriptors

    func register(_ descriptors: [Org_Apache_Beam_Model_FnExecution_V1_ProcessBundleDescriptor]) {
        let registered = descriptors.map { RegisteredDescriptor(descriptor: $0, shape: DescriptorShape($0)) }
        self.descriptors.withLock { store in
            for entry in registered { store[entry.descriptor.id] = entry }
        }
    }

    func unregister(_ ids: [String]) {
        descriptors.withLock { store in
            for id in ids { store[id] = nil }
        }
    }

    func descriptor(id: String) -> RegisteredDescriptor? {
        descriptors.withLock { $0[id] }
    }

    // MARK: State

    func setStateHandler(_ handler: any BundleStateHandler, for instructionID: String) {
        stateHandlers.withLock { $0[instructionID] = handler }
    }

    func removeStateHandler(for instructionID: String) {
        _ = stateHandlers.withLock { $0.removeValue(forKey: instructionID) }
    }

    /// Answers one State API request through its bundle's handler; requests
    /// for instructions that are not running get an error response.
    func answer(
        _ request: Org_Apache_Beam_Model_FnExecution_V1_StateRequest
    ) async -> Org_Apache_Beam_Model_FnExecution_V1_StateResponse {
        guard let handler = stateHandlers.withLock({ $0[request.instructionID] }) else {
            return .with {
                $0.id = request.id
                $0.error = "No bundle with instruction id '\(request.instructionID)' is running on this runner"
            }
        }
        var response = await handler.handle(request)
        response.id = request.id
        return response
    }
}

extension Metadata {
    /// The `worker_id` header Beam SDK harnesses put on every Fn API stream.
    var workerID: String? {
        self[stringValues: "worker_id"].first(where: { !$0.isEmpty })
    }
}
