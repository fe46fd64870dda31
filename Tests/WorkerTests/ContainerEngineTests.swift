import BeamModel
import Foundation
import Logging
import Testing
@testable import Worker

/// The container engine look-up and image handling, against stand-in CLIs
/// (shell scripts) that record their calls: the real engine runs in the
/// end-to-end tests (test_docker_environments.py).
@Suite struct ContainerEngineTests {
    /// A fake CLI in a fresh folder: `script` is its body; every call is appended to calls.txt.
    private static func fakeCLI(_ script: String) throws -> (cli: String, calls: URL) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("engine-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let calls = folder.appendingPathComponent("calls.txt")
        let cli = folder.appendingPathComponent("fake-engine")
        try "#!/bin/sh\necho \"$@\" >> '\(calls.path)'\n\(script)\n".write(to: cli, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: cli.path)
        return (cli.path, calls)
    }

    private static func lines(_ file: URL) -> [String] {
        ((try? String(contentsOf: file, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    @Test func autoNamesEveryEngineItTriedAndWhy() async throws {
        let (cli, _) = try Self.fakeCLI("echo 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock' >&2; exit 1")
        let folder = URL(fileURLWithPath: cli).deletingLastPathComponent()
        try FileManager.default.createSymbolicLink(atPath: folder.appendingPathComponent("docker").path, withDestinationPath: cli)
        let engine = ContainerEngine(choice: "auto", searchPath: folder.path)
        await #expect {
            try await engine.cli(for: "apache/beam_python3.11_sdk:2.77.0")
        } throws: { error in
            guard case WorkerError.environmentUnavailable(let why) = error else { return false }
            return why.contains("'apache/beam_python3.11_sdk:2.77.0'")
                && why.contains("docker (\(folder.path)/docker): `docker info` failed: Cannot connect to the Docker daemon")
                && why.contains("podman: not installed (not on PATH)")
                && why.contains("--environment_type=LOOPBACK") && why.contains("--docker-fallback process")
        }
    }

    @Test func aMissingImageIsPulledOnceForConcurrentWorkers() async throws {
        let (cli, calls) = try Self.fakeCLI("""
            case "$1" in
              info) exit 0 ;;
              image) [ -e "$(dirname "$0")/pulled" ] && exit 0; exit 1 ;;
              pull) sleep 0.3; touch "$(dirname "$0")/pulled"; exit 0 ;;
            esac
            """)
        let engine = ContainerEngine(choice: cli)
        let found = try await engine.cli(for: "example/sdk:1")
        #expect(found.path == cli)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<3 { group.addTask { try await engine.ensureImage("example/sdk:1", with: found) } }
            try await group.waitForAll()
        }
        try await engine.ensureImage("example/sdk:1", with: found)
        #expect(Self.lines(calls) == ["info", "image inspect --format {{.Id}} example/sdk:1", "pull example/sdk:1"])
    }

    @Test func aFailedPullNamesTheImageAndWhatToDo() async throws {
        let (cli, _) = try Self.fakeCLI("""
            case "$1" in
              info) exit 0 ;;
              image) exit 1 ;;
              pull) echo "Error: initializing source docker://example/missing:2: manifest unknown" >&2; exit 125 ;;
            esac
            """)
        let engine = ContainerEngine(choice: cli)
        let found = try await engine.cli(for: "example/missing:2")
        await #expect {
            try await engine.ensureImage("example/missing:2", with: found)
        } throws: { error in
            guard case WorkerError.environmentUnavailable(let why) = error else { return false }
            return why.contains("the container image 'example/missing:2' is not on this machine")
                && why.contains("manifest unknown") && why.contains("fake-engine images")
        }
    }

    @Test func anImageNameThatWouldBeAnOptionIsRefusedBeforeTheEngineRuns() async throws {
        let (cli, calls) = try Self.fakeCLI("exit 0")
        let launcher = DockerEnvironmentLauncher(engine: ContainerEngine(choice: cli))
        for image in ["--privileged", "sdk:1 --volume=/:/host"] {
            let request = EnvironmentLaunchRequest(
                workerID: "w1",
                environment: .with {
                    $0.urn = "beam:env:docker:v1"
                    $0.payload = try! Org_Apache_Beam_Model_Pipeline_V1_DockerPayload.with { $0.containerImage = image }.serializedData()
                },
                endpoint: "127.0.0.1:1", logger: Logger(label: "test"), onExit: { _ in })
            await #expect {
                _ = try await launcher.launch(request)
            } throws: { error in
                guard case WorkerError.launchFailed(let why) = error else { return false }
                return why == "'\(image)' is not a container image name"
            }
        }
        #expect(Self.lines(calls).isEmpty)
    }

    @Test func podmanGetsDockerHubNamesSpelledOut() {
        #expect(DockerEnvironmentLauncher.qualified("apache/beam_python3.11_sdk:2.77.0") == "docker.io/apache/beam_python3.11_sdk:2.77.0")
        #expect(DockerEnvironmentLauncher.qualified("python:3.11") == "docker.io/library/python:3.11")
        #expect(DockerEnvironmentLauncher.qualified("localhost/beam:1") == "localhost/beam:1")
        #expect(DockerEnvironmentLauncher.qualified("gcr.io/project/sdk") == "gcr.io/project/sdk")
        #expect(DockerEnvironmentLauncher.qualified("registry:5000/sdk") == "registry:5000/sdk")
    }

    @Test func shortCommandsAreKilledAtTheirDeadline() async throws {
        let started = ContinuousClock.now
        let outcome = await ShortCommand.run("/bin/sh", ["-c", "echo before; sleep 30"], timeout: .milliseconds(300))
        #expect(outcome.timedOut)
        #expect(!outcome.succeeded)
        #expect(outcome.output == "before")
        #expect(ContinuousClock.now - started < .seconds(10))
    }
}
