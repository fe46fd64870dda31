import ArgumentParser
import Execution
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import JobService
import Logging
import ServiceLifecycle

/// `beam-job-server`: serves Beam's Job Management and artifact APIs on one
/// port and runs submitted jobs until SIGINT or SIGTERM.
@main
struct BeamJobServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "beam-job-server",
        abstract: "A portable Apache Beam runner: submit pipelines with --runner=PortableRunner --job_endpoint=HOST:PORT."
    )

    @Option(name: [.customLong("job-port"), .customLong("job_port")],
            help: "Port for the Job Management and artifact services (0 picks a free one).")
    var jobPort: Int = 8099

    @Option(help: "Address to bind; 0.0.0.0 serves every interface.")
    var host: String = "127.0.0.1"

    @Option(name: [.customLong("worker-host"), .customLong("worker_host")],
            help: "Address the per-job Fn API servers bind to; SDK harnesses must reach it.")
    var workerHost: String = "127.0.0.1"

    @Option(name: [.customLong("artifacts-dir"), .customLong("artifacts_dir")],
            help: "Folder for staged artifacts (default: a fresh temporary folder).")
    var artifactsDir: String?

    @Option(name: [.customLong("log-level"), .customLong("log_level")],
            help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"

    func validate() throws {
        guard (0...65535).contains(jobPort) else { throw ValidationError("--job-port must be between 0 and 65535") }
        guard Logger.Level(rawValue: logLevel.lowercased()) != nil else {
            throw ValidationError("--log-level must be one of: \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() async throws {
        MemoryTuning.apply()
        let level = Logger.Level(rawValue: logLevel.lowercased()) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "beam-job-server")

        let store = try artifactsDir.map { try ArtifactStore(root: URL(fileURLWithPath: $0)) } ?? ArtifactStore.temporary()
        let registry = JobRegistry()
        let executor = PipelineExecutor(settings: ExecutionSettings(host: workerHost, artifacts: store), logger: logger)
        let runner = JobRunner(executor: executor, logger: logger)
        let transport = HTTP2ServerTransport.Posix(
            address: .ipv4(host: host, port: jobPort),
            transportSecurity: .plaintext,
            config: .defaults { $0.rpc.maxRequestPayloadSize = 256 << 20 }
        )
        let advertisedHost = ["0.0.0.0", "::"].contains(host) ? "localhost" : host
        let services: [any RegistrableRPCService] = [
            JobManagementService(registry: registry, runner: runner, logger: logger) {
                guard let port = try await transport.listeningAddress.ipv4?.port else {
                    throw RPCError(code: .unavailable, message: "The server is not listening on an IPv4 address")
                }
                return "\(advertisedHost):\(port)"
            },
            ArtifactStagingService(registry: registry, store: store, logger: logger),
            ArtifactRetrievalService(store: store),
        ]
        let server = GRPCServer(transport: transport, services: services)

        let group = ServiceGroup(
            services: [GRPCServerService(server: server, transport: transport, logger: logger),
                       JobRunnerService(runner: runner, registry: registry)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
        logger.info("artifacts stored under \(store.root.path)")
        try await group.run()
        logger.info("beam-job-server stopped")
    }
}
