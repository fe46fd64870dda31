import Crypto
import Foundation

/// Owns the on-disk layout of staged artifacts, `<root>/<job id>/<n>-<name>`:
/// makes names safe, writes files with their sha256, and answers whether a
/// path is one of ours (the retrieval service serves nothing else).
public struct ArtifactStore: Sendable {
    public let root: URL

    public init(root: URL) throws {
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        self.root = root.standardizedFileURL.resolvingSymlinksInPath()
    }

    /// A fresh folder under the system's temporary directory.
    public static func temporary() throws -> ArtifactStore {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("beam-job-server-artifacts-\(UUID().uuidString.prefix(8))")
        return try ArtifactStore(root: folder)
    }

    public func directory(forJob jobID: String) -> URL {
        root.appendingPathComponent(Self.sanitize(jobID).name, isDirectory: true)
    }

    /// A staged name reduced to one harmless file name: no separators, no `..`,
    /// no control characters. `changed` says whether anything was removed.
    public static func sanitize(_ stagedName: String) -> (name: String, changed: Bool) {
        let components = stagedName.split(whereSeparator: { $0 == "/" || $0 == "\\" })
        var name = String(components.last ?? "")
        name = String(name.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }.map(Character.init))
        if name == "." || name == ".." || name.isEmpty { name = "artifact" }
        if name.utf8.count > 200 { name = String(name.prefix(200)) }
        return (name, name != stagedName)
    }

    /// Whether `path` names a file inside the store (after resolving `..` and links).
    public func contains(path: String) -> Bool {
        let resolved = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
        return resolved.hasPrefix(root.path + "/")
    }

    /// Opens a new file for the `index`-th artifact of a job.
    public func makeWriter(jobID: String, index: Int, name: String) throws -> ArtifactWriter {
        let folder = directory(forJob: jobID)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = folder.appendingPathComponent("\(index)-\(Self.sanitize(name).name)")
        guard contains(path: file.path) else {
            throw JobServiceError.artifactRejected("Artifact name '\(name)' resolves outside the job's folder")
        }
        return try ArtifactWriter(url: file)
    }
}

/// Streams one artifact to disk while hashing it. Used by one task at a time.
public struct ArtifactWriter {
    public let url: URL
    private let handle: FileHandle
    private var hasher = SHA256()
    public private(set) var byteCount = 0

    init(url: URL) throws {
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw JobServiceError.artifactRejected("Cannot create artifact file \(url.path)")
        }
        self.url = url
        self.handle = try FileHandle(forWritingTo: url)
    }

    public mutating func write(_ data: Data) throws {
        hasher.update(data: data)
        try handle.write(contentsOf: data)
        byteCount += data.count
    }

    /// Closes the file and returns the hex sha256 of what was written.
    public func finish() throws -> String {
        try handle.close()
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// Closes and deletes a partial or rejected file.
    public func discard() {
        try? handle.close()
        try? FileManager.default.removeItem(at: url)
    }
}
