import BeamModel
import GRPCCore

/// BeamFnData: each SDK harness opens one Data stream (tagged `worker_id`)
/// that carries the inputs and outputs of all its bundles, multiplexed by
/// instruction id; `SDKWorker` does the routing. Conforms to
/// `ServiceProtocol` because it needs the request metadata.
struct DataService: BeamFnData.ServiceProtocol {
    let registry: FnAPIRegistry

    func data(
        request: StreamingServerRequest<Elements>,
        context: ServerContext
    ) async throws -> StreamingServerResponse<Elements> {
        let worker = try registry.worker(connecting: request.metadata, to: "data")
        let outbound = try worker.attachData()
        return StreamingServerResponse { writer in
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    do {
                        for try await elements in request.messages { worker.receive(elements) }
                    } catch {
                        registry.logger.debug("data stream failed", metadata: ["worker": "\(worker.id)", "error": "\(error)"])
                    }
                }
                group.addTask {
                    for await elements in outbound {
                        do { try await writer.write(elements) } catch { break }
                    }
                }
                await group.next()
                group.cancelAll()
            }
            worker.dataEnded()
            return [:]
        }
    }
}
