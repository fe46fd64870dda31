import BeamModel
import Foundation
import SwiftProtobuf
import Synchronization

/// Every job this server knows, by job id (which is also its preparation id,
/// so clients may watch a job's streams before Run) and by staging token.
public final class JobRegistry: Sendable {
    private let jobs = Mutex<[String: Job]>([:])
    private let byStagingToken = Mutex<[String: Job]>([:])

    public init() {}

    /// Registers a prepared job in STOPPED state.
    public func prepare(name: String, pipeline: Pipeline, options: Google_Protobuf_Struct) -> Job {
        let id = "\(Self.idSafe(name))_\(UUID().uuidString.lowercased())"
        let job = Job(id: id, name: name, stagingToken: UUID().uuidString.lowercased(), pipeline: pipeline, options: options)
        jobs.withLock { $0[id] = job }
        byStagingToken.withLock { $0[job.stagingToken] = job }
        return job
    }

    public func job(id: String) throws -> Job {
        guard let job = jobs.withLock({ $0[id] }) else { throw JobServiceError.jobNotFound(id) }
        return job
    }

    public func job(stagingToken: String) throws -> Job {
        guard let job = byStagingToken.withLock({ $0[stagingToken] }) else {
            throw JobServiceError.stagingTokenNotFound(stagingToken)
        }
        return job
    }

    /// All jobs, oldest id first for a stable listing.
    public var all: [Job] {
        jobs.withLock { Array($0.values) }.sorted { $0.id < $1.id }
    }

    /// Job names become part of ids and folder names: keep letters, digits, `-` and `_`.
    static func idSafe(_ name: String) -> String {
        let kept = name.unicodeScalars.prefix(64).map { scalar -> Character in
            CharacterSet.alphanumerics.contains(scalar) && scalar.isASCII || scalar == "-" || scalar == "_"
                ? Character(scalar) : "_"
        }
        return kept.isEmpty ? "job" : String(kept)
    }
}
