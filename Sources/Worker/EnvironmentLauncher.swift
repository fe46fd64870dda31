import BeamModel
import Logging

/// Starts SDK harnesses for one kind of environment (one environment URN).
/// `FnAPIServer.startWorker` picks a launcher from its `EnvironmentLaunchers`
/// by URN and calls `launch`; the harness then dials back the endpoints in the
/// request. Each kind lives in its own file; adding one edits nothing else.
public protocol EnvironmentLauncher: Sendable {
    /// The environment URN this launcher handles, e.g. `beam:env:process:v1`.
    var urn: String { get }

    /// Starts a harness for `request.environment` and returns once it has been
    /// asked to start (not once it connected). Throws `WorkerError`.
    func launch(_ request: EnvironmentLaunchRequest) async throws -> any RunningEnvironment

    /// Releases what outlives single harnesses (DOCKER: containers left
    /// behind) when the server stops. Default: nothing.
    func shutdown() async
}

extension EnvironmentLauncher {
    public func shutdown() async {}
}

/// Everything a launcher needs to start one harness.
public struct EnvironmentLaunchRequest: Sendable {
    public let workerID: String
    public let environment: Org_Apache_Beam_Model_Pipeline_V1_Environment
    /// The Fn API server's "host:port": control, logging, artifact and provision endpoint alike.
    public let endpoint: String
    public let logger: Logger
    /// Call once if the harness ends on its own (process exit), with a
    /// description for error messages (exit status, last output lines).
    public let onExit: @Sendable (String) -> Void

    public init(
        workerID: String,
        environment: Org_Apache_Beam_Model_Pipeline_V1_Environment,
        endpoint: String,
        logger: Logger,
        onExit: @escaping @Sendable (String) -> Void
    ) {
        self.workerID = workerID
        self.environment = environment
        self.endpoint = endpoint
        self.logger = logger
        self.onExit = onExit
    }
}

/// A harness a launcher started. `SDKWorker` holds it to explain deaths and to
/// stop it.
public protocol RunningEnvironment: Sendable {
    /// How the harness ended (exit status, last output), waiting up to
    /// `timeout` for it to end. Nil while it still runs or when it cannot be
    /// observed (an external worker pool).
    func exitDescription(waitingUpTo timeout: Duration) async -> String?

    /// The last lines the harness printed, for error messages (may be empty).
    var recentOutput: [String] { get }

    /// Stops the harness and releases what the launcher holds for it
    /// (reaping the process). Called once.
    func stop() async

    /// The local process that runs (or fronts) the harness, for dashboards; nil for external workers.
    var processID: Int32? { get }
}

extension RunningEnvironment {
    public var processID: Int32? { nil }
}

/// The launchers a server can use, by environment URN. `standard` knows
/// EXTERNAL (LOOPBACK), PROCESS and DOCKER; `adding` plugs in another.
public struct EnvironmentLaunchers: Sendable {
    private var byURN: [String: any EnvironmentLauncher] = [:]

    public init(_ launchers: [any EnvironmentLauncher]) {
        for launcher in launchers { byURN[launcher.urn] = launcher }
    }

    public static var standard: EnvironmentLaunchers {
        EnvironmentLaunchers([
            ExternalEnvironmentLauncher(),
            ProcessEnvironmentLauncher(),
            DockerEnvironmentLauncher(),
        ])
    }

    /// These launchers plus `launcher`, which replaces any other for its URN.
    public func adding(_ launcher: any EnvironmentLauncher) -> EnvironmentLaunchers {
        var copy = self
        copy.byURN[launcher.urn] = launcher
        return copy
    }

    public func launcher(for urn: String) -> (any EnvironmentLauncher)? {
        byURN[urn]
    }

    public var urns: [String] { byURN.keys.sorted() }

    /// Every launcher's `shutdown`.
    public func shutdown() async {
        for launcher in byURN.values { await launcher.shutdown() }
    }
}
