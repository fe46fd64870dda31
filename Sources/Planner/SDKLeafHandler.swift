import BeamCore
import BeamModel

/// Leaf transforms the SDK harness executes as they are, with one main input.
struct SDKLeafHandler: TransformHandler {
    let urns: Set<String> = [
        TransformURNs.windowInto, TransformURNs.combinePrecombine, TransformURNs.combineMergeAccumulators,
        TransformURNs.combineExtractOutputs, TransformURNs.combineGroupedValues, TransformURNs.mapWindows,
        TransformURNs.mergeWindows, TransformURNs.toString, TransformURNs.sdfPairWithRestriction,
        TransformURNs.sdfSplitAndSize, TransformURNs.sdfProcessSizedElements,
    ]

    func expand(id: String, transform: PTransform, in context: inout PlanningContext) throws {
        guard transform.inputs.count == 1, let input = transform.inputs.values.first else {
            throw PlanningError("Transform '\(transform.uniqueName)' (\(transform.spec.urn)) must have one input")
        }
        context.addSDKTransform(id: id, transform: transform, mainInput: input)
    }
}
