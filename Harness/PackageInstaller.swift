import Foundation
import Logging

/// Installs the staged Python dependencies with pip, following the rules and
/// order of Beam's Python boot program:
/// 1. an Apache Beam SDK the user staged (`--sdk_location`): a wheel for this
///    Python, else `dataflow_python_sdk.tar`;
/// 2. check apache-beam is importable at all;
/// 3. `requirements.txt` and PIP_REQUIREMENTS_FILE artifacts: first offline from
///    the staged folder without deps, then with the index to fill in deps;
/// 4. each package named in `extra_packages.txt`, force-reinstalled;
/// 5. `workflow.tar.gz` (the `--setup_file` package).
/// `submission_environment_dependencies.txt` is only logged and
/// `pickled_main_session` stays in the folder for the harness.
struct PackageInstaller {
    static let requirementsFile = "requirements.txt"
    static let extraPackagesFile = "extra_packages.txt"
    static let workflowFile = "workflow.tar.gz"
    static let sdkSourceFile = "dataflow_python_sdk.tar"
    static let submissionDependenciesFile = "submission_environment_dependencies.txt"
    /// pip flags Beam's boot passes to every install.
    static let quietFlags = ["--no-cache-dir", "--disable-pip-version-check"]

    let python: PythonInterpreter
    let stagedDirectory: String
    let logger: Logger

    func install(_ artifacts: [StagedArtifact]) async throws {
        let names = Set(artifacts.map(\.name))
        try await installStagedSDK(names)
        try await requireBeamInstalled()
        let requirementFiles = [Self.requirementsFile] + artifacts.filter(\.isPipRequirements).map(\.name)
        for file in requirementFiles where names.contains(file) {
            try await installRequirements(file)
        }
        if names.contains(Self.extraPackagesFile) {
            try await installExtraPackages(names)
        }
        if names.contains(Self.workflowFile) {
            logger.info("Installing \(Self.workflowFile)")
            try await pip(["install"] + Self.quietFlags + [path(Self.workflowFile)], "failed to install workflow")
        }
        logSubmissionDependencies(names)
    }

    // MARK: Steps

    private func installStagedSDK(_ names: Set<String>) async throws {
        if names.contains(where: { $0.hasPrefix("apache_beam") && $0.hasSuffix(".whl") }) {
            let tag = try await python.versionTag()
            let machine = Self.machine()
            // Only a CPython wheel built for this interpreter and machine.
            let suffix = "cp\(tag)-cp\(tag)-manylinux_2_17_\(machine).manylinux2014_\(machine).whl"
            if let wheel = names.sorted().first(where: { $0.hasPrefix("apache_beam") && $0.hasSuffix(suffix) }) {
                logger.info("Installing staged Apache Beam SDK wheel \(wheel)")
                // pip refuses to reinstall an equal version, which dev builds need.
                let outcome = wheel.contains(".dev")
                    ? try await forceInstall(path(wheel))
                    : try await runPip(["install"] + Self.quietFlags + [path(wheel)])
                if outcome.succeeded { return }
                logger.warning("Could not install \(wheel) (\(outcome.summary)), trying \(Self.sdkSourceFile)")
            }
        }
        if names.contains(Self.sdkSourceFile) {
            logger.info("Installing staged Apache Beam SDK \(Self.sdkSourceFile)")
            try await pip(["install"] + Self.quietFlags + [path(Self.sdkSourceFile)], "failed to install the staged SDK")
        }
    }

    private func requireBeamInstalled() async throws {
        let installed: Bool
        do {
            installed = try await python.hasDistribution("apache-beam")
        } catch {
            throw BootFailure(.install, "cannot run \(python.path): \(error)")
        }
        guard installed else {
            throw BootFailure(.install, "apache-beam is not installed for \(python.path); install the same Beam version the pipeline was submitted with")
        }
    }

    private func installRequirements(_ file: String) async throws {
        logger.info("Installing requirements from \(file)")
        let base = ["install", "-r", path(file)] + Self.quietFlags
        // Round one: only what was staged, so PyPI is not needed when the
        // SDK shipped the requirements cache.
        let offline = try await runPip(base + ["--no-index", "--no-deps", "--find-links", stagedDirectory])
        if !offline.succeeded {
            logger.info("Some requirements are not in the staged folder; installing them from the package index")
        }
        // Round two fills in dependencies; a no-op when round one covered everything.
        try await pip(base + ["--find-links", stagedDirectory], "failed to install requirements from \(file)")
    }

    private func installExtraPackages(_ names: Set<String>) async throws {
        let manifest: String
        do {
            manifest = try String(contentsOfFile: path(Self.extraPackagesFile), encoding: .utf8)
        } catch {
            throw BootFailure(.install, "cannot read \(Self.extraPackagesFile): \(error.localizedDescription)")
        }
        for line in manifest.split(whereSeparator: \.isNewline) {
            let package = line.trimmingCharacters(in: .whitespaces)
            if package.isEmpty { continue }
            guard names.contains(package) else {
                throw BootFailure(.install, "extra package '\(package)' is listed in \(Self.extraPackagesFile) but was not staged")
            }
            logger.info("Installing extra package \(package)")
            let outcome = try await forceInstall(path(package))
            guard outcome.succeeded else {
                throw BootFailure(.install, "failed to install extra package \(package): pip install \(outcome.summary) (see pip output above)")
            }
        }
    }

    /// Installs a package file over whatever version is there. The first call
    /// replaces the package without touching its dependencies; the second
    /// then only adds dependencies that are missing.
    private func forceInstall(_ file: String) async throws -> Subprocess.Outcome {
        let replaced = try await runPip(["install"] + Self.quietFlags + ["--upgrade", "--force-reinstall", "--no-deps", file])
        guard replaced.succeeded else { return replaced }
        return try await runPip(["install"] + Self.quietFlags + [file])
    }

    private func logSubmissionDependencies(_ names: Set<String>) {
        guard names.contains(Self.submissionDependenciesFile),
              let text = try? String(contentsOfFile: path(Self.submissionDependenciesFile), encoding: .utf8) else { return }
        logger.debug("Submission environment dependencies:\n\(text)")
    }

    // MARK: Helpers

    private func path(_ name: String) -> String { stagedDirectory + "/" + name }

    private func runPip(_ arguments: [String]) async throws -> Subprocess.Outcome {
        logger.debug("Running \(python.path) -m pip \(arguments.joined(separator: " "))")
        do {
            return try await python.pip(arguments)
        } catch {
            throw BootFailure(.install, "cannot run \(python.path) -m pip: \(error)")
        }
    }

    /// Runs pip and turns a non-zero exit into the boot's install failure.
    private func pip(_ arguments: [String], _ what: String) async throws {
        let outcome = try await runPip(arguments)
        guard outcome.succeeded else {
            throw BootFailure(.install, "\(what): pip \(arguments.first ?? "") \(outcome.summary) (see pip output above)")
        }
    }

    private static func machine() -> String {
        var info = utsname()
        uname(&info)
        return withUnsafeBytes(of: &info.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }
}
