import BeamModel
import Foundation
import GRPCCore
import GRPCInProcessTransport
import Testing
@testable import JobService

/// The bearer-token rules: who passes, what a refusal says, token files, and
/// the interceptor over a real gRPC server (in-process peers are not loopback).
@Suite struct AccessPolicyTests {
    private let token = "0123456789abcdef0123"

    @Test func withoutATokenEveryonePasses() {
        #expect(AccessPolicy.open.decide(peerHost: "203.0.113.9", bearer: nil) == .allowed)
        #expect(AccessPolicy.open.decide(peerHost: nil, bearer: "anything") == .allowed)
        #expect(!AccessPolicy.open.requiresToken)
    }

    @Test func loopbackPassesOnlyWhileTrusted() {
        let trusting = AccessPolicy(token: token, trustsLoopback: true)
        for host in ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"] {
            #expect(trusting.decide(peerHost: host, bearer: nil) == .allowed, "\(host)")
        }
        for host in ["10.0.0.1", "128.0.0.1", "::2", "localhost", "127.0.0", "127.0.0.1.5"] {
            #expect(trusting.decide(peerHost: host, bearer: nil) == .missingToken, "\(host)")
        }
        #expect(trusting.decide(peerHost: nil, bearer: nil) == .missingToken)
        let strict = AccessPolicy(token: token, trustsLoopback: false)
        #expect(strict.decide(peerHost: "127.0.0.1", bearer: nil) == .missingToken)
        #expect(strict.decide(peerHost: "127.0.0.1", bearer: token) == .allowed)
    }

    @Test func onlyTheExactTokenPasses() {
        let policy = AccessPolicy(token: token, trustsLoopback: false)
        #expect(policy.decide(peerHost: "10.0.0.1", bearer: token) == .allowed)
        #expect(policy.decide(peerHost: "10.0.0.1", bearer: token + "x") == .wrongToken)
        #expect(policy.decide(peerHost: "10.0.0.1", bearer: String(token.dropLast())) == .wrongToken)
        #expect(AccessPolicy.refusal(.missingToken).contains("--auth-token-file"))
        #expect(AccessPolicy.refusal(.wrongToken).contains("does not match"))
    }

    @Test func headersAndPeersAreParsed() {
        #expect(AccessPolicy.bearerToken(fromAuthorization: "Bearer abc") == "abc")
        #expect(AccessPolicy.bearerToken(fromAuthorization: "bearer  abc ") == "abc")
        #expect(AccessPolicy.bearerToken(fromAuthorization: "Basic abc") == nil)
        #expect(AccessPolicy.bearerToken(fromAuthorization: "Bearer") == nil)
        #expect(AccessPolicy.host(ofGRPCPeer: "ipv4:127.0.0.1:4000") == "127.0.0.1")
        #expect(AccessPolicy.host(ofGRPCPeer: "ipv6:[::1]:4000") == "::1")
        #expect(AccessPolicy.host(ofGRPCPeer: "in-process:27182") == nil)
        #expect(AccessPolicy.host(ofGRPCPeer: "unix:/tmp/socket") == nil)
    }

    @Test func theSessionCookieIsDerivedAndChecked() throws {
        let policy = AccessPolicy(token: token, trustsLoopback: true)
        let cookie = try #require(policy.sessionCookieValue)
        #expect(cookie != token && cookie.count == 64)
        #expect(policy.acceptsSessionCookie(cookie))
        #expect(!policy.acceptsSessionCookie(String(cookie.dropLast()) + (cookie.hasSuffix("0") ? "1" : "0")))
        #expect(!policy.acceptsSessionCookie(token))
        #expect(AccessPolicy(token: token + "x", trustsLoopback: true).sessionCookieValue != cookie)
    }

    @Test func tokenFilesNeedALongFirstLine() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tokens-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let good = folder.appendingPathComponent("good").path
        try "  \(token)  \nsecond line\n".write(toFile: good, atomically: true, encoding: .utf8)
        #expect(try AccessPolicy.token(inFile: good) == token)
        let short = folder.appendingPathComponent("short").path
        try "abc\n".write(toFile: short, atomically: true, encoding: .utf8)
        #expect(throws: AccessPolicyError.self) { try AccessPolicy.token(inFile: short) }
        let error = #expect(throws: AccessPolicyError.self) { try AccessPolicy.token(inFile: folder.appendingPathComponent("missing").path) }
        #expect(error?.description.contains("cannot read") == true)
    }

    @Test func theInterceptorRefusesBeforeAnyHandlerAndPassesTheToken() async throws {
        let transport = InProcessTransport()
        let registry = JobRegistry()
        let policy = AccessPolicy(token: token, trustsLoopback: true)
        let service = JobManagementService(registry: registry, runner: JobRunner(executor: FailingExecutor(), logger: .init(label: "test")),
                                           logger: .init(label: "test")) { _ in "localhost:0" }
        try await withGRPCServer(transport: transport.server, services: [service], interceptors: [AccessInterceptor(policy: policy)]) { _ in
            try await withGRPCClient(transport: transport.client) { client in
                let jobs = JobServiceAPI.Client(wrapping: client)
                let refused = await #expect(throws: RPCError.self) { _ = try await jobs.getJobs(GetJobsRequest()) }
                #expect(refused?.code == .unauthenticated)
                #expect(refused?.message.contains("--auth-token-file") == true)
                let wrong = await #expect(throws: RPCError.self) {
                    _ = try await jobs.getJobs(GetJobsRequest(), metadata: ["authorization": "Bearer not-the-token-at-all"])
                }
                #expect(wrong?.message.contains("does not match") == true)
                let prepared = try await jobs.prepare(.with { $0.pipeline = impulsePipeline() },
                                                      metadata: ["authorization": "Bearer \(token)"])
                #expect(!prepared.preparationID.isEmpty)
                #expect(registry.all.count == 1)
            }
        }
    }
}
