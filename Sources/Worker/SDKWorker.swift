import BeamModel
import Foundation
import GRPCCore
import Logging
import Synchronization

/// One SDK harness as the runner sees it: its control and data streams, the
/// instructions and bundles in flight on them, and the environment (process,
/// container or external worker) that runs it. `FnAPIServer.startWorker`
/// creates it; Execution registers descriptors and runs bundles on it; the
/// Control and Data services feed it what the harness sends.
///
/// Once the harness goes away (control stream ends, process exits) the worker
/// is dead: everything pending and every later call throws
/// `WorkerError.workerDied` with the reason.
public final class SDKWorker: Sendable {
    public let id: String
    public let environment: Org_Apache_Beam_Model_Pipeline_V1_Environment
    /// What the Provision service tells this worker's harness.
    public let provisionInfo: Org_Apache_Beam_Model_FnExecution_V1_ProvisionInfo
    /// How long the harness may take to answer an instruction other than
    /// ProcessBundle (register, progress, split, finalize, metadata). A
    /// harness that does not answer in time is hung: it is declared dead, so
    /// its bundles are retried elsewhere, and its process is stopped. Bundles
    /// themselves have no deadline (they may run for hours); a hung harness
    /// still stops answering the progress requests sent every second.
    public let instructionTimeout: Duration
    private let sink: Mutex<FnLogSink?> = Mutex(nil)
    private let registry: FnAPIRegistry
    private let logger: Logger
    private let state = Mutex(State())

    /// Input goes out in Elements messages of about this many bytes.
    static let batchBytes = 1 << 20
    /// How long a closed control stream waits for the process's exit status.
    static let exitReportWait: Duration = .seconds(2)

    private enum Phase {
        case starting, connected
        case dead(String)
        case stopped
    }

    private struct State {
        var phase: Phase = .starting
        var running: (any RunningEnvironment)?
        var environmentStopped = false
        var connectWaiters: [Int: CheckedContinuation<Void, any Error>] = [:]
        var cancelledWaiters: Set<Int> = []
        var nextWaiterID = 0
        var control: AsyncStream<InstructionRequest>.Continuation?
        var data: AsyncStream<Elements>.Continuation?
        /// Data for the harness while no data stream is open (the SDK opens it lazily).
        var queuedData: [Elements] = []
        var pending: [String: CheckedContinuation<InstructionResponse, any Error>] = [:]
        var bundles: [String: BundleCollector] = [:]
        /// Data for instructions whose bundle is not registered (yet).
        var orphans: [String: [Elements]] = [:]
        /// Bundles that finished (the latest few thousand): late data for them is dropped.
        var retired = RecentIDs(capacity: 4_096)

        var isAlive: Bool {
            switch phase {
            case .starting, .connected: true
            case .dead, .stopped: false
            }
        }

        var deathError: WorkerError {
            switch phase {
            case .dead(let reason): .workerDied(reason)
            case .stopped: .workerDied("the worker was stopped")
            case .starting: .workerDied("the SDK harness has not connected yet")
            case .connected: .workerDied("unknown")
            }
        }
    }

    init(
        id: String,
        environment: Org_Apache_Beam_Model_Pipeline_V1_Environment,
        registry: FnAPIRegistry,
        provisionInfo: Org_Apache_Beam_Model_FnExecution_V1_ProvisionInfo?,
        instructionTimeout: Duration = .seconds(120),
        logger: Logger
    ) {
        self.id = id
        self.instructionTimeout = instructionTimeout
        self.environment = environment
        self.registry = registry
        var logger = logger
        logger[metadataKey: "worker"] = "\(id)"
        self.logger = logger
        var info = provisionInfo ?? registry.provisionInfo
        info.controlEndpoint = .with { $0.url = registry.endpoint }
        info.loggingEndpoint = .with { $0.url = registry.endpoint }
        info.artifactEndpoint = .with { $0.url = registry.endpoint }
        if !environment.dependencies.isEmpty { info.dependencies = environment.dependencies }
        self.provisionInfo = info
    }

    // MARK: Public API

    /// The harness's local process id, when it runs as one (PROCESS, DOCKER).
    public var processID: Int32? { state.withLock { $0.running?.processID } }

    /// Where this harness's log entries go (the job it works for); the server's sink when nil.
    public var logSink: FnLogSink? {
        get { sink.withLock { $0 } }
        set { sink.withLock { $0 = newValue } }
    }

    /// Registers descriptors with this server (so harnesses can fetch them)
    /// and with this harness (RegisterRequest).
    public func register(_ descriptors: [Org_Apache_Beam_Model_FnExecution_V1_ProcessBundleDescriptor]) async throws {
        registry.register(descriptors)
        _ = try await instruct(.register(.with { $0.processBundleDescriptor = descriptors }))
    }

    /// Runs one bundle: sends the ProcessBundleRequest, streams `inputs` and
    /// `timers` (then `is_last` for every runner source and timer family of the
    /// descriptor), answers the bundle's State API requests with `stateHandler`,
    /// and returns once the response and every output stream's `is_last` have
    /// arrived. Throws `bundleFailed` with the SDK's error text, or
    /// `workerDied`. Cancelling the calling task abandons the bundle at once
    /// (CancellationError); whatever the harness still sends for it is dropped.
    public func processBundle(
        descriptorID: String,
        inputs: [BundleInput],
        timers: [BundleTimerInput] = [],
        cacheTokens: [Org_Apache_Beam_Model_FnExecution_V1_ProcessBundleRequest.CacheToken] = [],
        stateHandler: any BundleStateHandler = NoStateHandler(),
        instructionID: String? = nil
    ) async throws -> BundleResult {
        guard let registered = registry.descriptor(id: descriptorID) else {
            throw WorkerError.unknownDescriptor(descriptorID)
        }
        let instructionID = instructionID ?? registry.newInstructionID()
        let request = InstructionRequest.with {
            $0.instructionID = instructionID
            $0.processBundle = .with {
                $0.processBundleDescriptorID = descriptorID
                $0.cacheTokens = cacheTokens
            }
        }
        let messages = Self.inputMessages(
            instructionID: instructionID, shape: registered.shape, inputs: inputs, timers: timers)
        registry.setStateHandler(stateHandler, for: instructionID)
        defer { registry.removeStateHandler(for: instructionID) }
        logger.debug("processing bundle", metadata: ["instruction": "\(instructionID)", "descriptor": "\(descriptorID)"])

        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let refusal: (any Error)? = state.withLock { state in
                    guard case .connected = state.phase, let control = state.control else { return state.deathError }
                    if state.retired.contains(instructionID) { return CancellationError() }
                    var collector = BundleCollector(
                        instructionID: instructionID, shape: registered.shape, continuation: continuation)
                    for early in state.orphans.removeValue(forKey: instructionID) ?? [] {
                        collector.absorb(early)
                    }
                    state.bundles[instructionID] = collector
                    control.yield(request)
                    for message in messages { Self.send(message, in: &state) }
                    return nil
                }
                if let refusal { continuation.resume(throwing: refusal) }
            }
        } onCancel: {
            abandon(instructionID)
        }
    }

    /// A fresh instruction id for `processBundle`, for callers that must know
    /// it before the bundle starts (to split it or poll its progress).
    public func newInstructionID() -> String {
        registry.newInstructionID()
    }

    /// Asks the running bundle `instructionID` to split off `fraction` of the
    /// work it has not done yet on its input `transformID` (of
    /// `estimatedElements` elements). The response's channel splits and
    /// primary/residual roots say what the bundle gave up.
    public func split(
        instructionID: String, transformID: String, fraction: Double, estimatedElements: Int
    ) async throws -> Org_Apache_Beam_Model_FnExecution_V1_ProcessBundleSplitResponse {
        let response = try await instruct(.processBundleSplit(.with {
            $0.instructionID = instructionID
            $0.desiredSplits[transformID] = .with {
                $0.fractionOfRemainder = fraction
                $0.estimatedInputElements = Int64(estimatedElements)
            }
        }))
        return response.processBundleSplit
    }

    /// The running bundle's progress: monitoring infos so far (short ids in `monitoring_data`).
    public func progress(instructionID: String) async throws -> Org_Apache_Beam_Model_FnExecution_V1_ProcessBundleProgressResponse {
        try await instruct(.processBundleProgress(.with { $0.instructionID = instructionID })).processBundleProgress
    }

    /// Resolves short monitoring ids (the keys of `monitoring_data`) to full MonitoringInfos.
    public func monitoringInfosMetadata(_ ids: [String]) async throws -> [String: Org_Apache_Beam_Model_Pipeline_V1_MonitoringInfo] {
        let response = try await instruct(.monitoringInfos(.with { $0.monitoringInfoID = ids }))
        return response.monitoringInfos.monitoringInfo
    }

    /// Tells the harness a bundle that asked for finalization was committed.
    public func finalizeBundle(instructionID: String) async throws {
        _ = try await instruct(.finalizeBundle(.with { $0.instructionID = instructionID }))
    }

    /// Sends any other instruction and returns the harness's response. Throws
    /// `instructionFailed` when the response carries an error.
    public func instruct(
        _ request: Org_Apache_Beam_Model_FnExecution_V1_InstructionRequest.OneOf_Request
    ) async throws -> Org_Apache_Beam_Model_FnExecution_V1_InstructionResponse {
        let instructionID = registry.newInstructionID()
        let message = InstructionRequest.with {
            $0.instructionID = instructionID
            $0.request = request
        }
        let deadline = Task { [weak self, instructionTimeout] in
            try await Task.sleep(for: instructionTimeout)
            await self?.instructionTimedOut(instructionID, kind: Self.kind(of: request))
        }
        defer { deadline.cancel() }
        let response: InstructionResponse = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let refusal: (any Error)? = state.withLock { state in
                    guard case .connected = state.phase, let control = state.control else { return state.deathError }
                    if state.retired.contains(instructionID) { return CancellationError() }
                    state.pending[instructionID] = continuation
                    control.yield(message)
                    return nil
                }
                if let refusal { continuation.resume(throwing: refusal) }
            }
        } onCancel: {
            abandon(instructionID)
        }
        guard response.error.isEmpty else {
            throw WorkerError.instructionFailed(instructionID: instructionID, message: response.error)
        }
        return response
    }

    /// An instruction went unanswered past `instructionTimeout`: the harness is
    /// hung. It is declared dead with its last output, and stopped.
    private func instructionTimedOut(_ instructionID: String, kind: String) async {
        let (waiting, output) = state.withLock { ($0.pending[instructionID] != nil, $0.running?.recentOutput ?? []) }
        guard waiting else { return }
        var reason = "the SDK harness '\(id)' did not answer a \(kind) request within \(instructionTimeout) (--instruction-timeout) and was stopped"
        if !output.isEmpty { reason += "; last output:\n" + output.joined(separator: "\n") }
        if end(as: .dead(reason)) { await stopEnvironment() }
    }

    private static func kind(of request: Org_Apache_Beam_Model_FnExecution_V1_InstructionRequest.OneOf_Request) -> String {
        switch request {
        case .register: "register"
        case .processBundleProgress: "bundle progress"
        case .processBundleSplit: "bundle split"
        case .finalizeBundle: "bundle finalization"
        case .monitoringInfos: "monitoring metadata"
        default: "control"
        }
    }

    /// The caller of `processBundle` or `instruct` was cancelled: stop waiting
    /// for the instruction and drop whatever the harness still sends for it.
    private func abandon(_ instructionID: String) {
        let waiting: (any CancellableWaiter)? = state.withLock { state in
            state.retired.insert(instructionID)
            state.orphans[instructionID] = nil
            if let collector = state.bundles.removeValue(forKey: instructionID) { return collector.continuation }
            return state.pending.removeValue(forKey: instructionID)
        }
        waiting?.cancel()
    }

    /// Ends the control stream (the harness exits), fails whatever is still
    /// pending, stops the environment (SIGTERM, then SIGKILL; or StopWorker)
    /// and forgets the worker. Safe to call more than once.
    public func stop() async {
        end(as: .stopped)
        await stopEnvironment()
        registry.remove(self)
    }

    /// Why the worker died, or nil while it is alive.
    public var deathReason: String? {
        state.withLock { state in
            if case .dead(let reason) = state.phase { return reason }
            return nil
        }
    }

    // MARK: Start-up (FnAPIServer)

    var isWaitingForHarness: Bool {
        state.withLock { if case .starting = $0.phase { true } else { false } }
    }

    /// Keeps the launched environment; false if the worker already stopped,
    /// in which case the caller stops the environment.
    func adopt(_ running: any RunningEnvironment) -> Bool {
        state.withLock { state in
            guard !state.environmentStopped else { return false }
            state.running = running
            return true
        }
    }

    /// Returns once the harness opened its control stream; throws
    /// `startTimedOut` after `timeout`, or `workerDied` if it died first.
    func waitUntilConnected(timeout: Duration) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.connected() }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw WorkerError.startTimedOut(workerID: self.id, details: self.timeoutDetails(timeout))
            }
            defer { group.cancelAll() }
            try await group.next()
        }
    }

    private func timeoutDetails(_ timeout: Duration) -> String {
        let output = state.withLock { $0.running?.recentOutput } ?? []
        var details = "no control connection after \(timeout)"
        if !output.isEmpty { details += "; last output:\n" + output.joined(separator: "\n") }
        return details
    }

    private func connected() async throws {
        let waiterID = state.withLock { state in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let outcome: Result<Void, any Error>? = state.withLock { state in
                    if state.cancelledWaiters.remove(waiterID) != nil { return .failure(CancellationError()) }
                    switch state.phase {
                    case .connected: return .success(())
                    case .dead, .stopped: return .failure(state.deathError)
                    case .starting:
                        state.connectWaiters[waiterID] = continuation
                        return nil
                    }
                }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                guard let waiter = state.connectWaiters.removeValue(forKey: waiterID) else {
                    state.cancelledWaiters.insert(waiterID)
                    return nil as CheckedContinuation<Void, any Error>?
                }
                return waiter
            }
            waiter?.resume(throwing: CancellationError())
        }
    }

    // MARK: Control stream (ControlService)

    /// The harness opened its control stream: returns what to send on it.
    func attachControl() throws -> AsyncStream<Org_Apache_Beam_Model_FnExecution_V1_InstructionRequest> {
        let (stream, continuation) = AsyncStream<InstructionRequest>.makeStream()
        let waiters = try state.withLock { state in
            switch state.phase {
            case .starting: break
            case .connected:
                throw RPCError(code: .alreadyExists, message: "Worker '\(id)' already has a control stream")
            case .dead, .stopped:
                throw RPCError(code: .failedPrecondition, message: "Worker '\(id)' is no longer running")
            }
            state.phase = .connected
            state.control = continuation
            defer { state.connectWaiters = [:] }
            return Array(state.connectWaiters.values)
        }
        logger.info("SDK harness connected")
        waiters.forEach { $0.resume() }
        return stream
    }

    /// An InstructionResponse from the harness.
    func receive(_ response: Org_Apache_Beam_Model_FnExecution_V1_InstructionResponse) {
        let instructionID = response.instructionID
        enum Outcome {
            case bundle(CheckedContinuation<BundleResult, any Error>, Result<BundleResult, WorkerError>)
            case instruction(CheckedContinuation<InstructionResponse, any Error>)
            case waiting, unknown
        }
        let outcome: Outcome = state.withLock { state in
            if var collector = state.bundles[instructionID] {
                if !response.error.isEmpty {
                    state.bundles[instructionID] = nil
                    state.retired.insert(instructionID)
                    return .bundle(collector.continuation, .failure(.bundleFailed(instructionID: instructionID, message: response.error)))
                }
                collector.absorb(response.processBundle)
                if let result = collector.result {
                    state.bundles[instructionID] = nil
                    state.retired.insert(instructionID)
                    return .bundle(collector.continuation, .success(result))
                }
                state.bundles[instructionID] = collector
                return .waiting
            }
            if let pending = state.pending.removeValue(forKey: instructionID) { return .instruction(pending) }
            return state.retired.contains(instructionID) ? .waiting : .unknown
        }
        switch outcome {
        case .bundle(let continuation, let result):
            if case .failure(let error) = result {
                logger.debug("bundle failed", metadata: ["instruction": "\(instructionID)", "error": "\(error)"])
            }
            continuation.resume(with: result)
        case .instruction(let continuation):
            continuation.resume(returning: response)
        case .waiting:
            break
        case .unknown:
            logger.warning("response for unknown instruction", metadata: ["instruction": "\(instructionID)"])
        }
    }

    /// The control stream ended. Unless the worker was stopped, the harness is
    /// gone: wait briefly for the process's exit status to explain why, then
    /// fail everything and stop the environment.
    func controlEnded(_ error: (any Error)?) async {
        let running: (any RunningEnvironment)?? = state.withLock { state in
            state.isAlive ? .some(state.running) : .none
        }
        guard let running else { return }
        var reason = "the SDK harness '\(id)' closed its control stream"
        if let error, !(error is CancellationError) { reason += " (\(error))" }
        if let running {
            if let exit = await running.exitDescription(waitingUpTo: Self.exitReportWait) {
                reason = exit
            } else if !running.recentOutput.isEmpty {
                reason += "; last output:\n" + running.recentOutput.joined(separator: "\n")
            }
        }
        if end(as: .dead(reason)) { await stopEnvironment() }
    }

    /// The environment ended on its own (the launcher's `onExit`).
    func environmentExited(_ description: String) {
        end(as: .dead(description))
    }

    // MARK: Data stream (DataService)

    /// The harness opened its data stream: returns what to send on it,
    /// starting with anything queued while it was not open.
    func attachData() throws -> AsyncStream<Org_Apache_Beam_Model_FnExecution_V1_Elements> {
        let (stream, continuation) = AsyncStream<Elements>.makeStream()
        try state.withLock { state in
            guard state.isAlive else {
                throw RPCError(code: .failedPrecondition, message: "Worker '\(id)' is no longer running")
            }
            guard state.data == nil else {
                throw RPCError(code: .alreadyExists, message: "Worker '\(id)' already has a data stream")
            }
            for message in state.queuedData { continuation.yield(message) }
            state.queuedData = []
            state.data = continuation
        }
        logger.debug("data stream connected")
        return stream
    }

    func dataEnded() {
        let continuation = state.withLock { state in
            defer { state.data = nil }
            return state.data
        }
        continuation?.finish()
    }

    /// Data and timers from the harness, routed to their bundles.
    func receive(_ elements: Org_Apache_Beam_Model_FnExecution_V1_Elements) {
        var finished: [(CheckedContinuation<BundleResult, any Error>, BundleResult)] = []
        var orphaned: Set<String> = []
        state.withLock { state in
            func route(_ instructionID: String, _ apply: (inout BundleCollector) -> Void, orphan: () -> Elements) {
                if var collector = state.bundles[instructionID] {
                    apply(&collector)
                    if let result = collector.result {
                        state.bundles[instructionID] = nil
                        state.retired.insert(instructionID)
                        finished.append((collector.continuation, result))
                    } else {
                        state.bundles[instructionID] = collector
                    }
                } else if !state.retired.contains(instructionID) {
                    state.orphans[instructionID, default: []].append(orphan())
                    orphaned.insert(instructionID)
                }
            }
            for data in elements.data {
                route(data.instructionID, { $0.absorb(data) }, orphan: { .with { $0.data = [data] } })
            }
            for timer in elements.timers {
                route(timer.instructionID, { $0.absorb(timer) }, orphan: { .with { $0.timers = [timer] } })
            }
        }
        for instructionID in orphaned {
            logger.debug("buffering data for an instruction not yet running", metadata: ["instruction": "\(instructionID)"])
        }
        for (continuation, result) in finished { continuation.resume(returning: result) }
    }

    // MARK: Helpers

    /// Moves to a final phase, failing everything that waits. Returns whether
    /// this call ended the worker.
    @discardableResult
    private func end(as phase: Phase) -> Bool {
        struct Doomed {
            var waiters: [CheckedContinuation<Void, any Error>] = []
            var pending: [CheckedContinuation<InstructionResponse, any Error>] = []
            var bundles: [(String, CheckedContinuation<BundleResult, any Error>)] = []
            var control: AsyncStream<InstructionRequest>.Continuation?
            var data: AsyncStream<Elements>.Continuation?
        }
        let ended: (Doomed, WorkerError)? = state.withLock { state in
            guard state.isAlive else { return nil }
            state.phase = phase
            let doomed = Doomed(
                waiters: Array(state.connectWaiters.values),
                pending: Array(state.pending.values),
                bundles: state.bundles.map { ($0.key, $0.value.continuation) },
                control: state.control,
                data: state.data)
            state.retired.formUnion(state.bundles.keys)
            state.connectWaiters = [:]
            state.pending = [:]
            state.bundles = [:]
            state.orphans = [:]
            state.queuedData = []
            state.control = nil
            state.data = nil
            return (doomed, state.deathError)
        }
        guard let (doomed, error) = ended else { return false }
        if case .dead(let reason) = phase {
            logger.error("SDK harness died", metadata: ["reason": "\(reason)"])
        } else {
            logger.debug("worker stopped")
        }
        doomed.control?.finish()
        doomed.data?.finish()
        doomed.waiters.forEach { $0.resume(throwing: error) }
        doomed.pending.forEach { $0.resume(throwing: error) }
        for (instructionID, continuation) in doomed.bundles {
            registry.removeStateHandler(for: instructionID)
            continuation.resume(throwing: error)
        }
        return true
    }

    private func stopEnvironment() async {
        let running: (any RunningEnvironment)? = state.withLock { state in
            guard !state.environmentStopped else { return nil }
            state.environmentStopped = true
            return state.running
        }
        await running?.stop()
    }

    private static func send(_ message: Elements, in state: inout State) {
        if let data = state.data {
            data.yield(message)
        } else {
            state.queuedData.append(message)
        }
    }

    /// The data-plane messages for a bundle's input: data and timers in
    /// batches of about `batchBytes`, then `is_last` for every input, every
    /// runner source of the descriptor and every timer family.
    private static func inputMessages(
        instructionID: String,
        shape: DescriptorShape,
        inputs: [BundleInput],
        timers: [BundleTimerInput]
    ) -> [Elements] {
        var messages: [Elements] = []
        var current = Elements()
        var currentBytes = 0
        func add(bytes: Int, _ append: (inout Elements) -> Void) {
            if currentBytes > 0, currentBytes + bytes > batchBytes {
                messages.append(current)
                current = Elements()
                currentBytes = 0
            }
            append(&current)
            currentBytes += bytes
        }
        for input in inputs {
            for chunk in input.batches(of: batchBytes) {
                add(bytes: chunk.count) { elements in
                    elements.data.append(.with {
                        $0.instructionID = instructionID
                        $0.transformID = input.transformID
                        $0.data = Data(chunk)
                    })
                }
            }
        }
        for timer in timers {
            for chunk in timer.batches(of: batchBytes) {
                add(bytes: chunk.count) { elements in
                    elements.timers.append(.with {
                        $0.instructionID = instructionID
                        $0.transformID = timer.key.transformID
                        $0.timerFamilyID = timer.key.timerFamilyID
                        $0.timers = Data(chunk)
                    })
                }
            }
        }
        var closedSources: [String] = []
        for transformID in inputs.map(\.transformID) + shape.sources where !closedSources.contains(transformID) {
            closedSources.append(transformID)
        }
        var closedTimers: [BundleTimerKey] = []
        for key in timers.map(\.key) + shape.timerFamilies where !closedTimers.contains(key) {
            closedTimers.append(key)
        }
        add(bytes: 0) { elements in
            for transformID in closedSources {
                elements.data.append(.with {
                    $0.instructionID = instructionID
                    $0.transformID = transformID
                    $0.isLast = true
                })
            }
            for key in closedTimers {
                elements.timers.append(.with {
                    $0.instructionID = instructionID
                    $0.transformID = key.transformID
                    $0.timerFamilyID = key.timerFamilyID
                    $0.isLast = true
                })
            }
        }
        messages.append(current)
        return messages
    }
}

/// A continuation `SDKWorker.abandon` can fail with CancellationError.
private protocol CancellableWaiter {
    func cancel()
}

extension CheckedContinuation: CancellableWaiter where E == any Error {
    func cancel() { resume(throwing: CancellationError()) }
}
