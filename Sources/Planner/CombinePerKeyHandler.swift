import Foundation
import BeamCore
import BeamModel

/// CombinePerKey with combiner lifting: precombine in the SDK before the
/// shuffle, then merge accumulators and extract outputs after it, so only one
/// accumulator per key and bundle crosses the shuffle. Falls back to the
/// composite's own expansion (GroupByKey + combine) when lifting is unsafe.
struct CombinePerKeyHandler: TransformHandler {
    let urns: Set<String> = [TransformURNs.combinePerKey]
    var expandsComposites: Bool { true }

    func expand(id: String, transform: PTransform, in context: inout PlanningContext) throws {
        guard let plan = try liftingPlan(transform, context) else {
            try PipelineExpander.expandSubtransforms(of: transform, in: &context)
            return
        }
        let (input, payloadCoder, keyCoder) = plan
        let pre = context.addCoder(CoderURNs.kv, components: [keyCoder, payloadCoder], base: "\(id)_kv_acc")
        let iterableAcc = context.addCoder(CoderURNs.iterable, components: [payloadCoder], base: "\(id)_iter_acc")
        let grouped = context.addCoder(CoderURNs.kv, components: [keyCoder, iterableAcc], base: "\(id)_kv_iter_acc")
        let inputPCollection = try context.pcollection(input)
        let precombined = context.addPCollection(like: inputPCollection, coderID: pre, base: "\(id)_precombined")
        let groupedPC = context.addPCollection(like: inputPCollection, coderID: grouped, base: "\(id)_grouped")
        let merged = context.addPCollection(like: inputPCollection, coderID: pre, base: "\(id)_merged")

        func phase(_ urn: String, _ suffix: String, from: String, to outputs: [String: String]) -> PTransform {
            var phase = transform
            phase.spec.urn = urn
            phase.subtransforms = []
            phase.inputs = ["i0": from]
            phase.outputs = outputs
            phase.uniqueName = "\(transform.uniqueName)/\(suffix)"
            return phase
        }
        context.addSDKTransform(id: context.uniqueID("\(id)_precombine"),
                                transform: phase(TransformURNs.combinePrecombine, "Precombine", from: input, to: ["i0": precombined]),
                                mainInput: input)
        var gbk = phase(TransformURNs.groupByKey, "Group", from: precombined, to: ["i0": groupedPC])
        gbk.spec.payload = Data()
        gbk.environmentID = ""
        let gbkID = context.uniqueID("\(id)_group")
        context.components.transforms[gbkID] = gbk
        context.planned.append(PlannedTransform(id: gbkID, transform: gbk, executor: .groupByKey))
        context.addSDKTransform(id: context.uniqueID("\(id)_merge"),
                                transform: phase(TransformURNs.combineMergeAccumulators, "Merge", from: groupedPC, to: ["i0": merged]),
                                mainInput: groupedPC)
        context.addSDKTransform(id: context.uniqueID("\(id)_extract"),
                                transform: phase(TransformURNs.combineExtractOutputs, "Extract", from: merged, to: transform.outputs),
                                mainInput: merged)
    }

    /// Precombined accumulators would count as elements for an element-count
    /// trigger and pre-empt early panes, so only the default trigger is lifted;
    /// and an accumulator mixing late and on-time inputs would lose their
    /// watermark holds, so only END_OF_WINDOW timestamps are.
    private static func firesOncePerWindow(_ trigger: Org_Apache_Beam_Model_Pipeline_V1_Trigger) -> Bool {
        switch trigger.trigger {
        case .default?, nil: return true
        default: return false
        }
    }

    /// (input PCollection, accumulator coder, key coder) when lifting applies.
    private func liftingPlan(_ transform: PTransform, _ context: PlanningContext) throws -> (String, String, String)? {
        guard transform.inputs.count == 1, let input = transform.inputs.values.first,
              let payload = try? CombinePayload(serializedBytes: transform.spec.payload),
              !payload.accumulatorCoderID.isEmpty else { return nil }
        let pcollection = try context.pcollection(input)
        let coder = try context.coder(pcollection.coderID)
        guard coder.spec.urn == CoderURNs.kv, coder.componentCoderIds.count == 2,
              let windowing = context.components.windowingStrategies[pcollection.windowingStrategyID],
              windowing.mergeStatus != .needsMerge, windowing.mergeStatus != .alreadyMerged,
              Self.firesOncePerWindow(windowing.trigger), windowing.outputTime == .endOfWindow else { return nil }
        return (input, payload.accumulatorCoderID, coder.componentCoderIds[0])
    }
}
