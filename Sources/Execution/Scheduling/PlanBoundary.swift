/// Where a partial plan meets the rest of its job (a Spark task runs one
/// segment of a plan): the data of PCollections produced elsewhere, and the
/// PCollections whose committed chunks leave the run through `emit`.
/// PCollections with no producer in the plan have a +inf watermark — side
/// inputs at once, what the feed delivers once it has ended — so what reads
/// them runs on final input.
struct PlanBoundary: Sendable {
    /// Runner PCollection -> its elements, concatenated nested windowed values:
    /// what the plan's steps read as side inputs, the whole PCollection, given
    /// up front. Kept apart from the feed because one PCollection can be both
    /// (a partition of it as main input, all of it as side input).
    var sideInputs: [String: [UInt8]]
    /// Main input read while the plan runs (a task's partition, streamed),
    /// and the PCollections it delivers: their watermark is -inf until it ends.
    var feed: any PlanBoundaryFeed
    var fed: Set<String>
    var outputs: Set<String>
    /// Called on the scheduler's task with each committed chunk of an output, in commit order.
    var emit: @Sendable (String, [UInt8]) throws -> Void
}

/// A partial plan's main input, read a piece at a time: the scheduler asks
/// for the next piece only when its stages have room, so a partition never
/// has to fit in memory. Calls never overlap.
protocol PlanBoundaryFeed: Sendable {
    /// The next chunks (runner PCollection, concatenated windowed values); nil once the input has ended.
    func next() async throws -> [(String, [UInt8])]?
}
