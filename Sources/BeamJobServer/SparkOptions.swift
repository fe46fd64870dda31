import ArgumentParser
import Execution
import Foundation
import Worker

/// The `serve` flags of the Spark backend: the master bounded jobs go to,
/// the spark-submit and Python that run the driver, Spark settings.
struct SparkOptions: ParsableArguments {
    @Option(name: [.customLong("spark-master"), .customLong("spark_master")],
            help: "Run bounded jobs on this Spark master (local-cluster[2,1,1024], spark://HOST:7077, local[2], ...) unless they pass --beam_engine=local.")
    var master: String?

    @Option(name: [.customLong("spark-python"), .customLong("spark_python")],
            help: "The Python with pyspark that runs the Spark driver and task functions (default: $BEAM_PYTHON, else python3).")
    var python: String?

    @Option(name: [.customLong("spark-submit"), .customLong("spark_submit")],
            help: "The spark-submit to run (default: the one of --spark-python's pyspark).")
    var sparkSubmit: String?

    @Option(name: [.customLong("spark-conf"), .customLong("spark_conf")],
            help: "A Spark setting KEY=VALUE for every job (repeatable), e.g. spark.executor.memory=2g.")
    var conf: [String] = []

    @Option(name: [.customLong("spark-parallelism"), .customLong("spark_parallelism")],
            help: "Partitions of each shuffle on Spark.")
    var parallelism: Int = 2

    func validate() throws {
        for setting in conf where !setting.contains("=") {
            throw ValidationError("--spark-conf takes KEY=VALUE, not '\(setting)'")
        }
        guard parallelism >= 1 else { throw ValidationError("--spark-parallelism must be at least 1") }
    }

    /// Nil without --spark-master.
    func settings() async throws -> SparkSettings? {
        guard let master else { return nil }
        let python = python ?? ProcessInfo.processInfo.environment["BEAM_PYTHON"] ?? "python3"
        let submit: String
        if let sparkSubmit { submit = sparkSubmit } else { submit = try await Self.pysparkSubmit(python: python) }
        var settings: [String: String] = [:]
        for setting in conf {
            let parts = setting.split(separator: "=", maxSplits: 1)
            settings[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        return SparkSettings(master: master, sparkSubmit: submit, python: python, conf: settings,
                             executable: executable, parallelism: parallelism)
    }

    /// pyspark's own bin/spark-submit, found by asking `python` where pyspark is.
    private static func pysparkSubmit(python: String) async throws -> String {
        let marker = "pyspark-folder="
        let probe = "import os, pyspark; print('\(marker)' + os.path.dirname(pyspark.__file__))"
        let outcome = await ShortCommand.run("/usr/bin/env", [python, "-c", probe], timeout: .seconds(60))
        // Output is stdout and stderr merged: the marked line is the answer.
        let folder = outcome.output.split(separator: "\n").last { $0.hasPrefix(marker) }?.dropFirst(marker.count)
        let submit = folder.map { String($0) + "/bin/spark-submit" }
        guard outcome.succeeded, let submit, FileManager.default.isExecutableFile(atPath: submit) else {
            throw ValidationError("--spark-master: \(python) has no pyspark (pip install pyspark), or give --spark-submit\n\(outcome.lastLines(3))")
        }
        return submit
    }
}
