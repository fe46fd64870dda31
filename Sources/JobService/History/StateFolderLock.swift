import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive lock on a state folder (`<folder>/lock`, holding the owner's
/// pid), so two servers never share one job history: the second would mark
/// the first one's running jobs as failed. Released when the process ends.
final class StateFolderLock: Sendable {
    private let descriptor: Int32

    init(folder: URL) throws {
        let path = folder.appendingPathComponent("lock").path
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw JobStoreError("cannot write to the state folder \(folder.path): \(String(cString: strerror(errno)))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let owner = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            close(fd)
            throw JobStoreError("the state folder \(folder.path) is in use by another beam-job-server\(owner.isEmpty ? "" : " (pid \(owner))"); pass another --state-dir, or --ephemeral")
        }
        ftruncate(fd, 0)
        let pid = "\(getpid())\n"
        _ = pid.withCString { write(fd, $0, strlen($0)) }
        descriptor = fd
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
