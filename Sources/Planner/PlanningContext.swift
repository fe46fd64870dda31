import BeamModel
import SwiftProtobuf

/// Mutable state while expanding a pipeline: the components (to which
/// expansions add PCollections and coders) and the leaf transforms found.
struct PlanningContext {
    var components: Components
    var planned: [PlannedTransform] = []
    private var counter = 0

    init(components: Components) {
        self.components = components
    }

    /// A fresh id with `base` as a readable prefix, unused in the pipeline.
    mutating func uniqueID(_ base: String) -> String {
        while true {
            counter += 1
            let id = "\(base)__bjs\(counter)"
            if components.transforms[id] == nil && components.pcollections[id] == nil && components.coders[id] == nil {
                return id
            }
        }
    }

    func transform(_ id: String) throws -> PTransform {
        guard let transform = components.transforms[id] else { throw PlanningError("Unknown transform '\(id)'") }
        return transform
    }

    func pcollection(_ id: String) throws -> PCollection {
        guard let pcollection = components.pcollections[id] else { throw PlanningError("Unknown PCollection '\(id)'") }
        return pcollection
    }

    func coder(_ id: String) throws -> Coder {
        guard let coder = components.coders[id] else { throw PlanningError("Unknown coder '\(id)'") }
        return coder
    }

    /// Adds a coder built from `urn` and component ids; returns its id.
    mutating func addCoder(_ urn: String, components ids: [String], base: String) -> String {
        let id = uniqueID(base)
        components.coders[id] = Coder.with {
            $0.spec.urn = urn
            $0.componentCoderIds = ids
        }
        return id
    }

    /// Adds a PCollection shaped like `template` (boundedness, windowing) with another coder.
    mutating func addPCollection(like template: PCollection, coderID: String, base: String) -> String {
        let id = uniqueID(base)
        var pcollection = template
        pcollection.uniqueName = id
        pcollection.coderID = coderID
        components.pcollections[id] = pcollection
        return id
    }

    /// Adds a leaf transform to the pipeline's components and to the plan.
    mutating func addSDKTransform(id: String, transform: PTransform, mainInput: String,
                                  sideInputs: [String: String] = [:], patterns: [String: String] = [:],
                                  usesUserState: Bool = false, isKeyed: Bool = false) {
        components.transforms[id] = transform
        planned.append(PlannedTransform(id: id, transform: transform, executor: .sdk, mainInput: mainInput,
                                        sideInputs: sideInputs, sideInputPatterns: patterns, usesUserState: usesUserState,
                                        isKeyed: isKeyed))
    }
}
