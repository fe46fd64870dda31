import ArgumentParser
import Execution
import Foundation
import Worker

/// The `serve` flags for DOCKER environments: which container engine, the
/// bounds of each container, and the PROCESS fallback for Beam's Python images.
struct ContainerOptions: ParsableArguments {
    @Option(name: [.customLong("container-engine"), .customLong("container_engine")],
            help: "Container engine for DOCKER environments: auto (docker if its daemon answers, else podman), docker, podman, or a CLI's path.")
    var containerEngine: String = "auto"

    @Option(name: [.customLong("container-memory"), .customLong("container_memory")],
            help: "Memory bound of each SDK harness container, as the engine's --memory takes it (e.g. 4g).")
    var containerMemory: String?

    @Option(name: [.customLong("container-cpus"), .customLong("container_cpus")],
            help: "CPU bound of each SDK harness container, as the engine's --cpus takes it (e.g. 1.5).")
    var containerCPUs: String?

    @Option(name: [.customLong("docker-fallback"), .customLong("docker_fallback")],
            help: "none, or process: when no container engine runs, Beam's Python SDK images (apache/beam_pythonX.Y_sdk:VERSION) run as local PROCESS harnesses with beam-boot.")
    var dockerFallback: String = "none"

    @Option(name: [.customLong("docker-fallback-python"), .customLong("docker_fallback_python")],
            help: "The Python (with apache-beam) of --docker-fallback process (default: $BEAM_PYTHON, else python3).")
    var fallbackPython: String?

    @Option(name: [.customLong("docker-fallback-boot"), .customLong("docker_fallback_boot")],
            help: "The beam-boot of --docker-fallback process (default: the beam-boot next to this program).")
    var fallbackBoot: String?

    func validate() throws {
        guard ContainerEngine.choices.contains(containerEngine) || containerEngine.contains("/") else {
            throw ValidationError("--container-engine must be auto, docker, podman or the path of a container CLI")
        }
        guard ["none", "process"].contains(dockerFallback) else {
            throw ValidationError("--docker-fallback must be none or process")
        }
        if dockerFallback == "process", !FileManager.default.isExecutableFile(atPath: bootPath) {
            throw ValidationError("--docker-fallback process needs beam-boot, and \(bootPath) is not an executable "
                + "(build it with `swift build --product beam-boot`, or name it with --docker-fallback-boot)")
        }
    }

    func engine() -> ContainerEngine {
        ContainerEngine(choice: containerEngine)
    }

    func launchers(engine: ContainerEngine) -> EnvironmentLaunchers {
        .standard.adding(DockerEnvironmentLauncher(engine: engine, memory: containerMemory, cpus: containerCPUs))
    }

    func fallback(engine: ContainerEngine) -> DockerFallback? {
        guard dockerFallback == "process" else { return nil }
        let environment = ProcessInfo.processInfo.environment
        let python = fallbackPython ?? environment["BEAM_PYTHON"].flatMap { $0.isEmpty ? nil : $0 } ?? "python3"
        // Run by path: the version probe starts it directly.
        let resolved = python.contains("/") ? python
            : (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map { "\($0)/\(python)" }
                .first { FileManager.default.isExecutableFile(atPath: $0) } ?? python
        return DockerFallback(engine: engine, bootCommand: bootPath, python: resolved)
    }

    private var bootPath: String {
        fallbackBoot ?? (Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0]))
            .resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("beam-boot").path
    }
}
