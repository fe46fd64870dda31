import BeamModel
import GRPCCore

/// BeamFnState: SDK harnesses read and write user state and side inputs.
/// Each request goes to the `BundleStateHandler` of the bundle running under
/// its instruction id. Requests on one stream are answered in order, so an
/// append followed by a get sees the append.
struct StateService: BeamFnState.SimpleServiceProtocol {
    let registry: FnAPIRegistry

    func state(
        request: RPCAsyncSequence<StateRequest, any Error>,
        response: RPCWriter<StateResponse>,
        context: ServerContext
    ) async throws {
        for try await stateRequest in request {
            try await response.write(await registry.answer(stateRequest))
        }
    }
}
