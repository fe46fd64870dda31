import BeamModel

/// The structural checks Prepare makes before accepting a pipeline: enough to
/// refuse a request that is not a pipeline at all. Semantic validation (URNs,
/// coders, requirements) belongs to the planner at Run.
enum PipelineShapeCheck {
    static func validate(_ request: PrepareJobRequest) throws {
        guard request.hasPipeline else {
            throw JobServiceError.invalidRequest("PrepareJobRequest.pipeline is missing")
        }
        let pipeline = request.pipeline
        let transforms = pipeline.components.transforms
        guard !pipeline.rootTransformIds.isEmpty else {
            throw JobServiceError.invalidRequest("The pipeline has no root transforms")
        }
        for id in pipeline.rootTransformIds where transforms[id] == nil {
            throw JobServiceError.invalidRequest("Root transform '\(id)' is not among the pipeline's transforms")
        }
        for (id, transform) in transforms {
            for child in transform.subtransforms where transforms[child] == nil {
                throw JobServiceError.invalidRequest("Transform '\(id)' names unknown subtransform '\(child)'")
            }
            for pcollection in Array(transform.inputs.values) + Array(transform.outputs.values)
            where pipeline.components.pcollections[pcollection] == nil {
                throw JobServiceError.invalidRequest("Transform '\(id)' uses unknown PCollection '\(pcollection)'")
            }
            if !transform.environmentID.isEmpty && pipeline.components.environments[transform.environmentID] == nil {
                throw JobServiceError.invalidRequest("Transform '\(id)' names unknown environment '\(transform.environmentID)'")
            }
        }
    }
}
