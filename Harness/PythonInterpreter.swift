import Foundation

/// The Python that installs packages and then runs the SDK harness:
/// `$BEAM_PYTHON` if set, else `python3` on PATH.
struct PythonInterpreter: Sendable {
    let path: String

    static func locate(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> PythonInterpreter {
        let requested = environment["BEAM_PYTHON"].flatMap { $0.isEmpty ? nil : $0 } ?? "python3"
        guard let path = ExecutableLookup.find(requested, path: environment["PATH"]) else {
            throw BootFailure(.python, "'\(requested)' is not an executable (set BEAM_PYTHON or put python3 on PATH)")
        }
        return PythonInterpreter(path: path)
    }

    /// `python -m pip <arguments>` in this interpreter's environment.
    func pip(_ arguments: [String]) async throws -> Subprocess.Outcome {
        try await Subprocess.run(path, ["-m", "pip"] + arguments)
    }

    /// Whether a distribution is installed; asks importlib.metadata directly,
    /// which is much faster than `pip show`.
    func hasDistribution(_ name: String) async throws -> Bool {
        try await Subprocess.run(
            path, ["-c", Self.distributionProbe, name], captureOutput: true
        ).succeeded
    }

    private static let distributionProbe = """
        import importlib.metadata as m, sys
        try: m.version(sys.argv[1])
        except m.PackageNotFoundError: sys.exit(1)
        """

    /// "311" for Python 3.11, as wheel tags spell it.
    func versionTag() async throws -> String {
        let outcome = try await Subprocess.run(
            path, ["-c", "import sys; print('%d%d' % sys.version_info[:2])"], captureOutput: true)
        return String(decoding: outcome.output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
