import BeamModel
import Foundation
import SwiftProtobuf
import Synchronization

/// One submitted pipeline, from Prepare to its terminal state: its pipeline,
/// options, state history, messages, staging progress and metrics. The job
/// service handlers, the artifact staging session and the executor all share a
/// `Job`; every change goes through its lock, so stream subscribers see state
/// changes and messages in one order, and illegal transitions are refused.
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
    }

    public init(id: String, name: String, stagingToken: String, pipeline: Pipeline, options: Google_Protobuf_Struct) {
        self.id = id
        self.name = name
        self.stagingToken = stagingToken
        self.options = options
        var record = Record(pipeline: pipeline, state: .stopped)
        record.events.append(.state(Self.stateEvent(.stopped)))
        self.record = Mutex(record)
    }

    // MARK: Reading

    public var state: JobState.Enum { record.withLock { $0.state } }

    public var isTerminal: Bool { JobStateMachine.isTerminal(state) }

    public var pipeline: Pipeline { record.withLock { $0.pipeline } }

    public var metrics: Org_Apache_Beam_Model_JobManagement_V1_MetricResults { record.withLock { $0.metrics } }

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
            Self.publish(.state(Self.stateEvent(newState)), in: &record)
            return JobStateMachine.isTerminal(newState) ? Self.detachAll(&record) : []
        }
        // Finish outside the lock: finishing runs onTermination, which takes it.
        finished?.forEach { $0.finish() }
        return finished != nil
    }

    /// Adds a message to the job's message stream.
    public func post(_ text: String, importance: JobMessage.MessageImportance = .jobMessageBasic) {
        record.withLock { record in
            let message = JobMessage.with {
                $0.messageID = String(record.nextMessageID)
                $0.time = String(Int64(Date().timeIntervalSince1970 * 1000))
                $0.importance = importance
                $0.messageText = text
            }
            record.nextMessageID += 1
            Self.publish(.message(message), in: &record)
        }
    }

    /// Posts an error message, then fails the job (the order Beam's Python client
    /// relies on to report the error text).
    public func fail(_ reason: String) {
        post(reason, importance: .jobMessageError)
        transition(to: .failed)
    }

    public func replacePipeline(_ pipeline: Pipeline) {
        record.withLock { $0.pipeline = pipeline }
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

    private static func publish(_ event: Event, in record: inout Record) {
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
