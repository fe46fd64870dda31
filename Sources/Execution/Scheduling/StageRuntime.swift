import BeamCore
import Planner
import Worker

/// What one fused stage has waiting: input chunks delivered by its
/// producers, timers its bundles set, and splittable-DoFn residuals to resume.
/// Each of them holds the stage's output watermark.
///
/// Owned by the scheduler; bundles drain it.
final class StageRuntime {
    let stage: FusedStage
    /// Input elements not yet sent to a bundle, as delivered.
    private(set) var pending: [[UInt8]] = []
    /// No pending element is earlier than this (the producer's output watermark when it was delivered).
    private(set) var pendingHold = BeamTime.maxTimestamp
    var timers: PendingTimers
    private(set) var residuals: [Residual] = []
    /// The watermark up to which user state of expired windows has been cleared.
    var stateExpiredThrough = BeamTime.minTimestamp
    /// Consecutive timer-only bundles at watermark +inf, to stop timers that loop forever.
    var drainingTimerRounds = 0

    struct Residual {
        /// Elements in the stage source's coder.
        let data: [UInt8]
        /// Wall-clock millis before which the SDK asked not to resume it.
        let resumeAt: Int64
        /// The SDK's estimate of the output watermark of the remaining work.
        let hold: Int64
    }

    init(_ stage: FusedStage) {
        self.stage = stage
        timers = PendingTimers(stage.timerFamilies)
    }

    var hold: Int64 {
        min(pendingHold, timers.hold, residualHold)
    }

    /// Work a splittable DoFn has left holds back the watermark seen by the
    /// transforms fused after it, timers included.
    var residualHold: Int64 { residuals.map(\.hold).min() ?? BeamTime.maxTimestamp }

    var isIdle: Bool { pending.isEmpty && timers.isEmpty && residuals.isEmpty }

    func deliver(_ chunk: [UInt8], hold: Int64) {
        guard !chunk.isEmpty else { return }
        pending.append(chunk)
        pendingHold = min(pendingHold, hold)
    }

    func takePending() -> [[UInt8]] {
        defer {
            pending = []
            pendingHold = BeamTime.maxTimestamp
        }
        return pending
    }

    func addResidual(_ residual: Residual) {
        residuals.append(residual)
    }

    /// Residuals whose resume time has come, removed.
    func takeDueResiduals(wallNow: Int64) -> [Residual] {
        let due = residuals.filter { $0.resumeAt <= wallNow }
        residuals.removeAll { $0.resumeAt <= wallNow }
        return due
    }

    var nextResidualResume: Int64? { residuals.map(\.resumeAt).min() }
}
