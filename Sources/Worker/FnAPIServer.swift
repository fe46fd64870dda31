import BeamModel
import GRPCCore
import NIOCore
import GRPCNIOTransportHTTP2
import Logging

/// The Fn API side of running one job: a gRPC server on one port serving
/// Control, Data, State, Logging and Provision (plus any extra services, such
/// as artifact retrieval) to the job's SDK harnesses, and the workers it
/// started. Execution starts one per job, starts workers for the job's
/// environments on it, and stops it when the job ends.
public final class FnAPIServer: Sendable {
    /// "host:port" harnesses dial for every Fn API service.
    public let endpoint: String
    private let registry: FnAPIRegistry
    private let launchers: EnvironmentLaunchers
    /// Each worker's deadline for instructions other than ProcessBundle (see `SDKWorker.instructionTimeout`).
    private let instructionTimeout: Duration
    private let server: GRPCServer<HTTP2ServerTransport.Posix>
    private let serving: Task<Void, any Error>
    private let logger: Logger

    /// Largest message accepted from harnesses (bundle outputs, state appends).
    public static let maxMessageBytes = 256 << 20
    /// How long `stop` lets open streams finish before cutting them.
    static let shutdownGrace: Duration = .seconds(5)

    private init(
        endpoint: String,
        registry: FnAPIRegistry,
        launchers: EnvironmentLaunchers,
        instructionTimeout: Duration,
        server: GRPCServer<HTTP2ServerTransport.Posix>,
        serving: Task<Void, any Error>,
        logger: Logger
    ) {
        self.endpoint = endpoint
        self.registry = registry
        self.launchers = launchers
        self.instructionTimeout = instructionTimeout
        self.server = server
        self.serving = serving
        self.logger = logger
    }

    /// Binds `host:port` (port 0 picks a free one) and starts serving.
    /// `provisionInfo` is what beam-boot gets from the Provision service, with
    /// this server's endpoints and each environment's dependencies filled in.
    public static func start(
        host: String = "127.0.0.1",
        port: Int = 0,
        provisionInfo: Org_Apache_Beam_Model_FnExecution_V1_ProvisionInfo = .init(),
        extraServices: [any RegistrableRPCService] = [],
        launchers: EnvironmentLaunchers = .standard,
        logSink: @escaping FnLogSink = { _ in },
        instructionTimeout: Duration = .seconds(120),
        logger: Logger
    ) async throws -> FnAPIServer {
        let registry = FnAPIRegistry(provisionInfo: provisionInfo, logSink: logSink, logger: logger)
        let transport = HTTP2ServerTransport.Posix(
            address: .ipv4(host: host, port: port),
            transportSecurity: .plaintext,
            config: .defaults {
                $0.rpc.maxRequestPayloadSize = maxMessageBytes
                // Beam's Python harness pings every 20 s, also between calls.
                $0.connection.keepalive.clientBehavior = .init(
                    minPingIntervalWithoutCalls: .seconds(10), allowWithoutCalls: true)
                // The Go SDK's PINGs are answered before swift-nio-http2 counts them (see HTTP2PingAnswerer).
                $0.channelDebuggingCallbacks.onAcceptTCPConnection = { [logger] channel in
                    var connectionLogger = logger
                    connectionLogger[metadataKey: "peer"] = "\(channel.remoteAddress.map { "\($0)" } ?? "?")"
                    return channel.pipeline.addHandler(HTTP2PingAnswerer(logger: connectionLogger), position: .first)
                }
            }
        )
        let services: [any RegistrableRPCService] = [
            ControlService(registry: registry),
            DataService(registry: registry),
            StateService(registry: registry),
            LoggingService(registry: registry),
            ProvisionService(registry: registry),
        ] + extraServices
        let server = GRPCServer(transport: transport, services: services)
        let serving = Task { try await server.serve() }
        let port: Int
        do {
            guard let bound = try await transport.listeningAddress.ipv4?.port else {
                throw WorkerError.launchFailed("the Fn API server is not listening on an IPv4 address")
            }
            port = bound
        } catch {
            serving.cancel()
            _ = await serving.result
            throw error
        }
        let advertisedHost = ["0.0.0.0", "::", ""].contains(host) ? "localhost" : host
        let endpoint = "\(advertisedHost):\(port)"
        registry.bound(to: endpoint)
        logger.info("Fn API server listening", metadata: ["endpoint": "\(endpoint)"])
        return FnAPIServer(
            endpoint: endpoint, registry: registry, launchers: launchers, instructionTimeout: instructionTimeout,
            server: server, serving: serving, logger: logger)
    }

    /// Launches a harness for `environment` and waits until it opened its
    /// control stream. Throws `environmentUnavailable` at once when no
    /// launcher can run the environment here, `startTimedOut` after `timeout`,
    /// `workerDied` if the harness exits first.
    /// `provisionInfo` (pipeline options, retrieval token) replaces the
    /// server's for this worker, for a server shared by several jobs.
    public func startWorker(
        id: String,
        environment: Org_Apache_Beam_Model_Pipeline_V1_Environment,
        provisionInfo: Org_Apache_Beam_Model_FnExecution_V1_ProvisionInfo? = nil,
        logSink: FnLogSink? = nil,
        timeout: Duration = .seconds(120)
    ) async throws -> SDKWorker {
        guard let launcher = launchers.launcher(for: environment.urn) else {
            throw WorkerError.environmentUnavailable(
                "no launcher for environment URN '\(environment.urn)'; this runner supports \(launchers.urns.joined(separator: ", "))")
        }
        let worker = SDKWorker(id: id, environment: environment, registry: registry, provisionInfo: provisionInfo,
                               instructionTimeout: instructionTimeout, logger: logger)
        worker.logSink = logSink
        try registry.add(worker)
        do {
            let request = EnvironmentLaunchRequest(
                workerID: id, environment: environment, endpoint: endpoint, logger: logger,
                onExit: { [weak worker] description in worker?.environmentExited(description) })
            let running = try await launcher.launch(request)
            if !worker.adopt(running) { await running.stop() }
            try await worker.waitUntilConnected(timeout: timeout)
            return worker
        } catch {
            await worker.stop()
            throw error
        }
    }

    /// Forgets descriptors registered for a job that ended.
    public func unregister(descriptorIDs: [String]) {
        registry.unregister(descriptorIDs)
    }

    /// The worker with this id, if it was started here and not stopped.
    public func worker(id: String) -> SDKWorker? {
        registry.worker(id: id)
    }

    /// Stops every worker, then the gRPC server (open streams get
    /// `shutdownGrace` to finish).
    public func stop() async {
        await withTaskGroup(of: Void.self) { group in
            for worker in registry.allWorkers {
                group.addTask { await worker.stop() }
            }
        }
        await launchers.shutdown()
        server.beginGracefulShutdown()
        let serving = self.serving
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                _ = await serving.result
                return true
            }
            group.addTask {
                try? await Task.sleep(for: Self.shutdownGrace)
                return false
            }
            if await group.next() == false {
                logger.debug("Fn API streams still open after the grace period; closing them")
                serving.cancel()
            }
            group.cancelAll()
        }
        _ = await serving.result
    }
}
