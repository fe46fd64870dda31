import BeamCore
import BeamModel

/// Impulse: the runner emits the single empty-bytes element.
struct ImpulseHandler: TransformHandler {
    let urns: Set<String> = [TransformURNs.impulse]

    func expand(id: String, transform: PTransform, in context: inout PlanningContext) throws {
        context.planned.append(PlannedTransform(id: id, transform: transform, executor: .impulse))
    }
}

/// TestStream: the runner replays the payload's events in order, each once
/// everything before it has been processed.
struct TestStreamHandler: TransformHandler {
    let urns: Set<String> = [TransformURNs.testStream]

    func expand(id: String, transform: PTransform, in context: inout PlanningContext) throws {
        context.planned.append(PlannedTransform(id: id, transform: transform, executor: .testStream))
    }
}

/// GroupByKey: a runner shuffle on encoded keys, per window.
struct GroupByKeyHandler: TransformHandler {
    let urns: Set<String> = [TransformURNs.groupByKey]

    func expand(id: String, transform: PTransform, in context: inout PlanningContext) throws {
        guard transform.inputs.count == 1, transform.outputs.count == 1 else {
            throw PlanningError("GroupByKey '\(transform.uniqueName)' must have one input and one output")
        }
        let input = try context.pcollection(transform.inputs.values.first!)
        guard try context.coder(input.coderID).spec.urn == CoderURNs.kv else {
            throw PlanningError("GroupByKey '\(transform.uniqueName)' input is not KV-coded (coder '\(input.coderID)')")
        }
        context.planned.append(PlannedTransform(id: id, transform: transform, executor: .groupByKey))
    }
}

/// Flatten: the runner concatenates its inputs.
struct FlattenHandler: TransformHandler {
    let urns: Set<String> = [TransformURNs.flatten]

    func expand(id: String, transform: PTransform, in context: inout PlanningContext) throws {
        context.planned.append(PlannedTransform(id: id, transform: transform, executor: .flatten))
    }
}

/// Transforms that exist in the model but that this runner does not execute yet.
struct UnsupportedTransformHandler: TransformHandler {
    let urns: Set<String> = [TransformURNs.read]

    func expand(id: String, transform: PTransform, in context: inout PlanningContext) throws {
        throw PlanningError.unsupportedTransform(transform.spec.urn, transform.uniqueName,
                                                 "not supported by beam-job-server yet")
    }
}
