import BeamModel
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Synchronization
import Testing
@testable import Worker

private typealias StateRequest = Org_Apache_Beam_Model_FnExecution_V1_StateRequest
private typealias StateResponse = Org_Apache_Beam_Model_FnExecution_V1_StateResponse

/// The Fn API server's HTTP/2 connections under clients that are not the
/// Python SDK: grpc-go (the Go SDK harness) sends a PING after every response
/// it receives (its BDP estimator), hundreds within seconds on a state stream.
/// swift-nio-http2 would answer the 201st control frame in 30 s with GOAWAY
/// (ENHANCE_YOUR_CALM), which grpc-go reports as "the connection is draining".
@Suite(.timeLimit(.minutes(1))) struct FnAPIConnectionTests {
    @Test func aStateStreamSurvivesThousandsOfRequestsFromAClientThatPingsAfterEachResponse() async throws {
        let server = try await FnAPIServer.start(launchers: .standard.adding(ManualEnvironmentLauncher()), logger: testLogger())
        let result = ClientResult()
        let harness = FakeHarness(endpoint: server.endpoint, workerID: "go-1")
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await harness.run { instruction, link in
                        guard case .processBundle = instruction.request else { return .respond(.with { $0.instructionID = instruction.instructionID; $0.register = .init() }) }
                        // One state stream on its own connection, request by request, a PING after each answer.
                        let parts = server.endpoint.split(separator: ":")
                        let (status, output) = try await Self.runClient([String(parts[0]), String(parts[1]), instruction.instructionID, "3000"])
                        result.finish(status: status, output: output)
                        link.sendData(.with { $0.data = [.with { $0.instructionID = instruction.instructionID; $0.transformID = "sink"; $0.isLast = true }] })
                        return .respond(.with { $0.instructionID = instruction.instructionID; $0.processBundle = .init() })
                    }
                }
                let worker = try await server.startWorker(id: "go-1", environment: .with { $0.urn = ManualEnvironmentLauncher.manualURN },
                                                          timeout: .seconds(10))
                try await worker.register([Self.descriptor(endpoint: server.endpoint)])
                _ = try await worker.processBundle(descriptorID: "d", inputs: [], stateHandler: AnsweringStateHandler())
                await worker.stop()
                try await group.waitForAll()
            }
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.hasPrefix("answered 3000"), "\(result.output)")
    }

    /// Tests/EndToEnd/h2_state_client.py with the venv's Python; (exit status,
    /// output). Waits on a Dispatch thread, leaving the task pool to the server.
    private static func runClient(_ arguments: [String]) async throws -> (Int32, String) {
        let python = try PythonSDK.python()
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try runClientBlocking(python, arguments) })
            }
        }
    }

    private static func runClientBlocking(_ python: String, _ arguments: [String]) throws -> (Int32, String) {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("EndToEnd/h2_state_client.py")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script.path] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice  // apache_beam's import warnings
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    private static func descriptor(endpoint: String) -> Org_Apache_Beam_Model_FnExecution_V1_ProcessBundleDescriptor {
        let port = try! Org_Apache_Beam_Model_FnExecution_V1_RemoteGrpcPort.with {
            $0.apiServiceDescriptor.url = endpoint
            $0.coderID = "c"
        }.serializedData()
        return .with {
            $0.id = "d"
            $0.transforms["sink"] = .with { $0.spec.urn = "beam:runner:sink:v1"; $0.spec.payload = port; $0.inputs["i"] = "p" }
            $0.stateApiServiceDescriptor.url = endpoint
        }
    }
}

/// Answers every request with an empty success of its kind.
private struct AnsweringStateHandler: BundleStateHandler {
    func handle(_ request: StateRequest) async -> StateResponse {
        .with {
            switch request.request {
            case .append: $0.append = .init()
            case .clear: $0.clear = .init()
            default: $0.get = .init()
            }
        }
    }
}

private final class ClientResult: Sendable {
    private let state = Mutex((status: Int32(-1), output: "the client did not run"))
    func finish(status: Int32, output: String) { state.withLock { $0 = (status, output) } }
    var status: Int32 { state.withLock { $0.status } }
    var output: String { state.withLock { $0.output } }
}
