import Engine
import Foundation

/// A streaming job's runner-side state at a moment no bundle runs: every
/// step's watermarks, each stage's queued input, timers and splittable-DoFn
/// residuals, each GroupByKey's buffered panes and trigger state, side inputs,
/// user state, the TestStream position and clock, and committed metrics.
/// Taken and restored by `Scheduler` (Scheduler+Checkpoint); stored as JSON by
/// a `CheckpointStore`. A job resumed from one re-runs only work that was not
/// committed when it was taken (at-least-once input, exactly-once state).
struct SchedulerCheckpoint: Codable {
    static let currentVersion = 1

    var version = Self.currentVersion
    /// The plan's steps it belongs to; a checkpoint of another plan is refused.
    var planSteps: [String]
    var takenAtMillis: Int64
    var nodes: [Node]
    var sideInputs: [String: SideInput]
    var userState: UserStateStore.Checkpoint
    var clock: ProcessingClock
    /// Committed MonitoringInfos, each in its protobuf encoding.
    var metrics: [Data]

    struct Node: Codable {
        var inputWatermark: Int64
        var outputWatermark: Int64
        var stage: Stage?
        var grouping: GroupingCheckpoint?
        var testStream: TestStream?
    }

    struct Stage: Codable {
        var pending: [Chunk]
        var timers: [TimerFamily]
        var residuals: [StageRuntime.Residual]
        var stateExpiredThrough: Int64
    }

    struct Chunk: Codable {
        var bytes: [UInt8]
        var hold: Int64
    }

    struct TimerFamily: Codable {
        var transformID: String
        var familyID: String
        var timers: [UInt8]
    }

    struct TestStream: Codable {
        var position: Int
        var watermarks: [String: Int64]
    }

    struct SideInput: Codable {
        var chunks: [[UInt8]]
        var isReleased: Bool
    }
}

/// How a scheduler checkpoints its job: how often, where to, and what to resume from.
struct CheckpointPolicy: Sendable {
    let interval: Duration
    /// Stores an encoded checkpoint (replacing the previous one).
    let write: @Sendable ([UInt8]) throws -> Void
    /// The job's last checkpoint, when it resumes after a crash.
    let resumeFrom: [UInt8]?
}
