import GRPCCore

/// Enforces an `AccessPolicy` on every Job and artifact API call: a refused
/// call ends UNAUTHENTICATED, saying what to send, before any handler runs.
public struct AccessInterceptor: ServerInterceptor {
    let policy: AccessPolicy

    public init(policy: AccessPolicy) {
        self.policy = policy
    }

    public func intercept<Input: Sendable, Output: Sendable>(
        request: StreamingServerRequest<Input>,
        context: ServerContext,
        next: @Sendable (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>
    ) async throws -> StreamingServerResponse<Output> {
        let header = request.metadata[stringValues: "authorization"].first(where: { _ in true })
        let decision = policy.decide(peerHost: AccessPolicy.host(ofGRPCPeer: context.remotePeer),
                                     bearer: header.flatMap(AccessPolicy.bearerToken(fromAuthorization:)))
        guard decision == .allowed else {
            return StreamingServerResponse(error: RPCError(code: .unauthenticated, message: AccessPolicy.refusal(decision)))
        }
        return try await next(request, context)
    }
}
