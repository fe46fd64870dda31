import BeamModel
import Foundation
import JobService
import SwiftProtobuf

/// How many SDK workers per environment a job asks for, read from Beam's own
/// pipeline options: `--max_num_workers`, else `--sdk_worker_parallelism`
/// above 1, else as many as the server allows (0 means "the runner
/// chooses"; Python sends 1 when the option is not given, so 1 means the
/// same). `--autoscaling_algorithm=NONE` pins the count (to `--num_workers`
/// when given) instead of scaling with the backlog.
struct WorkerCountOptions: Equatable {
    /// Nil: as many as the server allows.
    var maximum: Int?
    var autoscaling: Bool
    var initial: Int?
    /// `--experiments=use_loopback_process_worker`: LOOPBACK workers are processes, not threads.
    var loopbackProcesses: Bool

    init(_ options: Google_Protobuf_Struct) {
        func int(_ name: String) -> Int? {
            switch options.fields["beam:option:\(name):v1"]?.kind {
            case .numberValue(let number)?: return Int(exactly: number.rounded())
            case .stringValue(let text)?: return Int(text.trimmingCharacters(in: .whitespaces))
            default: return nil
            }
        }
        let parallelism = int("sdk_worker_parallelism").flatMap { $0 > 1 ? $0 : nil }
        maximum = int("max_num_workers").flatMap { $0 > 0 ? $0 : nil } ?? parallelism
        initial = int("num_workers").flatMap { $0 > 0 ? $0 : nil }
        if case .stringValue(let algorithm)? = options.fields["beam:option:autoscaling_algorithm:v1"]?.kind {
            autoscaling = algorithm.uppercased() != "NONE"
        } else {
            autoscaling = true
        }
        loopbackProcesses = options.beamExperiments.contains("use_loopback_process_worker")
    }
}
