import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import ServiceLifecycle

/// Runs the gRPC server inside the service group: serves until a shutdown
/// signal, then lets in-flight RPCs finish.
struct GRPCServerService: Service {
    let server: GRPCServer<HTTP2ServerTransport.Posix>
    let transport: HTTP2ServerTransport.Posix
    /// The start of the log line that names the bound address.
    let listening: String
    let logger: Logger

    func run() async throws {
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask { try await server.serve() }
                if let address = try await transport.listeningAddress.ipv4 {
                    logger.info("\(listening) \(address.host):\(address.port)")
                }
            }
        } onGracefulShutdown: {
            server.beginGracefulShutdown()
        }
    }
}

extension GRPCServerService: CustomStringConvertible {
    var description: String { "GRPCServerService" }
}
