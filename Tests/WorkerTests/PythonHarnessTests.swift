import BeamModel
import Foundation
import Synchronization
import Testing
@testable import Worker

#if canImport(Glibc)
import Glibc
#endif

/// The Fn API server driving the real Beam Python SDK harness (PROCESS and
/// EXTERNAL environments). Serialized: each harness start costs seconds of CPU.
@Suite(.serialized, .timeLimit(.minutes(3))) struct PythonHarnessTests {
    private static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("worker-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    private static func values(_ result: BundleResult, sink: String) throws -> [String] {
        try PythonSDK.decode(result.outputs[sink] ?? []).map { String(decoding: $0, as: UTF8.self) }
    }

    @Test func processHarnessRunsBundlesFailuresAndSideInputs() async throws {
        let generated = try await PythonSDK.generated()
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let pidFile = directory.appendingPathComponent("harness.pid")
        let logs = Mutex<[Org_Apache_Beam_Model_FnExecution_V1_LogEntry]>([])
        let server = try await FnAPIServer.start(logSink: { entry in logs.withLock { $0.append(entry) } }, logger: testLogger())

        let worker = try await server.startWorker(
            id: "py-process", environment: try PythonSDK.processEnvironment(in: directory, pidFile: pidFile), timeout: .seconds(60))
        try await worker.register([
            try PythonSDK.descriptor(id: "exclaim", label: "Exclaim", from: generated, endpoint: server.endpoint),
            try PythonSDK.descriptor(id: "fail", label: "Fail", from: generated, endpoint: server.endpoint),
            try PythonSDK.descriptor(id: "side", label: "WithSide", from: generated, endpoint: server.endpoint),
        ])

        // A ParDo over three elements.
        let result = try await worker.processBundle(
            descriptorID: "exclaim",
            inputs: [BundleInput(transformID: "exclaim_source", elements: PythonSDK.encodeEach([Array("x".utf8), Array("yy".utf8), []]))])
        #expect(try Self.values(result, sink: "exclaim_sink") == ["x!", "yy!", "!"])
        #expect(!result.response.monitoringData.isEmpty)
        let metadata = try await worker.monitoringInfosMetadata(Array(result.response.monitoringData.keys))
        #expect(metadata.count == result.response.monitoringData.count)
        #expect(metadata.values.allSatisfy { !$0.urn.isEmpty })

        // Several MiB in and out; and an empty bundle.
        let many = (0..<3000).map { i in Array(String(format: "%04d", i).utf8) + [UInt8](repeating: 0x61, count: 1000) }
        let large = try await worker.processBundle(
            descriptorID: "exclaim", inputs: [BundleInput(transformID: "exclaim_source", elements: PythonSDK.encodeEach(many))])
        #expect(try PythonSDK.decode(large.outputs["exclaim_sink"] ?? []) == many.map { $0 + Array("!".utf8) })
        let empty = try await worker.processBundle(descriptorID: "exclaim", inputs: [BundleInput(transformID: "exclaim_source", elements: [])])
        #expect(try Self.values(empty, sink: "exclaim_sink") == [])

        // A DoFn that raises: the Python traceback comes back verbatim.
        await #expect {
            try await worker.processBundle(
                descriptorID: "fail", inputs: [BundleInput(transformID: "fail_source", elements: PythonSDK.encodeEach([Array("z".utf8)]))])
        } throws: { error in
            guard case WorkerError.bundleFailed(_, let message) = error else { return false }
            return message.contains("Traceback") && message.contains("ValueError: boom from the DoFn: b'z'")
        }

        // A side input served through the State API.
        let sideHandler = IterableSideInput(values: [Array("s1".utf8), Array("s2".utf8)])
        let withSide = try await worker.processBundle(
            descriptorID: "side",
            inputs: [BundleInput(transformID: "side_source", elements: PythonSDK.encodeEach([Array("m".utf8)]))],
            stateHandler: sideHandler)
        #expect(try Self.values(withSide, sink: "side_sink") == ["m|s1,s2"])
        #expect(sideHandler.requests.withLock { $0 } >= 1)

        // The failure was also logged by the harness through the Logging service.
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline, !logs.withLock({ $0.contains { $0.severity == .error } }) {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(logs.withLock { $0.contains { $0.severity == .error && ($0.message + $0.trace).contains("boom") } })

        let pid = try #require(Int32(String(contentsOf: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        await worker.stop()
        #expect(kill(pid, 0) == -1)  // stopped and reaped
        await server.stop()
    }

    @Test func killedHarnessFailsPendingAndLaterBundles() async throws {
        let generated = try await PythonSDK.generated()
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let pidFile = directory.appendingPathComponent("harness.pid")
        let server = try await FnAPIServer.start(logger: testLogger())

        let worker = try await server.startWorker(
            id: "py-doomed", environment: try PythonSDK.processEnvironment(in: directory, pidFile: pidFile), timeout: .seconds(60))
        try await worker.register([try PythonSDK.descriptor(id: "slow", label: "Slow", from: generated, endpoint: server.endpoint)])
        let pid = try #require(Int32(String(contentsOf: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))

        let clock = ContinuousClock()
        var killedAt = clock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                await #expect {
                    try await worker.processBundle(
                        descriptorID: "slow", inputs: [BundleInput(transformID: "slow_source", elements: PythonSDK.encodeEach([[1]]))])
                } throws: { error in
                    guard case WorkerError.workerDied(let reason) = error else { return false }
                    return reason.contains("killed by signal 9")
                }
            }
            try await Task.sleep(for: .seconds(1))
            killedAt = clock.now
            kill(pid, SIGKILL)
            try await group.waitForAll()
        }
        #expect(clock.now - killedAt < .seconds(5))
        await #expect {
            try await worker.processBundle(descriptorID: "slow", inputs: [])
        } throws: { error in
            if case WorkerError.workerDied = error { true } else { false }
        }
        await worker.stop()
        await server.stop()
    }

    @Test func externalWorkerPoolRunsABundle() async throws {
        let generated = try await PythonSDK.generated()
        let pool = try await PythonSDK.startWorkerPool()
        defer {
            // The pool ignores SIGTERM.
            kill(pool.process.processIdentifier, SIGKILL)
            pool.process.waitUntilExit()
        }
        let server = try await FnAPIServer.start(logger: testLogger())
        let environment = Org_Apache_Beam_Model_Pipeline_V1_Environment.with {
            $0.urn = "beam:env:external:v1"
            $0.payload = try! Org_Apache_Beam_Model_Pipeline_V1_ExternalPayload.with {
                $0.endpoint.url = pool.endpoint
            }.serializedData()
        }
        let worker = try await server.startWorker(id: "py-external", environment: environment, timeout: .seconds(60))
        try await worker.register([try PythonSDK.descriptor(id: "exclaim", label: "Exclaim", from: generated, endpoint: server.endpoint)])
        let result = try await worker.processBundle(
            descriptorID: "exclaim",
            inputs: [BundleInput(transformID: "exclaim_source", elements: PythonSDK.encodeEach([Array("a".utf8), Array("b".utf8), Array("c".utf8)]))])
        #expect(try Self.values(result, sink: "exclaim_sink") == ["a!", "b!", "c!"])
        await worker.stop()
        await server.stop()
    }
}

extension PythonHarnessTests {
    /// DOCKER through a stand-in container CLI that runs the boot script
    /// instead of a container, recording how it was called.
    @Test func dockerEnvironmentRunsTheImageWithBootFlags() async throws {
        let generated = try await PythonSDK.generated()
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let pidFile = directory.appendingPathComponent("harness.pid")
        let calls = directory.appendingPathComponent("calls.txt")
        let process = try PythonSDK.processEnvironment(in: directory, pidFile: pidFile)
        let boot = try Org_Apache_Beam_Model_Pipeline_V1_ProcessPayload(serializedBytes: process.payload)
        let cli = directory.appendingPathComponent("fake-docker")
        try """
            #!/bin/sh
            echo "$@" >> '\(calls.path)'
            case "$1" in rm|info|image|ps) exit 0 ;; esac
            shift
            while [ $# -gt 0 ]; do case "$1" in --*) shift ;; *) break ;; esac; done
            shift
            export BEAM_TEST_PYTHON='\(boot.env["BEAM_TEST_PYTHON"]!)' PID_FILE='\(pidFile.path)'
            exec '\(boot.command)' "$@"
            """.write(to: cli, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: cli.path)

        let server = try await FnAPIServer.start(
            launchers: .standard.adding(DockerEnvironmentLauncher(engine: ContainerEngine(choice: cli.path), memory: "2g", cpus: "1.5")), logger: testLogger())
        let environment = Org_Apache_Beam_Model_Pipeline_V1_Environment.with {
            $0.urn = "beam:env:docker:v1"
            $0.payload = try! Org_Apache_Beam_Model_Pipeline_V1_DockerPayload.with { $0.containerImage = "example/beam-python:test" }.serializedData()
        }
        let worker = try await server.startWorker(id: "py-docker", environment: environment, timeout: .seconds(60))
        try await worker.register([try PythonSDK.descriptor(id: "exclaim", label: "Exclaim", from: generated, endpoint: server.endpoint)])
        let result = try await worker.processBundle(
            descriptorID: "exclaim", inputs: [BundleInput(transformID: "exclaim_source", elements: PythonSDK.encodeEach([Array("d".utf8)]))])
        #expect(try Self.values(result, sink: "exclaim_sink") == ["d!"])
        await worker.stop()
        await server.stop()

        let lines = try String(contentsOf: calls, encoding: .utf8).split(separator: "\n").map(String.init)
        // The engine answers, the image is present, the container runs and is removed; shutdown finds nothing left.
        #expect(lines.count == 5)
        #expect(lines.first == "info")
        #expect(lines.dropFirst().first == "image inspect --format {{.Id}} example/beam-python:test")
        let run = try #require(lines.dropFirst(2).first)
        #expect(run.hasPrefix("run --rm --network=host --name=beam-py-docker-"))
        #expect(run.contains(" --label=org.apache.beam.job-server.instance="))
        #expect(run.contains(" --memory=2g --cpus=1.5 example/beam-python:test --id=py-docker --provision_endpoint=\(server.endpoint) --control_endpoint=\(server.endpoint)"))
        #expect(run.hasSuffix(" --semi_persist_dir=/tmp"))
        let name = try #require(run.split(separator: " ").first { $0.hasPrefix("--name=") }?.dropFirst("--name=".count))
        #expect(lines.dropFirst(3).first == "rm -f \(name)")
        #expect(lines.last?.hasPrefix("ps -aq --filter label=org.apache.beam.job-server.instance=") == true)
    }
}

/// Serves one iterable side input (Python's AsList) and counts the requests.
private final class IterableSideInput: BundleStateHandler {
    let values: [[UInt8]]
    let requests = Mutex(0)

    init(values: [[UInt8]]) {
        self.values = values
    }

    func handle(_ request: Org_Apache_Beam_Model_FnExecution_V1_StateRequest) async -> Org_Apache_Beam_Model_FnExecution_V1_StateResponse {
        requests.withLock { $0 += 1 }
        guard case .iterableSideInput = request.stateKey.type, case .get = request.request else {
            return .with { $0.error = "unexpected state request \(request)" }
        }
        // Bytes in the nested context: length-prefixed.
        let page = StatePaging.page(values.map { PythonSDK.varint($0.count) + $0 }, continuationToken: request.get.continuationToken)
        return .with { $0.get = page ?? .init() }
    }
}
