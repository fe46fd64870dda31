import BeamModel
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Synchronization
import Testing
@testable import Worker

private typealias Descriptor = Org_Apache_Beam_Model_FnExecution_V1_ProcessBundleDescriptor
private typealias Instruction = Org_Apache_Beam_Model_FnExecution_V1_InstructionRequest
private typealias Answer = Org_Apache_Beam_Model_FnExecution_V1_InstructionResponse
private typealias Elements = Org_Apache_Beam_Model_FnExecution_V1_Elements

/// The server against a harness the test plays over real gRPC: protocol
/// details (ordering, buffering, routing, failures) without Python.
@Suite(.timeLimit(.minutes(1))) struct FnAPIServerTests {
    private static let timerKey = BundleTimerKey(transformID: "pardo", timerFamilyID: "tf")

    /// Sources "src" and "src2", a ParDo with timer family "tf", sink "sink".
    private static func descriptor(_ id: String, endpoint: String) -> Descriptor {
        let port = try! Org_Apache_Beam_Model_FnExecution_V1_RemoteGrpcPort.with {
            $0.apiServiceDescriptor.url = endpoint
            $0.coderID = "c"
        }.serializedData()
        return .with {
            $0.id = id
            $0.transforms["src"] = .with { $0.spec.urn = "beam:runner:source:v1"; $0.spec.payload = port; $0.outputs["o"] = "p1" }
            $0.transforms["src2"] = .with { $0.spec.urn = "beam:runner:source:v1"; $0.spec.payload = port; $0.outputs["o"] = "p1" }
            $0.transforms["pardo"] = .with {
                $0.spec.urn = "beam:transform:pardo:v1"
                $0.spec.payload = try! Org_Apache_Beam_Model_Pipeline_V1_ParDoPayload.with {
                    $0.timerFamilySpecs["tf"] = .with { $0.timerFamilyCoderID = "c" }
                }.serializedData()
                $0.inputs["i"] = "p1"
                $0.outputs["o"] = "p2"
            }
            $0.transforms["sink"] = .with { $0.spec.urn = "beam:runner:sink:v1"; $0.spec.payload = port; $0.inputs["i"] = "p2" }
            $0.timerApiServiceDescriptor.url = endpoint
            $0.stateApiServiceDescriptor.url = endpoint
        }
    }

    private static let manualEnvironment = Org_Apache_Beam_Model_Pipeline_V1_Environment.with {
        $0.urn = ManualEnvironmentLauncher.manualURN
        $0.dependencies = [.with { $0.typeUrn = "beam:artifact:type:file:v1"; $0.roleUrn = "beam:artifact:role:staging_to:v1" }]
    }

    /// Starts a server, a fake harness playing `handle`, and a worker for it.
    private func withFakeWorker(
        handle: @escaping @Sendable (Instruction, FakeHarness.Link) async throws -> FakeAction,
        _ body: @Sendable (FnAPIServer, SDKWorker, FakeHarness) async throws -> Void
    ) async throws {
        let server = try await FnAPIServer.start(
            provisionInfo: .with { $0.retrievalToken = "token" },
            launchers: .standard.adding(ManualEnvironmentLauncher()), logger: testLogger())
        let harness = FakeHarness(endpoint: server.endpoint, workerID: "fake-1")
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await harness.run(handle: handle) }
                let worker = try await server.startWorker(id: "fake-1", environment: Self.manualEnvironment, timeout: .seconds(10))
                try await body(server, worker, harness)
                await worker.stop()
                try await group.waitForAll()
            }
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    private static func outputs(_ instructionID: String, _ text: String) -> Elements {
        .with {
            $0.data = [
                .with { $0.instructionID = instructionID; $0.transformID = "sink"; $0.data = Data(text.utf8) },
                .with { $0.instructionID = instructionID; $0.transformID = "sink"; $0.data = Data("+".utf8) },
                .with { $0.instructionID = instructionID; $0.transformID = "sink"; $0.isLast = true },
            ]
            $0.timers = [
                .with { $0.instructionID = instructionID; $0.transformID = "pardo"; $0.timerFamilyID = "tf"; $0.timers = Data([7]) },
                .with { $0.instructionID = instructionID; $0.transformID = "pardo"; $0.timerFamilyID = "tf"; $0.isLast = true },
            ]
        }
    }

    private static func ok(_ instruction: Instruction) -> FakeAction {
        .respond(.with {
            $0.instructionID = instruction.instructionID
            switch instruction.request {
            case .processBundle: $0.processBundle = .with { $0.requiresFinalization = true }
            case .monitoringInfos(let request):
                $0.monitoringInfos = .with {
                    for id in request.monitoringInfoID { $0.monitoringInfo[id] = .with { $0.urn = "beam:metric:\(id)" } }
                }
            default: $0.register = .init()
            }
        })
    }

    @Test func bundleCompletesWhetherDataOrResponseArrivesFirst() async throws {
        try await withFakeWorker { instruction, link in
            guard case .processBundle(let request) = instruction.request else { return Self.ok(instruction) }
            let id = instruction.instructionID
            if request.processBundleDescriptorID == "data-first" {
                link.sendData(Self.outputs(id, "early"))
                try await Task.sleep(for: .milliseconds(100))
                return Self.ok(instruction)
            }
            Task {
                try await Task.sleep(for: .milliseconds(150))
                link.sendData(Self.outputs(id, "late"))
            }
            return Self.ok(instruction)
        } _: { server, worker, harness in
            try await worker.register([Self.descriptor("data-first", endpoint: server.endpoint),
                                       Self.descriptor("response-first", endpoint: server.endpoint)])
            let elements = (0..<2_500).map { i in (0..<1_000).map { UInt8(truncatingIfNeeded: i &+ $0) } }
            let big = Array(elements.joined())
            let first = try await worker.processBundle(
                descriptorID: "data-first", inputs: [BundleInput(transformID: "src", elements: elements)],
                timers: [BundleTimerInput(transformID: "pardo", timerFamilyID: "tf", data: [1, 2])])
            #expect(first.outputs == ["sink": Array("early+".utf8)])
            #expect(first.timers == [Self.timerKey: [7]])
            #expect(first.response.requiresFinalization)

            let second = try await worker.processBundle(
                descriptorID: "response-first", inputs: [BundleInput(transformID: "src", data: big)])
            #expect(second.outputs == ["sink": Array("late+".utf8)])
            #expect(second.timers == [Self.timerKey: [7]])
            #expect(first.instructionID != second.instructionID)

            // What the harness got for the first bundle: the input in ~1 MiB pieces cut
            // between elements, then is_last for both sources (src2 got no data) and the timer family.
            let sent = harness.received.all.flatMap(\.data).filter { $0.instructionID == first.instructionID }
            let pieces = sent.filter { !$0.isLast }
            #expect(pieces.map(\.data.count) == [1_049_000, 1_049_000, 402_000])
            #expect(pieces.allSatisfy { $0.transformID == "src" })
            #expect(Array(pieces.map(\.data).reduce(Data(), +)) == big)
            #expect(Set(sent.filter(\.isLast).map(\.transformID)) == ["src", "src2"])
            let timers = harness.received.all.flatMap(\.timers).filter { $0.instructionID == first.instructionID }
            #expect(timers.map(\.timers) == [Data([1, 2]), Data()])
            #expect(timers.last?.isLast == true && timers.last?.timerFamilyID == "tf")
            // Without element boundaries the input goes as one message.
            let secondSent = harness.received.all.flatMap(\.data).filter { $0.instructionID == second.instructionID }
            #expect(secondSent.filter { !$0.isLast }.map(\.data.count) == [big.count])
            #expect(Set(secondSent.filter(\.isLast).map(\.transformID)) == ["src", "src2"])

            #expect(try await worker.monitoringInfosMetadata(["m1"])["m1"]?.urn == "beam:metric:m1")
        }
    }

    @Test func dataForABundleNotYetStartedIsKept() async throws {
        try await withFakeWorker { instruction, link in
            if case .register = instruction.request {
                // Ids are "inst-N" per server: register is inst-1, the bundle inst-2.
                link.sendData(Self.outputs("inst-2", "ahead"))
            }
            return Self.ok(instruction)
        } _: { server, worker, _ in
            try await worker.register([Self.descriptor("d", endpoint: server.endpoint)])
            try await Task.sleep(for: .milliseconds(200))
            let result = try await worker.processBundle(descriptorID: "d", inputs: [BundleInput(transformID: "src", data: [1])])
            #expect(result.instructionID == "inst-2")
            #expect(result.outputs == ["sink": Array("ahead+".utf8)])
        }
    }

    @Test func bundleErrorsCarryTheSDKTextVerbatim() async throws {
        let traceback = "Traceback (most recent call last):\n  File \"x.py\", line 1\nValueError: boom"
        try await withFakeWorker { instruction, _ in
            guard case .processBundle = instruction.request else { return Self.ok(instruction) }
            return .respond(.with { $0.instructionID = instruction.instructionID; $0.error = traceback })
        } _: { server, worker, _ in
            try await worker.register([Self.descriptor("d", endpoint: server.endpoint)])
            await #expect(throws: WorkerError.bundleFailed(instructionID: "inst-2", message: traceback)) {
                try await worker.processBundle(descriptorID: "d", inputs: [])
            }
            await #expect(throws: WorkerError.unknownDescriptor("nope")) {
                try await worker.processBundle(descriptorID: "nope", inputs: [])
            }
            // The worker is still usable.
            #expect(try await worker.monitoringInfosMetadata(["m"]).count == 1)
        }
    }

    @Test func stateRequestsReachTheRunningBundlesHandler() async throws {
        let answers = Mutex<[Org_Apache_Beam_Model_FnExecution_V1_StateResponse]>([])
        try await withFakeWorker { instruction, link in
            guard case .processBundle = instruction.request else { return Self.ok(instruction) }
            let get = Org_Apache_Beam_Model_FnExecution_V1_StateRequest.with {
                $0.id = "s1"
                $0.instructionID = instruction.instructionID
                $0.stateKey.bagUserState = .with { $0.userStateID = "bag"; $0.key = Data([1]) }
                $0.get = .init()
            }
            let stray = Org_Apache_Beam_Model_FnExecution_V1_StateRequest.with {
                $0.id = "s2"
                $0.instructionID = "inst-999"
                $0.get = .init()
            }
            let got = try await link.state([get, stray])
            answers.withLock { $0 = got }
            link.sendData(Self.outputs(instruction.instructionID, "x"))
            return Self.ok(instruction)
        } _: { server, worker, _ in
            try await worker.register([Self.descriptor("d", endpoint: server.endpoint)])
            _ = try await worker.processBundle(descriptorID: "d", inputs: [], stateHandler: EchoStateHandler())
        }
        let got = answers.withLock { $0 }
        #expect(got.count == 2)
        #expect(got.first?.id == "s1")
        #expect(got.first?.get.data == Data("bag:inst-2".utf8))
        #expect(got.first?.error == "")
        #expect(got.last?.id == "s2")
        #expect(got.last?.error.contains("inst-999") == true)
    }

    @Test func harnessDisconnectFailsPendingAndLaterCalls() async throws {
        try await withFakeWorker { instruction, _ in
            guard case .processBundle = instruction.request else { return Self.ok(instruction) }
            return .disconnect
        } _: { server, worker, _ in
            try await worker.register([Self.descriptor("d", endpoint: server.endpoint)])
            let clock = ContinuousClock()
            let started = clock.now
            await #expect {
                try await worker.processBundle(descriptorID: "d", inputs: [BundleInput(transformID: "src", data: [1])])
            } throws: { error in
                guard case WorkerError.workerDied(let reason) = error else { return false }
                return reason.contains("closed its control stream")
            }
            #expect(clock.now - started < .seconds(10))
            #expect(worker.deathReason != nil)
            await #expect {
                try await worker.processBundle(descriptorID: "d", inputs: [])
            } throws: { error in
                if case WorkerError.workerDied = error { true } else { false }
            }
        }
    }

    @Test func cancellingTheCallerAbandonsTheBundle() async throws {
        try await withFakeWorker { instruction, link in
            guard case .processBundle(let request) = instruction.request else { return Self.ok(instruction) }
            if request.processBundleDescriptorID == "stuck" {
                // Answers long after the runner gave up; the late output must be dropped.
                Task {
                    try await Task.sleep(for: .milliseconds(300))
                    link.sendData(Self.outputs(instruction.instructionID, "late"))
                }
                try await Task.sleep(for: .milliseconds(400))
            }
            link.sendData(Self.outputs(instruction.instructionID, "ok"))
            return Self.ok(instruction)
        } _: { server, worker, _ in
            try await worker.register([Self.descriptor("stuck", endpoint: server.endpoint),
                                       Self.descriptor("fine", endpoint: server.endpoint)])
            let stuck = Task { try await worker.processBundle(descriptorID: "stuck", inputs: []) }
            try await Task.sleep(for: .milliseconds(50))
            stuck.cancel()
            await #expect(throws: CancellationError.self) { try await stuck.value }
            let fine = try await worker.processBundle(descriptorID: "fine", inputs: [])
            #expect(fine.outputs == ["sink": Array("ok+".utf8)])
        }
    }

    @Test func descriptorsAndProvisionInfoAreServed() async throws {
        try await withFakeWorker { instruction, _ in Self.ok(instruction) } _: { server, worker, _ in
            try await worker.register([Self.descriptor("d", endpoint: server.endpoint)])
            let parts = server.endpoint.split(separator: ":")
            let transport = try HTTP2ClientTransport.Posix(
                target: .ipv4(address: String(parts[0]), port: Int(parts[1])!), transportSecurity: .plaintext)
            try await withGRPCClient(transport: transport) { client in
                let control = Org_Apache_Beam_Model_FnExecution_V1_BeamFnControl.Client(wrapping: client)
                let fetched = try await control.getProcessBundleDescriptor(.with { $0.processBundleDescriptorID = "d" })
                #expect(fetched == Self.descriptor("d", endpoint: server.endpoint))
                await #expect(throws: RPCError.self) {
                    try await control.getProcessBundleDescriptor(.with { $0.processBundleDescriptorID = "missing" })
                }
                let provision = Org_Apache_Beam_Model_FnExecution_V1_ProvisionService.Client(wrapping: client)
                let info = try await provision.getProvisionInfo(.init(), metadata: ["worker_id": "fake-1"]).info
                #expect(info.retrievalToken == "token")
                #expect(info.controlEndpoint.url == server.endpoint)
                #expect(info.loggingEndpoint.url == server.endpoint)
                #expect(info.artifactEndpoint.url == server.endpoint)
                #expect(info.dependencies == Self.manualEnvironment.dependencies)
            }
        }
    }

    @Test func startWorkerFailsClearlyWhenTheEnvironmentCannotRun() async throws {
        let server = try await FnAPIServer.start(
            launchers: EnvironmentLaunchers([
                DockerEnvironmentLauncher(engine: ContainerEngine(choice: "no-such-container-cli")),
                ProcessEnvironmentLauncher(), ManualEnvironmentLauncher(),
            ]),
            logger: testLogger())

        await #expect(throws: WorkerError.self) {
            try await server.startWorker(id: "w1", environment: .with { $0.urn = "beam:env:unknown:v1" })
        }
        await #expect {
            try await server.startWorker(id: "w2", environment: .with {
                $0.urn = "beam:env:docker:v1"
                $0.payload = try! Org_Apache_Beam_Model_Pipeline_V1_DockerPayload.with { $0.containerImage = "apache/beam_python3.11_sdk" }.serializedData()
            })
        } throws: { error in
            guard case WorkerError.environmentUnavailable(let why) = error else { return false }
            return why.contains("no container engine can run the DOCKER environment 'apache/beam_python3.11_sdk'")
                && why.contains("no-such-container-cli: not installed") && why.contains("--environment_type=LOOPBACK")
        }
        // A command that exits at once: the worker dies before connecting, with its output.
        await #expect {
            try await server.startWorker(id: "w3", environment: .with {
                $0.urn = "beam:env:process:v1"
                $0.payload = try! Org_Apache_Beam_Model_Pipeline_V1_ProcessPayload.with {
                    $0.command = "sh -c 'echo harness cannot start >&2; exit 3'"
                }.serializedData()
            }, timeout: .seconds(20))
        } throws: { error in
            guard case WorkerError.workerDied(let why) = error else { return false }
            return why.contains("status 3") && why.contains("harness cannot start")
        }
        await #expect {
            try await server.startWorker(id: "w4", environment: .with { $0.urn = ManualEnvironmentLauncher.manualURN }, timeout: .milliseconds(300))
        } throws: { error in
            if case WorkerError.startTimedOut(workerID: "w4", _) = error { true } else { false }
        }
        #expect(server.worker(id: "w4") == nil)
        await server.stop()
    }

    @Test func inputBatchesNeverSplitAnElement() {
        let input = BundleInput(transformID: "t", elements: [[1, 1, 1], [2], [3, 3], [4, 4, 4, 4]])
        #expect(input.data == [1, 1, 1, 2, 3, 3, 4, 4, 4, 4])
        #expect(input.batches(of: 3).map(Array.init) == [[1, 1, 1], [2, 3, 3], [4, 4, 4, 4]])
        #expect(input.batches(of: 100).map(Array.init) == [input.data])
        #expect(BundleInput(transformID: "t", data: [9, 9]).batches(of: 1).map(Array.init) == [[9, 9]])
        #expect(BundleInput(transformID: "t", elements: []).batches(of: 1).isEmpty)
    }

    @Test func statePagingSplitsBetweenElements() throws {
        let elements: [[UInt8]] = [[1, 1], [2, 2, 2], [3], [4, 4, 4, 4, 4]]
        let first = try #require(StatePaging.page(elements, continuationToken: Data(), maxBytes: 5))
        #expect(Array(first.data) == [1, 1, 2, 2, 2])
        let second = try #require(StatePaging.page(elements, continuationToken: first.continuationToken, maxBytes: 5))
        #expect(Array(second.data) == [3])
        let third = try #require(StatePaging.page(elements, continuationToken: second.continuationToken, maxBytes: 5))
        #expect(Array(third.data) == [4, 4, 4, 4, 4])
        #expect(third.continuationToken.isEmpty)
        #expect(StatePaging.page(elements, continuationToken: Data("x".utf8)) == nil)
        #expect(StatePaging.page([], continuationToken: Data())?.data.isEmpty == true)
    }

    @Test func descriptorShapeFindsSourcesSinksAndTimers() {
        let shape = DescriptorShape(Self.descriptor("d", endpoint: "e:1"))
        #expect(shape.sources == ["src", "src2"])
        #expect(shape.sinks == ["sink"])
        #expect(shape.timerFamilies == [Self.timerKey])
        var noTimerEndpoint = Self.descriptor("d", endpoint: "e:1")
        noTimerEndpoint.clearTimerApiServiceDescriptor()
        #expect(DescriptorShape(noTimerEndpoint).timerFamilies.isEmpty)
    }
}

/// Answers every get with "<user state id>:<instruction id>".
private struct EchoStateHandler: BundleStateHandler {
    func handle(_ request: Org_Apache_Beam_Model_FnExecution_V1_StateRequest) async -> Org_Apache_Beam_Model_FnExecution_V1_StateResponse {
        .with {
            $0.get = .with { $0.data = Data("\(request.stateKey.bagUserState.userStateID):\(request.instructionID)".utf8) }
        }
    }
}
