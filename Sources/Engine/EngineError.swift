/// Errors the engine raises about the data or settings it is handed (coder errors
/// from BeamCore pass through unchanged). Execution turns them into job failures.
public enum EngineError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A pipeline feature the engine does not implement yet.
    case unsupported(String)
    /// Data that contradicts its windowing (e.g. a global window under Sessions).
    case invalidInput(String)

    public var description: String {
        switch self {
        case let .unsupported(what): return "unsupported by the engine: \(what)"
        case let .invalidInput(what): return "invalid input: \(what)"
        }
    }
}
