import BeamCore
import BeamModel
import Foundation
import GRPCCore

/// ArtifactRetrievalService: SDK harnesses and beam-boot fetch a job's staged
/// artifacts. Serves only files inside the artifact store, and embedded data.
public struct ArtifactRetrievalService: ArtifactRetrievalServiceAPI.SimpleServiceProtocol {
    let store: ArtifactStore
    /// Chunks stay well under gRPC's default 4 MiB receive limit.
    static let chunkSize = 1 << 20

    public init(store: ArtifactStore) {
        self.store = store
    }

    public func resolveArtifacts(request: ResolveArtifactsRequest, context: ServerContext) async throws -> ResolveArtifactsResponse {
        // Staging already turned every dependency into a file we serve.
        .with { $0.replacements = request.artifacts }
    }

    public func getArtifact(request: GetArtifactRequest, response: RPCWriter<GetArtifactResponse>, context: ServerContext) async throws {
        try await mappingErrors {
            let artifact = request.artifact
            switch artifact.typeUrn {
            case ArtifactURNs.fileType:
                guard let payload = try? ArtifactFilePayload(serializedBytes: artifact.typePayload) else {
                    throw JobServiceError.invalidRequest("Undecodable ArtifactFilePayload")
                }
                guard store.contains(path: payload.path) else {
                    throw JobServiceError.artifactUnavailable("No staged artifact at '\(payload.path)'")
                }
                try await streamFile(atPath: payload.path, to: response)
            case ArtifactURNs.embeddedType:
                guard let payload = try? EmbeddedFilePayload(serializedBytes: artifact.typePayload) else {
                    throw JobServiceError.invalidRequest("Undecodable EmbeddedFilePayload")
                }
                try await streamData(payload.data, to: response)
            default:
                throw JobServiceError.unsupported("Artifacts of type '\(artifact.typeUrn)' cannot be retrieved from this server")
            }
        }
    }

    private func streamFile(atPath path: String, to response: RPCWriter<GetArtifactResponse>) async throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw JobServiceError.artifactUnavailable("Staged artifact '\(path)' is missing")
        }
        defer { try? handle.close() }
        while let chunk = try handle.read(upToCount: Self.chunkSize), !chunk.isEmpty {
            try await response.write(.with { $0.data = chunk })
        }
    }

    private func streamData(_ data: Data, to response: RPCWriter<GetArtifactResponse>) async throws {
        var offset = data.startIndex
        repeat {
            let end = min(offset + Self.chunkSize, data.endIndex)
            try await response.write(.with { $0.data = data[offset..<end] })
            offset = end
        } while offset < data.endIndex
    }
}
