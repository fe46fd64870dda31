import BeamModel
import Foundation
import Synchronization
import Worker

/// A running bundle as the scheduler steers it: the worker and instruction
/// of its current attempt, and the input an attempt processes — shrunk by
/// every split, so a retry never repeats work handed to another bundle.
/// Shared by the bundle's task (which starts attempts) and the scheduler's
/// split tasks.
final class BundleHandle: Sendable {
    private struct State {
        var input: BundleInput
        var attempt: (worker: SDKWorker, instructionID: String)?
        var splitting = false
        var finished = false
    }

    private let state: Mutex<State>

    /// What a split took off the bundle: input elements it will not process
    /// (to queue again) and residual restrictions of the element in progress.
    struct Split: Sendable {
        var requeued: [[UInt8]] = []
        var residuals: [Org_Apache_Beam_Model_FnExecution_V1_DelayedBundleApplication] = []
        var isEmpty: Bool { requeued.isEmpty && residuals.isEmpty }
    }

    init(input: BundleInput) {
        state = Mutex(State(input: input))
    }

    /// Records the attempt about to start; returns the input it must process.
    func begin(worker: SDKWorker, instructionID: String) -> BundleInput {
        state.withLock { state in
            state.attempt = (worker, instructionID)
            return state.input
        }
    }

    func finish() {
        state.withLock { state in
            state.finished = true
            state.attempt = nil
        }
    }

    /// Returns once no split request is outstanding (a retry must see its outcome).
    func settled() async {
        while state.withLock({ $0.splitting }) {
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Asks the current attempt to give up `fraction` of its remaining work.
    /// Nil when it is not running, or the SDK kept everything.
    func split(fraction: Double, residualTransformID: String?) async throws -> Split? {
        let running: (SDKWorker, String, BundleInput)? = state.withLock { state in
            guard !state.finished, !state.splitting, let attempt = state.attempt else { return nil }
            state.splitting = true
            return (attempt.worker, attempt.instructionID, state.input)
        }
        guard let (worker, instructionID, input) = running, let offsets = input.elementOffsets else {
            if running != nil { state.withLock { $0.splitting = false } }
            return nil
        }
        defer { state.withLock { $0.splitting = false } }
        let response = try await worker.split(instructionID: instructionID, transformID: input.transformID,
                                              fraction: fraction, estimatedElements: offsets.count)
        let foreign = response.residualRoots.map(\.application.transformID).filter { $0 != residualTransformID }
        guard foreign.isEmpty else {
            throw ExecutionError("The SDK split a bundle with a residual for transform '\(foreign[0])', which does not start its stage; resuming it is not supported")
        }
        guard let channel = response.channelSplits.first(where: { $0.transformID == input.transformID }) else {
            guard response.residualRoots.isEmpty else {
                throw ExecutionError("The SDK split a bundle without saying where its input was cut; its residual cannot be placed")
            }
            return nil
        }
        let elements = Self.elements(of: input)
        let firstResidual = min(max(0, Int(channel.firstResidualElement)), elements.count)
        let lastPrimary = min(Int(channel.lastPrimaryElement), firstResidual - 1)
        var split = Split(requeued: elements[firstResidual...].map(Array.init))
        var primary = Array(elements[..<max(0, lastPrimary + 1)])
        if let residualTransformID {
            split.residuals = response.residualRoots.filter { $0.application.transformID == residualTransformID }
            primary += response.primaryRoots.filter { $0.transformID == residualTransformID }.map { [UInt8]($0.element)[...] }
        }
        guard !split.isEmpty else { return nil }
        state.withLock { $0.input = BundleInput(transformID: input.transformID, slices: primary) }
        return split
    }

    private static func elements(of input: BundleInput) -> [ArraySlice<UInt8>] {
        guard let offsets = input.elementOffsets else { return [input.data[...]] }
        return offsets.indices.map { index in
            input.data[offsets[index]..<(index + 1 < offsets.count ? offsets[index + 1] : input.data.count)]
        }
    }
}
