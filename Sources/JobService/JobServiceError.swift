import GRPCCore

/// Every failure a Job Management or artifact RPC can report. Handlers throw
/// these; `rpcError` maps each once to the gRPC status a client sees.
public enum JobServiceError: Error, Equatable, Sendable {
    case jobNotFound(String)
    case stagingTokenNotFound(String)
    case invalidRequest(String)
    case illegalState(String)
    case artifactRejected(String)
    case artifactUnavailable(String)
    case unsupported(String)
    case quotaExceeded(String)

    public var rpcError: RPCError {
        switch self {
        case .jobNotFound(let id):
            return RPCError(code: .notFound, message: "No job or preparation with id '\(id)'")
        case .stagingTokenNotFound(let token):
            return RPCError(code: .notFound, message: "No job is waiting for artifacts with staging token '\(token)'")
        case .invalidRequest(let why):
            return RPCError(code: .invalidArgument, message: why)
        case .illegalState(let why):
            return RPCError(code: .failedPrecondition, message: why)
        case .artifactRejected(let why):
            return RPCError(code: .invalidArgument, message: why)
        case .artifactUnavailable(let why):
            return RPCError(code: .notFound, message: why)
        case .unsupported(let why):
            return RPCError(code: .unimplemented, message: why)
        case .quotaExceeded(let why):
            return RPCError(code: .resourceExhausted, message: why)
        }
    }
}

/// Runs a handler body, turning our typed errors into gRPC statuses; gRPC's
/// own errors pass through and anything else becomes INTERNAL with its text.
func mappingErrors<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as JobServiceError {
        throw error.rpcError
    } catch let error as RPCError {
        throw error
    } catch is CancellationError {
        throw RPCError(code: .cancelled, message: "The call was cancelled")
    } catch {
        throw RPCError(code: .internalError, message: "\(error)")
    }
}
