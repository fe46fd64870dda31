import BeamModel
import Foundation
import JobService

/// The pipeline graph the job page draws: every transform (composites with
/// their children) with its element counts and watermarks, the PCollections
/// with their counts, and which runner step or fused stage runs each leaf.
enum GraphJSON {
    static func graph(_ job: Job) -> JSONValue {
        let pipeline = job.pipeline
        let transforms = pipeline.components.transforms
        let readings = MetricReadings(job.metrics)
        let runtime = job.runtime
        let steps = stepOfLeaf(runtime, transforms: transforms)

        // Python wraps the whole pipeline in one root named after its id (or
        // nothing), with neither inputs nor outputs: show its children as the roots.
        let wrappers = Set(pipeline.rootTransformIds.filter { id in
            guard let root = transforms[id] else { return false }
            return (root.uniqueName.isEmpty || root.uniqueName == id) && root.inputs.isEmpty && root.outputs.isEmpty
                && !root.subtransforms.isEmpty
        })
        let roots = pipeline.rootTransformIds.flatMap { wrappers.contains($0) ? transforms[$0]?.subtransforms ?? [] : [$0] }
        var parent: [String: String] = [:]
        for (id, transform) in transforms where !wrappers.contains(id) { transform.subtransforms.forEach { parent[$0] = id } }
        var producer: [String: String] = [:]
        for (id, transform) in transforms where transform.subtransforms.isEmpty {
            transform.outputs.values.forEach { producer[$0] = id }
        }

        func leaves(_ id: String) -> [String] {
            guard let transform = transforms[id] else { return [] }
            return transform.subtransforms.isEmpty ? [id] : transform.subtransforms.flatMap(leaves)
        }
        func elements(_ pcollections: [String]) -> Int64 {
            pcollections.reduce(0) { $0 + (readings.pcollections[$1]?.elements ?? 0) }
        }

        let order = orderedIDs(pipeline)
        let nodes: [JSONValue] = order.compactMap { id in
            guard let transform = transforms[id], !wrappers.contains(id) else { return nil }
            let leafSteps = leaves(id).compactMap { steps[$0] }
            // Outlines are for fused stages; runner steps (GroupByKey, Flatten) only lend their watermarks.
            let stageIDs = Set(leafSteps.filter { $0.kind == "stage" }.map(\.id))
            let inputs = transform.inputs.sorted { $0.key < $1.key }.map(\.value)
            let outputs = transform.outputs.sorted { $0.key < $1.key }.map(\.value)
            let stage: JSONValue = stageIDs.count == 1 && leafSteps.count == leaves(id).count
                && leafSteps.allSatisfy { $0.kind == "stage" } ? .optional(stageIDs.first) : .null
            let label = transform.uniqueName.split(separator: "/").last.map(String.init) ?? transform.uniqueName
            let bytesOut: Int64 = outputs.reduce(0) { $0 + (readings.pcollections[$1]?.bytes ?? 0) }
            var fields: [(String, JSONValue)] = [
                ("id", .string(id)), ("name", .string(transform.uniqueName)), ("label", .string(label)),
                ("urn", .string(transform.spec.urn)), ("parent", .optional(parent[id])),
                ("children", .strings(transform.subtransforms)),
            ]
            fields.append(("inputs", .strings(inputs)))
            fields.append(("outputs", .strings(outputs)))
            fields.append(("stage", stage))
            fields.append(("elementsIn", .int(elements(inputs))))
            fields.append(("elementsOut", .int(elements(outputs))))
            fields.append(("bytesOut", .int(bytesOut)))
            fields.append(("inputWatermark", JobJSON.watermark(leafSteps.compactMap(\.inputWatermark).min())))
            fields.append(("outputWatermark", JobJSON.watermark(leafSteps.compactMap(\.outputWatermark).min())))
            return .object(fields)
        }
        let pcollections: [JSONValue] = pipeline.components.pcollections.sorted { $0.key < $1.key }.map { id, pcollection in
            .object([
                ("id", .string(id)),
                ("name", .string(pcollection.uniqueName)),
                ("producer", .optional(producer[id])),
                ("elements", .optional(readings.pcollections[id]?.elements)),
                ("bytes", .optional(readings.pcollections[id]?.bytes)),
            ])
        }
        let stages: [JSONValue] = runtime.stages.map { stage in
            .object([("id", .string(stage.id)), ("kind", .string(stage.kind)),
                     ("transforms", .strings(steps.filter { $0.value.id == stage.id }.map(\.key).sorted()))])
        }
        return .object([
            ("roots", .strings(roots)),
            ("durationMs", JobJSON.summary(job).first { $0.0 == "durationMs" }?.1 ?? .int(0)),
            ("transforms", .array(nodes)),
            ("pcollections", .array(pcollections)),
            ("stages", .array(stages)),
        ])
    }

    /// Leaf transform id -> the step that runs it (stages name transforms by unique name, runner steps by id).
    private static func stepOfLeaf(_ runtime: JobRuntimeStatus, transforms: [String: PTransform]) -> [String: JobRuntimeStatus.Stage] {
        var idByName: [String: String] = [:]
        for (id, transform) in transforms { idByName[transform.uniqueName] = id }
        var steps: [String: JobRuntimeStatus.Stage] = [:]
        for stage in runtime.stages {
            for reference in stage.transforms {
                if let id = transforms[reference] != nil ? reference : idByName[reference] { steps[id] = stage }
            }
        }
        return steps
    }

    /// Transforms depth-first from the roots, so parents come before children.
    private static func orderedIDs(_ pipeline: Pipeline) -> [String] {
        var order: [String] = []
        var seen = Set<String>()
        func visit(_ id: String) {
            guard seen.insert(id).inserted, let transform = pipeline.components.transforms[id] else { return }
            order.append(id)
            transform.subtransforms.forEach(visit)
        }
        pipeline.rootTransformIds.forEach(visit)
        // Anything not reachable from the roots still shows (a pipeline without root ids).
        pipeline.components.transforms.keys.sorted().forEach(visit)
        return order
    }
}
