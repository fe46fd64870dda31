import BeamModel
import JobService
import SwiftProtobuf
import Testing

@Suite struct JobStateMachineTests {
    private func makeJob() -> Job {
        Job(id: "j", name: "j", stagingToken: "t", pipeline: Pipeline(), options: Google_Protobuf_Struct())
    }

    @Test func happyPathIsLegal() {
        let job = makeJob()
        #expect(job.state == .stopped)
        #expect(job.transition(to: .starting))
        #expect(job.transition(to: .running))
        #expect(job.transition(to: .done))
        #expect(job.isTerminal)
    }

    @Test func illegalTransitionsAreRefused() {
        let job = makeJob()
        #expect(!job.transition(to: .done), "STOPPED cannot jump to DONE")
        #expect(!job.transition(to: .running), "STOPPED must pass through STARTING")
        #expect(job.state == .stopped)
        #expect(job.transition(to: .starting))
        #expect(job.transition(to: .failed))
        for next: JobState.Enum in [.running, .done, .cancelled, .starting, .stopped] {
            #expect(!job.transition(to: next), "nothing leaves a terminal state")
        }
        #expect(job.state == .failed)
    }

    @Test func cancellingOnlyEndsCancelled() {
        #expect(JobStateMachine.canTransition(from: .cancelling, to: .cancelled))
        #expect(!JobStateMachine.canTransition(from: .cancelling, to: .done))
        #expect(!JobStateMachine.canTransition(from: .cancelling, to: .running))
    }

    @Test func cancelOfPreparedJobIsImmediate() throws {
        let job = makeJob()
        #expect(try job.requestCancel() == .cancelled)
        #expect(throws: JobServiceError.self) { try job.requestCancel() }
    }

    @Test func cancelOfRunningJobWaitsForExecutor() throws {
        let job = makeJob()
        job.transition(to: .starting)
        job.transition(to: .running)
        #expect(try job.requestCancel() == .cancelling)
        #expect(try job.requestCancel() == .cancelling, "a second cancel is harmless")
        #expect(job.transition(to: .cancelled))
    }

    @Test func drainAppliesToStartingAndRunningJobsAndEndsDrained() async throws {
        let prepared = makeJob()
        #expect(throws: JobServiceError.self) { try prepared.requestDrain() }
        let starting = makeJob()
        starting.transition(to: .starting)
        #expect(try starting.requestDrain() == .draining, "a STARTING job drains from its first bundle")
        #expect(!starting.transition(to: .running), "a draining job never becomes RUNNING")
        #expect(try starting.requestDrain() == .draining, "a second drain is harmless")
        #expect(await starting.waitForDrainRequest())
        starting.finishRun()
        #expect(starting.state == .drained)
        #expect(throws: JobServiceError.self) { try starting.requestDrain() }

        let running = makeJob()
        running.transition(to: .starting)
        running.transition(to: .running)
        #expect(try running.requestDrain() == .draining)
        #expect(try running.requestCancel() == .cancelling, "a drain can still be cancelled")
        let undrained = makeJob()
        undrained.transition(to: .starting)
        undrained.transition(to: .running)
        undrained.finishRun()
        #expect(undrained.state == .done)
        #expect(await undrained.waitForDrainRequest() == false)
    }

    @Test func streamsReplayHistoryThenEndAfterTerminalState() async {
        let job = makeJob()
        job.transition(to: .starting)
        let live = job.events(includeMessages: true)
        job.post("hello")
        job.fail("boom")
        var seen: [String] = []
        for await event in live {
            switch event {
            case .state(let change): seen.append("\(change.state)")
            case .message(let message): seen.append(message.messageText)
            }
        }
        #expect(seen == ["stopped", "starting", "hello", "boom", "failed"])
        // A late subscriber gets the whole history and an ended stream.
        var states: [JobState.Enum] = []
        for await case .state(let change) in job.events(includeMessages: false) { states.append(change.state) }
        #expect(states == [.stopped, .starting, .failed])
    }
}
