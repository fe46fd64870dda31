import BeamModel

/// The environment variables the Python SDK harness reads at start
/// (apache_beam/runners/worker/sdk_worker_main.py), as Beam's boot sets them.
struct HarnessEnvironment {
    let workerID: String
    let provision: ProvisionInfo
    let semiPersistentDirectory: String
    let endpoints: WorkerEndpoints

    var variables: [(name: String, value: String)] {
        var variables: [(String, String)] = [
            ("WORKER_ID", workerID),
            ("PIPELINE_OPTIONS", PipelineOptionsJSON.render(provision)),
            ("SEMI_PERSISTENT_DIRECTORY", semiPersistentDirectory),
            ("LOGGING_API_SERVICE_DESCRIPTOR", Self.descriptor(endpoints.logging)),
            ("CONTROL_API_SERVICE_DESCRIPTOR", Self.descriptor(endpoints.control)),
            ("PROVISION_API_SERVICE_DESCRIPTOR", Self.descriptor(endpoints.provision)),
            ("RUNNER_CAPABILITIES", provision.runnerCapabilities.joined(separator: " ")),
        ]
        if let artifact = endpoints.artifact {
            variables.append(("ARTIFACT_API_SERVICE_DESCRIPTOR", Self.descriptor(artifact)))
        }
        if provision.hasStatusEndpoint {
            variables.append(("STATUS_API_SERVICE_DESCRIPTOR", provision.statusEndpoint.textFormatString()))
        }
        // sdk_worker_main's profiler and logs look these up.
        if let name = provision.metadata["job_name"] { variables.append(("JOB_NAME", name)) }
        if let id = provision.metadata["job_id"] { variables.append(("JOB_ID", id)) }
        return variables
    }

    /// Text-format ApiServiceDescriptor, e.g. `url: "localhost:1234"`.
    static func descriptor(_ endpoint: Endpoint) -> String {
        ApiServiceDescriptor.with { $0.url = endpoint.url }.textFormatString()
    }
}
