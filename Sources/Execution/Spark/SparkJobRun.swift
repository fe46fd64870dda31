import BeamCore
import BeamModel
import Foundation
import JobService
import Logging
import Planner
import Synchronization

/// Runs one bounded job on Spark: cuts the plan into segments, writes the
/// driver's plan and the pipeline to a job folder, runs `spark-submit` of
/// `beam_spark_driver.py` in client mode and follows its events: RUNNING
/// once the Spark application starts, a message per finished segment, each
/// successful task's metrics (committed and attempted kept apart), DONE or
/// the error. Cancelling the job stops the driver, which cancels its Spark
/// jobs; the process group is killed after a grace period.
final class SparkJobRun: Sendable {
    let job: Job
    let plan: ExecutionPlan
    let spark: SparkSettings
    let logger: Logger

    private let committed = MetricsAggregator()
    private let attempted = MetricsAggregator()
    private let applicationID = Mutex<String?>(nil)

    init(job: Job, plan: ExecutionPlan, spark: SparkSettings, logger: Logger) {
        self.job = job
        self.plan = plan
        self.spark = spark
        self.logger = logger
    }

    /// Requirements the Spark backend cannot honour, named at submission.
    static let unsupportedRequirements: [String: String] = [
        "beam:requirement:pardo:finalization:v1": "bundle finalization",
    ]

    func run() async throws {
        if let urn = job.pipeline.requirements.first(where: { Self.unsupportedRequirements[$0] != nil }) {
            throw ExecutionError("The Spark backend does not support \(Self.unsupportedRequirements[urn]!) (\(urn)); run the job with --beam_engine=local")
        }
        let segments = try SparkSegments(plan)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("beam-spark-\(job.id)-\(UUID().uuidString.prefix(6))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let planFile = try writeDriverPlan(segments, in: folder)
        guard let driver = Bundle.module.url(forResource: "beam_spark_driver", withExtension: "py") else {
            throw ExecutionError("internal: beam_spark_driver.py is missing from the server's resources")
        }
        var arguments = ["--master", spark.master, "--name", "beam-job-server:\(job.id)"]
        for (key, value) in spark.conf.sorted(by: { $0.key < $1.key }) { arguments += ["--conf", "\(key)=\(value)"] }
        arguments += [driver.path, planFile.path]
        let submission = try SparkSubmission(executable: spark.sparkSubmit, arguments: arguments,
                                             environment: ["PYSPARK_PYTHON": spark.python, "PYSPARK_DRIVER_PYTHON": spark.python],
                                             logger: logger)
        job.post("Submitted to Spark (\(spark.master)): \(plan.stages.count) fused stages in \(segments.segments.count) Spark stages")
        // Spark tasks run the plain stages: a drained job reads its bounded input to the end.
        let drainNotice = Task { [job] in
            guard await job.waitForDrainRequest() else { return }
            job.post("Draining on Spark: the job reads its bounded input to the end (splittable DoFn restrictions are not truncated; --beam_engine=local truncates them) and then ends DRAINED",
                     importance: .jobMessageWarning)
        }
        defer { drainNotice.cancel() }
        var outcome: Result<Void, ExecutionError>?
        await withTaskCancellationHandler {
            for await line in submission.lines {
                if let result = handle(line) { outcome = result }
            }
        } onCancel: {
            Task { await submission.stop() }
        }
        defer { removeLocalClusterFolder() }
        if Task.isCancelled {
            await submission.stop()
            return
        }
        let status = await submission.exitStatus(waitingUpTo: .seconds(30))
        switch outcome {
        case .success? where status == 0:
            return
        case .failure(let error)?:
            throw error
        default:
            await submission.stop()
            throw ExecutionError("spark-submit ended (status \(status.map(String.init) ?? "unknown")) before the job finished; its last output:\n\(submission.recentErrors)")
        }
    }

    /// One driver event; a result once the job's outcome is known.
    private func handle(_ line: String) -> Result<Void, ExecutionError>? {
        guard let data = line.data(using: .utf8),
              let event = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let kind = event["event"] as? String else {
            logger.debug("\(line)", metadata: ["output": "spark driver"])
            return nil
        }
        switch kind {
        case "started":
            applicationID.withLock { $0 = event["appId"] as? String }
            job.transition(to: .running)
            let ui = (event["uiUrl"] as? String).map { ", UI \($0)" } ?? ""
            job.post("Spark application \(event["appId"] as? String ?? "?") started\(ui)")
        case "segment":
            let seconds = (event["seconds"] as? Double).map { String(format: " in %.1f s", $0) } ?? ""
            job.post("Spark stage \(((event["id"] as? Int) ?? 0) + 1) of \(event["of"] as? Int ?? 0) done: \(event["tasks"] as? Int ?? 0) task(s)\(seconds)")
        case "metrics":
            guard let text = event["data"] as? String, let bytes = Data(base64Encoded: text),
                  let results = try? Org_Apache_Beam_Model_JobManagement_V1_MetricResults(serializedBytes: bytes) else { break }
            committed.add(results.committed)
            attempted.add(results.attempted)
            job.updateMetrics(.with {
                $0.committed = committed.results.committed
                $0.attempted = attempted.results.committed
            })
        case "summary":
            let hosts = (event["executorHosts"] as? [String]).map { " (\($0.joined(separator: ", ")))" } ?? ""
            let failed = event["failedTasks"] as? Int ?? 0
            job.post("Spark ran \(event["tasks"] as? Int ?? 0) task(s) on \(event["executors"] as? Int ?? 0) executor(s)\(hosts); shuffle read \(event["shuffleReadBytes"] as? Int ?? 0) bytes, wrote \(event["shuffleWriteBytes"] as? Int ?? 0) bytes\(failed > 0 ? "; \(failed) failed task attempt(s) retried" : "")")
        case "message":
            let importance = JobMessage.MessageImportance(rawValue: event["importance"] as? Int ?? 0) ?? .jobMessageBasic
            job.post(event["text"] as? String ?? "", importance: importance)
        case "done":
            return .success(())
        case "failed":
            return .failure(ExecutionError("The Spark job failed: \(event["error"] as? String ?? "no reason given")"))
        default:
            break
        }
        return nil
    }

    /// local-cluster workers keep each application's folder under SPARK_HOME/work (and never
    /// clean it): remove this job's once it has ended.
    private func removeLocalClusterFolder() {
        guard spark.master.hasPrefix("local-cluster"), let id = applicationID.withLock({ $0 }), !id.isEmpty else { return }
        let home = URL(fileURLWithPath: spark.sparkSubmit).resolvingSymlinksInPath().deletingLastPathComponent().deletingLastPathComponent()
        try? FileManager.default.removeItem(at: home.appendingPathComponent("work").appendingPathComponent(id))
    }

    /// The plan the driver follows (see beam_spark_driver.py) and the files it reads.
    private func writeDriverPlan(_ segments: SparkSegments, in folder: URL) throws -> URL {
        let request = Org_Apache_Beam_Model_JobManagement_V1_PrepareJobRequest.with {
            $0.pipeline = job.pipeline
            $0.pipelineOptions = job.options
            $0.pipelineOptions.fields[SparkSegments.fingerprintsOption] = .init(
                listValue: .with { $0.values = segments.fingerprints(of: plan).map { .init(stringValue: $0) } })
            $0.jobName = job.name
        }
        let requestFile = folder.appendingPathComponent("pipeline.pb")
        try request.serializedData().write(to: requestFile)
        var artifacts: [String: String] = [:]
        for environment in job.pipeline.components.environments.values {
            for artifact in environment.dependencies where artifact.typeUrn == ArtifactURNs.fileType {
                if let payload = try? ArtifactFilePayload(serializedBytes: artifact.typePayload) {
                    artifacts[payload.path] = URL(fileURLWithPath: payload.path).lastPathComponent
                }
            }
        }
        let driverPlan: [String: Any] = [
            "job": job.id,
            "executor": [spark.executable, "spark-stage"],
            "shipFiles": spark.isLocal ? [] : [spark.executable],
            "pipeline": requestFile.path,
            "artifacts": artifacts,
            "parallelism": spark.parallelism,
            "segments": segments.segments.map { segment -> [String: Any] in
                var input: [String: Any]
                switch segment.input {
                case .impulse: input = ["kind": "impulse"]
                case .shuffle(let pcollections): input = ["kind": "shuffle", "pcollections": pcollections]
                case .repartition(let pcollections): input = ["kind": "repartition", "pcollections": pcollections]
                case .union(let pcollections): input = ["kind": "union", "pcollections": pcollections]
                }
                return ["id": segment.id, "input": input, "sideInputs": segment.sideInputs, "outputs": segment.outputs]
            },
        ]
        let planFile = folder.appendingPathComponent("plan.json")
        try JSONSerialization.data(withJSONObject: driverPlan, options: [.prettyPrinted, .sortedKeys]).write(to: planFile)
        return planFile
    }
}
