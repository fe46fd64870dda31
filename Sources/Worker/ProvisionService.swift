import BeamModel
import GRPCCore

/// ProvisionService: beam-boot asks what its worker should run — pipeline
/// options, dependencies to fetch, and the control/logging/artifact endpoints
/// (all this server). Answers per `worker_id`, so each environment gets its
/// own dependencies; conforms to `ServiceProtocol` to read that metadata.
struct ProvisionService: ProvisionServiceAPI.ServiceProtocol {
    let registry: FnAPIRegistry

    func getProvisionInfo(
        request: ServerRequest<GetProvisionInfoRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<GetProvisionInfoResponse> {
        let info: Org_Apache_Beam_Model_FnExecution_V1_ProvisionInfo
        if let id = request.metadata.workerID, let worker = registry.worker(id: id) {
            info = worker.provisionInfo
        } else {
            var base = registry.provisionInfo
            base.controlEndpoint = .with { $0.url = registry.endpoint }
            base.loggingEndpoint = .with { $0.url = registry.endpoint }
            base.artifactEndpoint = .with { $0.url = registry.endpoint }
            info = base
        }
        return ServerResponse(message: .with { $0.info = info })
    }
}
