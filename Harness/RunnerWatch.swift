import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Stops a harness whose runner died. A harness busy in user code does not
/// notice its control stream closing, so after a runner crash (SIGKILL) it
/// would keep running, orphaned. Before exec, beam-boot spawns a copy of
/// itself as a watcher (a child of the harness, in its process group, output
/// to /dev/null): once the harness's parent is no longer the runner, the
/// watcher stops the harness's group with SIGTERM and, after a grace period,
/// SIGKILL. It exits by itself when the harness ends. Only for a runner that
/// asks (`BEAM_BOOT_RUNNER_PID`, the PROCESS launcher's own pid) and is our parent.
enum RunnerWatch {
    static let runnerVariable = "BEAM_BOOT_RUNNER_PID"
    static let flag = "--watch-runner"
    static let pollInterval: useconds_t = 500_000
    static let grace: TimeInterval = 5

    /// Spawns the watcher for this process (about to become the harness), if the runner asked for one.
    static func startIfAsked() {
        guard let value = ProcessInfo.processInfo.environment[runnerVariable], let runner = pid_t(value),
              runner > 1, getppid() == runner else { return }
        let harness = getpid()
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let arguments = [executable, flag, String(runner), String(harness)]
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for descriptor in [STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO] {
            posix_spawn_file_actions_addopen(&actions, descriptor, "/dev/null", descriptor == STDIN_FILENO ? O_RDONLY : O_WRONLY, 0)
        }
        var cArguments: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) }
        cArguments.append(nil)
        defer { cArguments.forEach { free($0) } }
        var watcher: pid_t = 0
        if posix_spawn(&watcher, executable, &actions, nil, cArguments, environ) != 0 {
            FileHandle.standardError.write(Data("beam-boot: warning: cannot start the runner watch; this harness may outlive a crashed runner\n".utf8))
        }
    }

    /// The watcher's main loop: `arguments` are the runner's and the harness's pids.
    static func run(_ arguments: [String]) -> Never {
        guard arguments.count == 2, let runner = pid_t(arguments[0]), let harness = pid_t(arguments[1]) else { exit(2) }
        // The runner stops harnesses by signalling their group, which includes us: we end when the harness does.
        signal(SIGTERM, SIG_IGN)
        while true {
            usleep(pollInterval)
            guard getppid() == harness, let parent = parent(of: harness) else { exit(0) }
            if parent != runner { break }
        }
        kill(-harness, SIGTERM)
        kill(harness, SIGTERM)
        let deadline = Date().addingTimeInterval(grace)
        while Date() < deadline {
            usleep(pollInterval / 5)
            if getppid() != harness { exit(0) }
        }
        kill(-harness, SIGKILL)  // us too
        kill(harness, SIGKILL)
        exit(0)
    }

    /// The parent pid of `pid` from /proc, nil once it is gone.
    private static func parent(of pid: pid_t) -> pid_t? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 1 && fields[0] != "Z" ? pid_t(fields[1]) : nil
    }
}
