import BeamModel
import Foundation
import JobService
import SwiftProtobuf
import Testing
import Worker
@testable import Execution

@Suite struct DockerFallbackTests {
    @Test func readsPythonAndBeamVersionsFromBeamImageNames() {
        #expect(DockerFallback.beamPythonImage("apache/beam_python3.11_sdk:2.77.0")! == ("3.11", "2.77.0"))
        #expect(DockerFallback.beamPythonImage("gcr.io/x/beam_python3.12_sdk")! == ("3.12", nil))
        #expect(DockerFallback.beamPythonImage("beam_python3.10_sdk:latest")! == ("3.10", nil))
        #expect(DockerFallback.beamPythonImage("apache/beam_java11_sdk:2.77.0") == nil)
        #expect(DockerFallback.beamPythonImage("example/my_beam_python3.11_sdk_fork:1") == nil)
    }

    private func docker(_ image: String) -> Environment {
        Environment.with {
            $0.urn = "beam:env:docker:v1"
            $0.payload = try! Org_Apache_Beam_Model_Pipeline_V1_DockerPayload.with { $0.containerImage = image }.serializedData()
            $0.dependencies = [.with { $0.typeUrn = "beam:artifact:type:file:v1" }]
        }
    }

    /// A stand-in Python that prints the versions the probe asks for.
    private func fakePython(_ versions: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("fake-python-\(UUID().uuidString)").path
        try "#!/bin/sh\necho 'WARNING: noise on stderr' >&2\necho '\(versions)'\n".write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        return path
    }

    @Test func withoutAnEngineBeamImagesBecomeProcessEnvironments() async throws {
        let fallback = DockerFallback(engine: ContainerEngine(choice: "no-such-engine"), bootCommand: "/opt/beam-boot",
                                      python: try fakePython("3.11 2.77.0"))
        let job = Job(id: "j", name: "j", stagingToken: "t", pipeline: Pipeline(), options: .init())
        let custom = docker("example/custom:1")
        let result = try await fallback.apply(to: ["beam": docker("apache/beam_python3.11_sdk:2.77.0"), "custom": custom], job: job)
        #expect(result["custom"] == custom)
        let swapped = try #require(result["beam"])
        #expect(swapped.urn == "beam:env:process:v1")
        #expect(swapped.dependencies.count == 1)
        let payload = try Org_Apache_Beam_Model_Pipeline_V1_ProcessPayload(serializedBytes: swapped.payload)
        #expect(payload.command == "/opt/beam-boot")
        #expect(payload.env["BEAM_PYTHON"] == fallback.python)
        #expect(job.messages.contains { $0.messageText.contains("--docker-fallback process runs the DOCKER environment 'apache/beam_python3.11_sdk:2.77.0'") })
    }

    @Test func otherVersionsAreRefusedSayingWhich() async throws {
        let fallback = DockerFallback(engine: ContainerEngine(choice: "no-such-engine"), bootCommand: "/opt/beam-boot",
                                      python: try fakePython("3.12 2.70.0"))
        let job = Job(id: "j", name: "j", stagingToken: "t", pipeline: Pipeline(), options: .init())
        await #expect {
            try await fallback.apply(to: ["beam": docker("apache/beam_python3.11_sdk:2.77.0")], job: job)
        } throws: { error in
            "\(error)".contains("needs Python 3.11 and apache-beam 2.77.0") && "\(error)".contains("has Python 3.12 with apache-beam 2.70.0")
        }
    }
}
