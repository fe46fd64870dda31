import BeamModel

/// A leaf transform after expansion: what executes it, and the PCollections
/// it reads (main input, side inputs) and writes.
struct PlannedTransform {
    enum Executor { case impulse, testStream, groupByKey, flatten, sdk }

    let id: String
    var transform: PTransform
    let executor: Executor
    /// For SDK transforms: the one input that streams through the stage.
    var mainInput: String?
    /// Local name -> PCollection, for ParDo side inputs.
    var sideInputs: [String: String] = [:]
    var sideInputPatterns: [String: String] = [:]
    var usesUserState = false
    /// Starts a stage of its own, fed straight by a runner source: a splittable
    /// DoFn's process step, so its residuals can be fed back as stage input.
    var startsStage: Bool { executor == .sdk && transform.spec.urn == TransformURNs.sdfProcessSizedElements }

    var inputs: [String] { Array(transform.inputs.values) }
    var outputs: [String] { Array(transform.outputs.values) }
}
