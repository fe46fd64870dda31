import BeamCore
import BeamModel
import Engine
import Foundation
import GRPCCore
import JobService
import Logging
import Planner
import Worker

/// Executes one planned job: starts the job's Fn API server and one SDK
/// harness per environment, then runs the plan's steps in order — Impulse,
/// GroupByKey and Flatten in the engine, fused stages as bundles on the
/// harness — committing each bundle's outputs to the engine and its metrics
/// to the job. Stops every worker on every exit path.
struct JobRun {
    let job: Job
    let plan: ExecutionPlan
    let settings: ExecutionSettings
    let logger: Logger

    private let metrics = MetricsAggregator()
    private let userState = UserStateStore()

    init(job: Job, plan: ExecutionPlan, settings: ExecutionSettings, logger: Logger) {
        self.job = job
        self.plan = plan
        self.settings = settings
        var logger = logger
        logger[metadataKey: "job"] = "\(job.id)"
        self.logger = logger
    }

    func run() async throws {
        let server = try await FnAPIServer.start(
            host: settings.host, provisionInfo: provisionInfo(),
            extraServices: [ArtifactRetrievalService(store: settings.artifacts)],
            logSink: { [job] entry in JobRun.forward(entry, to: job) }, logger: logger)
        let workers = WorkerSet(server: server, plan: plan, jobID: job.id, timeout: settings.workerStartTimeout)
        do {
            try await withTaskCancellationHandler {
                try await workers.startAll()
                job.transition(to: .running)
                job.post("Running \(plan.steps.count) steps (\(plan.stages.count) fused stages) on \(plan.environments.count) SDK environment(s)")
                try await runSteps(workers)
            } onCancel: {
                // Bundles end with their worker: stopping the workers unblocks a cancelled job.
                Task { await workers.stopAll() }
            }
        } catch {
            await workers.stopAll()
            await server.stop()
            throw error
        }
        await workers.stopAll()
        await server.stop()
    }

    private func provisionInfo() -> ProvisionInfo {
        ProvisionInfo.with {
            $0.pipelineOptions = job.options
            $0.retrievalToken = job.id
            if let environment = plan.environments.values.first {
                $0.dependencies = environment.dependencies
            }
        }
    }

    // MARK: Steps

    private func runSteps(_ workers: WorkerSet) async throws {
        let store = PCollectionStore(readers: readerCounts())
        var sideInputCache: [String: BundleStateServer.SideInput] = [:]
        for step in plan.steps {
            try Task.checkCancellation()
            switch step {
            case .impulse(let output):
                store.append(ImpulseElement.encoded(), to: output)
            case .flatten(let flatten):
                for input in flatten.inputs {
                    for chunk in store.chunks(of: input) { store.append(chunk, to: flatten.output) }
                    store.finishedReading(input)
                }
            case .groupByKey(let gbk):
                try group(gbk, store: store)
                store.finishedReading(gbk.input)
            case .stage(let stage):
                var sideInputs: [BundleStateServer.SideInputKey: BundleStateServer.SideInput] = [:]
                for binding in stage.sideInputs {
                    if sideInputCache[binding.pcollection] == nil {
                        let pcollection = try runnerPCollection(binding.pcollection)
                        let data = try SideInputData(chunks: store.chunks(of: binding.pcollection),
                                                     elementCoder: pcollection.element, windowCoder: pcollection.window)
                        sideInputCache[binding.pcollection] = .init(data: data, elementCoder: pcollection.element)
                    }
                    sideInputs[.init(transformID: binding.transformID, localName: binding.localName)] = sideInputCache[binding.pcollection]
                }
                try await runStage(stage, store: store, workers: workers,
                                   state: BundleStateServer(sideInputs: sideInputs, userState: userState))
                store.finishedReading(stage.input.pcollection)
                for binding in stage.sideInputs {
                    store.finishedReading(binding.pcollection)
                    if store.isReleased(binding.pcollection) { sideInputCache[binding.pcollection] = nil }
                }
            }
        }
    }

    private func runStage(_ stage: FusedStage, store: PCollectionStore, workers: WorkerSet,
                          state: BundleStateServer) async throws {
        let chunks = store.chunks(of: stage.input.pcollection)
        var input = [UInt8]()
        input.reserveCapacity(chunks.reduce(0) { $0 + $1.count })
        chunks.forEach { input.append(contentsOf: $0) }
        var pending = BundleInput(transformID: stage.input.transformID, data: input)
        let source = try runnerPCollection(stage.input.pcollection)
        pending.elementOffsets = ElementBoundaries.offsets(
            of: chunks, coder: .windowedValue(element: source.element, window: source.window))
        var timers = PendingTimers(stage.timerFamilies)
        // A splittable DoFn may checkpoint: its residuals come back as more input for this stage.
        while true {
            let residuals = try await runBundle(stage, input: pending, store: store, workers: workers, state: state, timers: &timers)
            guard !residuals.isEmpty else { break }
            pending = try residualInput(residuals, of: stage)
            if let delay = residuals.map(\.requestedTimeDelay).max(by: { $0.millis < $1.millis }), delay.millis > 0 {
                try await Task.sleep(for: .milliseconds(min(delay.millis, 10_000)))
            }
        }
        // The input is exhausted, so the watermark is past every window: fire held timers until none are set.
        var rounds = 0
        while !timers.isEmpty {
            rounds += 1
            guard rounds <= Self.maxTimerRounds else {
                throw ExecutionError("\(describe(stage)) kept setting timers for \(Self.maxTimerRounds) rounds; giving up")
            }
            let firing = timers.takeAll()
            let empty = BundleInput(transformID: stage.input.transformID, data: [])
            _ = try await runBundle(stage, input: empty, timerInputs: firing, store: store, workers: workers, state: state, timers: &timers)
        }
    }

    /// Bounds looping timers in a batch job.
    static let maxTimerRounds = 100_000

    /// Runs one bundle, retrying on a fresh harness if the harness dies; commits
    /// its outputs and returns its residuals.
    private func runBundle(_ stage: FusedStage, input: BundleInput, timerInputs: [BundleTimerInput] = [],
                           store: PCollectionStore, workers: WorkerSet, state: BundleStateServer,
                           timers: inout PendingTimers) async throws -> [Org_Apache_Beam_Model_FnExecution_V1_DelayedBundleApplication] {
        var attempt = 1
        while true {
            let worker = try await workers.worker(for: stage.environmentID)
            do {
                let result = try await worker.processBundle(descriptorID: stage.id, inputs: [input], timers: timerInputs,
                                                            stateHandler: state)
                commit(result, of: stage, to: store)
                try timers.record(result.timers)
                if result.response.requiresFinalization {
                    try await worker.finalizeBundle(instructionID: result.instructionID)
                }
                return result.response.residualRoots
            } catch WorkerError.workerDied(let reason) where attempt < settings.bundleAttempts && !Task.isCancelled {
                attempt += 1
                job.post("The SDK harness died while running \(describe(stage)) (\(reason)); restarting it and retrying the bundle (attempt \(attempt) of \(settings.bundleAttempts))",
                         importance: .jobMessageWarning)
                try await workers.restart(stage.environmentID)
            } catch let error as WorkerError {
                throw ExecutionError("\(describe(stage)) failed: \(error)")
            }
        }
    }

    /// Residual elements, already in the stage source's coder, as the next bundle's input.
    private func residualInput(_ residuals: [Org_Apache_Beam_Model_FnExecution_V1_DelayedBundleApplication],
                               of stage: FusedStage) throws -> BundleInput {
        var data = [UInt8]()
        for residual in residuals {
            guard residual.application.transformID == stage.residualTransformID else {
                throw ExecutionError("\(describe(stage)) returned a residual for transform '\(residual.application.transformID)', which does not start the stage; resuming it is not supported")
            }
            data.append(contentsOf: residual.application.element)
        }
        return BundleInput(transformID: stage.input.transformID, data: data)
    }

    private func commit(_ result: BundleResult, of stage: FusedStage, to store: PCollectionStore) {
        for output in stage.outputs {
            store.append(result.outputs[output.transformID] ?? [], to: output.pcollection)
        }
        metrics.add(result.response.monitoringInfos)
        job.updateMetrics(metrics.results)
    }

    private func group(_ gbk: GroupByKeyStep, store: PCollectionStore) throws {
        let input = try runnerPCollection(gbk.input)
        guard case .kv(let keyCoder, let valueCoder) = input.element else {
            throw ExecutionError("GroupByKey '\(gbk.name)' input is not a KV: \(input.element)")
        }
        guard let strategy = plan.windowingStrategies[gbk.windowingStrategyID] else {
            throw ExecutionError("GroupByKey '\(gbk.name)' names unknown windowing strategy '\(gbk.windowingStrategyID)'")
        }
        let windowing = try WindowingTranslation.spec(strategy, windowCoder: input.window)
        let output = try GroupByKey.run(input: store.chunks(of: gbk.input), keyCoder: keyCoder,
                                        valueCoder: valueCoder, windowing: windowing)
        store.append(output, to: gbk.output)
    }

    // MARK: Helpers

    private func readerCounts() -> [String: Int] {
        var counts: [String: Int] = [:]
        for step in plan.steps {
            switch step {
            case .impulse: break
            case .flatten(let flatten): flatten.inputs.forEach { counts[$0, default: 0] += 1 }
            case .groupByKey(let gbk): counts[gbk.input, default: 0] += 1
            case .stage(let stage):
                counts[stage.input.pcollection, default: 0] += 1
                stage.sideInputs.forEach { counts[$0.pcollection, default: 0] += 1 }
            }
        }
        return counts
    }

    private func runnerPCollection(_ id: String) throws -> RunnerPCollection {
        guard let pcollection = plan.pcollections[id] else { throw ExecutionError("internal: unknown runner PCollection '\(id)'") }
        return pcollection
    }

    private func describe(_ stage: FusedStage) -> String {
        let names = stage.transformNames.prefix(4).joined(separator: ", ")
        return "Stage \(stage.id) [\(names)\(stage.transformNames.count > 4 ? ", ..." : "")]"
    }

    /// SDK warnings and errors become job messages; everything is in the server log already.
    static func forward(_ entry: LogEntry, to job: Job) {
        switch entry.severity {
        case .error, .critical:
            job.post("SDK harness: \(entry.message)\(entry.trace.isEmpty ? "" : "\n\(entry.trace)")", importance: .jobMessageWarning)
        case .warn:
            job.post("SDK harness: \(entry.message)", importance: .jobMessageWarning)
        default:
            break
        }
    }
}

/// A failure of the run itself, with a message for the pipeline's author.
struct ExecutionError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
