import BeamModel
import Foundation
import Synchronization

/// The cache tokens a job offers its bundles (`ProcessBundleRequest.cache_tokens`),
/// so each SDK harness may cache user state and side inputs across bundles.
/// A token promises the cached data cannot change behind the harness's back:
///
/// - User state: one token per worker, replaced whenever another worker
///   committed state writes (a key's lane may have run there), a bundle
///   failed on this worker (its cache may hold the failed attempt's writes),
///   or expiry cleared state. Only the worker's own commits keep it.
/// - Side inputs: one token per side input and contents version; a side
///   input that grows (streaming panes) gets a new one with each change.
///
/// Shared by the job's bundle tasks; thread-safe.
final class StateCacheTokens: Sendable {
    private struct State {
        /// Per worker that was given a token: bumped whenever its cache may be stale.
        var generations: [String: Int] = [:]
    }

    private let state = Mutex(State())
    private let jobID: String

    init(jobID: String) {
        self.jobID = jobID
    }

    typealias CacheToken = Org_Apache_Beam_Model_FnExecution_V1_ProcessBundleRequest.CacheToken

    /// The user-state token for a bundle on `workerID`.
    func userState(workerID: String) -> CacheToken {
        let generation = state.withLock { state in
            let generation = state.generations[workerID, default: 0]
            state.generations[workerID] = generation
            return generation
        }
        return .with {
            $0.userState = .init()
            $0.token = Data("\(jobID)/user/\(workerID)/\(generation)".utf8)
        }
    }

    /// A bundle on `workerID` committed; `wroteState` if it changed user state.
    func committed(workerID: String, wroteState: Bool) {
        guard wroteState else { return }
        state.withLock { state in
            for worker in state.generations.keys where worker != workerID { state.generations[worker, default: 0] += 1 }
        }
    }

    /// A bundle attempt on `workerID` failed.
    func failed(workerID: String) {
        state.withLock { $0.generations[workerID, default: 0] += 1 }
    }

    /// The runner changed state itself (expiry): no worker's cache is current.
    func invalidateAll() {
        state.withLock { state in
            for worker in state.generations.keys { state.generations[worker, default: 0] += 1 }
        }
    }

    /// The token of one side input's contents at `version`. Harnesses outlive
    /// jobs (warm workers), so the job is part of it.
    func sideInput(transformID: String, localName: String, pcollection: String, version: Int) -> CacheToken {
        .with {
            $0.sideInput = .with {
                $0.transformID = transformID
                $0.sideInputID = localName
            }
            $0.token = Data("\(jobID)/side/\(pcollection)/\(version)".utf8)
        }
    }
}
