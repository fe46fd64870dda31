import Foundation

/// The container engine DOCKER environments run under (`--container-engine
/// auto|docker|podman|PATH`), found once per server: `auto` takes the first of
/// docker and podman whose `info` answers (docker's needs its daemon). Also
/// keeps which images are present (pulling a missing one once, however many
/// workers want it) and removes this server's containers at shutdown.
public actor ContainerEngine {
    /// A CLI that answered.
    public struct CLI: Sendable, Equatable {
        public let path: String
        /// "docker", "podman" or the file name of a custom CLI.
        public var name: String { URL(fileURLWithPath: path).lastPathComponent }
    }

    public let choice: String
    /// Label on every container this server starts, so shutdown removes exactly those.
    public nonisolated let instanceLabel = "org.apache.beam.job-server.instance=\(UUID().uuidString.lowercased())"
    private let searchPath: String
    private var found: CLI?
    private var lastFailure: (why: String, at: ContinuousClock.Instant)?
    private var presentImages: Set<String> = []
    private var pulls: [String: Task<Void, any Error>] = [:]

    /// How long a failed look-up is believed before the engines are asked again
    /// (someone may start the docker daemon meanwhile).
    static let failureMemory: Duration = .seconds(10)
    static let infoTimeout: Duration = .seconds(20)
    static let pullTimeout: Duration = .seconds(15 * 60)

    /// `choice`: "auto", "docker", "podman", or a CLI's path.
    public init(choice: String = "auto", searchPath: String? = nil) {
        self.choice = choice
        self.searchPath = searchPath ?? ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
    }

    public static let choices = ["auto", "docker", "podman"]

    /// The engine's CLI, or `WorkerError.environmentUnavailable` saying what
    /// was tried, why each failed and what to use instead.
    public func cli(for image: String) async throws -> CLI {
        if let found { return found }
        if let lastFailure, ContinuousClock.now - lastFailure.at < Self.failureMemory {
            throw unavailable(image: image, why: lastFailure.why)
        }
        var reasons: [String] = []
        for candidate in choice == "auto" ? ["docker", "podman"] : [choice] {
            guard let path = locate(candidate) else {
                reasons.append("\(candidate): not installed (not on PATH)")
                continue
            }
            let info = await ShortCommand.run(path, ["info"], timeout: Self.infoTimeout)
            if info.succeeded {
                found = CLI(path: path)
                return CLI(path: path)
            }
            let detail = info.timedOut ? "did not answer within \(Self.infoTimeout)" : info.lastLines(2)
            reasons.append("\(candidate) (\(path)): `\(URL(fileURLWithPath: path).lastPathComponent) info` failed: \(detail)")
        }
        let why = reasons.joined(separator: "; ")
        lastFailure = (why, .now)
        throw unavailable(image: image, why: why)
    }

    /// Returns once `image` is present for `cli`, pulling it if it is not
    /// (Beam's runners' "if not present" policy); a failed pull names the image.
    public func ensureImage(_ image: String, with cli: CLI) async throws {
        if presentImages.contains(image) { return }
        if let pull = pulls[image] { return try await pull.value }
        let pull = Task {
            let inspect = await ShortCommand.run(cli.path, ["image", "inspect", "--format", "{{.Id}}", image], timeout: Self.infoTimeout)
            if inspect.succeeded { return }
            let pulled = await ShortCommand.run(cli.path, ["pull", image], timeout: Self.pullTimeout)
            guard pulled.succeeded else {
                throw WorkerError.environmentUnavailable(
                    "the container image '\(image)' is not on this machine and `\(cli.name) pull \(image)` failed"
                        + (pulled.timedOut ? " (no answer within \(Self.pullTimeout))" : ": \(pulled.lastLines(4))")
                        + ". Build or load the image locally (`\(cli.name) images` lists what there is), or submit with "
                        + Self.alternatives)
            }
        }
        pulls[image] = pull
        defer { pulls[image] = nil }
        try await pull.value
        presentImages.insert(image)
    }

    /// Force-removes every container this server started that is still there.
    public func removeOwnContainers() async {
        guard let found else { return }
        let listed = await ShortCommand.run(found.path, ["ps", "-aq", "--filter", "label=\(instanceLabel)"], timeout: Self.infoTimeout)
        let ids = listed.output.split(whereSeparator: \.isNewline).map(String.init).filter { !$0.isEmpty }
        guard listed.succeeded, !ids.isEmpty else { return }
        _ = await ShortCommand.run(found.path, ["rm", "-f"] + ids, timeout: .seconds(60))
    }

    static let alternatives = "--environment_type=LOOPBACK, or --environment_type=PROCESS with "
        + "--environment_config='{\"command\": \"/path/to/beam-boot\"}' (see Docs/environments.md)"

    private func unavailable(image: String, why: String) -> WorkerError {
        .environmentUnavailable(
            "no container engine can run the DOCKER environment '\(image)' here (--container-engine \(choice): \(why)). "
                + "Install podman or docker (Docs/environments.md), or submit with \(Self.alternatives); "
                + "a server started with --docker-fallback process runs Beam's Python SDK images as local PROCESS harnesses")
    }

    private func locate(_ name: String) -> String? {
        if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        return searchPath.split(separator: ":").map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
