import BeamModel
import Foundation
import Logging

/// One boot, step by step: provision, fetch artifacts, pip-install them, exec
/// the harness. Every failure surfaces as a `BootFailure` naming its step.
struct BootSequence {
    let settings: BootSettings
    let logger: Logger

    func run() async throws -> Never {
        logger.info("Booting Python SDK harness for worker \(settings.workerID)")
        if !settings.ignoredArguments.isEmpty {
            logger.debug("Ignoring arguments: \(settings.ignoredArguments.joined(separator: " "))")
        }
        let python = try PythonInterpreter.locate()
        logger.info("Using Python \(python.path)")

        let info = try await ProvisionFetcher(connection: connection(to: settings.provisionEndpoint), workerID: settings.workerID).fetch()
        logger.info("Provisioned: \(info.dependencies.count) artifact(s), job \(info.metadata["job_id"] ?? "?")")
        let endpoints = try WorkerEndpoints(flags: settings, provision: info)
        if !info.siblingWorkerIds.isEmpty {
            // Beam's boot runs one harness per sibling id; exec leaves room for one.
            logger.warning("Ignoring sibling worker ids \(info.siblingWorkerIds): beam-boot runs one harness per process")
        }

        let folder = try WorkFolder.prepare(requested: settings.semiPersistDir, workerID: settings.workerID)
        let staged = try await retrieveArtifacts(info, endpoints: endpoints, into: folder)

        try await PackageInstaller(python: python, stagedDirectory: folder.stagedDirectory, logger: logger).install(staged)

        let environment = HarnessEnvironment(
            workerID: settings.workerID, provision: info,
            semiPersistentDirectory: folder.semiPersistentDirectory, endpoints: endpoints)
        logger.info("Starting \(python.path) -m \(HarnessLauncher.entryModule) (control \(endpoints.control), logging \(endpoints.logging))")
        RunnerWatch.startIfAsked()
        try HarnessLauncher(python: python).exec(environment: environment.variables)
    }

    private func retrieveArtifacts(_ info: ProvisionInfo, endpoints: WorkerEndpoints, into folder: WorkFolder) async throws -> [StagedArtifact] {
        let planned = try StagedArtifact.plan(info.dependencies)
        guard !planned.isEmpty else {
            if !info.retrievalToken.isEmpty, info.retrievalToken != "__no_artifacts_staged__" {
                logger.warning("ProvisionInfo has a retrieval token but no dependencies; the legacy manifest API is not supported")
            }
            return []
        }
        guard let artifactEndpoint = endpoints.artifact else {
            throw BootFailure(.artifacts, "\(planned.count) artifact(s) to fetch but no --artifact_endpoint and none in ProvisionInfo")
        }
        let retriever = ArtifactRetriever(
            connection: connection(to: artifactEndpoint), workerID: settings.workerID,
            stagedDirectory: folder.stagedDirectory, verifier: SHA256Verifier(logger: logger), logger: logger)
        return try await retriever.retrieve(planned)
    }

    private func connection(to endpoint: Endpoint) -> RPCConnection {
        RPCConnection(endpoint: endpoint, connectWindow: settings.connectWindow, logger: logger)
    }
}
