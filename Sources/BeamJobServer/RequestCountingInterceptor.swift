import GRPCCore
import Metrics

/// Counts the Job and artifact API's requests by method and final status
/// (`beam_grpc_requests_total`) for Prometheus; streaming responses are
/// counted when their stream ends.
struct RequestCountingInterceptor: ServerInterceptor {
    func intercept<Input: Sendable, Output: Sendable>(
        request: StreamingServerRequest<Input>,
        context: ServerContext,
        next: @Sendable (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>
    ) async throws -> StreamingServerResponse<Output> {
        let method = "\(context.descriptor.service.service)/\(context.descriptor.method)"
        let response: StreamingServerResponse<Output>
        do {
            response = try await next(request, context)
        } catch {
            Self.count(method, (error as? RPCError)?.code.description ?? "unknown")
            throw error
        }
        switch response.accepted {
        case .failure(let error):
            Self.count(method, error.code.description)
            return response
        case .success(var contents):
            let producer = contents.producer
            contents.producer = { writer in
                do {
                    let trailers = try await producer(writer)
                    Self.count(method, "ok")
                    return trailers
                } catch {
                    Self.count(method, (error as? RPCError)?.code.description ?? "unknown")
                    throw error
                }
            }
            return StreamingServerResponse(accepted: .success(contents))
        }
    }

    private static func count(_ method: String, _ status: String) {
        Counter(label: "beam_grpc_requests_total", dimensions: [("method", method), ("status", status)]).increment()
    }
}
