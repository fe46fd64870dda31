import BeamCore
import Engine
import Foundation
import Planner
import Worker

/// Runs a plan watermark-first: every step has an input watermark (the
/// minimum of what it reads) and an output watermark held back by whatever it
/// still has to emit (pending input, timers, residuals, buffered panes).
/// Data moves as soon as it is committed; GroupByKeys fire as their input
/// watermark and processing time advance; stages run a bundle whenever they
/// have input, due timers or due residuals. When nothing is runnable the next
/// TestStream event is applied, or the scheduler sleeps until the next
/// processing-time deadline. The job is done when every watermark is +inf
/// and nothing is left; an unbounded job runs until cancelled.
///
/// Owned by one `JobRun` task; not shared.
final class Scheduler {
    private let plan: ExecutionPlan
    private let nodes: [Node]
    private let producers: [String: Int]
    private let mainConsumers: [String: [Int]]
    private let sideInputs: [String: SideInputState]
    private var clock: ProcessingClock
    private let bundles: StageBundleRunner
    private let userState: UserStateStore
    private let post: (String) -> Void
    private let streaming: Bool

    /// One plan step with its watermarks.
    final class Node {
        enum Kind {
            case impulse(output: String)
            case testStream(TestStreamRuntime)
            case flatten(FlattenStep)
            case groupByKey(GroupByKeyRuntime)
            case stage(StageRuntime)
        }

        let kind: Kind
        var inputWatermark = BeamTime.minTimestamp
        var outputWatermark = BeamTime.minTimestamp

        init(_ kind: Kind) { self.kind = kind }
    }

    init(plan: ExecutionPlan, streaming: Bool, bundles: StageBundleRunner, userState: UserStateStore,
         post: @escaping (String) -> Void) throws {
        self.plan = plan
        self.streaming = streaming
        self.bundles = bundles
        self.userState = userState
        self.post = post
        var nodes: [Node] = []
        var producers: [String: Int] = [:]
        var consumers: [String: [Int]] = [:]
        var sides = Set<String>()
        var hasTestStream = false
        for (index, step) in plan.steps.enumerated() {
            switch step {
            case .impulse(let output):
                nodes.append(Node(.impulse(output: output)))
                producers[output] = index
            case .testStream(let testStream):
                nodes.append(Node(.testStream(TestStreamRuntime(testStream))))
                testStream.outputs.values.forEach { producers[$0] = index }
                hasTestStream = true
            case .flatten(let flatten):
                nodes.append(Node(.flatten(flatten)))
                producers[flatten.output] = index
                flatten.inputs.forEach { consumers[$0, default: []].append(index) }
            case .groupByKey(let gbk):
                nodes.append(Node(.groupByKey(GroupByKeyRuntime(step: gbk, grouping: try Self.grouping(gbk, plan, streaming: streaming || plan.hasTestStream)))))
                producers[gbk.output] = index
                consumers[gbk.input, default: []].append(index)
            case .stage(let stage):
                nodes.append(Node(.stage(StageRuntime(stage))))
                stage.outputs.forEach { producers[$0.pcollection] = index }
                consumers[stage.input.pcollection, default: []].append(index)
                stage.sideInputs.forEach { sides.insert($0.pcollection) }
            }
        }
        self.nodes = nodes
        self.producers = producers
        self.mainConsumers = consumers
        var sideInputs: [String: SideInputState] = [:]
        for id in sides {
            guard let pcollection = plan.pcollections[id] else {
                throw ExecutionError("internal: unknown side input PCollection '\(id)'")
            }
            let windowFn = plan.windowingStrategies[pcollection.windowingStrategyID].flatMap {
                try? WindowingTranslation.spec($0, windowCoder: pcollection.window).windowFn
            }
            sideInputs[id] = SideInputState(pcollection, windowFn: windowFn)
        }
        self.sideInputs = sideInputs
        self.clock = ProcessingClock(testOwned: hasTestStream)
    }

    /// The one-pass batch operator where it gives the same panes (a batch job,
    /// the default trigger), else the triggered one.
    private static func grouping(_ gbk: GroupByKeyStep, _ plan: ExecutionPlan, streaming: Bool) throws -> any GroupingOperator {
        guard let input = plan.pcollections[gbk.input], case .kv(let keyCoder, let valueCoder) = input.element else {
            throw ExecutionError("GroupByKey '\(gbk.name)' input is not a KV")
        }
        guard let strategy = plan.windowingStrategies[gbk.windowingStrategyID] else {
            throw ExecutionError("GroupByKey '\(gbk.name)' names unknown windowing strategy '\(gbk.windowingStrategyID)'")
        }
        let windowing = try WindowingTranslation.spec(strategy, windowCoder: input.window)
        if !streaming, BatchGroupByKey.applies(to: windowing) {
            return BatchGroupByKey(keyCoder: keyCoder, valueCoder: valueCoder, windowing: windowing)
        }
        return try TriggeredGroupByKey(keyCoder: keyCoder, valueCoder: valueCoder, windowing: windowing)
    }

    // MARK: Loop

    func run() async throws {
        for node in nodes {
            if case .impulse(let output) = node.kind {
                try deliver(ImpulseElement.encoded(), to: output, hold: BeamTime.minTimestamp)
                node.outputWatermark = BeamTime.maxTimestamp
            }
        }
        while true {
            try Task.checkCancellation()
            try await updateWatermarks()
            releaseFinishedSideInputs()
            if try await runNextBundle() { continue }
            if try applyNextTestStreamEvent() { continue }
            if isDone { return }
            guard let wait = millisUntilNextDeadline() else {
                throw ExecutionError("The pipeline stalled: nothing can run and watermarks are held at \(stallReport())")
            }
            try await Task.sleep(for: .milliseconds(max(1, min(wait, 1_000))))
        }
    }

    private var isDone: Bool {
        nodes.allSatisfy { node in
            guard node.outputWatermark >= BeamTime.maxTimestamp else { return false }
            if case .stage(let runtime) = node.kind { return runtime.isIdle }
            return true
        }
    }

    /// Drops side inputs whose reading stages are all done (input at +inf, nothing left).
    private func releaseFinishedSideInputs() {
        var readers: [String: [Node]] = [:]
        for node in nodes {
            guard case .stage(let runtime) = node.kind else { continue }
            for binding in runtime.stage.sideInputs { readers[binding.pcollection, default: []].append(node) }
        }
        for (id, side) in sideInputs where !side.isReleased {
            let done = (readers[id] ?? []).allSatisfy { node in
                guard case .stage(let runtime) = node.kind else { return true }
                return node.inputWatermark >= BeamTime.maxTimestamp && runtime.isIdle
            }
            if done { side.release() }
        }
    }

    // MARK: Watermarks

    private func watermark(of pcollection: String) -> Int64 {
        guard let index = producers[pcollection] else { return BeamTime.maxTimestamp }
        let node = nodes[index]
        if case .testStream(let runtime) = node.kind { return runtime.watermarks[pcollection] ?? BeamTime.minTimestamp }
        return node.outputWatermark
    }

    /// One pass in plan order: each step's input watermark from its producers,
    /// GroupByKeys fired, output watermarks from input and holds. Never regresses.
    private func updateWatermarks() async throws {
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
                let reads = [runtime.stage.input.pcollection] + runtime.stage.sideInputs.map(\.pcollection)
                let input = reads.map(watermark(of:)).min() ?? BeamTime.maxTimestamp
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
    private func expireUserState(_ node: Node, _ runtime: StageRuntime) {
        let stage = runtime.stage
        guard stage.usesUserState else { return }
        // A held timer (either domain) keeps its window's state until it has fired.
        var watermark = min(node.inputWatermark, runtime.pendingHold, runtime.residualHold, runtime.timers.hold)
        // A timer at t fires once the watermark passes t: its window's state must outlive t.
        if let timer = runtime.timers.earliestEventTime { watermark = min(watermark, timer - 1) }
        guard watermark > runtime.stateExpiredThrough else { return }
        runtime.stateExpiredThrough = watermark
        for stateful in stage.statefulTransforms {
            let windowCoder = stateful.windowCoder
            userState.expire(transformID: stateful.transformID, windowsEndingBefore: watermark,
                             allowedLateness: stateful.allowedLateness) { bytes in
                var reader = ByteReader(bytes)
                return (try? windowCoder.decodeWindow(&reader))?.maxTimestamp
            }
        }
    }

    /// Has the SDK merge the windows of every key that got elements (a custom merging WindowFn).
    private func mergeWindows(_ runtime: GroupByKeyRuntime, _ merge: MergeWindowsStage) async throws {
        let keys = runtime.grouping.windowsToMerge()
        guard !keys.isEmpty else { return }
        let merging = CustomWindowMerging(merge: merge)
        let result = try await bundles.run(merge.stage, input: try merging.request(keys), timers: [], sideInputs: [:],
                                           userState: userState)
        let sink = merge.stage.outputs[0].transformID
        for (index, merges) in try merging.results(result.outputs[sink] ?? [], keyCount: keys.count) {
            try runtime.grouping.merge(key: keys[index].key, merges)
        }
    }

    // MARK: Data movement

    /// Commits `chunk` (windowed values) to `pcollection`: kept whole if it is
    /// a side input, and handed to every main-input consumer. `hold` is a
    /// timestamp no element of the chunk is earlier than (unless late).
    private func deliver(_ chunk: [UInt8], to pcollection: String, hold: Int64) throws {
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

    private func applyNextTestStreamEvent() throws -> Bool {
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
    private func runNextBundle() async throws -> Bool {
        for node in nodes.reversed() {
            guard case .stage(let runtime) = node.kind else { continue }
            let stage = runtime.stage
            let input = runtime.pending.isEmpty ? nil : try readyInput(runtime)
            // Timers wait for queued input that is not ready yet (the side inputs it needs).
            let timerWatermark = min(node.inputWatermark, runtime.residualHold, runtime.pendingHold)
            let timers = runtime.timers.takeDue(inputWatermark: timerWatermark, processingTime: clock.now,
                                                drainProcessingTime: drainsProcessingTime)
            if let input {
                runtime.drainingTimerRounds = 0
                try await runBundle(node, runtime, input: input, timers: timers)
                return true
            }
            if !timers.isEmpty {
                if timerWatermark >= BeamTime.maxTimestamp && drainsProcessingTime {
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

    private func runBundle(_ node: Node, _ runtime: StageRuntime, input: BundleInput,
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

    // MARK: Side inputs

    /// The stage's queued input that may run now: all of it once its side
    /// inputs are complete, else the elements whose side windows are ready
    /// (the rest stays queued); nil if none is.
    private func readyInput(_ runtime: StageRuntime) throws -> BundleInput? {
        let stage = runtime.stage
        guard let source = plan.pcollections[stage.input.pcollection] else {
            throw ExecutionError("internal: unknown stage input '\(stage.input.pcollection)'")
        }
        let coder = CoderSpec.windowedValue(element: source.element, window: source.window)
        let reads = stage.sideInputs.compactMap { binding in sideInputs[binding.pcollection].map { ($0, watermark(of: binding.pcollection)) } }
        if reads.allSatisfy({ $0.1 >= BeamTime.maxTimestamp }) {
            let chunks = runtime.takePending()
            var input = BundleInput(transformID: stage.input.transformID, data: Array(chunks.joined()))
            input.elementOffsets = ElementBoundaries.offsets(of: chunks, coder: coder)
            return input
        }
        // Elements the runner cannot read (an SDK-only coder) wait for complete side inputs.
        guard coder.isKnown else { return nil }
        let hold = runtime.pendingHold
        let codec = WindowedValueCodec(elementCoder: source.element, windowCoder: source.window)
        var ready: [[UInt8]] = []
        var waiting = ByteWriter()
        for chunk in runtime.takePending() {
            var reader = ByteReader(chunk)
            while !reader.isAtEnd {
                let start = reader.position
                let value = try codec.read(&reader)
                let element = chunk[start..<reader.position]
                let isReady = try reads.allSatisfy { side, watermark in
                    try value.windows.allSatisfy { try side.isReady(for: $0, watermark: watermark) }
                }
                if isReady { ready.append(Array(element)) } else { waiting.writeBytes(element) }
            }
        }
        runtime.deliver(waiting.bytes, hold: hold)
        return ready.isEmpty ? nil : BundleInput(transformID: stage.input.transformID, elements: ready)
    }

    private func sideInputs(for stage: FusedStage) throws -> [BundleStateServer.SideInputKey: BundleStateServer.SideInput] {
        var bound: [BundleStateServer.SideInputKey: BundleStateServer.SideInput] = [:]
        for binding in stage.sideInputs {
            guard let side = sideInputs[binding.pcollection] else {
                throw ExecutionError("internal: unknown side input PCollection '\(binding.pcollection)'")
            }
            bound[.init(transformID: binding.transformID, localName: binding.localName)] = try side.contents()
        }
        return bound
    }

    // MARK: Waiting

    /// Millis until a processing-time timer, trigger or residual is due; nil if none is pending.
    private func millisUntilNextDeadline() -> Int64? {
        var waits: [Int64] = []
        let now = clock.now
        let wallNow = ProcessingClock.wallMillis
        for node in nodes {
            switch node.kind {
            case .stage(let runtime):
                if let resume = runtime.nextResidualResume { waits.append(resume - wallNow) }
                if !clock.isTestOwned, let due = runtime.timers.nextProcessingTime { waits.append(due - now) }
            case .groupByKey(let runtime):
                if !clock.isTestOwned, let due = runtime.grouping.nextProcessingTimeDeadline { waits.append(due - now) }
            default:
                continue
            }
        }
        return waits.min().map { max(0, $0) }
    }

    private func stallReport() -> String {
        var held: [String] = []
        for (index, node) in nodes.enumerated() where node.outputWatermark < BeamTime.maxTimestamp {
            switch node.kind {
            case .stage(let runtime):
                held.append("\(runtime.stage.displayName): input \(node.inputWatermark), output \(node.outputWatermark)")
            case .groupByKey(let runtime):
                held.append("GroupByKey '\(runtime.step.name)': input \(node.inputWatermark), output \(node.outputWatermark)")
            default:
                held.append("step \(index): output \(node.outputWatermark)")
            }
        }
        return held.joined(separator: "; ")
    }
}
