import JobService
import Testing
@testable import Web

/// The web UI's access rules: pages get the sign-in form, the API and
/// /metrics a JSON 401; a bearer header or the session cookie passes; other
/// sites may not change jobs; loopback is exempt only under a loopback name.
@Suite struct WebAccessTests {
    private let token = "0123456789abcdef0123"
    private var access: WebAccess { WebAccess(policy: AccessPolicy(token: token, trustsLoopback: true)) }

    private func caller(_ path: String, method: String = "GET", peer: String? = "10.1.2.3", host: String? = "jobs.example:8074",
                        origin: String? = nil, fetchSite: String? = nil,
                        authorization: String? = nil, cookie: String? = nil) -> WebAccess.Caller {
        var caller = WebAccess.Caller()
        caller.method = method
        caller.path = path
        caller.peerHost = peer
        caller.host = host
        caller.origin = origin
        caller.fetchSite = fetchSite
        caller.authorization = authorization
        caller.sessionCookie = cookie
        return caller
    }

    @Test func refusedPagesSignInAndRefusedDataGetsAnError() {
        #expect(access.decide(caller("/")) == .signIn(next: "/"))
        #expect(access.decide(caller("/jobs/7")) == .signIn(next: "/jobs/7"))
        for path in ["/api/jobs", "/metrics", "/assets/app.js", "//login", "/login/"] {
            guard case .refuse(let message) = access.decide(caller(path)) else {
                Issue.record("\(path) was not refused"); continue
            }
            #expect(message.contains("--auth-token-file"))
        }
        #expect(access.decide(caller("/login")) == .pass)
    }

    @Test func theTokenOrTheSessionCookiePasses() throws {
        #expect(access.decide(caller("/api/jobs", authorization: "Bearer \(token)")) == .pass)
        guard case .refuse(let message) = access.decide(caller("/", authorization: "Bearer wrong-token-here")) else {
            Issue.record("a wrong token passed"); return
        }
        #expect(message.contains("does not match"))
        let session = try #require(access.signIn(token: token))
        #expect(access.signIn(token: "wrong-token-here") == nil)
        #expect(access.decide(caller("/api/jobs", cookie: session)) == .pass)
        #expect(access.decide(caller("/api/jobs", cookie: "stale")) != .pass)
        #expect(WebAccess(policy: .open).decide(caller("/api/jobs", peer: nil)) == .pass)
    }

    @Test func loopbackIsExemptOnlyUnderALoopbackName() {
        for host in ["localhost:8074", "127.0.0.1:8074", "[::1]:8074", "LOCALHOST"] {
            #expect(access.decide(caller("/api/jobs", peer: "127.0.0.1", host: host)) == .pass, "\(host)")
        }
        // DNS rebinding: a page on evil.example whose name now points at 127.0.0.1.
        for host in ["evil.example:8074", "localhost.evil.example", nil] {
            #expect(access.decide(caller("/api/jobs", peer: "127.0.0.1", host: host)) != .pass, "\(host ?? "nil")")
        }
    }

    @Test func otherSitesMayNotChangeJobsEvenWithoutAToken() {
        let open = WebAccess(policy: .open)
        let cancel = "/api/jobs/1/cancel"
        for (origin, site) in [("http://evil.example", nil), ("null", nil), (nil, "cross-site"), (nil, "same-site"),
                               ("http://localhost:3000", "same-site")] as [(String?, String?)] {
            for policy in [open, access] {
                guard case .forbid = policy.decide(caller(cancel, method: "POST", peer: "127.0.0.1", host: "localhost:8074",
                                                          origin: origin, fetchSite: site, authorization: "Bearer \(token)"))
                else { Issue.record("\(origin ?? "-") \(site ?? "-") was not forbidden"); continue }
            }
        }
        // Our own page's fetch, and clients that are not browsers.
        #expect(open.decide(caller(cancel, method: "POST", peer: "127.0.0.1", host: "localhost:8074",
                                   origin: "http://localhost:8074", fetchSite: "same-origin")) == .pass)
        #expect(open.decide(caller(cancel, method: "POST", peer: "127.0.0.1", host: "localhost:8074")) == .pass)
        // Behind a proxy that rewrites Host, the browser's Sec-Fetch-Site still says same-origin.
        #expect(open.decide(caller(cancel, method: "POST", peer: "127.0.0.1", host: "127.0.0.1:8074",
                                   origin: "https://jobs.example", fetchSite: "same-origin")) == .pass)
        // Reading is not changing: a cross-site GET is left to the token rules.
        #expect(open.decide(caller("/api/jobs", origin: "http://evil.example", fetchSite: "cross-site")) == .pass)
    }

    @Test func signInReturnsOnlyToThisServer() {
        #expect(WebAccess.safeNext("/jobs/3") == "/jobs/3")
        for next in [nil, "https://evil.example/", "//evil.example/", "/\\evil", "jobs", "/\t/evil.example", "/\n/evil", "/ /x"] {
            #expect(WebAccess.safeNext(next) == "/", "\(next ?? "nil")")
        }
        #expect(WebAccess.formFields("token=a%2Bb+c&next=%2Fjobs%2F1") == ["token": "a+b c", "next": "/jobs/1"])
        #expect(!WebAccess.signInPage(next: "/x\"><script>", failed: true).contains("\"><script>"))
    }
}
