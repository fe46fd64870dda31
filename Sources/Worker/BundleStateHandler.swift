import BeamModel

/// Answers the State API requests of one running bundle (user state, side
/// inputs). Execution passes one to `SDKWorker.processBundle`; the State
/// service routes every request carrying that bundle's instruction id to it,
/// in the order the harness sent them. The handler decides the content; the
/// service copies the request id into the response.
public protocol BundleStateHandler: Sendable {
    func handle(
        _ request: Org_Apache_Beam_Model_FnExecution_V1_StateRequest
    ) async -> Org_Apache_Beam_Model_FnExecution_V1_StateResponse
}

/// For bundles that use no state: every request gets an error response.
public struct NoStateHandler: BundleStateHandler {
    public init() {}

    public func handle(
        _ request: Org_Apache_Beam_Model_FnExecution_V1_StateRequest
    ) async -> Org_Apache_Beam_Model_FnExecution_V1_StateResponse {
        .with {
            $0.id = request.id
            $0.error = "This bundle has no state or side inputs (instruction '\(request.instructionID)')"
        }
    }
}
