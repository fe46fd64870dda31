import BeamModel
import Foundation
import JobService
import Logging
import Synchronization
import Testing

/// Runs each job until the test opens its gate (or the job is cancelled); records which ran.
private final class GatedExecutor: JobExecutor {
    let started = Mutex<[String]>([])
    let open = Mutex<Set<String>>([])

    func execute(_ job: Job) async {
        started.withLock { $0.append(job.id) }
        job.transition(to: .running)
        while !open.withLock({ $0.contains(job.id) }) {
            guard (try? await Task.sleep(for: .milliseconds(10))) != nil else { return }
        }
        job.transition(to: .done)
    }
}

@Suite struct JobSlotsTests {
    private func until(_ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while !condition() {
            guard ContinuousClock.now < deadline else { throw CancellationError() }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    @Test func jobsBeyondTheLimitWaitStartingInRunOrderAndCanBeCancelledThere() async throws {
        let executor = GatedExecutor()
        let runner = JobRunner(executor: executor, maxConcurrentJobs: 1, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        let jobs = ["a", "b", "c"].map { Job(id: $0, name: $0, stagingToken: "t", pipeline: Pipeline(), options: .init()) }
        let running = Task { await runner.run() }
        for job in jobs {
            job.transition(to: .starting)
            runner.launch(job)
            try await Task.sleep(for: .milliseconds(50))
        }
        try await until { jobs[0].state == .running }
        // Under load a launched job may reach its queue late: wait for it to say so.
        try await until { jobs[2].messages.contains { $0.messageText.contains("1 waiting ahead of this one") } }
        #expect(jobs[1].state == .starting && jobs[2].state == .starting)
        #expect(jobs[1].messages.contains { $0.messageText.contains("Queued: 1 job(s) already running (--max-concurrent-jobs 1)") })

        _ = try jobs[1].requestCancel()
        try await until { jobs[1].state == .cancelled }
        // c has queued for at least this long, past the 0.05 s below which no "Starting after" is said.
        try await Task.sleep(for: .milliseconds(100))
        executor.open.withLock { _ = $0.insert("a") }
        try await until { jobs[2].state == .running }
        #expect(jobs[0].state == .done)
        #expect(jobs[2].messages.contains { $0.messageText.hasPrefix("Starting after ") })
        executor.open.withLock { _ = $0.insert("c") }
        try await until { jobs[2].state == .done }
        #expect(executor.started.withLock { $0 } == ["a", "c"], "the cancelled job never ran")
        runner.shutdown()
        await running.value
    }
}
