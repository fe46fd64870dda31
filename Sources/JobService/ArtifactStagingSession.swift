import BeamCore
import BeamModel
import Foundation
import GRPCCore
import SwiftProtobuf

/// Pulls one job's artifacts from the submitting client over
/// ReverseArtifactRetrievalService: per environment it asks the client to
/// resolve the dependencies, fetches each one into the `ArtifactStore`,
/// checks its sha256, and returns the pipeline rewritten to point at the
/// stored files. Owned by one staging call.
struct ArtifactStagingSession {
    let job: Job
    let store: ArtifactStore
    let quota: Int?
    let requests: RPCWriter<ArtifactRequestWrapper>
    var responses: RPCAsyncSequence<ArtifactResponseWrapper, any Error>.AsyncIterator
    private(set) var stagedCount = 0
    private(set) var stagedBytes = 0

    init(job: Job, store: ArtifactStore, quota: Int? = nil, requests: RPCWriter<ArtifactRequestWrapper>,
         responses: RPCAsyncSequence<ArtifactResponseWrapper, any Error>.AsyncIterator) {
        self.job = job
        self.store = store
        self.quota = quota
        self.requests = requests
        self.responses = responses
    }

    /// Stages every environment's dependencies; returns the rewritten pipeline.
    mutating func stageAll() async throws -> Pipeline {
        var pipeline = job.pipeline
        for environmentID in pipeline.components.environments.keys.sorted() {
            guard var environment = pipeline.components.environments[environmentID],
                  !environment.dependencies.isEmpty else { continue }
            let resolved = try await resolve(environment.dependencies)
            var stored: [ArtifactInformation] = []
            for artifact in resolved {
                stored.append(try await fetch(artifact))
            }
            environment.dependencies = stored
            pipeline.components.environments[environmentID] = environment
        }
        return pipeline
    }

    private mutating func resolve(_ artifacts: [ArtifactInformation]) async throws -> [ArtifactInformation] {
        try await requests.write(.with { $0.resolveArtifact = .with { $0.artifacts = artifacts } })
        guard let reply = try await responses.next() else {
            throw JobServiceError.invalidRequest("The client closed the staging stream before resolving artifacts")
        }
        guard case .resolveArtifactResponse(let resolution) = reply.response else {
            throw JobServiceError.invalidRequest("Expected a resolve_artifact_response from the client, got \(reply.response.map { "\($0)" } ?? "an empty message")")
        }
        return resolution.replacements
    }

    /// Fetches one artifact into the store and returns it as a FILE artifact.
    private mutating func fetch(_ artifact: ArtifactInformation) async throws -> ArtifactInformation {
        let stagedName = Self.stagedName(of: artifact)
        let (safeName, changed) = ArtifactStore.sanitize(stagedName ?? "artifact")
        if changed, let stagedName {
            job.post("Staged artifact name '\(stagedName)' is not a plain file name; stored as '\(safeName)'",
                     importance: .jobMessageWarning)
        }
        try await requests.write(.with { $0.getArtifact = .with { $0.artifact = artifact } })
        var writer = try store.makeWriter(jobID: job.id, index: stagedCount, name: safeName)
        let digest: String
        do {
            try await receiveChunks(into: &writer, name: safeName)
            digest = try writer.finish()
        } catch {
            writer.discard()
            throw error
        }
        if let expected = Self.expectedSHA256(of: artifact), expected.lowercased() != digest {
            writer.discard()
            throw JobServiceError.artifactRejected(
                "Artifact '\(safeName)' failed its sha256 check: expected \(expected), received bytes hash to \(digest)")
        }
        stagedCount += 1
        stagedBytes += writer.byteCount
        return Self.storedArtifact(from: artifact, path: writer.url.path, sha256: digest, stagedName: changed ? safeName : nil)
    }

    private mutating func receiveChunks(into writer: inout ArtifactWriter, name: String) async throws {
        while true {
            guard let reply = try await responses.next() else {
                throw JobServiceError.invalidRequest("The client closed the staging stream in the middle of artifact '\(name)'")
            }
            guard case .getArtifactResponse(let chunk) = reply.response else {
                throw JobServiceError.invalidRequest("Expected get_artifact_response chunks for '\(name)', got another message")
            }
            if let quota, stagedBytes + writer.byteCount + chunk.data.count > quota {
                throw JobServiceError.quotaExceeded(
                    "The job's artifacts exceed this server's limit of \(quota) bytes per job (--max-artifact-bytes), at '\(name)'")
            }
            try writer.write(chunk.data)
            if reply.isLast { return }
        }
    }

    // MARK: Payloads

    static func stagedName(of artifact: ArtifactInformation) -> String? {
        guard artifact.roleUrn == ArtifactURNs.stagingToRole,
              let role = try? ArtifactStagingToRolePayload(serializedBytes: artifact.rolePayload) else { return nil }
        return role.stagedName
    }

    static func expectedSHA256(of artifact: ArtifactInformation) -> String? {
        let hash: String?
        switch artifact.typeUrn {
        case ArtifactURNs.fileType: hash = (try? ArtifactFilePayload(serializedBytes: artifact.typePayload))?.sha256
        case ArtifactURNs.urlType: hash = (try? ArtifactUrlPayload(serializedBytes: artifact.typePayload))?.sha256
        default: hash = nil
        }
        return hash?.isEmpty == false ? hash : nil
    }

    static func storedArtifact(from original: ArtifactInformation, path: String, sha256: String,
                               stagedName: String?) -> ArtifactInformation {
        var stored = ArtifactInformation()
        stored.typeUrn = ArtifactURNs.fileType
        stored.typePayload = (try? ArtifactFilePayload.with { $0.path = path; $0.sha256 = sha256 }.serializedData()) ?? Data()
        stored.roleUrn = original.roleUrn
        stored.rolePayload = original.rolePayload
        if let stagedName {
            stored.rolePayload = (try? ArtifactStagingToRolePayload.with { $0.stagedName = stagedName }.serializedData()) ?? Data()
        }
        return stored
    }
}
