import BeamModel
import Foundation

/// DOCKER environments (`beam:env:docker:v1`): the image's own entrypoint
/// (`/opt/apache/beam/boot` in Beam's images) with Beam's boot flags, as
/// `docker run --rm --network=host` (or podman's) in a `ChildProcess`, so the
/// harness reaches our Fn API server on loopback. The engine and the image are
/// checked before the container starts, so a missing one is one clear error.
public struct DockerEnvironmentLauncher: EnvironmentLauncher {
    public let urn = "beam:env:docker:v1"
    public let engine: ContainerEngine
    /// Bounds for each container: `--memory` and `--cpus` values (nil: none).
    public var memory: String?
    public var cpus: String?
    public var stopGrace: Duration

    public init(engine: ContainerEngine = ContainerEngine(), memory: String? = nil, cpus: String? = nil,
                stopGrace: Duration = .seconds(10)) {
        self.engine = engine
        self.memory = memory
        self.cpus = cpus
        self.stopGrace = stopGrace
    }

    public func launch(_ request: EnvironmentLaunchRequest) async throws -> any RunningEnvironment {
        guard let payload = try? Org_Apache_Beam_Model_Pipeline_V1_DockerPayload(serializedBytes: request.environment.payload),
              !payload.containerImage.isEmpty
        else { throw WorkerError.launchFailed("the DOCKER environment's payload names no container image") }
        // It becomes an argument of `run`: a leading dash would be read as an option.
        guard !payload.containerImage.hasPrefix("-"), !payload.containerImage.contains(where: \.isWhitespace) else {
            throw WorkerError.launchFailed("'\(payload.containerImage)' is not a container image name")
        }
        let cli = try await engine.cli(for: payload.containerImage)
        let image = cli.name == "podman" ? Self.qualified(payload.containerImage) : payload.containerImage
        try await engine.ensureImage(image, with: cli)
        let name = "beam-\(request.workerID.filter { $0.isLetter || $0.isNumber || $0 == "-" })-\(UUID().uuidString.prefix(8).lowercased())"
        let arguments = runArguments(name: name, image: image)
            + ProcessEnvironmentLauncher.bootFlags(workerID: request.workerID, endpoint: request.endpoint)
            + ["--semi_persist_dir=/tmp"]
        request.logger.info("starting SDK harness container", metadata: [
            "worker": "\(request.workerID)", "image": "\(image)", "cli": "\(cli.path)", "container": "\(name)",
        ])
        let child = try ChildProcess.launch(
            executable: cli.path, arguments: arguments,
            label: "SDK harness container '\(image)' (\(cli.name) \(name))",
            stopGrace: stopGrace, logger: request.logger, onExit: request.onExit)
        return Container(cli: cli.path, name: name, child: child)
    }

    /// `run` and its options up to the image; the boot flags follow.
    func runArguments(name: String, image: String) -> [String] {
        var arguments = ["run", "--rm", "--network=host", "--name=\(name)", "--label=\(engine.instanceLabel)"]
        if let memory { arguments.append("--memory=\(memory)") }
        if let cpus { arguments.append("--cpus=\(cpus)") }
        return arguments + [image]
    }

    /// `image` with Docker Hub spelled out, as docker reads a name without a
    /// registry (`apache/beam_python3.11_sdk` → `docker.io/apache/…`): podman
    /// would otherwise ask which registry, and cannot without a terminal.
    static func qualified(_ image: String) -> String {
        let parts = image.split(separator: "/", maxSplits: 1)
        if parts.count == 2, parts[0].contains(".") || parts[0].contains(":") || parts[0] == "localhost" { return image }
        return parts.count == 2 ? "docker.io/\(image)" : "docker.io/library/\(image)"
    }

    public func shutdown() async {
        await engine.removeOwnContainers()
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
            _ = await ShortCommand.run(cli, ["rm", "-f", name], timeout: .seconds(60))
        }
    }
}
