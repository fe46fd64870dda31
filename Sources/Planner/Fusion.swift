import BeamModel

/// Groups planned SDK transforms into stages. A transform joins the stage
/// that produces its main input when both share an environment and it reads
/// no side inputs (side inputs must be complete before a stage starts, so a
/// transform that reads them starts a stage of its own); otherwise it starts
/// a stage fed by a runner data source. Consumers of the same runner
/// PCollection share one stage. A splittable DoFn's process step always
/// starts a stage, so the residuals it returns can be fed back to it.
struct Fusion {
    struct Draft {
        let id: String
        let environmentID: String
        let source: String
        var transforms: [PlannedTransform] = []
        var produced: Set<String> = []
    }

    private(set) var drafts: [Draft] = []
    private(set) var runnerTransforms: [PlannedTransform] = []
    private var stageOfPCollection: [String: Int] = [:]
    private var stageBySource: [String: Int] = [:]

    init(sorted planned: [PlannedTransform], defaultEnvironment: String) {
        for transform in planned {
            guard transform.executor == .sdk, let main = transform.mainInput else {
                runnerTransforms.append(transform)
                continue
            }
            let environment = transform.transform.environmentID.isEmpty ? defaultEnvironment : transform.transform.environmentID
            let index: Int
            let fusable = transform.sideInputs.isEmpty && !transform.startsStage
            if fusable, let producer = stageOfPCollection[main],
               drafts[producer].environmentID == environment {
                index = producer
            } else if fusable, let shared = stageBySource["\(main)|\(environment)"] {
                index = shared
            } else {
                index = drafts.count
                drafts.append(Draft(id: "stage-\(drafts.count + 1)", environmentID: environment, source: main))
                if fusable { stageBySource["\(main)|\(environment)"] = index }
            }
            drafts[index].transforms.append(transform)
            for output in transform.outputs {
                drafts[index].produced.insert(output)
                stageOfPCollection[output] = index
            }
        }
    }

    /// The stage index producing `pcollection`, if an SDK stage does.
    func stage(producing pcollection: String) -> Int? {
        stageOfPCollection[pcollection]
    }
}

/// Orders planned transforms so each follows the producers of all its inputs.
enum TopologicalOrder {
    static func sort(_ planned: [PlannedTransform]) throws -> [PlannedTransform] {
        var producer: [String: Int] = [:]
        for (index, transform) in planned.enumerated() {
            for output in transform.outputs { producer[output] = index }
        }
        var reads: [[Int]] = []
        for (index, transform) in planned.enumerated() {
            var sources: [Int] = []
            for input in Set(transform.inputs) {
                guard let source = producer[input] else {
                    throw PlanningError("PCollection '\(input)' read by '\(transform.transform.uniqueName)' has no producer")
                }
                if source != index { sources.append(source) }
            }
            reads.append(sources)
        }
        guard let order = order(dependencies: reads) else { throw PlanningError("The pipeline's transforms form a cycle") }
        return order.map { planned[$0] }
    }

    /// Kahn's algorithm: indices such that each comes after every index in
    /// its `dependencies` entry, stable for independent ones; nil on a cycle.
    static func order(dependencies: [[Int]]) -> [Int]? {
        var pending = dependencies.map { Set($0).count }
        var dependents: [[Int]] = Array(repeating: [], count: dependencies.count)
        for (index, sources) in dependencies.enumerated() {
            for source in Set(sources) { dependents[source].append(index) }
        }
        var ready = (0..<dependencies.count).filter { pending[$0] == 0 }
        var order: [Int] = []
        var cursor = 0
        while cursor < ready.count {
            let next = ready[cursor]
            cursor += 1
            order.append(next)
            for dependent in dependents[next] {
                pending[dependent] -= 1
                if pending[dependent] == 0 { ready.append(dependent) }
            }
        }
        return order.count == dependencies.count ? order : nil
    }
}
