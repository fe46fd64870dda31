import BeamModel
import Dispatch
import Foundation
import GRDB
import Logging
import SwiftProtobuf

/// The job history on disk: one SQLite database (`jobs.sqlite`) under the
/// server's state folder, written through GRDB. Changes arrive from `Job`
/// under its lock and are written in order on one serial queue, so a job's
/// hot path never waits for the disk; `flush()` waits for what is queued.
/// A write that fails is logged with the job id, never dropped silently.
public final class JobStore: JobHistory, @unchecked Sendable {
    public let folder: URL
    private let database: DatabaseQueue
    private let writes = DispatchQueue(label: "beam-job-server.job-store")
    private let lock: StateFolderLock
    private let logger: Logger

    /// Opens (creating or migrating) the store in `folder`. Fails with a
    /// message naming the folder when it cannot be created, is used by another
    /// server, or holds a database that cannot be read.
    public init(folder: URL, logger: Logger) throws {
        self.folder = folder
        self.logger = logger
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw JobStoreError("cannot create the state folder \(folder.path): \(error.localizedDescription)")
        }
        lock = try StateFolderLock(folder: folder)
        let path = folder.appendingPathComponent("jobs.sqlite").path
        do {
            var configuration = Configuration()
            configuration.busyMode = .timeout(5)
            database = try DatabaseQueue(path: path, configuration: configuration)
            try JobStoreSchema.migrator.migrate(database)
        } catch {
            throw JobStoreError("the job store \(path) cannot be opened (\(error)); move it away to start with an empty history, or pass --ephemeral")
        }
    }

    // MARK: Writing

    public func record(_ change: JobHistoryChange) {
        writes.async { [database, logger] in
            do {
                try database.write { db in try JobStoreSchema.apply(change, in: db) }
            } catch {
                logger.error("the job store could not record a change", metadata: ["job": "\(change.jobID)", "error": "\(error)"])
            }
        }
    }

    /// Returns once every change recorded so far is written.
    public func flush() {
        writes.sync {}
    }

    /// Deletes these jobs with their events (retention), waiting for the deletion.
    public func delete(_ ids: Set<String>) throws {
        flush()
        try database.write { db in
            for id in ids { try db.execute(sql: "DELETE FROM jobs WHERE id = ?", arguments: [id]) }
        }
    }

    // MARK: Reading

    /// Every stored job, oldest first.
    public func loadAll() throws -> [StoredJob] {
        flush()
        return try database.read { db in try JobStoreSchema.loadAll(db) }
    }
}

public struct JobStoreError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

extension JobHistoryChange {
    var jobID: String {
        switch self {
        case .prepared(let id, _, _, _, _), .pipelineReplaced(let id, _), .event(let id, _, _), .finished(let id, _, _, _): id
        }
    }
}
