import BeamCore
import BeamModel
import SwiftProtobuf

/// Turns a submitted pipeline into an `ExecutionPlan`: validates
/// requirements, expands transforms by URN, fuses SDK transforms into stages,
/// wires runner data sources and sinks with length-prefixed windowed coders,
/// and orders every step after its inputs' producers.
public enum PipelinePlanner {
    public static func plan(_ pipeline: Pipeline) throws -> ExecutionPlan {
        let unsupported = pipeline.requirements.filter { !RequirementURNs.supported.contains($0) }
        if !unsupported.isEmpty {
            throw PlanningError("Unsupported pipeline requirements: \(unsupported.joined(separator: ", "))")
        }
        let context = try PipelineExpander.expand(pipeline)
        let sorted = try TopologicalOrder.sort(context.planned)
        let defaultEnvironment = pipeline.components.environments.keys.sorted().first ?? ""
        let fusion = Fusion(sorted: sorted, defaultEnvironment: defaultEnvironment)
        var builder = PlanBuilder(context: context, fusion: fusion)
        return try builder.build()
    }
}

/// Builds the plan from the fused drafts: decides runner PCollections and
/// their wire coders, sinks, flatten transcoding, descriptors and step order.
struct PlanBuilder {
    var context: PlanningContext
    let fusion: Fusion
    var wiring = CoderWiring()
    private(set) var runnerPCollections: [String: RunnerPCollection] = [:]
    private var wireCoderIDs: [String: String] = [:]
    private var elementCoderIDs: [String: String] = [:]
    /// Extra sinks for flatten inputs re-encoded with the flatten's coder: stage index -> (pipeline PCollection, runner id).
    private var transcodingSinks: [Int: [(String, String)]] = [:]
    private var flattenInputs: [String: [String]] = [:]
    /// Flatten inputs from runner steps that need an SDK stage of their own to transcode: (pipeline PCollection, runner id).
    private var transcodingStages: [(String, String)] = []
    /// TestStream outputs whose payload coder differs from the PCollection's: the
    /// runner emits them in the payload's coder and an SDK stage re-encodes them: (pipeline PCollection, runner id).
    var testStreamTranscodes: [(String, String)] = []
    init(context: PlanningContext, fusion: Fusion) {
        self.context = context
        self.fusion = fusion
    }

    mutating func build() throws -> ExecutionPlan {
        try planFlattenInputs()
        let consumedOutside = consumersOutsideStages()
        var stages: [FusedStage] = []
        for (index, draft) in fusion.drafts.enumerated() {
            stages.append(try makeStage(draft, index: index, consumedOutside: consumedOutside))
        }
        var nodes: [PlanStep] = []
        for transform in fusion.runnerTransforms {
            nodes.append(try runnerStep(transform))
        }
        for (number, (input, runnerID)) in transcodingStages.enumerated() {
            stages.append(try makeTranscodingStage(id: "transcode-\(number + 1)", pcollection: input,
                                                   from: input, to: runnerID))
        }
        for (number, (output, runnerID)) in testStreamTranscodes.enumerated() {
            stages.append(try makeTranscodingStage(id: "teststream-transcode-\(number + 1)", pcollection: output,
                                                   from: runnerID, to: output))
        }
        nodes.append(contentsOf: stages.map { .stage($0) })
        let mergeStages = nodes.compactMap { if case .groupByKey(let gbk) = $0 { gbk.mergeWindows?.stage } else { nil } }
        let environments = context.components.environments.filter { id, _ in
            (stages + mergeStages).contains { $0.environmentID == id }
        }
        return ExecutionPlan(steps: try order(nodes), pcollections: runnerPCollections,
                             environments: environments, windowingStrategies: context.components.windowingStrategies)
    }

    // MARK: Runner PCollections

    /// Registers `pcollection` as held by the runner, encoded with `elementCoder` (default: its own).
    @discardableResult
    mutating func runnerPCollection(_ pcollection: String, runnerID: String? = nil,
                                            elementCoder: String? = nil) throws -> String {
        let id = runnerID ?? pcollection
        if runnerPCollections[id] != nil { return id }
        let proto = try context.pcollection(pcollection)
        guard let windowing = context.components.windowingStrategies[proto.windowingStrategyID] else {
            throw PlanningError("PCollection '\(pcollection)' names unknown windowing strategy '\(proto.windowingStrategyID)'")
        }
        let element = try wiring.lengthPrefixUnknown(elementCoder ?? proto.coderID, in: &context)
        let window = try wiring.lengthPrefixUnknown(windowing.windowCoderID, in: &context)
        wireCoderIDs[id] = wiring.windowedValue(element: element, window: window, in: &context)
        elementCoderIDs[id] = element
        runnerPCollections[id] = RunnerPCollection(
            id: id, pipelinePCollection: pcollection,
            element: try CoderWiring.spec(element, in: context.components),
            window: try CoderWiring.spec(window, in: context.components),
            windowingStrategyID: proto.windowingStrategyID,
            isUnbounded: proto.isBounded == .unbounded)
        return id
    }

    /// Flatten inputs whose coder differs from the output's are re-encoded by
    /// an extra sink in their producing stage (the SDK transcodes).
    private mutating func planFlattenInputs() throws {
        for transform in fusion.runnerTransforms where transform.executor == .flatten {
            guard let output = transform.outputs.first else { continue }
            let outputCoder = try context.pcollection(output).coderID
            var inputs: [String] = []
            for input in transform.transform.inputs.keys.sorted().compactMap({ transform.transform.inputs[$0] }) {
                let inputCoder = try context.pcollection(input).coderID
                if inputCoder == outputCoder {
                    inputs.append(input)
                    continue
                }
                let runnerID = "\(input)@\(transform.id)"
                try runnerPCollection(input, runnerID: runnerID, elementCoder: outputCoder)
                if let stage = fusion.stage(producing: input) {
                    transcodingSinks[stage, default: []].append((input, runnerID))
                } else {
                    transcodingStages.append((input, runnerID))
                }
                inputs.append(runnerID)
            }
            flattenInputs[transform.id] = inputs
        }
    }

    /// PCollections produced in a stage and read by anything outside it.
    private func consumersOutsideStages() -> Set<String> {
        var consumed = Set<String>()
        for transform in fusion.runnerTransforms where transform.executor != .flatten {
            consumed.formUnion(transform.inputs)
        }
        for (index, draft) in fusion.drafts.enumerated() {
            if fusion.stage(producing: draft.source) != index { consumed.insert(draft.source) }
            for transform in draft.transforms { consumed.formUnion(transform.sideInputs.values) }
        }
        for transform in fusion.runnerTransforms where transform.executor == .flatten {
            consumed.formUnion(flattenInputs[transform.id] ?? [])
        }
        consumed.formUnion(transcodingStages.map(\.0))
        return consumed
    }

    // MARK: Steps

    private mutating func runnerStep(_ planned: PlannedTransform) throws -> PlanStep {
        let transform = planned.transform
        switch planned.executor {
        case .impulse:
            guard let output = planned.outputs.first else { throw PlanningError("Impulse '\(transform.uniqueName)' has no output") }
            return .impulse(output: try runnerPCollection(output))
        case .testStream:
            return .testStream(try testStreamStep(planned))
        case .groupByKey:
            let input = try runnerPCollection(planned.inputs[0])
            let output = try runnerPCollection(planned.outputs[0])
            return .groupByKey(GroupByKeyStep(transformID: planned.id, name: transform.uniqueName, input: input, output: output,
                                              windowingStrategyID: try context.pcollection(planned.inputs[0]).windowingStrategyID,
                                              mergeWindows: try mergeWindowsStage(gbkID: planned.id, inputPCollection: planned.inputs[0])))
        case .flatten:
            let output = try runnerPCollection(planned.outputs[0])
            var inputs: [String] = []
            for input in flattenInputs[planned.id] ?? [] { inputs.append(try runnerPCollection(input)) }
            return .flatten(FlattenStep(transformID: planned.id, inputs: inputs, output: output))
        case .sdk:
            throw PlanningError("internal: SDK transform '\(transform.uniqueName)' outside a stage")
        }
    }

    private mutating func makeStage(_ draft: Fusion.Draft, index: Int, consumedOutside: Set<String>) throws -> FusedStage {
        var descriptor = ProcessBundleDescriptor()
        descriptor.id = draft.id
        let source = try runnerPCollection(draft.source)
        let sourceID = "\(draft.id)_source"
        descriptor.transforms[sourceID] = port(TransformURNs.runnerSource, name: sourceID, coder: wireCoderIDs[source]!, outputs: ["i0": draft.source])

        var outputs: [StagePort] = []
        var sinkTargets: [(pipeline: String, runner: String)] = []
        for pcollection in draft.produced.sorted() where consumedOutside.contains(pcollection) {
            sinkTargets.append((pcollection, try runnerPCollection(pcollection)))
        }
        sinkTargets.append(contentsOf: transcodingSinks[index] ?? [])
        for (number, target) in sinkTargets.enumerated() {
            let sinkID = "\(draft.id)_sink\(number)"
            descriptor.transforms[sinkID] = port(TransformURNs.runnerSink, name: sinkID, coder: wireCoderIDs[target.runner]!, inputs: ["i0": target.pipeline])
            outputs.append(StagePort(transformID: sinkID, pcollection: target.runner))
        }

        var sideInputs: [SideInputBinding] = []
        var timerFamilies: [TimerFamilyBinding] = []
        for transform in draft.transforms {
            descriptor.transforms[transform.id] = try wireTimers(of: transform, into: &timerFamilies)
            for (local, pcollection) in transform.sideInputs.sorted(by: { $0.key < $1.key }) {
                try runnerPCollection(pcollection)
                sideInputs.append(SideInputBinding(transformID: transform.id, localName: local, pcollection: pcollection,
                                                   accessPatternURN: transform.sideInputPatterns[local] ?? SideInputURNs.iterable))
            }
        }
        for transform in descriptor.transforms.values {
            for pcollection in Array(transform.inputs.values) + Array(transform.outputs.values) {
                descriptor.pcollections[pcollection] = try context.pcollection(pcollection)
            }
        }
        for binding in sideInputs {
            // The harness decodes side-input values with this coder: the one the runner stored them in.
            descriptor.pcollections[binding.pcollection]?.coderID = elementCoderIDs[binding.pcollection]!
        }
        if draft.transforms.first?.isSplittableProcess == true {
            // The harness encodes residuals and split roots in its input PCollection's coder: make
            // it the runner's (unknown parts length-prefixed), so the runner can find element
            // boundaries, cut bundles and feed residuals back as they are.
            descriptor.pcollections[draft.source]?.coderID = elementCoderIDs[source]!
        }
        shareComponents(into: &descriptor)
        descriptor.stateApiServiceDescriptor.url = ""

        var stage = FusedStage(id: draft.id, environmentID: draft.environmentID,
                          input: StagePort(transformID: sourceID, pcollection: source),
                          outputs: outputs, sideInputs: sideInputs,
                          transformNames: draft.transforms.map(\.transform.uniqueName),
                          statefulTransforms: try draft.transforms.filter(\.usesUserState).map(statefulBinding),
                          residualTransformID: draft.transforms.first?.isSplittableProcess == true ? draft.transforms.first?.id : nil,
                          isKeyed: draft.transforms.first?.isKeyed == true,
                          timerFamilies: timerFamilies, template: descriptor)
        if let process = draft.transforms.first, process.isSplittableProcess {
            stage.truncatingTemplate = SDFTruncation.descriptor(descriptor, sourceID: sourceID, process: process.id)
        }
        return stage
    }

    /// The transform as the stage's descriptor holds it: a ParDo with timer
    /// families gets length-prefixed timer coders, so the runner can read the
    /// key, tag and window of every timer it holds and delivers.
    private mutating func wireTimers(of planned: PlannedTransform, into bindings: inout [TimerFamilyBinding]) throws -> PTransform {
        var transform = planned.transform
        guard transform.spec.urn == TransformURNs.parDo,
              var payload = try? ParDoPayload(serializedBytes: transform.spec.payload),
              !payload.timerFamilySpecs.isEmpty else { return transform }
        for (family, var spec) in payload.timerFamilySpecs.sorted(by: { $0.key < $1.key }) {
            spec.timerFamilyCoderID = try wiring.lengthPrefixUnknown(spec.timerFamilyCoderID, in: &context)
            payload.timerFamilySpecs[family] = spec
            bindings.append(TimerFamilyBinding(transformID: planned.id, familyID: family,
                                               coder: try CoderWiring.spec(spec.timerFamilyCoderID, in: context.components),
                                               isEventTime: spec.timeDomain == .eventTime,
                                               allowedLateness: try inputWindowing(of: planned)?.allowedLateness ?? 0))
        }
        transform.spec.payload = try payload.serializedData()
        return transform
    }

    /// The windowing strategy of a transform's main input.
    private func inputWindowing(of planned: PlannedTransform) throws -> WindowingStrategy? {
        guard let input = planned.mainInput else { return nil }
        return context.components.windowingStrategies[try context.pcollection(input).windowingStrategyID]
    }

    private func statefulBinding(_ planned: PlannedTransform) throws -> StatefulTransformBinding {
        let windowing = try inputWindowing(of: planned)
        let windowCoder = try windowing.map { try CoderWiring.spec($0.windowCoderID, in: context.components) } ?? .globalWindow
        return StatefulTransformBinding(transformID: planned.id, windowCoder: windowCoder,
                                        allowedLateness: windowing?.allowedLateness ?? 0)
    }

    /// A stage that only decodes `pcollection`'s elements from runner
    /// PCollection `from` and re-encodes them into `to` (a flatten input from
    /// a runner step whose coder differs from the flatten's, or TestStream
    /// elements in their payload's coder).
    private mutating func makeTranscodingStage(id: String, pcollection: String, from input: String, to output: String) throws -> FusedStage {
        let source = try runnerPCollection(pcollection, runnerID: input)
        let sink = try runnerPCollection(pcollection, runnerID: output)
        var descriptor = ProcessBundleDescriptor()
        descriptor.id = id
        descriptor.transforms["\(id)_source"] = port(TransformURNs.runnerSource, name: "\(id)_source", coder: wireCoderIDs[source]!, outputs: ["i0": pcollection])
        descriptor.transforms["\(id)_sink"] = port(TransformURNs.runnerSink, name: "\(id)_sink", coder: wireCoderIDs[sink]!, inputs: ["i0": pcollection])
        descriptor.pcollections[pcollection] = try context.pcollection(pcollection)
        shareComponents(into: &descriptor)
        let environment = context.components.environments.keys.sorted().first ?? ""
        return FusedStage(id: id, environmentID: environment,
                          input: StagePort(transformID: "\(id)_source", pcollection: source),
                          outputs: [StagePort(transformID: "\(id)_sink", pcollection: sink)], sideInputs: [],
                          transformNames: ["transcode \(pcollection)"], statefulTransforms: [], residualTransformID: nil,
                          timerFamilies: [], template: descriptor)
    }

    /// Every coder, windowing strategy and environment, as a stage's harness may need any of them.
    func shareComponents(into descriptor: inout ProcessBundleDescriptor) {
        descriptor.coders = context.components.coders
        descriptor.windowingStrategies = context.components.windowingStrategies
        descriptor.environments = context.components.environments
    }

    func port(_ urn: String, name: String, coder: String,
                      inputs: [String: String] = [:], outputs: [String: String] = [:]) -> PTransform {
        PTransform.with {
            $0.uniqueName = name
            $0.spec.urn = urn
            $0.spec.payload = (try? RemoteGrpcPort.with { $0.coderID = coder }.serializedData()) ?? .init()
            $0.inputs = inputs
            $0.outputs = outputs
        }
    }

    // MARK: Order

    /// Orders steps so each runs after the producers of everything it reads.
    private func order(_ nodes: [PlanStep]) throws -> [PlanStep] {
        var producer: [String: Int] = [:]
        var reads: [[String]] = []
        for (index, node) in nodes.enumerated() {
            switch node {
            case .impulse(let output):
                producer[output] = index
                reads.append([])
            case .testStream(let step):
                step.outputs.values.forEach { producer[$0] = index }
                reads.append([])
            case .groupByKey(let step):
                producer[step.output] = index
                reads.append([step.input])
            case .flatten(let step):
                producer[step.output] = index
                reads.append(step.inputs)
            case .stage(let stage):
                stage.outputs.forEach { producer[$0.pcollection] = index }
                reads.append([stage.input.pcollection] + stage.sideInputs.map(\.pcollection))
            }
        }
        var dependencies: [[Int]] = []
        for inputs in reads {
            var sources: [Int] = []
            for input in Set(inputs) {
                guard let source = producer[input] else {
                    throw PlanningError("internal: no step produces runner PCollection '\(input)'")
                }
                sources.append(source)
            }
            dependencies.append(sources)
        }
        guard let order = TopologicalOrder.order(dependencies: dependencies) else {
            throw PlanningError("internal: the fused stages form a cycle")
        }
        return order.map { nodes[$0] }
    }
}
