import BeamCore
import BeamModel
import Foundation
import GRPCCore
import JobService
import Testing

@Suite struct ArtifactStagingTests {
    @Test func stagesRewritesAndServesArtifacts() async throws {
        try await withJobServer { server in
            let body = Data((0..<3_000_000).map { UInt8($0 % 251) })  // spans several retrieval chunks
            let artifact = offeredArtifact(path: "/client/reqs.txt", sha256: try sha256Hex(body), stagedName: "requirements.txt")
            let prepared = try await server.jobs.prepare(.with { $0.pipeline = impulsePipeline(dependencies: [artifact]) })
            try await offerArtifacts(server, token: prepared.stagingSessionToken, contents: ["/client/reqs.txt": body])

            let pipeline = try await server.jobs.getPipeline(.with { $0.jobID = prepared.preparationID }).pipeline
            let stored = try #require(pipeline.components.environments["env"]?.dependencies.first)
            #expect(stored.typeUrn == ArtifactURNs.fileType)
            let payload = try ArtifactFilePayload(serializedBytes: stored.typePayload)
            #expect(server.store.contains(path: payload.path))
            #expect(FileManager.default.contents(atPath: payload.path) == body)
            #expect(try ArtifactStagingToRolePayload(serializedBytes: stored.rolePayload).stagedName == "requirements.txt")

            let served = try await server.retrieval.getArtifact(.with { $0.artifact = stored }) { response in
                var data = Data()
                for try await chunk in response.messages { data.append(chunk.data) }
                return data
            }
            #expect(served == body)
        }
    }

    @Test func badNameIsSanitizedAndReported() async throws {
        try await withJobServer { server in
            let body = Data("print('hi')".utf8)
            let artifact = offeredArtifact(path: "/c/x", sha256: try sha256Hex(body), stagedName: "../../../../tmp/evil.py")
            let prepared = try await server.jobs.prepare(.with { $0.pipeline = impulsePipeline(dependencies: [artifact]) })
            try await offerArtifacts(server, token: prepared.stagingSessionToken, contents: ["/c/x": body])

            let job = try server.registry.job(id: prepared.preparationID)
            let stored = try #require(job.pipeline.components.environments["env"]?.dependencies.first)
            let path = try ArtifactFilePayload(serializedBytes: stored.typePayload).path
            #expect(server.store.contains(path: path))
            #expect(path.hasSuffix("-evil.py"))
            #expect(try ArtifactStagingToRolePayload(serializedBytes: stored.rolePayload).stagedName == "evil.py")
            #expect(job.messages.contains { $0.importance == .jobMessageWarning && $0.messageText.contains("../../../../tmp/evil.py") })
            #expect(!FileManager.default.fileExists(atPath: "/tmp/evil.py"))
        }
    }

    @Test func badChecksumIsRejectedAndFailsTheRun() async throws {
        try await withJobServer { server in
            let artifact = offeredArtifact(path: "/c/a.whl", sha256: String(repeating: "0", count: 64), stagedName: "a.whl")
            let prepared = try await server.jobs.prepare(.with { $0.pipeline = impulsePipeline(dependencies: [artifact]) })
            let code = await statusCode {
                try await offerArtifacts(server, token: prepared.stagingSessionToken, contents: ["/c/a.whl": Data("not what was promised".utf8)])
            }
            #expect(code == .invalidArgument)
            let jobFolder = server.store.directory(forJob: prepared.preparationID)
            let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: jobFolder.path)) ?? []
            #expect(leftovers.isEmpty, "a rejected artifact leaves no file behind")

            _ = try await server.jobs.run(.with { $0.preparationID = prepared.preparationID })
            let job = try server.registry.job(id: prepared.preparationID)
            #expect(job.state == .failed)
            #expect(job.messages.contains { $0.importance == .jobMessageError && $0.messageText.contains("sha256") })
        }
    }

    @Test func unknownStagingTokenIsNotFound() async throws {
        try await withJobServer { server in
            let code = await statusCode { try await offerArtifacts(server, token: "nope", contents: [:]) }
            #expect(code == .notFound)
        }
    }

    @Test func secondStagingSessionIsRefused() async throws {
        try await withJobServer { server in
            let prepared = try await server.jobs.prepare(.with { $0.pipeline = impulsePipeline() })
            try await offerArtifacts(server, token: prepared.stagingSessionToken, contents: [:])
            let code = await statusCode { try await offerArtifacts(server, token: prepared.stagingSessionToken, contents: [:]) }
            #expect(code == .failedPrecondition)
        }
    }

    @Test func retrievalServesOnlyStoredFiles() async throws {
        try await withJobServer { server in
            let outside = ArtifactInformation.with {
                $0.typeUrn = ArtifactURNs.fileType
                $0.typePayload = try! ArtifactFilePayload.with { $0.path = "/etc/passwd" }.serializedData()
            }
            let code = await statusCode {
                try await server.retrieval.getArtifact(.with { $0.artifact = outside }) { try await $0.messages.reduce(0) { n, _ in n + 1 } }
            }
            #expect(code == .notFound)
            let embedded = ArtifactInformation.with {
                $0.typeUrn = ArtifactURNs.embeddedType
                $0.typePayload = try! EmbeddedFilePayload.with { $0.data = Data("inline".utf8) }.serializedData()
            }
            let data = try await server.retrieval.getArtifact(.with { $0.artifact = embedded }) { response in
                var data = Data()
                for try await chunk in response.messages { data.append(chunk.data) }
                return data
            }
            #expect(data == Data("inline".utf8))
        }
    }
}
