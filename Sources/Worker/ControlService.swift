import BeamModel
import GRPCCore

/// BeamFnControl: each SDK harness opens one Control stream, tagged with its
/// `worker_id`, and receives its instructions on it; the stream's lifetime is
/// the harness's. Also serves the registered ProcessBundleDescriptors.
/// Conforms to `ServiceProtocol` rather than the simple one because it needs
/// the request metadata.
struct ControlService: BeamFnControl.ServiceProtocol {
    let registry: FnAPIRegistry

    func control(
        request: StreamingServerRequest<InstructionResponse>,
        context: ServerContext
    ) async throws -> StreamingServerResponse<InstructionRequest> {
        let worker = try registry.worker(connecting: request.metadata, to: "control")
        let instructions = try worker.attachControl()
        return StreamingServerResponse { writer in
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    do {
                        for try await response in request.messages { worker.receive(response) }
                        await worker.controlEnded(nil)
                    } catch {
                        await worker.controlEnded(error)
                    }
                }
                group.addTask {
                    for await instruction in instructions {
                        do { try await writer.write(instruction) } catch { break }
                    }
                }
                // Either side ending ends the stream: the harness left, or the worker stopped.
                await group.next()
                group.cancelAll()
            }
            return [:]
        }
    }

    func getProcessBundleDescriptor(
        request: ServerRequest<GetProcessBundleDescriptorRequest>,
        context: ServerContext
    ) async throws -> ServerResponse<ProcessBundleDescriptor> {
        let id = request.message.processBundleDescriptorID
        guard let registered = registry.descriptor(id: id) else {
            throw RPCError(code: .notFound, message: "No ProcessBundleDescriptor with id '\(id)'")
        }
        return ServerResponse(message: registered.descriptor)
    }
}
