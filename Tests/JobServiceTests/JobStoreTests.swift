import BeamModel
import Foundation
import GRDB
import JobService
import Logging
import SwiftProtobuf
import Testing

/// The job history on disk: what a restarted server reads back, how an
/// interrupted job ends, schema migration, retention and refusing to share or
/// misread a state folder.
@Suite struct JobStoreTests {
    private let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    private func freshFolder() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("job-store-\(UUID().uuidString.prefix(8))")
    }

    private func pipeline(_ name: String) -> Pipeline {
        Pipeline.with {
            $0.rootTransformIds = ["t1"]
            $0.components.transforms["t1"] = .with { $0.uniqueName = name }
        }
    }

    /// Opens a store and registry in `folder`, runs `body`, then lets both go (releasing the folder's lock).
    private func withRegistry<T>(_ folder: URL, retention: JobRetention = .init(), artifacts: ArtifactStore? = nil,
                                 recovery: JobRecovery = .init(), _ body: (JobRegistry) throws -> T) throws -> T {
        let store = try JobStore(folder: folder, logger: logger)
        let registry = JobRegistry(store: store, artifacts: artifacts, retention: retention, logger: logger)
        try registry.restore(recovery: recovery)
        defer { registry.flush() }
        return try body(registry)
    }

    @Test func aRestartedServerReadsBackJobsWithStatesMessagesAndMetrics() throws {
        let folder = freshFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let id: String = try withRegistry(folder) { registry in
            var options = Google_Protobuf_Struct()
            options.fields["beam:option:job_name:v1"] = .init(stringValue: "wordcount")
            let job = registry.prepare(name: "wordcount", pipeline: pipeline("Create"), options: options)
            job.transition(to: .starting)
            job.transition(to: .running)
            job.post("hello from the runner")
            job.postHarnessLog("SDK harness: careful", importance: .jobMessageWarning)
            job.updateMetrics(.with { $0.committed = [.with { $0.urn = "beam:metric:user:sum_int64:v1"; $0.payload = Data([7]) }] })
            job.updateRuntime { $0.stages = [.init(id: "stage-1", kind: "stage", transforms: ["Create"], environment: "env")] }
            job.transition(to: .done)
            return job.id
        }
        try withRegistry(folder) { registry in
            let job = try registry.job(id: id)
            #expect(job.fromHistory)
            #expect(job.name == "wordcount")
            #expect(job.state == .done)
            #expect(job.stateHistory.map(\.state) == [.stopped, .starting, .running, .done])
            #expect(job.messages.map(\.messageText) == ["hello from the runner", "SDK harness: careful"])
            #expect(job.messages.last?.importance == .jobMessageWarning)
            #expect(job.metrics.committed.first?.payload == Data([7]))
            #expect(job.runtime.stages.map(\.id) == ["stage-1"])
            #expect(job.pipeline.components.transforms["t1"]?.uniqueName == "Create")
            #expect(job.options.fields["beam:option:job_name:v1"]?.stringValue == "wordcount")
        }
    }

    @Test func aJobRunningWhenTheServerDiedIsFailedSayingSo() throws {
        let folder = freshFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let id: String = try withRegistry(folder) { registry in
            let job = registry.prepare(name: "long", pipeline: pipeline("Read"), options: .init())
            job.transition(to: .starting)
            job.transition(to: .running)
            return job.id
        }
        try withRegistry(folder) { registry in
            let job = try registry.job(id: id)
            #expect(job.state == .failed)
            #expect(job.failureReason?.contains("stopped while this job was RUNNING") == true)
        }
        // The failure itself was recorded: a third start reads the same.
        let third = try withRegistry(folder) { registry in try registry.job(id: id).state }
        #expect(third == .failed)
    }

    @Test func aBatchJobRunsAgainAfterARestartAtMostThreeTimes() throws {
        let folder = freshFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let recovery = JobRecovery(enabled: true, maxRestarts: 3)
        let id: String = try withRegistry(folder) { registry in
            let job = registry.prepare(name: "batch", pipeline: pipeline("Read"), options: .init())
            job.transition(to: .starting)
            job.transition(to: .running)
            job.updateMetrics(.with { $0.committed = [.with { $0.urn = "beam:metric:user:sum_int64:v1"; $0.payload = Data([7]) }] })
            return job.id
        }
        for restart in 1...3 {
            let state: JobState.Enum = try withRegistry(folder, recovery: recovery) { registry in
                let job = try registry.job(id: id)
                #expect(job.messages.last?.messageText.hasSuffix("running it again from its pipeline (restart \(restart) of at most 3)") == true)
                #expect(job.metrics.committed.isEmpty)
                let state = job.state
                job.transition(to: .running)  // as the executor would, and then the server dies again
                return state
            }
            #expect(state == .starting)
        }
        try withRegistry(folder, recovery: recovery) { registry in
            let job = try registry.job(id: id)
            #expect(job.state == .failed)
            #expect(job.failureReason?.contains("it was run again 3 time(s) already") == true)
        }
    }

    /// A job left in `state` by a server that died, read back by one with `recovery`: its state and failure reason.
    private func afterRestart(_ pipeline: Pipeline, _ options: Google_Protobuf_Struct, left state: JobState.Enum,
                              recovery: JobRecovery) throws -> (JobState.Enum, String?) {
        let folder = freshFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let id: String = try withRegistry(folder) { registry in
            let job = registry.prepare(name: "j", pipeline: pipeline, options: options)
            if state != .stopped { job.transition(to: .starting) }
            if state == .running { job.transition(to: .running) }
            return job.id
        }
        return try withRegistry(folder, recovery: recovery) { registry in
            let job = try registry.job(id: id)
            return (job.state, job.failureReason)
        }
    }

    @Test func streamingLoopbackOptedOutAndUnrunJobsAreFailedSayingWhy() throws {
        func experiments(_ name: String) -> Google_Protobuf_Struct {
            .with { $0.fields["beam:option:experiments:v1"] = .init(listValue: .init(values: [.init(stringValue: name)])) }
        }
        var streaming = Google_Protobuf_Struct()
        streaming.fields["beam:option:streaming:v1"] = .init(boolValue: true)
        var loopback = pipeline("Read")
        loopback.components.environments["env"] = .with { $0.urn = "beam:env:external:v1" }
        let on = JobRecovery(enabled: true), off = JobRecovery(enabled: false)
        let failing: [(Pipeline, Google_Protobuf_Struct, JobState.Enum, JobRecovery, String)] = [
            (pipeline("Read"), streaming, .running, on, "it is a streaming job"),
            (loopback, .init(), .running, on, "its SDK workers ran in the submitting program"),
            (pipeline("Read"), experiments("no_recover_after_restart"), .running, on, "the job asked not to be"),
            (pipeline("Read"), .init(), .running, off, "--recover-jobs is off"),
            (pipeline("Read"), .init(), .stopped, on, "it had not been run"),
        ]
        for (pipeline, options, state, recovery, why) in failing {
            let (after, reason) = try afterRestart(pipeline, options, left: state, recovery: recovery)
            #expect(after == .failed)
            #expect(reason?.contains("is not run again: \(why)") == true, "\(reason ?? "")")
        }
        // A job may ask for what the server does not do by default; a queued (STARTING) one runs too.
        let (optedIn, _) = try afterRestart(pipeline("Read"), experiments("recover_after_restart"), left: .starting, recovery: off)
        #expect(optedIn == .starting)
    }

    @Test func aStreamingJobResumesFromItsCheckpointAndOneWithoutIsFailed() throws {
        var streaming = Google_Protobuf_Struct()
        streaming.fields["beam:option:streaming:v1"] = .init(boolValue: true)
        let folder = freshFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let ids: [String] = try withRegistry(folder) { registry in
            (0..<3).map { index in
                let job = registry.prepare(name: "s", pipeline: pipeline("Read"), options: streaming)
                job.transition(to: .starting)
                job.transition(to: .running)
                if index == 2 { job.transition(to: .draining) }
                return job.id
            }
        }
        let checkpoints = try CheckpointStore(folder: folder.appendingPathComponent("checkpoints"))
        try checkpoints.write([1, 2, 3], jobID: ids[0])
        try checkpoints.write([4], jobID: ids[2])
        #expect(checkpoints.read(jobID: ids[0]) == [1, 2, 3])
        try withRegistry(folder, recovery: JobRecovery(enabled: true, checkpoints: checkpoints)) { registry in
            let resumed = try registry.job(id: ids[0])
            #expect(resumed.state == .starting)
            #expect(resumed.messages.contains { $0.messageText.contains("resuming it from its checkpoint") })
            let lost = try registry.job(id: ids[1])
            #expect(lost.state == .failed)
            #expect(lost.failureReason?.contains("had not written a checkpoint yet") == true, "\(lost.failureReason ?? "")")
            // A job that was draining resumes and drains again from its first bundle.
            #expect(try registry.job(id: ids[2]).state == .draining)
        }
        checkpoints.delete(jobID: ids[0])
        #expect(checkpoints.read(jobID: ids[0]) == nil)
    }

    @Test func aVersionOneDatabaseIsMigratedKeepingItsJobs() throws {
        let folder = freshFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        do {
            let database = try DatabaseQueue(path: folder.appendingPathComponent("jobs.sqlite").path)
            var migrator = DatabaseMigrator()
            migrator.registerMigration("v1-jobs-and-events") { db in
                try db.execute(sql: """
                    CREATE TABLE jobs (id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL, created_ms INTEGER NOT NULL,
                                       pipeline BLOB NOT NULL, options BLOB NOT NULL, metrics BLOB);
                    CREATE TABLE job_events (job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE, seq INTEGER NOT NULL,
                                             kind TEXT NOT NULL, state INTEGER, time_ms INTEGER NOT NULL, message_id TEXT,
                                             importance INTEGER, text TEXT, PRIMARY KEY (job_id, seq));
                    """)
            }
            try migrator.migrate(database)
            try database.write { db in
                try db.execute(sql: "INSERT INTO jobs (id, name, created_ms, pipeline, options) VALUES ('old', 'old', 1000, x'', x'')")
                try db.execute(sql: "INSERT INTO job_events (job_id, seq, kind, state, time_ms) VALUES ('old', 0, 'state', ?, 1000)",
                               arguments: [JobState.Enum.done.rawValue])
            }
        }
        try withRegistry(folder) { registry in
            let job = try registry.job(id: "old")
            #expect(job.state == .done)
            #expect(job.droppedLogEntries == 0)
        }
    }

    @Test func retentionKeepsTheNewestJobsAndDeletesTheirArtifacts() throws {
        let folder = freshFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let artifacts = try ArtifactStore(root: folder.appendingPathComponent("artifacts"))
        let ids: [String] = try withRegistry(folder, retention: JobRetention(count: 2), artifacts: artifacts) { registry in
            (0..<3).map { index in
                let job = registry.prepare(name: "job\(index)", pipeline: pipeline("t"), options: .init())
                try? FileManager.default.createDirectory(at: artifacts.directory(forJob: job.id), withIntermediateDirectories: true)
                job.transition(to: .cancelled)
                return job.id
            }
        }
        try withRegistry(folder, retention: JobRetention(count: 2), artifacts: artifacts) { registry in
            #expect(registry.all.map(\.id) == Array(ids.suffix(2)))
            // Preparing a third evicts the oldest before it, keeping the newest two in all.
            _ = registry.prepare(name: "job3", pipeline: pipeline("t"), options: .init())
            #expect(registry.all.count == 2)
        }
        #expect(!FileManager.default.fileExists(atPath: artifacts.directory(forJob: ids[0]).path))
        #expect(try withRegistry(folder) { $0.all.count } == 2)
    }

    @Test func retentionByAgeAndTheFlagsSyntax() throws {
        #expect(try JobRetention(parsing: "500,7d") == JobRetention(count: 500, maxAge: 7 * 86_400))
        #expect(try JobRetention(parsing: "90m") == JobRetention(count: nil, maxAge: 5_400))
        #expect(throws: JobServiceError.self) { try JobRetention(parsing: "forever") }
        let registry = JobRegistry(retention: JobRetention(maxAge: 0), logger: logger)
        let job = registry.prepare(name: "old", pipeline: pipeline("t"), options: .init())
        _ = registry.prepare(name: "running", pipeline: pipeline("t"), options: .init())
        job.transition(to: .cancelled)
        _ = registry.prepare(name: "next", pipeline: pipeline("t"), options: .init())
        #expect(!registry.all.map(\.name).contains("old"), "a finished job past the age is evicted")
        #expect(registry.all.map(\.name).contains("running"), "an unfinished job never is")
    }

    @Test func aStateFolderServesOneServerAtATime() throws {
        let folder = freshFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let first = try JobStore(folder: folder, logger: logger)
        #expect { try JobStore(folder: folder, logger: logger) } throws: { error in
            "\(error)".contains("in use by another beam-job-server")
        }
        _ = first
    }

    @Test func aCorruptStoreIsAClearStartupError() throws {
        let folder = freshFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data(repeating: 0x42, count: 4096).write(to: folder.appendingPathComponent("jobs.sqlite"))
        #expect { try JobStore(folder: folder, logger: logger) } throws: { error in
            "\(error)".contains("cannot be opened") && "\(error)".contains("jobs.sqlite")
        }
    }

    @Test func harnessLogsAreBoundedPerJobAndTheDropCounted() {
        let job = Job(id: "j", name: "j", stagingToken: "t", pipeline: Pipeline(), options: .init(), harnessLogLimit: 3)
        job.transition(to: .starting)
        for index in 0..<10 { job.postHarnessLog("line \(index)", importance: .jobMessageBasic) }
        #expect(job.messages.count == 3)
        #expect(job.droppedLogEntries == 7)
        job.transition(to: .failed)
        #expect(job.messages.last?.messageText.contains("7 SDK harness log entries were not kept") == true)
    }

    @Test func runnerMessagesAreBoundedPerJobButErrorsAlwaysKept() {
        let job = Job(id: "j", name: "j", stagingToken: "t", pipeline: Pipeline(), options: .init())
        job.transition(to: .starting)
        for index in 0..<(Job.runnerMessageLimit + 5) { job.post("progress \(index)") }
        job.fail("the last error")
        let texts = job.messages.map(\.messageText)
        #expect(texts.count == Job.runnerMessageLimit + 2)
        #expect(texts[Job.runnerMessageLimit - 1] == "progress \(Job.runnerMessageLimit - 1)")
        #expect(texts.suffix(2) == ["the last error", "5 runner messages (progress, retries) were not kept beyond the first \(Job.runnerMessageLimit) of this job"])
    }
}
