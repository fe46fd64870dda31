/// Why a pipeline cannot be planned. The job fails at Run with this text,
/// which names the offending URN, transform or PCollection.
public struct PlanningError: Error, CustomStringConvertible, Sendable {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }

    static func unsupportedTransform(_ urn: String, _ name: String, _ why: String = "") -> PlanningError {
        PlanningError("Unsupported transform URN '\(urn)' (transform '\(name)')\(why.isEmpty ? "" : ": \(why)")")
    }
}
