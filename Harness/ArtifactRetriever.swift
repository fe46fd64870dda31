import BeamModel
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Logging

/// Downloads every dependency through the runner's ArtifactRetrievalService
/// into the staged folder, one `GetArtifact` stream per artifact, and checks
/// sha256 where the payload carries one.
struct ArtifactRetriever {
    /// Beam's boot tolerates losing this purely informational file.
    static let optionalNames: Set<String> = ["submission_environment_dependencies.txt"]

    let connection: RPCConnection
    let workerID: String
    let stagedDirectory: String
    let verifier: SHA256Verifier
    let logger: Logger

    /// Returns the artifacts now present in the folder, in ProvisionInfo order.
    func retrieve(_ artifacts: [StagedArtifact]) async throws -> [StagedArtifact] {
        guard !artifacts.isEmpty else { return [] }
        do {
            try FileManager.default.createDirectory(atPath: stagedDirectory, withIntermediateDirectories: true)
        } catch {
            throw BootFailure(.artifacts, "cannot create \(stagedDirectory): \(error.localizedDescription)")
        }
        return try await connection.withClient { grpc in
            let client = Org_Apache_Beam_Model_JobManagement_V1_ArtifactRetrievalService.Client(wrapping: grpc)
            var present: [StagedArtifact] = []
            for artifact in artifacts {
                do {
                    try await fetch(artifact, with: client)
                    present.append(artifact)
                } catch let failure as BootFailure where Self.optionalNames.contains(artifact.name) {
                    logger.warning("Ignoring \(artifact.name): \(failure.reason)")
                }
            }
            return present
        }
    }

    private func fetch(
        _ artifact: StagedArtifact,
        with client: Org_Apache_Beam_Model_JobManagement_V1_ArtifactRetrievalService.Client<HTTP2ClientTransport.Posix>
    ) async throws {
        let finalPath = stagedDirectory + "/" + artifact.name
        // Download next to the target and rename, so a failed boot never leaves
        // a truncated file under the real name.
        let partialPath = stagedDirectory + "/." + artifact.name + ".partial"
        defer { try? FileManager.default.removeItem(atPath: partialPath) }
        let request = GetArtifactRequest.with { $0.artifact = artifact.dependency }
        let size: Int
        do {
            size = try await connection.retryingUnavailable {
                try await client.getArtifact(request, metadata: RPCConnection.metadata(workerID: workerID), options: RPCConnection.callOptions) {
                    response in try await Self.write(response.messages, to: partialPath)
                }
            }
        } catch let failure as BootFailure {
            throw failure
        } catch {
            throw BootFailure(.artifacts, "GetArtifact for \(artifact.name): \(RPCErrorText.describe(error))")
        }
        if let expected = artifact.expectedSHA256 {
            try await verifier.verify(file: partialPath, name: artifact.name, expected: expected)
        }
        do {
            if FileManager.default.fileExists(atPath: finalPath) {
                try FileManager.default.removeItem(atPath: finalPath)
            }
            try FileManager.default.moveItem(atPath: partialPath, toPath: finalPath)
        } catch {
            throw BootFailure(.artifacts, "cannot store \(finalPath): \(error.localizedDescription)")
        }
        logger.info("Retrieved \(artifact.name) (\(size) bytes)")
    }

    /// Writes the streamed chunks to a fresh file (a retry starts over).
    private static func write(_ chunks: RPCAsyncSequence<GetArtifactResponse, any Error>, to path: String) async throws -> Int {
        guard FileManager.default.createFile(atPath: path, contents: nil),
              let handle = FileHandle(forWritingAtPath: path) else {
            throw BootFailure(.artifacts, "cannot create \(path)")
        }
        defer { try? handle.close() }
        var size = 0
        for try await chunk in chunks {
            try handle.write(contentsOf: chunk.data)
            size += chunk.data.count
        }
        return size
    }
}
