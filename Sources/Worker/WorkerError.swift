/// Every way running work on an SDK harness can fail. `FnAPIServer` and
/// `SDKWorker` throw these; Execution turns them into job messages, so each
/// `description` is written for the person who submitted the pipeline.
public enum WorkerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No launcher can start this environment here (unknown URN, no container runtime, ...).
    case environmentUnavailable(String)
    /// The environment could not be started (command missing, worker pool refused, ...).
    case launchFailed(String)
    /// The harness did not open its control stream within the start timeout.
    case startTimedOut(workerID: String, details: String)
    /// The harness went away: its control stream ended or its process exited.
    case workerDied(String)
    /// The SDK reported an error for a ProcessBundle instruction; `message` is its text verbatim.
    case bundleFailed(instructionID: String, message: String)
    /// The SDK reported an error for any other instruction.
    case instructionFailed(instructionID: String, message: String)
    /// A bundle named a ProcessBundleDescriptor nobody registered.
    case unknownDescriptor(String)
    /// Another worker with this id is already known to the server.
    case duplicateWorker(String)

    public var description: String {
        switch self {
        case .environmentUnavailable(let why):
            return "SDK environment unavailable: \(why)"
        case .launchFailed(let why):
            return "Could not start the SDK harness: \(why)"
        case .startTimedOut(let id, let details):
            return "SDK harness '\(id)' did not connect to the control service in time\(details.isEmpty ? "" : ": \(details)")"
        case .workerDied(let why):
            return "SDK harness died: \(why)"
        case .bundleFailed(let id, let message):
            return "Bundle \(id) failed in the SDK harness:\n\(message)"
        case .instructionFailed(let id, let message):
            return "Instruction \(id) failed in the SDK harness: \(message)"
        case .unknownDescriptor(let id):
            return "No ProcessBundleDescriptor with id '\(id)' was registered"
        case .duplicateWorker(let id):
            return "A worker with id '\(id)' already exists on this Fn API server"
        }
    }
}
