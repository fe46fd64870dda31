import BeamCore
import Engine
import Planner
import Worker

// Watermark bookkeeping of the Scheduler: one pass per loop over the plan,
// GroupByKeys fired and merged, expired user state cleared, finished side inputs dropped.

extension Scheduler {
    /// Drops side inputs whose reading stages are all done (input at +inf, nothing left).
    func releaseFinishedSideInputs() {
        for (id, side) in sideInputs where !side.isReleased {
            let done = (sideInputReaders[id] ?? []).allSatisfy { node in
                guard case .stage(let runtime) = node.kind else { return true }
                return node.inputWatermark >= BeamTime.maxTimestamp && runtime.isIdle
            }
            if done { side.release() }
        }
    }

    // MARK: Watermarks

    /// A side input given whole (a Spark task's broadcast) is complete, even
    /// while the same PCollection is still being fed in as a main input.
    func sideInputWatermark(of pcollection: String) -> Int64 {
        boundary?.sideInputs[pcollection] != nil ? BeamTime.maxTimestamp : watermark(of: pcollection)
    }

    func watermark(of pcollection: String) -> Int64 {
        guard let index = producers[pcollection] else {
            return feedOpen && boundary?.fed.contains(pcollection) == true ? BeamTime.minTimestamp : BeamTime.maxTimestamp
        }
        let node = nodes[index]
        if case .testStream(let runtime) = node.kind { return runtime.watermarks[pcollection] ?? BeamTime.minTimestamp }
        return node.outputWatermark
    }

    /// One pass in plan order: each step's input watermark from its producers,
    /// GroupByKeys fired, output watermarks from input and holds. Never regresses.
    func updateWatermarks() async throws {
        let now = clock.now
        for node in nodes {
            switch node.kind {
            case .impulse:
                continue
            case .testStream(let runtime):
                node.inputWatermark = BeamTime.maxTimestamp
                node.outputWatermark = runtime.watermarks.values.min() ?? BeamTime.maxTimestamp
            case .flatten(let flatten):
                node.inputWatermark = max(node.inputWatermark, flatten.inputs.map(watermark(of:)).min() ?? BeamTime.maxTimestamp)
                node.outputWatermark = node.inputWatermark
            case .groupByKey(let runtime):
                node.inputWatermark = max(node.inputWatermark, watermark(of: runtime.step.input))
                if runtime.needsAdvance(inputWatermark: node.inputWatermark, processingTime: now) {
                    if let merge = runtime.step.mergeWindows { try await mergeWindows(runtime, merge) }
                    let fired = try runtime.grouping.advance(inputWatermark: node.inputWatermark, processingTime: now)
                    runtime.advancedWatermark = node.inputWatermark
                    runtime.advancedProcessingTime = now
                    try deliver(fired, to: runtime.step.output, hold: node.outputWatermark)
                }
                node.outputWatermark = max(node.outputWatermark, min(node.inputWatermark, runtime.grouping.hold))
            case .stage(let runtime):
                let input = ([watermark(of: runtime.stage.input.pcollection)]
                             + runtime.stage.sideInputs.map { sideInputWatermark(of: $0.pcollection) }).min() ?? BeamTime.maxTimestamp
                if input > node.inputWatermark {
                    node.inputWatermark = input
                }
                node.outputWatermark = max(node.outputWatermark, min(node.inputWatermark, runtime.hold))
                expireUserState(node, runtime)
            }
        }
    }

    /// Clears the user state of windows the stage's input watermark has
    /// passed (plus allowed lateness), once no input or timer for them is left.
    func expireUserState(_ node: Node, _ runtime: StageRuntime) {
        let stage = runtime.stage
        guard stage.usesUserState else { return }
        // A held timer (either domain) keeps its window's state until it has fired; so does a
        // running bundle: its hold is a timer's timestamp at the latest (a timer at window.end
        // reads the state of the window that ends just before it).
        let inFlight = runtime.inFlightHold < BeamTime.maxTimestamp ? runtime.inFlightHold - 1 : BeamTime.maxTimestamp
        var watermark = min(node.inputWatermark, runtime.pendingHold, runtime.residualHold, runtime.timers.hold, inFlight)
        // A timer at t fires once the watermark passes t: its window's state must outlive t.
        if let timer = runtime.timers.earliestEventTime { watermark = min(watermark, timer - 1) }
        guard watermark > runtime.stateExpiredThrough else { return }
        runtime.stateExpiredThrough = watermark
        for stateful in stage.statefulTransforms {
            let windowCoder = stateful.windowCoder
            let removed = userState.expire(transformID: stateful.transformID, windowsEndingBefore: watermark,
                                           allowedLateness: stateful.allowedLateness) { bytes in
                var reader = ByteReader(bytes)
                return (try? windowCoder.decodeWindow(&reader))?.maxTimestamp
            }
            // Harnesses may have cached what was just cleared.
            if removed > 0 { bundles.cacheTokens.invalidateAll() }
        }
    }

    /// Has the SDK merge the windows of every key that got elements (a custom merging WindowFn).
    func mergeWindows(_ runtime: GroupByKeyRuntime, _ merge: MergeWindowsStage) async throws {
        let keys = runtime.grouping.windowsToMerge()
        guard !keys.isEmpty else { return }
        let merging = CustomWindowMerging(merge: merge)
        let result = try await bundles.run(merge.stage, input: try merging.request(keys), userState: userState).result
        let sink = merge.stage.outputs[0].transformID
        for (index, merges) in try merging.results(result.outputs[sink] ?? [], keyCount: keys.count) {
            try runtime.grouping.merge(key: keys[index].key, merges)
        }
    }
}
