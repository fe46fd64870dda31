import BeamModel
import Foundation
import JobService
import SwiftProtobuf

/// `--spark-master`: bounded pipelines run on this Spark cluster, unless
/// the job asks for the local engine (`--beam_engine=local`, or
/// `--experiments=beam_engine=local`); unbounded ones always run locally.
public struct SparkSettings: Sendable {
    /// `local-cluster[2,1,1024]`, `spark://host:7077`, `local[2]`, ...
    public var master: String
    /// The `spark-submit` to run (pyspark's, or a Spark distribution's).
    public var sparkSubmit: String
    /// The Python with pyspark that runs the driver and the executors' task functions.
    public var python: String
    /// `--spark-conf key=value`, passed to spark-submit.
    public var conf: [String: String]
    /// This server's executable: the executors run it as `spark-stage`.
    public var executable: String
    /// Partitions of each shuffle.
    public var parallelism: Int

    public init(master: String, sparkSubmit: String, python: String, conf: [String: String] = [:],
                executable: String, parallelism: Int = 2) {
        self.master = master
        self.sparkSubmit = sparkSubmit
        self.python = python
        self.conf = conf
        self.executable = executable
        self.parallelism = max(1, parallelism)
    }

    /// Whether executors share this machine's disk, so nothing needs shipping.
    var isLocal: Bool { master.hasPrefix("local") }

    /// The engine a job asked for: "spark", "local" or nil (the server's choice).
    static func requestedEngine(_ options: Google_Protobuf_Struct) -> String? {
        if case .stringValue(let engine)? = options.fields["beam:option:beam_engine:v1"]?.kind {
            return engine.lowercased()
        }
        return options.beamExperiments.compactMap { experiment -> String? in
            guard experiment.hasPrefix("beam_engine=") else { return nil }
            return String(experiment.dropFirst("beam_engine=".count)).lowercased()
        }.last
    }
}
