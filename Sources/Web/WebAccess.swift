import Foundation
import JobService

/// The web UI's side of `AccessPolicy`, free of HTTP so tests call it
/// directly: which requests pass, and what a refused one gets. Browsers sign in
/// once at `/login` and then carry a session cookie; scripts and Prometheus
/// send `Authorization: Bearer <token>`.
public struct WebAccess: Sendable {
    public enum Outcome: Sendable, Equatable {
        case pass
        /// 401 with a JSON error (the API, /metrics, anything not a page).
        case refuse(String)
        /// 401 with the sign-in form, which returns to `next` afterwards.
        case signIn(next: String)
        /// 403 with a JSON error: a cross-site request that would change something.
        case forbid(String)
    }

    /// What the check reads of a request.
    public struct Caller: Sendable {
        public var method = "GET"
        public var path = "/"
        /// The connection's remote IP address.
        public var peerHost: String?
        public var host: String?
        public var origin: String?
        /// `Sec-Fetch-Site`, which browsers send with every request.
        public var fetchSite: String?
        public var authorization: String?
        public var sessionCookie: String?

        public init() {}
    }

    public static let cookieName = "beam_job_server_session"
    let policy: AccessPolicy

    public init(policy: AccessPolicy) {
        self.policy = policy
    }

    public func decide(_ caller: Caller) -> Outcome {
        // Any web page the user has open could POST here (Cancel, Drain); only our own pages may.
        if !["GET", "HEAD"].contains(caller.method), let site = Self.crossSite(caller) {
            return .forbid("Requests from other sites may not change jobs (\(site)).")
        }
        guard caller.path != "/login" else { return .pass }
        if let sessionCookie = caller.sessionCookie, policy.requiresToken, policy.acceptsSessionCookie(sessionCookie) {
            return .pass
        }
        // Loopback is exempt only under a loopback name: a page on another name that reaches
        // us through loopback (DNS rebinding, a local proxy) is treated as remote.
        let peerHost = AccessPolicy.isLoopbackName(caller.host) ? caller.peerHost : nil
        let decision = policy.decide(peerHost: peerHost, bearer: caller.authorization.flatMap(AccessPolicy.bearerToken(fromAuthorization:)))
        switch decision {
        case .allowed: return .pass
        case .wrongToken: return .refuse(AccessPolicy.refusal(.wrongToken))
        case .missingToken:
            return Self.isPage(caller.path) ? .signIn(next: caller.path) : .refuse(AccessPolicy.refusal(.missingToken))
        }
    }

    /// Why the request comes from another site, nil when it does not. A browser's own
    /// `Sec-Fetch-Site` decides when present (a proxy may rewrite Host, never this);
    /// older browsers are judged by `Origin` against Host.
    static func crossSite(_ caller: Caller) -> String? {
        if let site = caller.fetchSite?.lowercased() {
            return site == "cross-site" || site == "same-site" ? "Sec-Fetch-Site: \(site)" : nil
        }
        guard let origin = caller.origin else { return nil }
        let authority = origin.split(separator: "://", maxSplits: 1).dropFirst().first.map(String.init)
        return authority?.lowercased() == caller.host?.lowercased() ? nil : "Origin \(origin) is not \(caller.host ?? "this server")"
    }

    /// The session cookie's value for a sign-in with `token`, nil when it is not the server's.
    public func signIn(token: String) -> String? {
        guard policy.decide(peerHost: nil, bearer: token) == .allowed else { return nil }
        return policy.sessionCookieValue
    }

    /// Where a sign-in may send the browser: a path on this server only. Browsers drop
    /// tabs and newlines from URLs ("/\t/x" becomes "//x"), so no control characters.
    public static func safeNext(_ next: String?) -> String {
        guard let next, next.hasPrefix("/"), !next.hasPrefix("//"), !next.contains("\\"),
              next.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F }) else { return "/" }
        return next
    }

    /// The fields of an `application/x-www-form-urlencoded` body.
    public static func formFields(_ body: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map {
                $0.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0)
            }
            if let name = parts.first { fields[name] = parts.count > 1 ? parts[1] : "" }
        }
        return fields
    }

    private static func isPage(_ path: String) -> Bool {
        path == "/" || path.hasPrefix("/jobs/")
    }

    /// The sign-in form; `failed` after a wrong token.
    static func signInPage(next: String, failed: Bool) -> String {
        let escapedNext = next.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "<", with: "&lt;")
        return """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>beam-job-server: sign in</title><link rel="icon" href="data:,">
        <style>body{font:15px system-ui,sans-serif;margin:4em auto;max-width:28em}input{font:inherit;width:100%;margin:.4em 0}
        .error{color:#b00020}</style></head>
        <body><h1>beam-job-server</h1>
        <p>This server requires its access token (the first line of the file given to <code>--auth-token-file</code>).</p>
        \(failed ? "<p class=\"error\" role=\"alert\">That token is not this server's.</p>" : "")
        <form method="post" action="/login">
        <input type="hidden" name="next" value="\(escapedNext)">
        <label>Token <input type="password" name="token" autocomplete="current-password" autofocus required></label>
        <input type="submit" value="Sign in">
        </form></body></html>
        """
    }
}
