import Foundation

/// What one boot needs to know before it asks the runner anything: parsed
/// flags plus tuning from the environment.
struct BootSettings: Sendable {
    let workerID: String
    let provisionEndpoint: Endpoint
    let controlEndpoint: String?
    let loggingEndpoint: String?
    let artifactEndpoint: String?
    let semiPersistDir: String?
    let ignoredArguments: [String]

    /// How long to retry an unreachable runner endpoint:
    /// `$BEAM_BOOT_CONNECT_TIMEOUT` seconds, default 30.
    var connectWindow: Duration {
        let seconds = ProcessInfo.processInfo.environment["BEAM_BOOT_CONNECT_TIMEOUT"].flatMap(Double.init) ?? 30
        return .milliseconds(Int64(max(0, seconds) * 1000))
    }
}
