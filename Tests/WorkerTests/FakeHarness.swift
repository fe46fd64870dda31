import BeamModel
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import Synchronization
@testable import Worker

/// An environment whose harness the test plays itself (`FakeHarness`).
struct ManualEnvironmentLauncher: EnvironmentLauncher {
    static let manualURN = "test:env:manual:v1"
    var urn: String { Self.manualURN }

    func launch(_ request: EnvironmentLaunchRequest) async throws -> any RunningEnvironment {
        Nothing()
    }

    struct Nothing: RunningEnvironment {
        func exitDescription(waitingUpTo timeout: Duration) async -> String? { nil }
        var recentOutput: [String] { [] }
        func stop() async {}
    }
}

/// What a fake harness does with one instruction.
enum FakeAction: Sendable {
    case respond(Org_Apache_Beam_Model_FnExecution_V1_InstructionResponse)
    case ignore
    /// Closes the control stream, as a crashing harness would.
    case disconnect
}

/// Plays an SDK harness over real gRPC against an `FnAPIServer`: opens the
/// control and data streams with `worker_id` metadata, hands each instruction
/// to the test's closure, and records every Elements message it receives.
struct FakeHarness: Sendable {
    let endpoint: String
    let workerID: String
    let received = Received()

    final class Received: Sendable {
        private let elements = Mutex<[Org_Apache_Beam_Model_FnExecution_V1_Elements]>([])
        func append(_ message: Org_Apache_Beam_Model_FnExecution_V1_Elements) { elements.withLock { $0.append(message) } }
        var all: [Org_Apache_Beam_Model_FnExecution_V1_Elements] { elements.withLock { $0 } }
    }

    /// What an instruction handler may use.
    struct Link: Sendable {
        let sendData: @Sendable (Org_Apache_Beam_Model_FnExecution_V1_Elements) -> Void
        let client: GRPCClient<HTTP2ClientTransport.Posix>

        /// Sends `requests` on a State stream and returns the responses.
        func state(
            _ requests: [Org_Apache_Beam_Model_FnExecution_V1_StateRequest]
        ) async throws -> [Org_Apache_Beam_Model_FnExecution_V1_StateResponse] {
            let state = Org_Apache_Beam_Model_FnExecution_V1_BeamFnState.Client(wrapping: client)
            return try await state.state(metadata: ["worker_id": "fake"]) { writer in
                try await writer.write(contentsOf: requests)
            } onResponse: { response in
                var answers: [Org_Apache_Beam_Model_FnExecution_V1_StateResponse] = []
                for try await answer in response.messages {
                    answers.append(answer)
                    if answers.count == requests.count { break }
                }
                return answers
            }
        }
    }

    /// Runs until the server ends the control stream or `handle` disconnects.
    func run(
        handle: @escaping @Sendable (Org_Apache_Beam_Model_FnExecution_V1_InstructionRequest, Link) async throws -> FakeAction
    ) async throws {
        let parts = endpoint.split(separator: ":")
        let transport = try HTTP2ClientTransport.Posix(
            target: .ipv4(address: String(parts[0]), port: Int(parts[1])!), transportSecurity: .plaintext)
        try await withGRPCClient(transport: transport) { client in
            let control = Org_Apache_Beam_Model_FnExecution_V1_BeamFnControl.Client(wrapping: client)
            let data = Org_Apache_Beam_Model_FnExecution_V1_BeamFnData.Client(wrapping: client)
            let (dataOut, dataSink) = AsyncStream<Org_Apache_Beam_Model_FnExecution_V1_Elements>.makeStream()
            let (controlOut, controlSink) = AsyncStream<Org_Apache_Beam_Model_FnExecution_V1_InstructionResponse>.makeStream()
            let link = Link(sendData: { dataSink.yield($0) }, client: client)
            let metadata: Metadata = ["worker_id": "\(workerID)"]
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await data.data(metadata: metadata) { writer in
                        for await message in dataOut { try await writer.write(message) }
                    } onResponse: { response in
                        for try await message in response.messages { received.append(message) }
                    }
                }
                try await control.control(metadata: metadata) { writer in
                    for await message in controlOut { try await writer.write(message) }
                } onResponse: { response in
                    for try await instruction in response.messages {
                        switch try await handle(instruction, link) {
                        case .respond(let answer): controlSink.yield(answer)
                        case .ignore: break
                        case .disconnect:
                            controlSink.finish()
                            return
                        }
                    }
                }
                controlSink.finish()
                dataSink.finish()
                group.cancelAll()
            }
        }
    }
}

/// A test logger: silent unless WORKER_TEST_LOG names a level.
func testLogger(_ label: String = "worker-test") -> Logger {
    guard let name = ProcessInfo.processInfo.environment["WORKER_TEST_LOG"], let level = Logger.Level(rawValue: name) else {
        return Logger(label: label) { _ in SwiftLogNoOpLogHandler() }
    }
    return Logger(label: label) { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = level
        return handler
    }
}
