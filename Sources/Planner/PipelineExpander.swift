import BeamModel

/// Walks a pipeline from its roots to its leaf transforms, asking the handler
/// registry to expand each one. Composites are descended into unless their
/// handler replaces them; pass-through leaves (outputs equal to inputs, as the
/// Python SDK's MaybeReshuffle placeholder) are dropped; any other leaf
/// without a handler fails planning, naming its URN.
enum PipelineExpander {
    static func expand(_ pipeline: Pipeline) throws -> PlanningContext {
        var context = PlanningContext(components: pipeline.components)
        for root in pipeline.rootTransformIds {
            try expand(id: root, in: &context)
        }
        return context
    }

    static func expandSubtransforms(of transform: PTransform, in context: inout PlanningContext) throws {
        for child in transform.subtransforms {
            try expand(id: child, in: &context)
        }
    }

    static func expand(id: String, in context: inout PlanningContext) throws {
        let transform = try context.transform(id)
        let handler = TransformHandlers.byURN[transform.spec.urn]
        if !transform.subtransforms.isEmpty && handler?.expandsComposites != true {
            try expandSubtransforms(of: transform, in: &context)
            return
        }
        if let handler {
            try handler.expand(id: id, transform: transform, in: &context)
            return
        }
        let outputs = Set(transform.outputs.values)
        if outputs.isSubset(of: Set(transform.inputs.values)) {
            return  // a pass-through placeholder, or a leaf with no outputs and nothing to run
        }
        throw PlanningError.unsupportedTransform(transform.spec.urn.isEmpty ? "<none>" : transform.spec.urn, transform.uniqueName)
    }
}
