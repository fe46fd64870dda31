import BeamModel
import Foundation
import GRPCCore
import JobService
import Testing

@Suite struct JobServiceRPCTests {
    @Test func prepareRunAndStreamsReportTheExecutorsOutcome() async throws {
        try await withJobServer { server in
            let prepared = try await server.jobs.prepare(.with { $0.pipeline = impulsePipeline(); $0.jobName = "demo" })
            #expect(prepared.preparationID.hasPrefix("demo_"))
            #expect(!prepared.stagingSessionToken.isEmpty)
            #expect(prepared.artifactStagingEndpoint.url == "localhost:0")
            #expect(try await server.jobs.getState(.with { $0.jobID = prepared.preparationID }).state == .stopped)

            let run = try await server.jobs.run(.with { $0.preparationID = prepared.preparationID })
            #expect(run.jobID == prepared.preparationID)
            let states = try await server.jobs.getStateStream(.with { $0.jobID = run.jobID }) { response in
                var states: [JobState.Enum] = []
                for try await event in response.messages { states.append(event.state) }
                return states
            }
            #expect(states == [.stopped, .starting, .failed])
            let messages = try await server.jobs.getMessageStream(.with { $0.jobID = run.jobID }) { response in
                var errors: [String] = []
                for try await item in response.messages {
                    if case .messageResponse(let message) = item.response, message.importance == .jobMessageError {
                        errors.append(message.messageText)
                    }
                }
                return errors
            }
            #expect(messages.count == 1)
            #expect(messages.first?.contains("not available") == true)

            let jobs = try await server.jobs.getJobs(.init())
            #expect(jobs.jobInfo.map(\.jobID) == [run.jobID])
            #expect(jobs.jobInfo.first?.state == .failed)
            #expect(try await server.jobs.getPipeline(.with { $0.jobID = run.jobID }).pipeline.rootTransformIds == ["impulse"])
            #expect(try await server.jobs.getJobMetrics(.with { $0.jobID = run.jobID }).hasMetrics)
        }
    }

    @Test func unknownIdsAreNotFound() async throws {
        try await withJobServer { server in
            let id = "no-such-job"
            #expect(await statusCode { try await server.jobs.run(.with { $0.preparationID = id }) } == .notFound)
            #expect(await statusCode { try await server.jobs.getState(.with { $0.jobID = id }) } == .notFound)
            #expect(await statusCode { try await server.jobs.getPipeline(.with { $0.jobID = id }) } == .notFound)
            #expect(await statusCode { try await server.jobs.cancel(.with { $0.jobID = id }) } == .notFound)
            #expect(await statusCode { try await server.jobs.drain(.with { $0.jobID = id }) } == .notFound)
            #expect(await statusCode { try await server.jobs.getJobMetrics(.with { $0.jobID = id }) } == .notFound)
            #expect(await statusCode {
                try await server.jobs.getStateStream(.with { $0.jobID = id }) { try await $0.messages.reduce(0) { n, _ in n + 1 } }
            } == .notFound)
            #expect(await statusCode {
                try await server.jobs.getMessageStream(.with { $0.jobID = id }) { try await $0.messages.reduce(0) { n, _ in n + 1 } }
            } == .notFound)
        }
    }

    @Test func malformedPipelinesAreInvalidArgument() async throws {
        try await withJobServer { server in
            #expect(await statusCode { try await server.jobs.prepare(.init()) } == .invalidArgument)
            var noRoots = impulsePipeline()
            noRoots.rootTransformIds = []
            #expect(await statusCode { try await server.jobs.prepare(.with { $0.pipeline = noRoots }) } == .invalidArgument)
            var danglingRoot = impulsePipeline()
            danglingRoot.rootTransformIds = ["missing"]
            #expect(await statusCode { try await server.jobs.prepare(.with { $0.pipeline = danglingRoot }) } == .invalidArgument)
            var danglingPCollection = impulsePipeline()
            danglingPCollection.components.transforms["impulse"]?.outputs["out"] = "nowhere"
            #expect(await statusCode { try await server.jobs.prepare(.with { $0.pipeline = danglingPCollection }) } == .invalidArgument)
            let remaining = try await server.jobs.getJobs(.init()).jobInfo
            #expect(remaining.isEmpty, "rejected requests leave no job behind")
        }
    }

    @Test func runTwiceAndCancelAfterFinishAreFailedPrecondition() async throws {
        try await withJobServer { server in
            let id = try await server.jobs.prepare(.with { $0.pipeline = impulsePipeline() }).preparationID
            _ = try await server.jobs.run(.with { $0.preparationID = id })
            #expect(await statusCode { try await server.jobs.run(.with { $0.preparationID = id }) } == .failedPrecondition)
            _ = try await server.jobs.getStateStream(.with { $0.jobID = id }) { try await $0.messages.reduce(0) { n, _ in n + 1 } }
            #expect(await statusCode { try await server.jobs.cancel(.with { $0.jobID = id }) } == .failedPrecondition)
            #expect(await statusCode { try await server.jobs.drain(.with { $0.jobID = id }) } == .failedPrecondition)
        }
    }

    @Test func cancelBeforeRunCancelsAndRunIsRefused() async throws {
        try await withJobServer { server in
            let id = try await server.jobs.prepare(.with { $0.pipeline = impulsePipeline() }).preparationID
            #expect(try await server.jobs.cancel(.with { $0.jobID = id }).state == .cancelled)
            #expect(await statusCode { try await server.jobs.run(.with { $0.preparationID = id }) } == .failedPrecondition)
        }
    }

    @Test func cancelStopsARunningExecutor() async throws {
        try await withJobServer(executor: RunsUntilCancelled()) { server in
            let id = try await server.jobs.prepare(.with { $0.pipeline = impulsePipeline() }).preparationID
            _ = try await server.jobs.run(.with { $0.preparationID = id })
            let states = try await server.jobs.getStateStream(.with { $0.jobID = id }) { response in
                var states: [JobState.Enum] = []
                for try await event in response.messages {
                    states.append(event.state)
                    if event.state == .running {
                        #expect(try await server.jobs.cancel(.with { $0.jobID = id }).state == .cancelling)
                    }
                }
                return states
            }
            #expect(states == [.stopped, .starting, .running, .cancelling, .cancelled])
        }
    }
}

/// An executor that runs until its task is cancelled, like a streaming job.
struct RunsUntilCancelled: JobExecutor {
    func execute(_ job: Job) async {
        job.transition(to: .running)
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(10))
        }
    }
}
