import BeamModel
import Foundation

/// PROCESS environments (`beam:env:process:v1`): runs the payload's command —
/// usually beam-boot — with Beam's boot flags and the payload's environment
/// variables added to ours, as a `ChildProcess`.
public struct ProcessEnvironmentLauncher: EnvironmentLauncher {
    public let urn = "beam:env:process:v1"
    /// How long a stopping harness gets after SIGTERM before SIGKILL.
    public var stopGrace: Duration

    public init(stopGrace: Duration = .seconds(5)) {
        self.stopGrace = stopGrace
    }

    public func launch(_ request: EnvironmentLaunchRequest) async throws -> any RunningEnvironment {
        guard let payload = try? Org_Apache_Beam_Model_Pipeline_V1_ProcessPayload(serializedBytes: request.environment.payload)
        else { throw WorkerError.launchFailed("the PROCESS environment's payload is not a ProcessPayload") }
        let command = payload.command.trimmingCharacters(in: .whitespaces)
        guard !command.isEmpty else { throw WorkerError.launchFailed("the PROCESS environment names no command") }
        let flags = Self.bootFlags(workerID: request.workerID, endpoint: request.endpoint)
        // A path runs as is; anything else (a command line) through the shell, flags appended.
        let (executable, arguments) = FileManager.default.isExecutableFile(atPath: command)
            ? (command, flags)
            : ("/bin/sh", ["-c", "exec \(command) \"$@\"", "sh"] + flags)
        request.logger.info("starting SDK harness process", metadata: ["worker": "\(request.workerID)", "command": "\(command)"])
        return try ChildProcess.launch(
            executable: executable, arguments: arguments,
            // beam-boot then stops the harness should this server die (Harness/RunnerWatch.swift).
            environment: payload.env.merging(["BEAM_BOOT_RUNNER_PID": String(getpid())]) { _, ours in ours },
            label: "SDK harness process '\(request.workerID)'", stopGrace: stopGrace,
            logger: request.logger, onExit: request.onExit)
    }

    /// The flags Beam's boot programs take (see the Python SDK's worker_handlers.py).
    static func bootFlags(workerID: String, endpoint: String) -> [String] {
        [
            "--id=\(workerID)",
            "--provision_endpoint=\(endpoint)",
            "--control_endpoint=\(endpoint)",
            "--logging_endpoint=\(endpoint)",
            "--artifact_endpoint=\(endpoint)",
        ]
    }
}
