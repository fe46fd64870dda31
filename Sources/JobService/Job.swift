import BeamModel
import Foundation
import SwiftProtobuf
import Synchronization

/// One submitted pipeline, from Prepare to its terminal state: its pipeline,
/// options, state history, messages, staging progress, metrics and runtime
/// status. The job service handlers, the artifact staging session, the
/// executor and the web UI all share a `Job`; every change goes through its
/// lock, so stream subscribers see state changes and messages in one order,
/// illegal transitions are refused, and the job's `history` records each
/// change in that same order.
public final class Job: Sendable {
    /// What the state and message streams carry.
    public enum Event: Sendable {
        case state(JobStateEvent)
        case message(JobMessage)
    }

    public enum StagingStatus: Sendable, Equatable {
        case notStarted, inProgress, completed
        case failed(String)
    }

    public let id: String
    public let name: String
    public let stagingToken: String
    public let options: Google_Protobuf_Struct
    public let created: Date
    /// Read back from the job store after a restart (not run by this process).
    public let fromHistory: Bool
    /// Most SDK harness log entries kept as messages; later ones are counted.
    public let harnessLogLimit: Int
    private let history: any JobHistory
    private let record: Mutex<Record>

    private struct Subscriber {
        let includeMessages: Bool
        let continuation: AsyncStream<Event>.Continuation
    }

    private struct Record {
        var pipeline: Pipeline
        var state: JobState.Enum
        var events: [Event] = []
        var nextMessageID = 1
        var staging: StagingStatus = .notStarted
        var stagingWaiters: [CheckedContinuation<StagingStatus, Never>] = []
        var subscribers: [Int: Subscriber] = [:]
        var nextSubscriberID = 0
        var metrics = Org_Apache_Beam_Model_JobManagement_V1_MetricResults()
        var runtime = JobRuntimeStatus()
        var harnessLogEntries = 0
        var droppedLogEntries = 0
        /// Messages other than harness logs, and those not kept beyond `runnerMessageLimit`.
        var runnerMessages = 0
        var droppedRunnerMessages = 0
        var lastHarnessLog: ContinuousClock.Instant?
    }

    public init(id: String, name: String, stagingToken: String, pipeline: Pipeline, options: Google_Protobuf_Struct,
                harnessLogLimit: Int = 1_000, history: any JobHistory = NoJobHistory()) {
        self.id = id
        self.name = name
        self.stagingToken = stagingToken
        self.options = options
        self.created = Date()
        self.fromHistory = false
        self.harnessLogLimit = harnessLogLimit
        self.history = history
        history.record(.prepared(id: id, name: name, created: created, pipeline: pipeline, options: options))
        var record = Record(pipeline: pipeline, state: .stopped)
        Self.publish(.state(Self.stateEvent(.stopped)), in: &record, id: id, history: history)
        self.record = Mutex(record)
    }

    /// A job read back from the store; it keeps recording to `history`.
    public init(restoring stored: StoredJob, harnessLogLimit: Int = 1_000, history: any JobHistory) {
        id = stored.id
        name = stored.name
        stagingToken = UUID().uuidString.lowercased()
        options = stored.options
        created = stored.created
        fromHistory = true
        self.harnessLogLimit = harnessLogLimit
        self.history = history
        var record = Record(pipeline: stored.pipeline, state: .stopped)
        record.events = stored.events
        for case .state(let change) in stored.events { record.state = change.state }
        record.nextMessageID = 1 + stored.events.reduce(0) { last, event in
            if case .message(let message) = event { max(last, Int(message.messageID) ?? 0) } else { last }
        }
        record.metrics = stored.metrics
        record.runtime = stored.runtime
        record.droppedLogEntries = stored.droppedLogEntries
        // Harness logs included: the store does not tell them apart.
        record.runnerMessages = stored.events.reduce(0) { count, event in if case .message = event { count + 1 } else { count } }
        self.record = Mutex(record)
    }

    // MARK: Reading

    public var state: JobState.Enum { record.withLock { $0.state } }

    public var isTerminal: Bool { JobStateMachine.isTerminal(state) }

    public var pipeline: Pipeline { record.withLock { $0.pipeline } }

    public var metrics: Org_Apache_Beam_Model_JobManagement_V1_MetricResults { record.withLock { $0.metrics } }

    public var runtime: JobRuntimeStatus { record.withLock { $0.runtime } }

    /// Harness log entries not kept because the job reached `harnessLogLimit`.
    public var droppedLogEntries: Int { record.withLock { $0.droppedLogEntries } }

    /// Every state change, oldest first.
    public var stateHistory: [JobStateEvent] {
        record.withLock { $0.events.compactMap { if case .state(let change) = $0 { change } else { nil } } }
    }

    /// When the job reached its terminal state, if it did.
    public var ended: Date? {
        let latest = latestStateEvent
        return JobStateMachine.isTerminal(latest.state) ? latest.timestamp.date : nil
    }

    /// What made a FAILED job fail: its last error message.
    public var failureReason: String? {
        record.withLock { record in
            guard record.state == .failed else { return nil }
            for case .message(let message) in record.events.reversed() where message.importance == .jobMessageError {
                return message.messageText
            }
            return nil
        }
    }

    /// The most recent state change, with its time.
    public var latestStateEvent: JobStateEvent {
        record.withLock { record in
            for case .state(let event) in record.events.reversed() { return event }
            return Self.stateEvent(record.state)
        }
    }

    public var info: JobInfo {
        JobInfo.with {
            $0.jobID = id
            $0.jobName = name
            $0.pipelineOptions = options
            $0.state = state
        }
    }

    /// Messages posted so far, oldest first.
    public var messages: [JobMessage] {
        record.withLock { record in
            record.events.compactMap { if case .message(let m) = $0 { m } else { nil } }
        }
    }

    // MARK: Changing

    /// Moves to `newState` if the state machine allows it; returns whether it did.
    @discardableResult
    public func transition(to newState: JobState.Enum) -> Bool {
        let finished: [AsyncStream<Event>.Continuation]? = record.withLock { record in
            guard JobStateMachine.canTransition(from: record.state, to: newState) else { return nil }
            record.state = newState
            if JobStateMachine.isTerminal(newState) {
                if record.droppedRunnerMessages > 0 {
                    Self.publish(.message(Self.message(
                        "\(record.droppedRunnerMessages) runner messages (progress, retries) were not kept beyond the first \(Self.runnerMessageLimit) of this job",
                        importance: .jobMessageWarning, in: &record)), in: &record, id: id, history: history)
                }
                if record.droppedLogEntries > 0 {
                    Self.publish(.message(Self.message(
                        "\(record.droppedLogEntries) SDK harness log entries were not kept as job messages (limit \(harnessLogLimit) per job); the server log has them all",
                        importance: .jobMessageWarning, in: &record)), in: &record, id: id, history: history)
                }
                for index in record.runtime.workers.indices { record.runtime.workers[index].state = "stopped" }
                for index in record.runtime.stages.indices { record.runtime.stages[index].bundlesInFlight = 0 }
            }
            Self.publish(.state(Self.stateEvent(newState)), in: &record, id: id, history: history)
            if JobStateMachine.isTerminal(newState) {
                history.record(.finished(id: id, metrics: record.metrics, runtime: record.runtime,
                                         droppedLogEntries: record.droppedLogEntries))
                return Self.detachAll(&record)
            }
            return []
        }
        // Finish outside the lock: finishing runs onTermination, which takes it.
        finished?.forEach { $0.finish() }
        return finished != nil
    }

    /// Messages other than harness logs kept per job: a streaming job runs for
    /// weeks, posting progress and retries. Errors are always kept.
    public static let runnerMessageLimit = 10_000

    /// Adds a message to the job's message stream.
    public func post(_ text: String, importance: JobMessage.MessageImportance = .jobMessageBasic) {
        record.withLock { record in
            guard record.runnerMessages < Self.runnerMessageLimit || importance == .jobMessageError else {
                record.droppedRunnerMessages += 1
                return
            }
            record.runnerMessages += 1
            Self.publish(.message(Self.message(text, importance: importance, in: &record)), in: &record, id: id, history: history)
        }
    }

    /// Posts an SDK harness log entry, unless the job already keeps
    /// `harnessLogLimit` of them: then it is only counted.
    public func postHarnessLog(_ text: String, importance: JobMessage.MessageImportance) {
        record.withLock { record in
            record.lastHarnessLog = .now
            guard record.harnessLogEntries < harnessLogLimit, !JobStateMachine.isTerminal(record.state) else {
                record.droppedLogEntries += 1
                return
            }
            record.harnessLogEntries += 1
            Self.publish(.message(Self.message(text, importance: importance, in: &record)), in: &record, id: id, history: history)
        }
    }

    /// Posts an error message, then fails the job (the order Beam's Python client
    /// relies on to report the error text).
    public func fail(_ reason: String) {
        post(reason, importance: .jobMessageError)
        transition(to: .failed)
    }

    /// A job a restarted server runs over from its pipeline: back to STARTING,
    /// saying why, with the lost run's metrics and runtime status cleared so
    /// nothing of it is counted twice.
    public func startOver(_ reason: String) {
        post(reason, importance: .jobMessageWarning)
        record.withLock { record in
            record.metrics = .init()
            record.runtime = JobRuntimeStatus()
            record.harnessLogEntries = 0
        }
        if state != .starting { transition(to: .starting) }
    }

    public func replacePipeline(_ pipeline: Pipeline) {
        record.withLock { record in
            record.pipeline = pipeline
            history.record(.pipelineReplaced(id: id, pipeline: pipeline))
        }
    }

    /// Waits (up to `limit`) until no harness log entry arrived for `quiet`:
    /// logs travel on their own stream and may trail a job's last bundle.
    public func harnessLogsSettle(quiet: Duration = .milliseconds(50), limit: Duration = .milliseconds(500)) async {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            guard let last = record.withLock({ $0.lastHarnessLog }), ContinuousClock.now - last < quiet else { return }
            try? await Task.sleep(for: quiet)
        }
    }

    /// Execution's report of how the job runs (ignored once it finished).
    public func updateRuntime(_ change: (inout JobRuntimeStatus) -> Void) {
        record.withLock { record in
            if !JobStateMachine.isTerminal(record.state) { change(&record.runtime) }
        }
    }

    public func updateMetrics(_ metrics: Org_Apache_Beam_Model_JobManagement_V1_MetricResults) {
        record.withLock { $0.metrics = metrics }
    }

    // MARK: Streams

    /// The job's history followed by live events, ending after a terminal state.
    /// With `includeMessages` false only state changes are delivered.
    public func events(includeMessages: Bool) -> AsyncStream<Event> {
        let (stream, continuation) = AsyncStream<Event>.makeStream()
        let subscriberID: Int? = record.withLock { record in
            for event in record.events where includeMessages || event.isState {
                continuation.yield(event)
            }
            if JobStateMachine.isTerminal(record.state) { return nil }
            let id = record.nextSubscriberID
            record.nextSubscriberID += 1
            record.subscribers[id] = Subscriber(includeMessages: includeMessages, continuation: continuation)
            return id
        }
        guard let subscriberID else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.record.withLock { $0.subscribers.removeValue(forKey: subscriberID) }
        }
        return stream
    }

    // MARK: Cancellation

    /// Cancel as the Job API defines it: a prepared job is cancelled at once, a
    /// running one moves to CANCELLING until its executor stops. Returns the state after.
    public func requestCancel() throws -> JobState.Enum {
        let current = state
        if JobStateMachine.isTerminal(current) {
            throw JobServiceError.illegalState("Job '\(id)' already finished in state \(current); it cannot be cancelled")
        }
        if current == .stopped, transition(to: .cancelled) { return .cancelled }
        if current != .cancelling { transition(to: .cancelling) }
        return state
    }

    /// Returns once the job is CANCELLING or has finished.
    public func waitForCancelRequest() async {
        for await event in events(includeMessages: false) {
            if case .state(let change) = event, change.state == .cancelling { return }
        }
    }

    // MARK: Draining

    /// Drain as the Job API defines it: stop reading from sources, let every
    /// watermark reach +inf, fire what is buffered, end DRAINED. A STARTING
    /// job drains from its first bundle; asking again while DRAINING is a no-op.
    public func requestDrain() throws -> JobState.Enum {
        let current = state
        switch current {
        case .starting, .running:
            if !transition(to: .draining), state != .draining {
                throw JobServiceError.illegalState("Job '\(id)' is \("\(state)".uppercased()); only a STARTING or RUNNING job can be drained")
            }
        case .draining:
            break
        case .stopped:
            throw JobServiceError.illegalState("Job '\(id)' has not been run; only a STARTING or RUNNING job can be drained (Cancel drops a prepared job)")
        default:
            throw JobServiceError.illegalState("Job '\(id)' is \("\(current)".uppercased()); only a STARTING or RUNNING job can be drained")
        }
        return state
    }

    /// Returns true once the job is DRAINING; false if it finished without being drained.
    public func waitForDrainRequest() async -> Bool {
        for await event in events(includeMessages: false) {
            if case .state(let change) = event, change.state == .draining { return true }
        }
        return state == .draining
    }

    /// Ends a job whose run completed: DONE, or DRAINED when it was drained.
    public func finishRun() {
        if state == .draining || !transition(to: .done) {
            // A drain may land between the check and the move: DRAINED either way then.
            transition(to: .drained)
        }
    }

    // MARK: Staging

    /// Claims the job's one staging session.
    public func beginStaging() throws {
        try record.withLock { record in
            guard record.staging == .notStarted else {
                throw JobServiceError.illegalState("Artifacts for job '\(id)' were already staged or are being staged")
            }
            guard record.state == .stopped else {
                throw JobServiceError.illegalState("Job '\(id)' is \(record.state); artifacts can only be staged before Run")
            }
            record.staging = .inProgress
        }
    }

    public func finishStaging(_ outcome: StagingStatus) {
        let waiters = record.withLock { record in
            record.staging = outcome
            defer { record.stagingWaiters = [] }
            return record.stagingWaiters
        }
        waiters.forEach { $0.resume(returning: outcome) }
    }

    /// The staging outcome, waiting for a session still in progress.
    public func stagingOutcome() async -> StagingStatus {
        await withCheckedContinuation { continuation in
            let ready: StagingStatus? = record.withLock { record in
                if record.staging == .inProgress {
                    record.stagingWaiters.append(continuation)
                    return nil
                }
                return record.staging
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    // MARK: Helpers

    private static func stateEvent(_ state: JobState.Enum) -> JobStateEvent {
        JobStateEvent.with {
            $0.state = state
            $0.timestamp = Google_Protobuf_Timestamp(date: Date())
        }
    }

    private static func message(_ text: String, importance: JobMessage.MessageImportance, in record: inout Record) -> JobMessage {
        defer { record.nextMessageID += 1 }
        return JobMessage.with {
            $0.messageID = String(record.nextMessageID)
            $0.time = String(Int64(Date().timeIntervalSince1970 * 1000))
            $0.importance = importance
            $0.messageText = text
        }
    }

    private static func publish(_ event: Event, in record: inout Record, id: String, history: any JobHistory) {
        history.record(.event(id: id, sequence: record.events.count, event: event))
        record.events.append(event)
        for subscriber in record.subscribers.values where subscriber.includeMessages || event.isState {
            subscriber.continuation.yield(event)
        }
    }

    private static func detachAll(_ record: inout Record) -> [AsyncStream<Event>.Continuation] {
        defer { record.subscribers = [:] }
        return record.subscribers.values.map(\.continuation)
    }
}

extension Job.Event {
    var isState: Bool {
        if case .state = self { true } else { false }
    }
}
