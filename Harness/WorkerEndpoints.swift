import BeamModel

/// The runner endpoints the harness talks to. ProvisionInfo wins over flags
/// when it names an endpoint (Beam's boot does the same).
struct WorkerEndpoints: Sendable {
    let provision: Endpoint
    let control: Endpoint
    let logging: Endpoint
    /// Only needed when there are artifacts to fetch.
    let artifact: Endpoint?

    init(flags: BootSettings, provision info: ProvisionInfo) throws {
        func pick(_ fromInfo: ApiServiceDescriptor?, _ fromFlag: String?) throws -> Endpoint? {
            if let url = fromInfo?.url, !url.isEmpty { return try Endpoint(url) }
            if let url = fromFlag, !url.isEmpty { return try Endpoint(url) }
            return nil
        }
        provision = flags.provisionEndpoint
        guard let control = try pick(info.hasControlEndpoint ? info.controlEndpoint : nil, flags.controlEndpoint),
              let logging = try pick(info.hasLoggingEndpoint ? info.loggingEndpoint : nil, flags.loggingEndpoint) else {
            throw BootFailure(.provision, "no control or logging endpoint: neither --control_endpoint/--logging_endpoint nor ProvisionInfo gives one")
        }
        self.control = control
        self.logging = logging
        artifact = try pick(info.hasArtifactEndpoint ? info.artifactEndpoint : nil, flags.artifactEndpoint)
    }
}
