import BeamModel
import Foundation
import JobService
import Planner
import Worker

/// `--docker-fallback process`: when no container engine can run here, a
/// DOCKER environment naming one of Beam's Python SDK images
/// (`apache/beam_python3.11_sdk:2.77.0`) runs as a PROCESS environment
/// instead: beam-boot with a local Python that has the image's Python and
/// Beam versions. The job's messages say so; any other image, or a local
/// Python of other versions, is left to fail with the engine's error.
public struct DockerFallback: Sendable {
    public let engine: ContainerEngine
    /// The beam-boot executable the PROCESS environment runs.
    public let bootCommand: String
    /// The Python beam-boot starts the harness with (BEAM_PYTHON).
    public let python: String

    public init(engine: ContainerEngine, bootCommand: String, python: String) {
        self.engine = engine
        self.bootCommand = bootCommand
        self.python = python
    }

    /// Python and Beam versions a Beam Python SDK image name carries: 
    /// `…/beam_python3.11_sdk:2.77.0` → ("3.11", "2.77.0"); nil for other images.
    /// A missing or `latest` tag gives no Beam version (any will do).
    static func beamPythonImage(_ image: String) -> (python: String, beam: String?)? {
        guard let match = image.firstMatch(of: /(?:^|\/)beam_python(\d+\.\d+)_sdk(?::([^\/@]+))?$/) else { return nil }
        let tag = match.2.map(String.init)
        return (String(match.1), tag == "latest" ? nil : tag)
    }

    /// `environments` with the Beam Python images swapped for PROCESS ones,
    /// if (and only if) the container engine is unavailable. Posts what it did to `job`.
    func apply(to environments: [String: Environment], job: Job) async throws -> [String: Environment] {
        var result = environments
        for (id, environment) in environments.sorted(by: { $0.key < $1.key }) where environment.urn == "beam:env:docker:v1" {
            guard let payload = try? Org_Apache_Beam_Model_Pipeline_V1_DockerPayload(serializedBytes: environment.payload),
                  let wanted = Self.beamPythonImage(payload.containerImage) else { continue }
            let engineError: WorkerError
            do {
                _ = try await engine.cli(for: payload.containerImage)
                continue
            } catch let error as WorkerError {
                engineError = error
            }
            let local = try await localVersions()
            guard local.python == wanted.python, wanted.beam.map({ $0 == local.beam }) ?? true else {
                throw ExecutionError(
                    "\(engineError); --docker-fallback process cannot stand in for '\(payload.containerImage)': it needs Python \(wanted.python)"
                        + (wanted.beam.map { " and apache-beam \($0)" } ?? "")
                        + ", and \(python) has Python \(local.python) with apache-beam \(local.beam)")
            }
            result[id] = processEnvironment(replacing: environment)
            job.post(
                "No container engine is available, so --docker-fallback process runs the DOCKER environment '\(payload.containerImage)' "
                    + "as a local PROCESS harness: \(bootCommand) with \(python) (Python \(local.python), apache-beam \(local.beam))",
                importance: .jobMessageWarning)
        }
        return result
    }

    private func processEnvironment(replacing docker: Environment) -> Environment {
        var environment = docker
        environment.urn = "beam:env:process:v1"
        environment.payload = (try? Org_Apache_Beam_Model_Pipeline_V1_ProcessPayload.with {
            $0.command = bootCommand
            $0.env = ["BEAM_PYTHON": python]
        }.serializedData()) ?? Data()
        return environment
    }

    private func localVersions() async throws -> (python: String, beam: String) {
        let probe = "import sys, apache_beam; print('%d.%d' % sys.version_info[:2], apache_beam.__version__)"
        let outcome = await ShortCommand.run(python, ["-c", probe], timeout: .seconds(60))
        let words = outcome.output.split(whereSeparator: \.isWhitespace).suffix(2).map(String.init)
        guard outcome.succeeded, words.count == 2 else {
            throw ExecutionError("--docker-fallback process: \(python) cannot import apache_beam: \(outcome.lastLines(3))")
        }
        return (words[0], words[1])
    }
}
