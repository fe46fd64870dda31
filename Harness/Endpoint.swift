import GRPCNIOTransportHTTP2

/// A gRPC endpoint as Beam writes it in flags and ApiServiceDescriptor URLs:
/// `host:port`, `[v6]:port`, `dns:///host:port` or `unix:/path`.
struct Endpoint: Sendable, CustomStringConvertible {
    /// What the endpoint names once parsed.
    enum Address: Sendable {
        case ipv4(String, Int)
        case ipv6(String, Int)
        case dns(String, Int)
        case unixSocket(String)
    }

    /// The text the runner gave, passed on unchanged to the harness.
    let url: String
    let address: Address

    var description: String { url }

    init(_ url: String) throws {
        self.url = url
        var rest = Substring(url)
        if rest.hasPrefix("unix:") {
            // Both unix:/path and unix:///path name an absolute path.
            var path = rest.dropFirst("unix:".count)
            while path.hasPrefix("//") { path = path.dropFirst() }
            guard !path.isEmpty else { throw BootFailure(.arguments, "endpoint '\(url)' has no socket path") }
            address = .unixSocket(String(path))
            return
        }
        if rest.hasPrefix("dns:///") { rest = rest.dropFirst("dns:///".count) }
        guard let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]),
              (1...65535).contains(port) else {
            throw BootFailure(.arguments, "endpoint '\(url)' is not host:port")
        }
        let host = rest[..<colon]
        if host.hasPrefix("["), host.hasSuffix("]") {
            address = .ipv6(String(host.dropFirst().dropLast()), port)
        } else if Self.isIPv4Literal(host) {
            address = .ipv4(String(host), port)
        } else if host.isEmpty {
            address = .ipv4("127.0.0.1", port)  // ":port" means this machine
        } else {
            address = .dns(String(host), port)
        }
    }

    /// The target grpc-swift's HTTP/2 transport resolves.
    var target: any ResolvableTarget {
        switch address {
        case .ipv4(let host, let port): .ipv4(address: host, port: port)
        case .ipv6(let host, let port): .ipv6(address: host, port: port)
        case .dns(let host, let port): .dns(host: host, port: port)
        case .unixSocket(let path): .unixDomainSocket(path: path)
        }
    }

    private static func isIPv4Literal(_ host: Substring) -> Bool {
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { UInt8($0) != nil }
    }
}
