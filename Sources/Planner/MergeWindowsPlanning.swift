import BeamCore
import BeamModel
import Foundation
import SwiftProtobuf

/// The SDK-side merge of a custom merging WindowFn: a descriptor of
/// runner source -> `beam:transform:merge_windows:v1` -> runner sink. The
/// runner sends KV(nonce, windows) per key and reads back
/// KV(nonce, KV(unmerged windows, [KV(merged window, originals)])).
public struct MergeWindowsStage: Sendable {
    public let stage: FusedStage
    /// The coder of every window on both sides (the GroupByKey's window coder).
    public let windowCoder: CoderSpec
}

extension PlanBuilder {
    /// The merge stage for a GroupByKey whose WindowFn merges and is not one the runner knows (sessions).
    mutating func mergeWindowsStage(gbkID: String, inputPCollection: String) throws -> MergeWindowsStage? {
        let input = try context.pcollection(inputPCollection)
        guard let strategy = context.components.windowingStrategies[input.windowingStrategyID],
              strategy.mergeStatus == .needsMerge, strategy.windowFn.urn != WindowFnURNs.sessions else { return nil }
        let environment = strategy.environmentID.isEmpty
            ? (context.components.environments.keys.sorted().first ?? "") : strategy.environmentID
        let window = try wiring.lengthPrefixUnknown(strategy.windowCoderID, in: &context)
        let bytes = context.addCoder(CoderURNs.bytes, components: [], base: "merge_bytes")
        let global = context.addCoder(CoderURNs.globalWindow, components: [], base: "merge_global_window")
        let windows = context.addCoder(CoderURNs.iterable, components: [window], base: "merge_windows")
        let inputCoder = context.addCoder(CoderURNs.kv, components: [bytes, windows], base: "merge_input")
        let merged = context.addCoder(CoderURNs.kv, components: [window, windows], base: "merge_result")
        let results = context.addCoder(CoderURNs.iterable, components: [merged], base: "merge_results")
        let outcome = context.addCoder(CoderURNs.kv, components: [windows, results], base: "merge_outcome")
        let outputCoder = context.addCoder(CoderURNs.kv, components: [bytes, outcome], base: "merge_output")
        let globalStrategy = context.uniqueID("merge_global_windowing")
        context.components.windowingStrategies[globalStrategy] = WindowingStrategy.with {
            $0.windowFn.urn = WindowFnURNs.global
            $0.windowCoderID = global
            $0.mergeStatus = .nonMerging
            $0.outputTime = .endOfWindow
            $0.accumulationMode = .discarding
            $0.trigger.default = .init()
            $0.environmentID = environment
        }

        let id = "\(gbkID)-merge-windows"
        var descriptor = ProcessBundleDescriptor()
        descriptor.id = id
        for (name, coder) in [("input", inputCoder), ("output", outputCoder)] {
            descriptor.pcollections["\(id)_\(name)"] = PCollection.with {
                $0.uniqueName = "\(id)_\(name)"
                $0.coderID = coder
                $0.windowingStrategyID = globalStrategy
                $0.isBounded = .bounded
            }
        }
        let source = "\(id)_source", sink = "\(id)_sink", merge = "\(id)_merge"
        descriptor.transforms[source] = port(TransformURNs.runnerSource, name: source,
                                             coder: wiring.windowedValue(element: inputCoder, window: global, in: &context),
                                             outputs: ["i0": "\(id)_input"])
        descriptor.transforms[merge] = PTransform.with {
            $0.uniqueName = merge
            $0.spec.urn = TransformURNs.mergeWindows
            $0.spec.payload = (try? strategy.windowFn.serializedData()) ?? Data()
            $0.inputs = ["i0": "\(id)_input"]
            $0.outputs = ["i0": "\(id)_output"]
            $0.environmentID = environment
        }
        descriptor.transforms[sink] = port(TransformURNs.runnerSink, name: sink,
                                           coder: wiring.windowedValue(element: outputCoder, window: global, in: &context),
                                           inputs: ["i0": "\(id)_output"])
        shareComponents(into: &descriptor)
        let stage = FusedStage(id: id, environmentID: environment,
                               input: StagePort(transformID: source, pcollection: "\(id)_input"),
                               outputs: [StagePort(transformID: sink, pcollection: "\(id)_output")], sideInputs: [],
                               transformNames: ["merge windows of \(gbkID)"], statefulTransforms: [],
                               residualTransformID: nil, timerFamilies: [], template: descriptor)
        return MergeWindowsStage(stage: stage, windowCoder: try CoderWiring.spec(window, in: context.components))
    }
}
