/// A boot step that failed and why. `main.swift` prints it as the one
/// `beam-boot: <step> failed: <reason>` line the runner shows its user.
struct BootFailure: Error, CustomStringConvertible {
    /// The boot steps, in the order they run.
    enum Step: String, Sendable {
        case arguments = "argument parsing"
        case python = "python lookup"
        case provision
        case artifacts = "artifact retrieval"
        case install
        case exec
    }

    let step: Step
    let reason: String

    init(_ step: Step, _ reason: String) {
        self.step = step
        self.reason = reason
    }

    var description: String { "\(step.rawValue) failed: \(reason)" }
}
