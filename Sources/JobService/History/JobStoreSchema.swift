import BeamModel
import Foundation
import GRDB
import SwiftProtobuf

/// The job store's tables and how changes map onto them. Protos are stored as
/// their binary encoding, the runtime status as JSON. Each schema change is
/// one named migration; GRDB runs those a database has not seen yet, in order.
enum JobStoreSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        registerMigrations(in: &migrator, upTo: nil)
        return migrator
    }

    /// `upTo` stops after the named migration (tests build older databases with it).
    static func registerMigrations(in migrator: inout DatabaseMigrator, upTo last: String?) {
        let all: [(String, @Sendable (Database) throws -> Void)] = [
            ("v1-jobs-and-events", { db in
                try db.execute(sql: """
                    CREATE TABLE jobs (
                        id TEXT PRIMARY KEY NOT NULL,
                        name TEXT NOT NULL,
                        created_ms INTEGER NOT NULL,
                        pipeline BLOB NOT NULL,
                        options BLOB NOT NULL,
                        metrics BLOB);
                    CREATE TABLE job_events (
                        job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
                        seq INTEGER NOT NULL,
                        kind TEXT NOT NULL,
                        state INTEGER,
                        time_ms INTEGER NOT NULL,
                        message_id TEXT,
                        importance INTEGER,
                        text TEXT,
                        PRIMARY KEY (job_id, seq));
                    """)
            }),
            ("v2-runtime-and-dropped-logs", { db in
                try db.execute(sql: """
                    ALTER TABLE jobs ADD COLUMN runtime BLOB;
                    ALTER TABLE jobs ADD COLUMN dropped_log_entries INTEGER NOT NULL DEFAULT 0;
                    CREATE INDEX jobs_by_created ON jobs(created_ms);
                    """)
            }),
        ]
        for (name, migration) in all {
            migrator.registerMigration(name, migrate: migration)
            if name == last { return }
        }
    }

    // MARK: Writing

    static func apply(_ change: JobHistoryChange, in db: Database) throws {
        switch change {
        case .prepared(let id, let name, let created, let pipeline, let options):
            try db.execute(
                sql: "INSERT OR REPLACE INTO jobs (id, name, created_ms, pipeline, options) VALUES (?, ?, ?, ?, ?)",
                arguments: [id, name, millis(created), try pipeline.serializedData(), try options.serializedData()])
        case .pipelineReplaced(let id, let pipeline):
            try db.execute(sql: "UPDATE jobs SET pipeline = ? WHERE id = ?", arguments: [try pipeline.serializedData(), id])
        case .event(let id, let sequence, .state(let change)):
            try db.execute(
                sql: "INSERT OR REPLACE INTO job_events (job_id, seq, kind, state, time_ms) VALUES (?, ?, 'state', ?, ?)",
                arguments: [id, sequence, change.state.rawValue, millis(change.timestamp.date)])
        case .event(let id, let sequence, .message(let message)):
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO job_events (job_id, seq, kind, time_ms, message_id, importance, text)
                    VALUES (?, ?, 'message', ?, ?, ?, ?)
                    """,
                arguments: [id, sequence, Int64(message.time) ?? 0, message.messageID, message.importance.rawValue,
                            message.messageText])
        case .finished(let id, let metrics, let runtime, let dropped):
            try db.execute(
                sql: "UPDATE jobs SET metrics = ?, runtime = ?, dropped_log_entries = ? WHERE id = ?",
                arguments: [try metrics.serializedData(), try JSONEncoder().encode(runtime), dropped, id])
        }
    }

    // MARK: Reading

    static func loadAll(_ db: Database) throws -> [StoredJob] {
        var events: [String: [Job.Event]] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT * FROM job_events ORDER BY job_id, seq") {
            events[row["job_id"], default: []].append(try event(row))
        }
        return try Row.fetchAll(db, sql: "SELECT * FROM jobs ORDER BY created_ms, id").map { row in
            let id: String = row["id"]
            let metrics: Data? = row["metrics"]
            let runtime: Data? = row["runtime"]
            return StoredJob(
                id: id, name: row["name"], created: date(row["created_ms"]),
                pipeline: try Pipeline(serializedBytes: row["pipeline"] as Data),
                options: try Google_Protobuf_Struct(serializedBytes: row["options"] as Data),
                events: events[id] ?? [],
                metrics: try metrics.map { try .init(serializedBytes: $0) } ?? .init(),
                runtime: try runtime.map { try JSONDecoder().decode(JobRuntimeStatus.self, from: $0) } ?? .init(),
                droppedLogEntries: row["dropped_log_entries"])
        }
    }

    private static func event(_ row: Row) throws -> Job.Event {
        let time: Int64 = row["time_ms"]
        if row["kind"] as String == "state" {
            return .state(JobStateEvent.with {
                $0.state = JobState.Enum(rawValue: row["state"]) ?? .unspecified
                $0.timestamp = Google_Protobuf_Timestamp(date: date(time))
            })
        }
        return .message(JobMessage.with {
            $0.messageID = row["message_id"] ?? ""
            $0.time = String(time)
            $0.importance = JobMessage.MessageImportance(rawValue: row["importance"] ?? 0) ?? .jobMessageBasic
            $0.messageText = row["text"] ?? ""
        })
    }

    static func millis(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }
    static func date(_ millis: Int64) -> Date { Date(timeIntervalSince1970: Double(millis) / 1000) }
}
