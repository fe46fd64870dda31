import BeamCore
import BeamModel
import SwiftProtobuf

/// ParDo: runs in the SDK. Side inputs are recorded for the State API;
/// splittable DoFns are expanded into pair-with-restriction, split-and-size
/// and process-sized-elements, all executed by the SDK harness.
struct ParDoHandler: TransformHandler {
    let urns: Set<String> = [TransformURNs.parDo]

    func expand(id: String, transform: PTransform, in context: inout PlanningContext) throws {
        guard let payload = try? ParDoPayload(serializedBytes: transform.spec.payload) else {
            throw PlanningError("ParDo '\(transform.uniqueName)' has an undecodable ParDoPayload")
        }
        if !payload.onWindowExpirationTimerFamilySpec.isEmpty {
            throw PlanningError.unsupportedTransform(transform.spec.urn, transform.uniqueName,
                "OnWindowExpiration is not supported by beam-job-server yet")
        }
        if !payload.timerFamilySpecs.isEmpty && !payload.restrictionCoderID.isEmpty {
            throw PlanningError.unsupportedTransform(transform.spec.urn, transform.uniqueName,
                "timers on a splittable DoFn are not supported by beam-job-server yet")
        }
        if payload.requiresTimeSortedInput {
            throw PlanningError.unsupportedTransform(transform.spec.urn, transform.uniqueName,
                "@RequiresTimeSortedInput is not supported by beam-job-server yet")
        }
        let sideInputs = payload.sideInputs.keys.reduce(into: [String: String]()) { map, local in
            if let pcollection = transform.inputs[local] { map[local] = pcollection }
        }
        let patterns = payload.sideInputs.mapValues(\.accessPattern.urn)
        for (local, urn) in patterns where urn != SideInputURNs.iterable && urn != SideInputURNs.multimap {
            throw PlanningError("Side input '\(local)' of '\(transform.uniqueName)' uses unsupported access pattern '\(urn)'")
        }
        let mainInputs = transform.inputs.filter { sideInputs[$0.key] == nil }
        guard mainInputs.count == 1, let main = mainInputs.first else {
            throw PlanningError("ParDo '\(transform.uniqueName)' must have exactly one main input, has \(mainInputs.count)")
        }
        if payload.restrictionCoderID.isEmpty {
            context.addSDKTransform(id: id, transform: transform, mainInput: main.value, sideInputs: sideInputs,
                                    patterns: patterns, usesUserState: !payload.stateSpecs.isEmpty,
                                    isKeyed: !payload.stateSpecs.isEmpty || !payload.timerFamilySpecs.isEmpty)
        } else {
            try expandSplittable(id: id, transform: transform, mainLocal: main.key, mainInput: main.value,
                                 restrictionCoderID: payload.restrictionCoderID, sideInputs: sideInputs,
                                 patterns: patterns, in: &context)
        }
    }

    /// The three SDK transforms of a splittable DoFn (Beam's SDF expansion),
    /// with PCollections KV(element, restriction) and KV(that, size: double).
    private func expandSplittable(id: String, transform: PTransform, mainLocal: String, mainInput: String,
                                  restrictionCoderID: String, sideInputs: [String: String],
                                  patterns: [String: String], in context: inout PlanningContext) throws {
        let input = try context.pcollection(mainInput)
        let pairCoder = context.addCoder(CoderURNs.kv, components: [input.coderID, restrictionCoderID], base: "\(id)_kv_ele_rest")
        let sizeCoder = context.addCoder(CoderURNs.double, components: [], base: "\(id)_size")
        let sizedCoder = context.addCoder(CoderURNs.kv, components: [pairCoder, sizeCoder], base: "\(id)_kv_ele_rest_size")
        let paired = context.addPCollection(like: input, coderID: pairCoder, base: "\(id)_pwr")
        let sized = context.addPCollection(like: input, coderID: sizedCoder, base: "\(id)_splitnsized")

        func phase(_ urn: String, from: String, outputs: [String: String]) -> PTransform {
            var phase = transform
            phase.spec.urn = urn
            phase.subtransforms = []
            phase.inputs = transform.inputs
            phase.inputs[mainLocal] = from
            phase.outputs = outputs
            phase.uniqueName = "\(transform.uniqueName)/\(urn.split(separator: ":").dropLast().last ?? "")"
            return phase
        }
        context.addSDKTransform(id: context.uniqueID("\(id)_pair"),
                                transform: phase(TransformURNs.sdfPairWithRestriction, from: mainInput, outputs: ["i0": paired]),
                                mainInput: mainInput, sideInputs: sideInputs, patterns: patterns)
        context.addSDKTransform(id: context.uniqueID("\(id)_split"),
                                transform: phase(TransformURNs.sdfSplitAndSize, from: paired, outputs: ["i0": sized]),
                                mainInput: paired, sideInputs: sideInputs, patterns: patterns)
        context.addSDKTransform(id: context.uniqueID("\(id)_process"),
                                transform: phase(TransformURNs.sdfProcessSizedElements, from: sized, outputs: transform.outputs),
                                mainInput: sized, sideInputs: sideInputs, patterns: patterns)
    }
}
