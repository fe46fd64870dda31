import Foundation

/// The worker's semi-persistent folder (`--semi_persist_dir`, else a fresh
/// temp folder) and its `staged/` subfolder, where the harness also looks for
/// `pickled_main_session` and adds to sys.path.
struct WorkFolder: Sendable {
    let semiPersistentDirectory: String
    var stagedDirectory: String { semiPersistentDirectory + "/staged" }

    static func prepare(requested: String?, workerID: String) throws -> WorkFolder {
        if let requested {
            do {
                try FileManager.default.createDirectory(atPath: requested, withIntermediateDirectories: true)
            } catch {
                throw BootFailure(.artifacts, "cannot create --semi_persist_dir \(requested): \(error.localizedDescription)")
            }
            return WorkFolder(semiPersistentDirectory: requested)
        }
        // One folder per boot so concurrent workers never share staged files.
        let safeID = String(workerID.map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "_" }.prefix(40))
        let tmp = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("beam-boot-\(safeID)-XXXXXX").path
        var template = Array(tmp.utf8CString)
        guard let created = mkdtemp(&template) else {
            throw BootFailure(.artifacts, "cannot create a temporary semi-persistent folder in \(NSTemporaryDirectory())")
        }
        return WorkFolder(semiPersistentDirectory: String(cString: created))
    }
}
