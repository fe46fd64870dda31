import JobService
import Testing
@testable import Web

/// The web UI's access rules: pages get the sign-in form, the API and
/// /metrics a JSON 401; a bearer header or the session cookie passes.
@Suite struct WebAccessTests {
    private let token = "0123456789abcdef0123"
    private var access: WebAccess { WebAccess(policy: AccessPolicy(token: token, trustsLoopback: true)) }

    @Test func refusedPagesSignInAndRefusedDataGetsAnError() {
        #expect(access.decide(path: "/", peerHost: "10.1.2.3", authorization: nil, sessionCookie: nil) == .signIn(next: "/"))
        #expect(access.decide(path: "/jobs/7", peerHost: "10.1.2.3", authorization: nil, sessionCookie: nil) == .signIn(next: "/jobs/7"))
        for path in ["/api/jobs", "/metrics", "/assets/app.js"] {
            guard case .refuse(let message) = access.decide(path: path, peerHost: "10.1.2.3", authorization: nil, sessionCookie: nil) else {
                Issue.record("\(path) was not refused"); continue
            }
            #expect(message.contains("--auth-token-file"))
        }
        #expect(access.decide(path: "/login", peerHost: "10.1.2.3", authorization: nil, sessionCookie: nil) == .pass)
    }

    @Test func theTokenOrTheSessionCookiePasses() throws {
        #expect(access.decide(path: "/api/jobs", peerHost: "10.1.2.3", authorization: "Bearer \(token)", sessionCookie: nil) == .pass)
        guard case .refuse(let message) = access.decide(path: "/", peerHost: "10.1.2.3", authorization: "Bearer wrong-token-here", sessionCookie: nil) else {
            Issue.record("a wrong token passed"); return
        }
        #expect(message.contains("does not match"))
        let session = try #require(access.signIn(token: token))
        #expect(access.signIn(token: "wrong-token-here") == nil)
        #expect(access.decide(path: "/api/jobs", peerHost: "10.1.2.3", authorization: nil, sessionCookie: session) == .pass)
        #expect(access.decide(path: "/api/jobs", peerHost: "10.1.2.3", authorization: nil, sessionCookie: "stale") != .pass)
        #expect(access.decide(path: "/api/jobs", peerHost: "127.0.0.1", authorization: nil, sessionCookie: nil) == .pass)
        #expect(WebAccess(policy: .open).decide(path: "/api/jobs", peerHost: nil, authorization: nil, sessionCookie: nil) == .pass)
    }

    @Test func signInReturnsOnlyToThisServer() {
        #expect(WebAccess.safeNext("/jobs/3") == "/jobs/3")
        for next in [nil, "https://evil.example/", "//evil.example/", "/\\evil", "jobs"] {
            #expect(WebAccess.safeNext(next) == "/", "\(next ?? "nil")")
        }
        #expect(WebAccess.formFields("token=a%2Bb+c&next=%2Fjobs%2F1") == ["token": "a+b c", "next": "/jobs/1"])
        #expect(!WebAccess.signInPage(next: "/x\"><script>", failed: true).contains("\"><script>"))
    }
}
