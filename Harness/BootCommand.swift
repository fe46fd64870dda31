import ArgumentParser

/// beam-boot's command line: the flags of Beam's container contract
/// (https://s.apache.org/beam-fn-api-container-contract). Unknown flags are
/// accepted and ignored so newer runners can pass more.
struct BootCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "beam-boot",
        abstract: "Boots a Beam Python SDK harness for a PROCESS or DOCKER environment.",
        discussion: """
            Fetches ProvisionInfo and the staged artifacts from the runner, pip-installs \
            the staged packages into the Python given by $BEAM_PYTHON (default: python3 \
            on PATH), then replaces itself with `python -m apache_beam.runners.worker.sdk_worker_main`.
            """)

    @Option(name: .customLong("id"), help: "Worker id, sent as `worker_id` metadata (required).")
    var id: String?

    @Option(name: .customLong("provision_endpoint"), help: "Provision API host:port (required).")
    var provisionEndpoint: String?

    @Option(name: .customLong("control_endpoint"), help: "Control API host:port, unless ProvisionInfo names one.")
    var controlEndpoint: String?

    @Option(name: .customLong("logging_endpoint"), help: "Logging API host:port, unless ProvisionInfo names one.")
    var loggingEndpoint: String?

    @Option(name: .customLong("artifact_endpoint"), help: "Artifact retrieval API host:port, unless ProvisionInfo names one.")
    var artifactEndpoint: String?

    @Option(name: .customLong("semi_persist_dir"), help: "Folder for staged files and the harness (default: a new temp folder).")
    var semiPersistDir: String?

    @Argument(parsing: .allUnrecognized, help: .hidden)
    var ignored: [String] = []

    /// The checked settings, or the argument failure to report.
    func settings() throws -> BootSettings {
        guard let id, !id.isEmpty else { throw BootFailure(.arguments, "no --id given") }
        guard let provisionEndpoint, !provisionEndpoint.isEmpty else {
            throw BootFailure(.arguments, "no --provision_endpoint given")
        }
        return BootSettings(
            workerID: id,
            provisionEndpoint: try Endpoint(provisionEndpoint),
            controlEndpoint: controlEndpoint,
            loggingEndpoint: loggingEndpoint,
            artifactEndpoint: artifactEndpoint,
            semiPersistDir: semiPersistDir.flatMap { $0.isEmpty ? nil : $0 },
            ignoredArguments: ignored)
    }
}
