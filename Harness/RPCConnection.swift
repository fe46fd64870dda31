import GRPCCore
import GRPCNIOTransportHTTP2
import Logging

/// Opens a plaintext HTTP/2 gRPC client to one runner endpoint for the length
/// of a closure, and retries calls while the endpoint is not reachable yet.
/// Used by the provision and artifact steps.
struct RPCConnection: Sendable {
    typealias Client = GRPCClient<HTTP2ClientTransport.Posix>

    let endpoint: Endpoint
    /// How long to keep retrying a refused or dropped connection.
    let connectWindow: Duration
    let logger: Logger

    /// Per-call options: fail fast so `retryingUnavailable` decides, and allow
    /// large messages (pipeline options, artifact chunks from other runners).
    static let callOptions: CallOptions = {
        var options = CallOptions.defaults
        options.waitForReady = false
        options.timeout = .seconds(600)
        options.maxResponseMessageBytes = 256 << 20
        return options
    }()

    /// Beam runners tell workers apart by this header on every call.
    static func metadata(workerID: String) -> Metadata {
        var metadata = Metadata()
        metadata.addString(workerID, forKey: "worker_id")
        return metadata
    }

    func withClient<Result: Sendable>(_ body: (Client) async throws -> Result) async throws -> Result {
        let transport = try HTTP2ClientTransport.Posix(target: endpoint.target, transportSecurity: .plaintext)
        return try await withGRPCClient(transport: transport) { client in try await body(client) }
    }

    /// Runs `call` again with backoff while it fails as UNAVAILABLE, until the
    /// connect window has passed (the runner may still be binding its port).
    func retryingUnavailable<Result>(_ call: () async throws -> Result) async throws -> Result {
        let clock = ContinuousClock()
        let deadline = clock.now + connectWindow
        var delay = Duration.milliseconds(100)
        while true {
            do {
                return try await call()
            } catch let error as RPCError where error.code == .unavailable && clock.now + delay < deadline {
                logger.debug("\(endpoint) unavailable, retrying in \(delay): \(error.message)")
                try await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(2))
            }
        }
    }
}
