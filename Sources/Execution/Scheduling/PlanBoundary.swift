/// Where a partial plan meets the rest of its job (a Spark task runs one
/// segment of a plan): the data of PCollections produced elsewhere, given
/// up front and complete, and the PCollections whose committed chunks leave
/// the run through `emit`. PCollections with no producer in the plan have a
/// +inf watermark, so a given input is final as soon as it is delivered.
struct PlanBoundary: Sendable {
    /// Runner PCollection -> its elements, concatenated nested windowed values:
    /// what the plan's steps read as their main input (a task's partition).
    var inputs: [String: [UInt8]]
    /// The same, for what they read as side inputs: the whole PCollection,
    /// kept apart because one PCollection can be both (a partition of it as
    /// main input, all of it as side input).
    var sideInputs: [String: [UInt8]] = [:]
    var outputs: Set<String>
    /// Called on the scheduler's task with each committed chunk of an output, in commit order.
    var emit: @Sendable (String, [UInt8]) throws -> Void
}
