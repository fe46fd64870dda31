import BeamModel
import GRPCCore
import Logging

/// Asks the runner's ProvisionService for this worker's ProvisionInfo: the
/// pipeline options, endpoints and artifacts the harness needs.
struct ProvisionFetcher {
    let connection: RPCConnection
    let workerID: String

    func fetch() async throws -> ProvisionInfo {
        do {
            return try await connection.withClient { grpc in
                let client = Org_Apache_Beam_Model_FnExecution_V1_ProvisionService.Client(wrapping: grpc)
                return try await connection.retryingUnavailable {
                    try await client.getProvisionInfo(
                        .init(), metadata: RPCConnection.metadata(workerID: workerID), options: RPCConnection.callOptions
                    ).info
                }
            }
        } catch {
            throw BootFailure(.provision, "GetProvisionInfo on \(connection.endpoint): \(RPCErrorText.describe(error))")
        }
    }
}
