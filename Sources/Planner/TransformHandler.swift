import BeamModel

/// Expands one family of transforms (by URN) into planned leaf transforms.
/// The planner asks `TransformHandlers` who handles a URN; adding a family
/// means adding a handler file and listing it there, nothing else.
protocol TransformHandler: Sendable {
    var urns: Set<String> { get }
    /// Whether the handler replaces a composite itself instead of the planner
    /// descending into its subtransforms (combiner lifting does).
    var expandsComposites: Bool { get }
    func expand(id: String, transform: PTransform, in context: inout PlanningContext) throws
}

extension TransformHandler {
    var expandsComposites: Bool { false }
}

/// The registry of handlers, by URN.
enum TransformHandlers {
    static let all: [any TransformHandler] = [
        ImpulseHandler(), TestStreamHandler(), GroupByKeyHandler(), FlattenHandler(), ParDoHandler(),
        CombinePerKeyHandler(), SDKLeafHandler(), UnsupportedTransformHandler(),
    ]

    static let byURN: [String: any TransformHandler] = {
        var table: [String: any TransformHandler] = [:]
        for handler in all {
            for urn in handler.urns { table[urn] = handler }
        }
        return table
    }()
}
