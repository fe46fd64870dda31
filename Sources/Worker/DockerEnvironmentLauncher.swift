import BeamModel
import Foundation

/// DOCKER environments (`beam:env:docker:v1`): `docker run --rm --network=host
/// IMAGE <boot flags>` as a `ChildProcess`, or the same with `podman` where
/// that is the working container runtime. Without either, fails at once.
public struct DockerEnvironmentLauncher: EnvironmentLauncher {
    public let urn = "beam:env:docker:v1"
    /// The container CLI to use; nil picks one (see `containerCommand`).
    public var command: String?
    public var stopGrace: Duration

    public init(command: String? = nil, stopGrace: Duration = .seconds(10)) {
        self.command = command
        self.stopGrace = stopGrace
    }

    public func launch(_ request: EnvironmentLaunchRequest) async throws -> any RunningEnvironment {
        guard let payload = try? Org_Apache_Beam_Model_Pipeline_V1_DockerPayload(serializedBytes: request.environment.payload),
              !payload.containerImage.isEmpty
        else { throw WorkerError.launchFailed("the DOCKER environment's payload names no container image") }
        guard let cli = containerCommand() else {
            throw WorkerError.environmentUnavailable(
                "docker is not available on this machine (neither docker nor podman is on PATH), so the DOCKER environment "
                    + "'\(payload.containerImage)' cannot run; use --environment_type=LOOPBACK or PROCESS")
        }
        let name = "beam-\(request.workerID.filter { $0.isLetter || $0.isNumber || $0 == "-" })-\(UUID().uuidString.prefix(8).lowercased())"
        let arguments = ["run", "--rm", "--network=host", "--name=\(name)", payload.containerImage]
            + ProcessEnvironmentLauncher.bootFlags(workerID: request.workerID, endpoint: request.endpoint)
        request.logger.info("starting SDK harness container", metadata: [
            "worker": "\(request.workerID)", "image": "\(payload.containerImage)", "cli": "\(cli)",
        ])
        let child = try ChildProcess.launch(
            executable: cli, arguments: arguments,
            label: "SDK harness container '\(payload.containerImage)' (\(URL(fileURLWithPath: cli).lastPathComponent))",
            stopGrace: stopGrace, logger: request.logger, onExit: request.onExit)
        return Container(cli: cli, name: name, child: child)
    }

    /// The container CLI: `command` if set, else `$BEAM_CONTAINER_COMMAND`,
    /// else docker when a docker daemon is reachable, else podman, else docker.
    func containerCommand(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        let path = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        func find(_ name: String) -> String? {
            if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
            return path.split(separator: ":").map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
        }
        if let chosen = command ?? environment["BEAM_CONTAINER_COMMAND"] { return find(chosen) }
        let docker = find("docker")
        let daemon = environment["DOCKER_HOST"] != nil || FileManager.default.fileExists(atPath: "/var/run/docker.sock")
        if let docker, daemon { return docker }
        return find("podman") ?? docker
    }

    /// A running `docker run`: stopping it also removes the container, in
    /// case the CLI's signal did not reach it.
    struct Container: RunningEnvironment {
        let cli: String
        let name: String
        let child: ChildProcess
        var processID: Int32? { child.pid }

        func exitDescription(waitingUpTo timeout: Duration) async -> String? {
            await child.exitDescription(waitingUpTo: timeout)
        }

        var recentOutput: [String] { child.recentOutput }

        func stop() async {
            await child.stop()
            let remover = Process()
            remover.executableURL = URL(fileURLWithPath: cli)
            remover.arguments = ["rm", "-f", name]
            remover.standardOutput = FileHandle.nullDevice
            remover.standardError = FileHandle.nullDevice
            try? remover.run()
            await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                DispatchQueue.global().async {
                    if remover.isRunning { remover.waitUntilExit() }
                    done.resume()
                }
            }
        }
    }
}
