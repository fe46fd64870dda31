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
    /// Uses user state or timers: its input is partitioned by key, so it starts a stage.
    var isKeyed = false
    /// A splittable DoFn's process step: its residuals are fed back as stage input.
    var isSplittableProcess: Bool { executor == .sdk && transform.spec.urn == TransformURNs.sdfProcessSizedElements }
    /// Starts a stage of its own, fed straight by a runner source: a splittable
    /// process step (residuals come back as its input) or a keyed transform
    /// (the runner keeps one key's bundles from running at once).
    var startsStage: Bool { isSplittableProcess || (executor == .sdk && isKeyed) }

    var inputs: [String] { Array(transform.inputs.values) }
    var outputs: [String] { Array(transform.outputs.values) }
}
