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
    /// `toSideInputs` false: the chunk is a main input only (its side input was given whole).
    func deliver(_ chunk: [UInt8], to pcollection: String, hold: Int64, toSideInputs: Bool = true) throws {
        guard !chunk.isEmpty else { return }
        if let boundary, boundary.outputs.contains(pcollection) { try boundary.emit(pcollection, chunk) }
        if toSideInputs { sideInputs[pcollection]?.append(chunk) }
        for index in mainConsumers[pcollection] ?? [] {
            let node = nodes[index]
            switch node.kind {
            case .flatten(let flatten):
                try deliver(chunk, to: flatten.output, hold: hold)
            case .groupByKey(let runtime):
                let fired = try runtime.grouping.add(chunk[...], inputWatermark: node.inputWatermark, processingTime: clock.now)
                try deliver(fired, to: runtime.step.output, hold: node.outputWatermark)
            case .stage(let runtime):
                try runtime.deliver(chunk, hold: hold)
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

    /// Starts bundles while some environment has an idle worker and some
    /// stage has work, downstream first: data drains before sources make
    /// more (bounding what waits in queues), and a source that is always
    /// runnable cannot starve the stages after it.
    func launchBundles(into group: inout ThrowingTaskGroup<Completion, any Error>) throws {
        // A due checkpoint waits for the running bundles to finish, so none starts.
        guard !checkpointPending else { return }
        let drainProcessingTime = drainsProcessingTime
        var launchedOne = true
        while launchedOne {
            launchedOne = false
            for (index, node) in nodes.enumerated().reversed() {
                guard case .stage(let runtime) = node.kind else { continue }
                let idle = idleSlots(runtime.stage.environmentID)
                // A TestStream replays its events in order: each batch stays one bundle, as with one worker.
                let share = clock.isTestOwned ? 1 : idle
                guard idle > 0,
                      let bundle = try nextBundle(index, node, runtime, idle: share, drainProcessingTime: drainProcessingTime)
                else { continue }
                launch(bundle, runtime, into: &group)
                launchedOne = true
                break
            }
        }
    }

    func idleSlots(_ environmentID: String) -> Int {
        (slots[environmentID] ?? 1) - (busySlots[environmentID] ?? 0)
    }

    /// The stage's next bundle, taken from its queues: ready input (at most
    /// the sizing's bounds, and an even share of what is queued across the
    /// idle workers), then due timers of the same key lanes, so a timer never
    /// fires ahead of input that reached the stage earlier; else due
    /// residuals. In a keyed stage only lanes no running bundle owns are
    /// taken. Nil when the stage has nothing to run now.
    private func nextBundle(_ index: Int, _ node: Node, _ runtime: StageRuntime, idle: Int,
                            drainProcessingTime: Bool) throws -> LaunchedBundle? {
        let stage = runtime.stage
        var bundle = LaunchedBundle(id: nextBundleID, node: index,
                                    input: BundleInput(transformID: stage.input.transformID, data: []))
        var elements: [ArraySlice<UInt8>] = []
        if runtime.hasPending {
            let ready = try readyCounts(runtime)
            let readyBytes = ready == nil ? runtime.pendingBytes : nil
            var budget = sizing.share(of: readyBytes ?? sizing.maxBytes * idle, among: idle)
            // Restrictions go out by the SDK's size estimates, an even share per idle worker.
            var weightBudget = Double.infinity
            if ready == nil, let total = try runtime.pendingRestrictionSize(), total > 0 {
                weightBudget = total / Double(idle)
                budget.bytes = sizing.maxBytes
            }
            let lanes = runtime.queues.count
            for step in 0..<lanes {
                let lane = (runtime.laneCursor + step) % lanes
                guard budget.elements > 0, budget.bytes > 0, weightBudget > 0, runtime.isFree(lane: lane) else { continue }
                let available = ready?[lane] ?? Int.max
                guard available > 0, !runtime.queues[lane].isEmpty else { continue }
                let taken = try runtime.take(lane: lane, maxElements: min(budget.elements, available), maxBytes: budget.bytes,
                                             maxWeight: weightBudget)
                guard !taken.elements.isEmpty else { continue }
                if let size = runtime.restrictionSize { weightBudget -= taken.elements.reduce(0) { $0 + size($1) } }
                elements += taken.elements
                budget.elements -= taken.elements.count
                budget.bytes -= taken.elements.reduce(0) { $0 + $1.count }
                bundle.hold = min(bundle.hold, taken.hold)
                bundle.lanes.insert(lane)
            }
            if stage.isKeyed { runtime.laneCursor = (runtime.laneCursor + 1) % lanes }
        }
        // Timers wait for queued input that is not ready yet (the side inputs it needs), and for running bundles.
        let timerWatermark = min(node.inputWatermark, runtime.residualHold, runtime.pendingHold,
                                 runtime.inFlightHold, bundle.hold)
        let claimed = bundle.lanes
        let timers = runtime.timers.takeDue(inputWatermark: timerWatermark, processingTime: clock.now,
                                            drainProcessingTime: drainProcessingTime,
                                            isFree: { claimed.contains($0) || runtime.isFree(lane: $0) })
        if !elements.isEmpty {
            runtime.drainingTimerRounds = 0
        } else if !timers.isEmpty {
            if timerWatermark >= BeamTime.maxTimestamp && drainProcessingTime {
                runtime.drainingTimerRounds += 1
                guard runtime.drainingTimerRounds <= Self.maxDrainingTimerRounds else {
                    throw ExecutionError("\(stage.displayName) kept setting timers for \(Self.maxDrainingTimerRounds) rounds after its input ended; giving up")
                }
            }
        } else {
            let wallNow = ProcessingClock.wallMillis
            let due = runtime.dueResidualCount(wallNow: wallNow)
            guard due > 0 else { return nil }
            let residuals = runtime.takeDueResiduals(wallNow: wallNow, limit: (due + idle - 1) / idle)
            bundle.input = BundleInput(transformID: stage.input.transformID, elements: residuals.map(\.data))
            bundle.hold = residuals.map(\.hold).min() ?? bundle.hold
            return bundle
        }
        if !elements.isEmpty {
            bundle.input = BundleInput(transformID: stage.input.transformID, slices: elements)
        }
        bundle.timers = timers.inputs
        bundle.hold = min(bundle.hold, timers.hold)
        bundle.lanes.formUnion(timers.lanes)
        return bundle
    }

    /// Whether processing-time timers fire as soon as a stage's input ends: in
    /// batch, and once a TestStream that owned processing time is over; a
    /// streaming job waits for the clock.
    private var drainsProcessingTime: Bool {
        if clock.isTestOwned {
            return nodes.allSatisfy { if case .testStream(let runtime) = $0.kind { runtime.isExhausted } else { true } }
        }
        return !streaming || draining
    }

    /// Bounds looping timers once a stage's input has ended.
    static let maxDrainingTimerRounds = 100_000

    /// Runs the bundle in a task of its own; the loop commits it when it finishes.
    private func launch(_ bundle: LaunchedBundle, _ runtime: StageRuntime,
                        into group: inout ThrowingTaskGroup<Completion, any Error>) {
        nextBundleID += 1
        var bundle = bundle
        let stage = runtime.stage
        let stageToRun = stageToRun(stage)
        bundle.truncating = stageToRun.id != stage.id
        runtime.begin(bundle: bundle.id, hold: bundle.hold, lanes: bundle.lanes)
        busySlots[stage.environmentID, default: 0] += 1
        inFlightTotal += 1
        let handle = BundleHandle(input: bundle.input)
        // Splitting hands part of a bundle's input to another; a keyed stage's lanes forbid that.
        let splittable = !stage.isKeyed && bundle.timers.isEmpty && runtime.inputCoder.isKnown
            && bundle.input.elementOffsets?.isEmpty == false
        running[bundle.id] = RunningBundle(bundle: bundle, handle: handle, splittable: splittable)
        let sides = Result { try sideInputs(for: stage) }
        let sideTokens = sideInputTokens(for: stage)
        let (runner, userState, id, timers) = (bundles, self.userState, bundle.id, bundle.timers)
        group.addTask {
            let ran = try await runner.run(stageToRun, handle: handle, timers: timers, sideInputs: try sides.get(),
                                           sideInputTokens: sideTokens, userState: userState)
            return .bundle(id, ran)
        }
    }

    /// Commits a finished bundle: its outputs to their PCollections, its
    /// timers and residuals to the stage; then finalizes it.
    func complete(_ id: Int, _ ran: RanBundle) async throws {
        guard let bundle = running.removeValue(forKey: id)?.bundle else { return }
        noSplitBefore[id] = nil
        checkpointAsked.remove(id)
        let node = nodes[bundle.node]
        guard case .stage(let runtime) = node.kind else { return }
        let stage = runtime.stage
        runtime.end(bundle: bundle.id)
        busySlots[stage.environmentID, default: 1] -= 1
        inFlightTotal -= 1
        let result = ran.result
        // Outputs are no earlier than the stage's output watermark, which this bundle held.
        let hold = node.outputWatermark
        for output in stage.outputs {
            try deliver(result.outputs[output.transformID] ?? [], to: output.pcollection, hold: hold)
        }
        try runtime.timers.record(result.timers)
        for residual in result.response.residualRoots {
            guard residual.application.transformID == stage.residualTransformID else {
                throw ExecutionError("\(stage.displayName) returned a residual for transform '\(residual.application.transformID)', which does not start the stage; resuming it is not supported")
            }
            runtime.addResidual(residual, outputWatermark: node.outputWatermark, hold: BeamTime.minTimestamp)
        }
        try await bundles.finalize(ran)
    }
}

/// A bundle in flight: what was launched, the handle its task runs it
/// through, and whether it may be split.
struct RunningBundle {
    let bundle: LaunchedBundle
    let handle: BundleHandle
    let splittable: Bool
}

/// A bundle the scheduler started: which step, what it carries, what it
/// holds (no output of it is earlier, unless late) and the key lanes it owns.
struct LaunchedBundle: Sendable {
    let id: Int
    let node: Int
    var input: BundleInput
    var timers: [BundleTimerInput] = []
    var hold = BeamTime.maxTimestamp
    var lanes: Set<Int> = []
    /// Runs the stage's truncating variant (the job drains).
    var truncating = false
}
