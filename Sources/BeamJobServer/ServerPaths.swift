import Foundation

/// Where the server keeps what outlives it, following the XDG base directories.
enum ServerPaths {
    static var defaultStateFolder: URL {
        let environment = ProcessInfo.processInfo.environment
        if let data = environment["XDG_DATA_HOME"], !data.isEmpty {
            return URL(fileURLWithPath: data).appendingPathComponent("beam-job-server")
        }
        return FileManager.default.homeDirectoryForCurrentUser
            .appendingPathComponent(".local/share/beam-job-server")
    }
}
