import GRPCCore
import GRPCNIOTransportHTTP2
import JobService
import Logging

/// Where the Job and artifact APIs listen: plaintext on `--job-port`, which
/// Beam's SDKs use, and with TLS also on `--tls-job-port`. With TLS the
/// plaintext listener binds loopback only, so tokens never cross the network
/// in clear text.
struct JobAPIListeners {
    let plaintext: HTTP2ServerTransport.Posix
    let secure: HTTP2ServerTransport.Posix?
    /// `--host` when it names this machine (a DNS name TLS clients verify), nil for an
    /// address or a wildcard: then clients stage at the address they reached.
    private let hostName: String?

    init(host: String, jobPort: Int, tls: ServerTLS?, tlsJobPort: Int, maxMessageSize: Int) {
        plaintext = Self.transport(host: tls == nil ? host : "127.0.0.1", port: jobPort, security: .plaintext,
                                   maxMessageSize: maxMessageSize)
        secure = tls.map { Self.transport(host: host, port: tlsJobPort, security: $0.grpc, maxMessageSize: maxMessageSize) }
        hostName = Self.isAddress(host) ? nil : host
    }

    /// The artifact staging endpoint for a Prepare that reached `localPeer`
    /// (`ipv4:10.0.0.5:8099`): the same listener at the address the client
    /// reached, so a remote client stages remotely and a TLS client over TLS.
    func stagingEndpoint(localPeer: String) async throws -> String {
        guard let address = AccessPolicy.host(ofGRPCPeer: localPeer),
              let port = localPeer.split(separator: ":").last.flatMap({ Int($0) }) else {
            guard let port = try await plaintext.listeningAddress.ipv4?.port else {
                throw RPCError(code: .unavailable, message: "The server is not listening on an IPv4 address")
            }
            return "localhost:\(port)"
        }
        // Under TLS the plaintext listener sits on 127.0.0.1, where `--host`'s name may not lead.
        let named = hostName.flatMap { name in
            secure == nil || !AccessPolicy.isLoopback(address) || name == "localhost" ? name : nil
        }
        return "\(named ?? (address.contains(":") ? "[\(address)]" : address)):\(port)"
    }

    /// One server per listener, all with the same services and interceptors.
    func services(_ services: [any RegistrableRPCService], interceptors: [any ServerInterceptor],
                  logger: Logger) -> [GRPCServerService] {
        var servers = [GRPCServerService(server: GRPCServer(transport: plaintext, services: services, interceptors: interceptors),
                                         transport: plaintext, listening: "beam-job-server listening on", logger: logger)]
        if let secure {
            servers.append(GRPCServerService(server: GRPCServer(transport: secure, services: services, interceptors: interceptors),
                                             transport: secure, listening: "Job API with TLS listening on", logger: logger))
        }
        return servers
    }

    /// An IP address or a wildcard, as opposed to a DNS name.
    private static func isAddress(_ host: String) -> Bool {
        host.contains(":") || host.split(separator: ".").count == 4 && host.split(separator: ".").allSatisfy { UInt8($0) != nil }
    }

    private static func transport(host: String, port: Int, security: HTTP2ServerTransport.Posix.TransportSecurity,
                                  maxMessageSize: Int) -> HTTP2ServerTransport.Posix {
        HTTP2ServerTransport.Posix(
            address: .ipv4(host: host, port: port),
            transportSecurity: security,
            config: .defaults { config in
                config.rpc.maxRequestPayloadSize = maxMessageSize
                config.channelDebuggingCallbacks.onAcceptHTTP2Stream = { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            MessageSizeGuard(limit: maxMessageSize, flag: "--max-message-size"), position: .first)
                    }
                }
            }
        )
    }
}
