import BeamModel
import Foundation
import SwiftProtobuf

/// Where a job's lasting record goes as it changes: the job store, or nowhere
/// (`--ephemeral`). `Job` calls `record` under its lock, in the order the
/// changes happen, so an implementation must be quick (queue, don't write).
public protocol JobHistory: Sendable {
    func record(_ change: JobHistoryChange)
}

/// One change to a job's lasting record.
public enum JobHistoryChange: Sendable {
    case prepared(id: String, name: String, created: Date, pipeline: Pipeline, options: Google_Protobuf_Struct)
    case pipelineReplaced(id: String, pipeline: Pipeline)
    /// A state change or message, `sequence` counting from 0 per job.
    case event(id: String, sequence: Int, event: Job.Event)
    /// The job reached a terminal state: what it measured and how it ran.
    case finished(id: String, metrics: Org_Apache_Beam_Model_JobManagement_V1_MetricResults,
                  runtime: JobRuntimeStatus, droppedLogEntries: Int)
}

/// Keeps nothing: the server's in-memory behaviour.
public struct NoJobHistory: JobHistory {
    public init() {}
    public func record(_ change: JobHistoryChange) {}
}

/// A job as the store read it back after a restart.
public struct StoredJob: Sendable {
    public var id: String
    public var name: String
    public var created: Date
    public var pipeline: Pipeline
    public var options: Google_Protobuf_Struct
    public var events: [Job.Event]
    public var metrics: Org_Apache_Beam_Model_JobManagement_V1_MetricResults
    public var runtime: JobRuntimeStatus
    public var droppedLogEntries: Int

    public init(id: String, name: String, created: Date, pipeline: Pipeline, options: Google_Protobuf_Struct,
                events: [Job.Event], metrics: Org_Apache_Beam_Model_JobManagement_V1_MetricResults = .init(),
                runtime: JobRuntimeStatus = .init(), droppedLogEntries: Int = 0) {
        self.id = id
        self.name = name
        self.created = created
        self.pipeline = pipeline
        self.options = options
        self.events = events
        self.metrics = metrics
        self.runtime = runtime
        self.droppedLogEntries = droppedLogEntries
    }
}
