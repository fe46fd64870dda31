import BeamCore
import Engine
import Foundation
import Logging
import Planner
import Worker

/// Runs a plan watermark-first: every step has an input watermark (the
/// minimum of what it reads) and an output watermark held back by whatever it
/// still has to emit (pending input, timers, residuals, buffered panes).
/// Data moves as soon as it is committed; GroupByKeys fire as their input
/// watermark and processing time advance; stages run a bundle whenever they
/// have input, due timers or due residuals, as many bundles at once as the
/// environment has workers (bounded in size, one key lane per bundle in a
/// keyed stage), committed in whatever order they finish. When nothing runs
/// the next TestStream event is applied, or the scheduler sleeps until the
/// next processing-time deadline. The job is done when every watermark is +inf
/// and nothing is left; an unbounded job runs until cancelled.
///
/// Owned by one `JobRun` task; not shared.
final class Scheduler {
    let plan: ExecutionPlan
    let nodes: [Node]
    let producers: [String: Int]
    let mainConsumers: [String: [Int]]
    let sideInputs: [String: SideInputState]
    /// Side-input PCollection -> the stages reading it (for releasing it once they are done).
    let sideInputReaders: [String: [Node]]
    var clock: ProcessingClock
    let bundles: StageBundleRunner
    let userState: UserStateStore
    let streaming: Bool
    /// Bundles each environment may have in flight: its worker count.
    var slots: [String: Int]
    /// When and how the worker counts change; nil pins them.
    var autoscaling: AutoscalingState?
    /// Bundles in flight per environment.
    var busySlots: [String: Int] = [:]
    var inFlightTotal = 0
    var nextBundleID = 0
    /// Wall-clock millis of the wake-up tasks not yet returned.
    var pendingWakes: Set<Int64> = []
    /// Bundles in flight, by id.
    var running: [Int: RunningBundle] = [:]
    /// Bundles with a split request outstanding; a bundle that finishes meanwhile waits here for its outcome.
    var splitting: Set<Int> = []
    var finishedWhileSplitting: [Int: RanBundle] = [:]
    /// Bundles whose last split gave nothing are not asked again before this wall-clock time.
    var noSplitBefore: [Int: Int64] = [:]
    /// Splits that handed work to another bundle, for the job's closing message.
    var splitCount = 0
    /// Wall-clock millis of the last status put on the job.
    var lastStatusPublished: Int64 = 0
    let logger: Logger
    let sizing: BundleSizing
    /// Set when the plan is one part of a job (a Spark task's segment).
    let boundary: PlanBoundary?
    /// The boundary's feed: a read in flight, and whether it has ended.
    var feedReading = false
    var feedEnded = false
    /// Set once the job drains (Scheduler+Drain).
    var draining = false
    /// Running bundles already asked to checkpoint (for a drain or a checkpoint).
    var checkpointAsked: Set<Int> = []
    /// A streaming job's checkpoints (Scheduler+Checkpoint); nil: none are taken.
    let checkpoints: CheckpointPolicy?
    var nextCheckpointAt: Int64 = 0
    /// A checkpoint is due: no bundle starts until it is written.
    var checkpointPending = false
    var checkpointsTaken = 0
    var checkpointWriteFailures = 0
    var checkpointsSkipped = 0
    /// Wall-clock millis the pending checkpoint became due (the pause starts).
    var checkpointDueSince: Int64 = 0
    /// Wake-ups scheduled only for a checkpoint.
    var checkpointWakes: Set<Int64> = []

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

        var stageRuntime: StageRuntime? {
            if case .stage(let runtime) = kind { runtime } else { nil }
        }
    }

    init(plan: ExecutionPlan, streaming: Bool, bundles: StageBundleRunner, userState: UserStateStore,
         slots: [String: Int], autoscaling: AutoscalingPolicy? = nil, sizing: BundleSizing,
         boundary: PlanBoundary? = nil, checkpoints: CheckpointPolicy? = nil, logger: Logger) throws {
        self.plan = plan
        self.checkpoints = checkpoints
        if let checkpoints { nextCheckpointAt = ProcessingClock.wallMillis + Int64(checkpoints.interval / .milliseconds(1)) }
        self.boundary = boundary
        self.logger = logger
        self.slots = slots
        self.autoscaling = autoscaling.map { AutoscalingState(policy: $0) }
        self.sizing = sizing
        self.streaming = streaming
        self.bundles = bundles
        self.userState = userState
        var nodes: [Node] = []
        var producers: [String: Int] = [:]
        var consumers: [String: [Int]] = [:]
        var sides = Set<String>()
        for (index, step) in plan.steps.enumerated() {
            switch step {
            case .impulse(let output):
                nodes.append(Node(.impulse(output: output)))
                producers[output] = index
            case .testStream(let testStream):
                nodes.append(Node(.testStream(TestStreamRuntime(testStream))))
                testStream.outputs.values.forEach { producers[$0] = index }
            case .flatten(let flatten):
                nodes.append(Node(.flatten(flatten)))
                producers[flatten.output] = index
                flatten.inputs.forEach { consumers[$0, default: []].append(index) }
            case .groupByKey(let gbk):
                nodes.append(Node(.groupByKey(GroupByKeyRuntime(step: gbk, grouping: try Self.grouping(gbk, plan, streaming: streaming || plan.hasTestStream)))))
                producers[gbk.output] = index
                consumers[gbk.input, default: []].append(index)
            case .stage(let stage):
                guard let source = plan.pcollections[stage.input.pcollection] else {
                    throw ExecutionError("internal: unknown stage input '\(stage.input.pcollection)'")
                }
                let coder = CoderSpec.windowedValue(element: source.element, window: source.window)
                nodes.append(Node(.stage(StageRuntime(stage, inputCoder: coder))))
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
        var readers: [String: [Node]] = [:]
        for node in nodes {
            guard case .stage(let runtime) = node.kind else { continue }
            for binding in runtime.stage.sideInputs { readers[binding.pcollection, default: []].append(node) }
        }
        self.sideInputReaders = readers
        self.clock = ProcessingClock(testOwned: plan.hasTestStream)
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

    /// What a bundle task reports back to the loop.
    enum Completion: Sendable {
        case bundle(Int, RanBundle)
        /// A split request of a running bundle was answered.
        case split(Int, Result<BundleHandle.Split?, any Error>)
        /// A worker started for an environment (autoscaling up), or failed to.
        case scaledUp(String, Result<Void, any Error>)
        /// A processing-time deadline (wall-clock millis) may have come.
        case wake(Int64)
        /// The boundary feed's next chunks, or nil at its end.
        case fed([(String, [UInt8])]?)
        /// The job was drained (true), or ended without a drain.
        case drain(Bool)
    }

    func run() async throws {
        if let resumed = checkpoints?.resumeFrom {
            try restore(from: resumed)
        } else {
            for node in nodes {
                if case .impulse(let output) = node.kind {
                    try deliver(ImpulseElement.encoded(), to: output, hold: BeamTime.minTimestamp)
                    node.outputWatermark = BeamTime.maxTimestamp
                }
            }
        }
        if let boundary {
            for (pcollection, elements) in boundary.sideInputs where !elements.isEmpty {
                sideInputs[pcollection]?.append(elements)
            }
        }
        try await withThrowingTaskGroup(of: Completion.self) { group in
            watchForDrain(into: &group)
            if bundles.job.state == .draining { beginDrain() }
            while true {
                try Task.checkCancellation()
                try await updateWatermarks()
                releaseFinishedSideInputs()
                try launchBundles(into: &group)
                readFeed(into: &group)
                requestDrainCheckpoints(into: &group)
                requestSplits(into: &group)
                await autoscale(into: &group)
                publishStatus()
                if try checkpointIfDue(into: &group) { continue }
                if inFlightTotal == 0 && !checkpointPending {
                    if try applyNextTestStreamEvent() { continue }
                    if isDone {
                        publishStatus(force: true)
                        // Wake-ups, split requests or a starting worker may still be pending: none matters now.
                        group.cancelAll()
                        return
                    }
                }
                let deadline = millisUntilNextDeadline()
                // A checkpoint's wake-up is no progress: a job with nothing else to wait for is stalled.
                guard inFlightTotal > 0 || deadline != nil || pendingWakes.contains(where: { !checkpointWakes.contains($0) })
                        || feedReading else {
                    throw ExecutionError("The pipeline stalled: nothing can run and watermarks are held at \(stallReport())")
                }
                if let deadline { scheduleWake(in: deadline, group: &group) }
                if let due = millisUntilCheckpoint, let at = scheduleWake(in: due, group: &group) { checkpointWakes.insert(at) }
                switch try await group.next() {
                case .bundle(let id, let ran)?:
                    if splitting.contains(id) {
                        finishedWhileSplitting[id] = ran
                    } else {
                        try await complete(id, ran)
                    }
                case .split(let id, let outcome)?:
                    try apply(outcome, ofBundle: id)
                    if let ran = finishedWhileSplitting.removeValue(forKey: id) { try await complete(id, ran) }
                case .wake(let at)?:
                    pendingWakes.remove(at)
                    checkpointWakes.remove(at)
                case .scaledUp(let environmentID, let outcome)?:
                    scaled(environmentID, outcome)
                case .fed(let chunks)?:
                    try fed(chunks)
                case .drain(let requested)?:
                    if requested { beginDrain() }
                case nil:
                    continue
                }
            }
        }
    }

    /// Adds a wake-up task unless one is already due no later.
    /// The wake-up time it added, if it added one.
    @discardableResult
    private func scheduleWake(in millis: Int64, group: inout ThrowingTaskGroup<Completion, any Error>) -> Int64? {
        let wait = max(1, min(millis, 1_000))
        let at = ProcessingClock.wallMillis + wait
        if let earliest = pendingWakes.min(), earliest <= at { return nil }
        pendingWakes.insert(at)
        group.addTask {
            try await Task.sleep(for: .milliseconds(wait))
            return .wake(at)
        }
        return at
    }

    private var isDone: Bool {
        inFlightTotal == 0 && !feedOpen && nodes.allSatisfy { node in
            guard node.outputWatermark >= BeamTime.maxTimestamp else { return false }
            if case .stage(let runtime) = node.kind { return runtime.isIdle }
            return true
        }
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
                // A stage with no free worker waits for a bundle to finish, which wakes the loop anyway.
                guard idleSlots(runtime.stage.environmentID) > 0 else { continue }
                if let resume = runtime.nextResidualResume { waits.append(resume - wallNow) }
                if !clock.isTestOwned, let due = runtime.timers.nextProcessingTime { waits.append(due - now) }
            case .groupByKey(let runtime):
                if !clock.isTestOwned, let due = runtime.grouping.nextProcessingTimeDeadline { waits.append(due - now) }
            default:
                continue
            }
        }
        if let due = nextAutoscalingCheck { waits.append(due - wallNow) }
        // A bundle that refused to split is asked again while a worker is idle.
        for (id, retry) in noSplitBefore where running[id] != nil && !splitting.contains(id) {
            if let environment = environment(ofBundle: id), idleSlotsForSplits(environment) > 0 {
                waits.append(retry - wallNow)
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
