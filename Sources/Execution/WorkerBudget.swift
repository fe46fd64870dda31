import Foundation
import Synchronization

/// The server's SDK workers (`--max-workers`), shared fairly by the jobs
/// running at once: a job gets what it asks for, but no more than an equal
/// share of the budget nor more than is left, and always at least one
/// worker per environment so no job waits for another to end.
public final class WorkerBudget: Sendable {
    public let maxWorkers: Int
    private let state = Mutex(State())

    private struct State {
        var jobs = 0
        var granted = 0
    }

    public static var cores: Int { ProcessInfo.processInfo.activeProcessorCount }

    public init(maxWorkers: Int) {
        self.maxWorkers = max(1, maxWorkers)
    }

    /// Workers per environment for a job with `environments` environments that wants `wanted` each.
    func grant(wanted: Int, environments: Int) -> Int {
        state.withLock { state in
            state.jobs += 1
            let perEnvironment = max(1, environments)
            let share = maxWorkers / state.jobs / perEnvironment
            let left = (maxWorkers - state.granted) / perEnvironment
            let count = max(1, min(wanted, share, left))
            state.granted += count * perEnvironment
            return count
        }
    }

    /// Returns a job's grant.
    func release(_ count: Int, environments: Int) {
        state.withLock { state in
            state.jobs -= 1
            state.granted -= count * max(1, environments)
        }
    }
}
