import BeamCore
import BeamModel
import Foundation
import GRPCCore
import GRPCInProcessTransport
import JobService
import Logging
import SwiftProtobuf

/// A job server wired over the in-process transport, with clients for each service.
struct JobServerFixture: Sendable {
    let jobs: JobServiceAPI.Client<InProcessTransport.Client>
    let staging: ArtifactStagingServiceAPI.Client<InProcessTransport.Client>
    let retrieval: ArtifactRetrievalServiceAPI.Client<InProcessTransport.Client>
    let registry: JobRegistry
    let store: ArtifactStore
}

func withJobServer<T: Sendable>(
    executor: any JobExecutor = FailingExecutor(),
    _ body: @Sendable (JobServerFixture) async throws -> T
) async throws -> T {
    let transport = InProcessTransport()
    let store = try ArtifactStore.temporary()
    defer { try? FileManager.default.removeItem(at: store.root) }
    let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
    let registry = JobRegistry()
    let runner = JobRunner(executor: executor, logger: logger)
    let services: [any RegistrableRPCService] = [
        JobManagementService(registry: registry, runner: runner, logger: logger) { _ in "localhost:0" },
        ArtifactStagingService(registry: registry, store: store, logger: logger),
        ArtifactRetrievalService(store: store),
    ]
    return try await withGRPCServer(transport: transport.server, services: services) { _ in
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await runner.run() }
            defer {
                for job in registry.all where !job.isTerminal { _ = try? job.requestCancel() }
                runner.shutdown()
            }
            return try await withGRPCClient(transport: transport.client) { client in
                try await body(JobServerFixture(
                    jobs: .init(wrapping: client), staging: .init(wrapping: client),
                    retrieval: .init(wrapping: client), registry: registry, store: store))
            }
        }
    }
}

/// A minimal well-formed pipeline: one Impulse in one environment, optionally
/// with dependencies to stage.
func impulsePipeline(dependencies: [ArtifactInformation] = []) -> Pipeline {
    Pipeline.with {
        $0.components.environments["env"] = Environment.with {
            $0.urn = "beam:env:external:v1"
            $0.dependencies = dependencies
        }
        $0.components.pcollections["out"] = .with { $0.uniqueName = "out"; $0.coderID = "bytes" }
        $0.components.coders["bytes"] = .with { $0.spec.urn = "beam:coder:bytes:v1" }
        $0.components.transforms["impulse"] = .with {
            $0.uniqueName = "Impulse"
            $0.spec.urn = "beam:transform:impulse:v1"
            $0.outputs["out"] = "out"
        }
        $0.rootTransformIds = ["impulse"]
    }
}

/// A FILE artifact as the Python SDK offers it: the client's path, its sha256, a staged name.
func offeredArtifact(path: String, sha256: String, stagedName: String) -> ArtifactInformation {
    ArtifactInformation.with {
        $0.typeUrn = ArtifactURNs.fileType
        $0.typePayload = try! ArtifactFilePayload.with { $0.path = path; $0.sha256 = sha256 }.serializedData()
        $0.roleUrn = ArtifactURNs.stagingToRole
        $0.rolePayload = try! ArtifactStagingToRolePayload.with { $0.stagedName = stagedName }.serializedData()
    }
}

func sha256Hex(_ data: Data) throws -> String {
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("hash-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: file) }
    let store = try ArtifactStore(root: file)
    var writer = try store.makeWriter(jobID: "hash", index: 0, name: "x")
    try writer.write(data)
    return try writer.finish()
}

/// Plays the client side of ReverseArtifactRetrievalService the way Beam's
/// Python `offer_artifacts` does, serving `contents` by client path.
func offerArtifacts(_ fixture: JobServerFixture, token: String, contents: [String: Data]) async throws {
    let (outgoing, continuation) = AsyncStream<ArtifactResponseWrapper>.makeStream()
    continuation.yield(.with { $0.stagingToken = token })
    try await fixture.staging.reverseArtifactRetrievalService { writer in
        for await message in outgoing { try await writer.write(message) }
    } onResponse: { response in
        defer { continuation.finish() }
        for try await request in response.messages {
            switch request.request {
            case .resolveArtifact(let resolve):
                continuation.yield(.with { $0.resolveArtifactResponse = .with { $0.replacements = resolve.artifacts } })
            case .getArtifact(let get):
                let path = try ArtifactFilePayload(serializedBytes: get.artifact.typePayload).path
                let data = contents[path] ?? Data()
                continuation.yield(.with { $0.getArtifactResponse = .with { $0.data = data } })
                continuation.yield(.with { $0.getArtifactResponse = .with { $0.data = Data() }; $0.isLast = true })
            case nil:
                break
            }
        }
    }
}

/// The gRPC status code an async call fails with, or nil if it succeeds.
func statusCode(_ call: () async throws -> some Any) async -> RPCError.Code? {
    do {
        _ = try await call()
        return nil
    } catch let error as RPCError {
        return error.code
    } catch {
        return .unknown
    }
}

/// Fails every job the way an executor reports a pipeline it cannot run.
struct FailingExecutor: JobExecutor {
    func execute(_ job: Job) async {
        job.fail("Pipeline execution is not available in this test server")
    }
}
