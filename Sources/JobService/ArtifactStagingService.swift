import BeamModel
import Foundation
import GRPCCore
import Logging

/// ArtifactStagingService: the submitting client offers a job's artifacts
/// (identified by the staging token Prepare returned) and we pull them.
public struct ArtifactStagingService: ArtifactStagingServiceAPI.SimpleServiceProtocol {
    let registry: JobRegistry
    let store: ArtifactStore
    /// Most bytes one job may stage (`--max-artifact-bytes`); nil: no limit.
    let quota: Int?
    let logger: Logger

    public init(registry: JobRegistry, store: ArtifactStore, quota: Int? = nil, logger: Logger) {
        self.registry = registry
        self.store = store
        self.quota = quota
        self.logger = logger
    }

    public func reverseArtifactRetrievalService(
        request: RPCAsyncSequence<ArtifactResponseWrapper, any Error>,
        response: RPCWriter<ArtifactRequestWrapper>,
        context: ServerContext
    ) async throws {
        try await mappingErrors {
            var responses = request.makeAsyncIterator()
            guard let first = try await responses.next() else {
                throw JobServiceError.invalidRequest("The staging stream closed before it sent a staging token")
            }
            let job = try registry.job(stagingToken: first.stagingToken)
            try job.beginStaging()
            var session = ArtifactStagingSession(job: job, store: store, quota: quota, requests: response,
                                                 responses: responses)
            do {
                let pipeline = try await session.stageAll()
                job.replacePipeline(pipeline)
                job.finishStaging(.completed)
                job.post("Staged \(session.stagedCount) artifacts (\(session.stagedBytes) bytes)")
                logger.info("staged artifacts", metadata: [
                    "job": "\(job.id)", "count": "\(session.stagedCount)", "bytes": "\(session.stagedBytes)",
                ])
            } catch {
                let reason = (error as? JobServiceError).map { $0.rpcError.message } ?? "\(error)"
                // The job cannot run: what it staged so far only takes space.
                try? FileManager.default.removeItem(at: store.directory(forJob: job.id))
                job.finishStaging(.failed(reason))
                // Beam's clients give up on a job whose staging failed and never call Run.
                job.fail("Artifact staging failed, so the job cannot run: \(reason)")
                logger.warning("artifact staging failed", metadata: ["job": "\(job.id)", "reason": "\(reason)"])
                throw error
            }
        }
    }
}
