import Crypto
import Foundation

/// Who may use the Job, artifact and web APIs. Without a token everyone may.
/// With one (`--auth-token-file`), a request must carry it as a bearer token,
/// except from this machine's own loopback peers while `trustsLoopback`:
/// Beam's SDKs (Python and Java PortableRunner) dial the job endpoint in
/// plaintext with no credentials, so local submission must keep working.
public struct AccessPolicy: Sendable {
    public enum Decision: Sendable, Equatable {
        case allowed
        case missingToken
        case wrongToken
    }

    /// SHA-256 of the token; compared in constant time.
    private let tokenDigest: [UInt8]?
    public let trustsLoopback: Bool

    public static let open = AccessPolicy(tokenDigest: nil, trustsLoopback: true)

    private init(tokenDigest: [UInt8]?, trustsLoopback: Bool) {
        self.tokenDigest = tokenDigest
        self.trustsLoopback = trustsLoopback
    }

    public init(token: String, trustsLoopback: Bool) {
        self.init(tokenDigest: Array(SHA256.hash(data: Data(token.utf8))), trustsLoopback: trustsLoopback)
    }

    public var requiresToken: Bool { tokenDigest != nil }

    /// Shortest token accepted: shorter ones are guessable.
    public static let minimumTokenLength = 16

    /// The token in `path`: its first line, trimmed of blanks.
    public static func token(inFile path: String) throws -> String {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw AccessPolicyError("cannot read the token file \(path): \(error.localizedDescription)")
        }
        let token = text.split(whereSeparator: \.isNewline).first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        guard token.count >= minimumTokenLength else {
            throw AccessPolicyError("the token in \(path) must be at least \(minimumTokenLength) characters on its first line (e.g. `openssl rand -hex 32 > \(path)`)")
        }
        return token
    }

    /// `peerHost`: the caller's IP address, nil when unknown (never trusted).
    /// `bearer`: the token it presented, if any.
    public func decide(peerHost: String?, bearer: String?) -> Decision {
        guard let tokenDigest else { return .allowed }
        if trustsLoopback, let peerHost, Self.isLoopback(peerHost) { return .allowed }
        guard let bearer else { return .missingToken }
        return Self.sameBytes(Array(SHA256.hash(data: Data(bearer.utf8))), tokenDigest) ? .allowed : .wrongToken
    }

    /// The web UI's session cookie: derived from the token, so the cookie is
    /// not the token itself, and valid exactly as long as the token is.
    public var sessionCookieValue: String? {
        tokenDigest.map { digest in
            SHA256.hash(data: Data("beam-job-server web session".utf8) + digest).map { String(format: "%02x", $0) }.joined()
        }
    }

    public func acceptsSessionCookie(_ value: String) -> Bool {
        guard let expected = sessionCookieValue else { return true }
        return Self.sameBytes(Array(value.utf8), Array(expected.utf8))
    }

    /// What a refused caller is told, naming the flags involved.
    public static func refusal(_ decision: Decision) -> String {
        switch decision {
        case .allowed: return ""
        case .wrongToken: return "The bearer token does not match this server's (--auth-token-file)."
        case .missingToken:
            return "This server requires a bearer token (--auth-token-file): send 'authorization: Bearer <token>'"
                + " (beam-job-server jobs --token-file). Beam's SDKs send none; they can submit from the server's"
                + " own machine, over loopback, unless the server runs with --auth-loopback token."
        }
    }

    /// The token in an Authorization header value `Bearer <token>`.
    public static func bearerToken(fromAuthorization value: String) -> String? {
        let parts = value.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }

    /// The IP address in a gRPC peer description: `ipv4:127.0.0.1:4000`, `ipv6:[::1]:4000`.
    public static func host(ofGRPCPeer peer: String) -> String? {
        if peer.hasPrefix("ipv6:[") {
            let rest = peer.dropFirst("ipv6:[".count)
            return rest.firstIndex(of: "]").map { String(rest[..<$0]) }
        }
        guard peer.hasPrefix("ipv4:") else { return nil }
        let rest = peer.dropFirst("ipv4:".count)
        return rest.lastIndex(of: ":").map { String(rest[..<$0]) }
    }

    /// `localhost`, `127.x.y.z` or `[::1]`, with or without a port.
    public static func isLoopbackName(_ host: String?) -> Bool {
        guard var name = host?.lowercased() else { return false }
        if name == "localhost" || isLoopback(name) { return true }  // no port: "::1" as is
        if name.hasPrefix("[") {
            name = name.dropFirst().split(separator: "]", maxSplits: 1).first.map(String.init) ?? ""
        } else if let colon = name.lastIndex(of: ":") {
            name = String(name[..<colon])
        }
        return name == "localhost" || isLoopback(name)
    }

    /// 127.0.0.0/8, ::1 and IPv4-mapped loopback (::ffff:127.x.y.z).
    public static func isLoopback(_ host: String) -> Bool {
        let lowered = host.lowercased()
        if lowered == "::1" || lowered == "0:0:0:0:0:0:0:1" { return true }
        let ipv4 = lowered.hasPrefix("::ffff:") ? String(lowered.dropFirst("::ffff:".count)) : lowered
        let octets = ipv4.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }

    private static func sameBytes(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

public struct AccessPolicyError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
