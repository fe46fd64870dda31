import BeamModel
import GRPCCore
import Logging

/// BeamFnState: SDK harnesses read and write user state and side inputs.
/// Each request goes to the `BundleStateHandler` of the bundle running under
/// its instruction id. Requests on one stream are answered in order, so an
/// append followed by a get sees the append. Every request gets an answer
/// (an `error` one when no bundle owns it); why a stream ended is logged.
struct StateService: BeamFnState.SimpleServiceProtocol {
    let registry: FnAPIRegistry

    func state(
        request: RPCAsyncSequence<StateRequest, any Error>,
        response: RPCWriter<StateResponse>,
        context: ServerContext
    ) async throws {
        var answered = 0
        let metadata: Logger.Metadata = ["peer": "\(context.remotePeer)"]
        do {
            for try await stateRequest in request {
                try await response.write(await registry.answer(stateRequest))
                answered += 1
            }
            registry.logger.debug("state stream closed by the harness", metadata: metadata.merging(["answered": "\(answered)"]) { $1 })
        } catch {
            // A harness stopped by the runner cancels its stream: nothing to report.
            registry.logger.log(level: error is CancellationError ? .debug : .notice, "state stream ended with an error",
                                   metadata: metadata.merging(["answered": "\(answered)", "error": "\(error)"]) { $1 })
            throw error
        }
    }
}
