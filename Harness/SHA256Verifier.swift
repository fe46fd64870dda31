import Foundation
import Logging

/// Checks a downloaded artifact against the sha256 in its FILE/URL payload.
/// BeamBoot has no crypto library, so this asks coreutils' `sha256sum`; where
/// that is missing the check is skipped (our server hashed it at staging).
struct SHA256Verifier: Sendable {
    let executable: String?
    let logger: Logger

    init(logger: Logger) {
        self.executable = ExecutableLookup.find("sha256sum")
        self.logger = logger
        if executable == nil {
            logger.warning("sha256sum not found on PATH: staged artifacts will not be re-verified")
        }
    }

    func verify(file path: String, name: String, expected: String) async throws {
        guard let executable else { return }
        let outcome: Subprocess.Outcome
        do {
            outcome = try await Subprocess.run(executable, ["-b", path], captureOutput: true)
        } catch {
            throw BootFailure(.artifacts, "could not run sha256sum on \(name): \(error)")
        }
        let actual = String(decoding: outcome.output, as: UTF8.self).split(separator: " ").first.map(String.init) ?? ""
        guard outcome.succeeded, !actual.isEmpty else {
            throw BootFailure(.artifacts, "sha256sum failed on \(name) (\(outcome.summary))")
        }
        guard actual.lowercased() == expected else {
            throw BootFailure(.artifacts, "sha256 mismatch for \(name): got \(actual), want \(expected)")
        }
        logger.debug("Verified sha256 of \(name)")
    }
}
