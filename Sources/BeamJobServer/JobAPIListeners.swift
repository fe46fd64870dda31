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
    /// The hosts clients are told to stage artifacts at, per listener.
    private let plaintextHost: String
    private let secureHost: String

    init(host: String, jobPort: Int, tls: ServerTLS?, tlsJobPort: Int, maxMessageSize: Int) {
        let plaintextBind = tls == nil ? host : "127.0.0.1"
        plaintext = Self.transport(host: plaintextBind, port: jobPort, security: .plaintext, maxMessageSize: maxMessageSize)
        secure = tls.map { Self.transport(host: host, port: tlsJobPort, security: $0.grpc, maxMessageSize: maxMessageSize) }
        plaintextHost = Self.advertised(plaintextBind)
        secureHost = Self.advertised(host)
    }

    /// The artifact staging endpoint for a Prepare that reached `localPeer`:
    /// the listener it came through, so a TLS client stages over TLS.
    func stagingEndpoint(localPeer: String) async throws -> String {
        let arrivedOn = localPeer.split(separator: ":").last.flatMap { Int($0) }
        if let secure, let port = try await secure.listeningAddress.ipv4?.port, port == arrivedOn {
            return "\(secureHost):\(port)"
        }
        guard let port = try await plaintext.listeningAddress.ipv4?.port else {
            throw RPCError(code: .unavailable, message: "The server is not listening on an IPv4 address")
        }
        return "\(plaintextHost):\(port)"
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

    private static func advertised(_ host: String) -> String {
        ["0.0.0.0", "::"].contains(host) ? "localhost" : host
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
