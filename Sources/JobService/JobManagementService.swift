import BeamModel
import GRPCCore
import Logging

/// Beam's JobService (beam_job_api.proto) as the Python PortableRunner drives
/// it: Prepare -> (artifact staging) -> Run, then state and message streams,
/// Cancel, metrics and introspection.
public struct JobManagementService: JobServiceAPI.SimpleServiceProtocol {
    let registry: JobRegistry
    let runner: JobRunner
    /// The address clients use for ArtifactStagingService, given the local
    /// address Prepare arrived on: staging is served on the same listener
    /// (plaintext or TLS), whose port is only known once the server listens.
    let stagingEndpoint: @Sendable (_ localPeer: String) async throws -> String
    let logger: Logger

    public init(registry: JobRegistry, runner: JobRunner, logger: Logger,
                stagingEndpoint: @escaping @Sendable (_ localPeer: String) async throws -> String) {
        self.registry = registry
        self.runner = runner
        self.stagingEndpoint = stagingEndpoint
        self.logger = logger
    }

    public func prepare(request: PrepareJobRequest, context: ServerContext) async throws -> PrepareJobResponse {
        try await mappingErrors {
            try PipelineShapeCheck.validate(request)
            let name = request.jobName.isEmpty ? "job" : request.jobName
            let job = registry.prepare(name: name, pipeline: request.pipeline, options: request.pipelineOptions)
            logger.info("job prepared", metadata: ["job": "\(job.id)", "transforms": "\(request.pipeline.components.transforms.count)"])
            let endpoint = try await stagingEndpoint(context.localPeer)
            return .with {
                $0.preparationID = job.id
                $0.stagingSessionToken = job.stagingToken
                $0.artifactStagingEndpoint = .with { $0.url = endpoint }
            }
        }
    }

    public func run(request: RunJobRequest, context: ServerContext) async throws -> RunJobResponse {
        try await mappingErrors {
            let job = try registry.job(id: request.preparationID)
            // A job whose staging failed is FAILED already, saying why: Run reports it as it is.
            if case .failed = await job.stagingOutcome() { return .with { $0.jobID = job.id } }
            guard job.state == .stopped else {
                throw JobServiceError.illegalState("Job '\(job.id)' was already run (state \(job.state))")
            }
            guard job.transition(to: .starting) else {
                throw JobServiceError.illegalState("Job '\(job.id)' cannot start from state \(job.state)")
            }
            runner.launch(job)
            return .with { $0.jobID = job.id }
        }
    }

    public func getJobs(request: GetJobsRequest, context: ServerContext) async throws -> GetJobsResponse {
        .with { $0.jobInfo = registry.all.map(\.info) }
    }

    public func getState(request: GetJobStateRequest, context: ServerContext) async throws -> JobStateEvent {
        try await mappingErrors { try registry.job(id: request.jobID).latestStateEvent }
    }

    public func getPipeline(request: GetJobPipelineRequest, context: ServerContext) async throws -> GetJobPipelineResponse {
        try await mappingErrors {
            let job = try registry.job(id: request.jobID)
            return .with { $0.pipeline = job.pipeline }
        }
    }

    public func cancel(request: CancelJobRequest, context: ServerContext) async throws -> CancelJobResponse {
        try await mappingErrors {
            let job = try registry.job(id: request.jobID)
            let state = try job.requestCancel()
            logger.info("job cancel requested", metadata: ["job": "\(job.id)", "state": "\(state)"])
            return .with { $0.state = state }
        }
    }

    public func drain(request: DrainJobRequest, context: ServerContext) async throws -> DrainJobResponse {
        try await mappingErrors {
            let job = try registry.job(id: request.jobID)
            let state = try job.requestDrain()
            logger.info("job drain requested", metadata: ["job": "\(job.id)", "state": "\(state)"])
            return .with { $0.state = state }
        }
    }

    public func getStateStream(request: GetJobStateRequest, response: RPCWriter<JobStateEvent>, context: ServerContext) async throws {
        try await mappingErrors {
            let job = try registry.job(id: request.jobID)
            for await event in job.events(includeMessages: false) {
                if case .state(let change) = event { try await response.write(change) }
            }
        }
    }

    public func getMessageStream(request: JobMessagesRequest, response: RPCWriter<JobMessagesResponse>, context: ServerContext) async throws {
        try await mappingErrors {
            let job = try registry.job(id: request.jobID)
            for await event in job.events(includeMessages: true) {
                switch event {
                case .state(let change): try await response.write(.with { $0.stateResponse = change })
                case .message(let message): try await response.write(.with { $0.messageResponse = message })
                }
            }
        }
    }

    public func getJobMetrics(request: GetJobMetricsRequest, context: ServerContext) async throws -> GetJobMetricsResponse {
        try await mappingErrors {
            let job = try registry.job(id: request.jobID)
            return .with { $0.metrics = job.metrics }
        }
    }

    public func describePipelineOptions(request: DescribePipelineOptionsRequest, context: ServerContext) async throws -> DescribePipelineOptionsResponse {
        // The runner's own options, so SDKs accept them on their command lines.
        .with {
            $0.options = [.with {
                $0.name = "beam_engine"
                $0.type = .string
                $0.description_p = "Where beam-job-server runs this job: spark (a bounded job, when the server has --spark-master) or local."
                $0.group = "beam-job-server"
            }]
        }
    }
}
