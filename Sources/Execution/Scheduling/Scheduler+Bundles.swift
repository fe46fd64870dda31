import BeamCore
import Engine
import Planner
import Worker

// How the Scheduler moves data: commits to PCollections, TestStream events,
// and the choice and running of the next bundle.

extension Scheduler {
    // MARK: Data movement

    /// Commits `chunk` (windowed values) to `pcollection`: kept whole if it is
    /// a side input, and handed to every main-input consumer. `hold` is a
    /// timestamp no element of the chunk is earlier than (unless late).
    func deliver(_ chunk: [UInt8], to pcollection: String, hold: Int64) throws {
        guard !chunk.isEmpty else { return }
        sideInputs[pcollection]?.append(chunk)
        for index in mainConsumers[pcollection] ?? [] {
            let node = nodes[index]
            switch node.kind {
            case .flatten(let flatten):
                try deliver(chunk, to: flatten.output, hold: hold)
            case .groupByKey(let runtime):
                let fired = try runtime.grouping.add(chunk[...], inputWatermark: node.inputWatermark, processingTime: clock.now)
                try deliver(fired, to: runtime.step.output, hold: node.outputWatermark)
            case .stage(let runtime):
                runtime.deliver(chunk, hold: hold)
            case .impulse, .testStream:
                continue
            }
        }
    }

    func applyNextTestStreamEvent() throws -> Bool {
        for node in nodes {
            guard case .testStream(let runtime) = node.kind, let event = runtime.takeEvent() else { continue }
            switch event {
            case .elements(let tag, let encoded):
                if let output = runtime.step.outputs[tag] {
                    try deliver(encoded, to: output, hold: runtime.watermarks[output] ?? BeamTime.minTimestamp)
                }
            case .watermark:
                break
            case .processingTime(let millis):
                clock.advance(byMillis: millis)
            }
            // Only now: the last event's elements were delivered under its watermark, not +inf.
            if runtime.isExhausted { runtime.finish() }
            return true
        }
        return false
    }

    // MARK: Bundles

    /// Runs the first runnable bundle, downstream first: data drains before
    /// sources make more (bounding what waits in queues), and a source that is
    /// always runnable cannot starve the stages after it. A bundle carries the
    /// stage's ready input and then its due timers, so a timer never fires
    /// ahead of input that reached the stage earlier, nor waits behind a
    /// stream of it.
    func runNextBundle() async throws -> Bool {
        let drainProcessingTime = drainsProcessingTime
        for node in nodes.reversed() {
            guard case .stage(let runtime) = node.kind else { continue }
            let stage = runtime.stage
            let input = runtime.pending.isEmpty ? nil : try readyInput(runtime)
            // Timers wait for queued input that is not ready yet (the side inputs it needs).
            let timerWatermark = min(node.inputWatermark, runtime.residualHold, runtime.pendingHold)
            let timers = runtime.timers.takeDue(inputWatermark: timerWatermark, processingTime: clock.now,
                                                drainProcessingTime: drainProcessingTime)
            if let input {
                runtime.drainingTimerRounds = 0
                try await runBundle(node, runtime, input: input, timers: timers)
                return true
            }
            if !timers.isEmpty {
                if timerWatermark >= BeamTime.maxTimestamp && drainProcessingTime {
                    runtime.drainingTimerRounds += 1
                    guard runtime.drainingTimerRounds <= Self.maxDrainingTimerRounds else {
                        throw ExecutionError("\(stage.displayName) kept setting timers for \(Self.maxDrainingTimerRounds) rounds after its input ended; giving up")
                    }
                }
                try await runBundle(node, runtime, input: BundleInput(transformID: stage.input.transformID, data: []),
                                    timers: timers)
                return true
            }
            let residuals = runtime.takeDueResiduals(wallNow: ProcessingClock.wallMillis)
            if !residuals.isEmpty {
                try await runBundle(node, runtime, input: BundleInput(transformID: stage.input.transformID,
                                                                     data: Array(residuals.map(\.data).joined())),
                                    timers: [])
                return true
            }
        }
        return false
    }

    /// Whether processing-time timers fire as soon as a stage's input ends: in
    /// batch, and once a TestStream that owned processing time is over; a
    /// streaming job waits for the clock.
    private var drainsProcessingTime: Bool {
        if clock.isTestOwned {
            return nodes.allSatisfy { if case .testStream(let runtime) = $0.kind { runtime.isExhausted } else { true } }
        }
        return !streaming
    }

    /// Bounds looping timers once a stage's input has ended.
    static let maxDrainingTimerRounds = 100_000

    func runBundle(_ node: Node, _ runtime: StageRuntime, input: BundleInput,
                   timers: [BundleTimerInput]) async throws {
        let stage = runtime.stage
        let result = try await bundles.run(stage, input: input, timers: timers, sideInputs: try sideInputs(for: stage),
                                           userState: userState)
        // Outputs are no earlier than the stage's output watermark before this bundle.
        let hold = node.outputWatermark
        for output in stage.outputs {
            try deliver(result.outputs[output.transformID] ?? [], to: output.pcollection, hold: hold)
        }
        try runtime.timers.record(result.timers)
        for residual in result.response.residualRoots {
            guard residual.application.transformID == stage.residualTransformID else {
                throw ExecutionError("\(stage.displayName) returned a residual for transform '\(residual.application.transformID)', which does not start the stage; resuming it is not supported")
            }
            let estimate = residual.application.outputWatermarks.values.map(\.millis).min()
            runtime.addResidual(.init(data: [UInt8](residual.application.element),
                                      resumeAt: ProcessingClock.wallMillis + max(0, residual.requestedTimeDelay.millis),
                                      hold: estimate.map { max($0, node.outputWatermark) } ?? BeamTime.minTimestamp))
        }
        try await bundles.finalize(result, of: stage)
    }
}
