import ArgumentParser
import Execution
import Foundation
import Logging

/// `beam-job-server spark-stage`: what Spark tasks run their partitions
/// through (started by beam_spark_driver.py, never by people): segments of
/// a job's plan, a task at a time, records in on stdin, records out on
/// stdout, logs on stderr.
struct SparkStageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spark-stage",
        abstract: "Runs segments of a job for Spark tasks (used by the Spark driver).",
        shouldDisplay: false
    )

    @Option(help: "The serialized PrepareJobRequest of the job.")
    var pipeline: String

    @Option(name: .customLong("artifact-map"), help: "JSON: staged file path on the job server -> its local copy.")
    var artifactMap: String?

    @Option(name: .customLong("log-level"))
    var logLevel: String = "warning"

    func run() async throws {
        MemoryTuning.apply()  // it serves a job's tasks for as long as its Spark worker lives
        StandardErrorLogging.bootstrap(level: Logger.Level(rawValue: logLevel.lowercased()) ?? .warning)
        let logger = Logger(label: "beam-job-server.spark-stage")
        do {
            let executor = try SparkStageExecutor(requestFile: URL(fileURLWithPath: pipeline), artifactMapFile: artifactMap.map { URL(fileURLWithPath: $0) }, logger: logger)
            try await executor.run()
        } catch {
            FileHandle.standardError.write(Data("spark-stage failed: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
