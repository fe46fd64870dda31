#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Replaces beam-boot with the Python SDK harness (`execv`), so the process
/// the runner started, its pid and its stdout/stderr become the harness's.
struct HarnessLauncher {
    static let entryModule = "apache_beam.runners.worker.sdk_worker_main"

    let python: PythonInterpreter

    /// Only returns by throwing: on success this process is the harness.
    func exec(environment: [(name: String, value: String)]) throws -> Never {
        for variable in environment {
            setenv(variable.name, variable.value, 1)
        }
        let arguments = [python.path, "-m", Self.entryModule]
        var cArguments: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) }
        cArguments.append(nil)
        fflush(nil)  // log lines still buffered would be lost by exec
        execv(python.path, cArguments)
        let reason = String(cString: strerror(errno))
        throw BootFailure(.exec, "cannot exec \(arguments.joined(separator: " ")): \(reason)")
    }
}
