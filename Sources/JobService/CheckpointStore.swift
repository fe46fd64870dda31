import Foundation

/// The last checkpoint of each streaming job: one file per job in a folder
/// (`<state-dir>/checkpoints`), replaced atomically (written beside, then
/// renamed), so a crash mid-write leaves the previous checkpoint whole.
/// Execution writes it while the job runs and deletes it when the job ends;
/// `JobRecovery` asks for it after a crash, and the resumed run reads it.
public struct CheckpointStore: Sendable {
    public let folder: URL

    public init(folder: URL) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        self.folder = folder
    }

    public func write(_ bytes: [UInt8], jobID: String) throws {
        let target = file(jobID)
        let partial = target.appendingPathExtension("partial")
        try Data(bytes).write(to: partial)
        // rename(2) replaces the old checkpoint in one step.
        guard rename(partial.path, target.path) == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: target.path])
        }
    }

    public func read(jobID: String) -> [UInt8]? {
        (try? Data(contentsOf: file(jobID))).map { [UInt8]($0) }
    }

    /// When the job's checkpoint was written, if it has one.
    public func takenAt(jobID: String) -> Date? {
        (try? FileManager.default.attributesOfItem(atPath: file(jobID).path))?[.modificationDate] as? Date
    }

    public func delete(jobID: String) {
        try? FileManager.default.removeItem(at: file(jobID))
    }

    private func file(_ jobID: String) -> URL {
        // Job ids are the registry's (name_uuid); anything else is kept out of the path.
        let safe = String(jobID.map { $0.isLetter || $0.isNumber || "-_.".contains($0) ? $0 : "_" })
        return folder.appendingPathComponent("\(safe).checkpoint.json")
    }
}
