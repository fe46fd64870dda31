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
    }

    public static let cookieName = "beam_job_server_session"
    let policy: AccessPolicy

    public init(policy: AccessPolicy) {
        self.policy = policy
    }

    public func decide(path: String, peerHost: String?, authorization: String?, sessionCookie: String?) -> Outcome {
        guard path != "/login" else { return .pass }
        if let sessionCookie, policy.requiresToken, policy.acceptsSessionCookie(sessionCookie) { return .pass }
        let decision = policy.decide(peerHost: peerHost, bearer: authorization.flatMap(AccessPolicy.bearerToken(fromAuthorization:)))
        switch decision {
        case .allowed: return .pass
        case .wrongToken: return .refuse(AccessPolicy.refusal(.wrongToken))
        case .missingToken:
            return Self.isPage(path) ? .signIn(next: path) : .refuse(AccessPolicy.refusal(.missingToken))
        }
    }

    /// The session cookie's value for a sign-in with `token`, nil when it is not the server's.
    public func signIn(token: String) -> String? {
        guard policy.decide(peerHost: nil, bearer: token) == .allowed else { return nil }
        return policy.sessionCookieValue
    }

    /// Where a sign-in may send the browser: a path on this server only.
    public static func safeNext(_ next: String?) -> String {
        guard let next, next.hasPrefix("/"), !next.hasPrefix("//"), !next.contains("\\") else { return "/" }
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
