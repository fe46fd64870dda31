import BeamModel
import GRPCCore
import GRPCNIOTransportHTTP2
import Logging

/// EXTERNAL environments (`beam:env:external:v1`, what the Python SDK's
/// LOOPBACK mode submits): asks the worker pool at the payload's endpoint to
/// start a harness that dials back to us (BeamFnExternalWorkerPool.StartWorker),
/// and to stop it again (StopWorker).
public struct ExternalEnvironmentLauncher: EnvironmentLauncher {
    public let urn = "beam:env:external:v1"
    /// Deadline for each StartWorker / StopWorker call.
    public var callTimeout: Duration

    public init(callTimeout: Duration = .seconds(30)) {
        self.callTimeout = callTimeout
    }

    public func launch(_ request: EnvironmentLaunchRequest) async throws -> any RunningEnvironment {
        guard let payload = try? Org_Apache_Beam_Model_Pipeline_V1_ExternalPayload(serializedBytes: request.environment.payload),
              !payload.endpoint.url.isEmpty
        else { throw WorkerError.launchFailed("the EXTERNAL environment's payload names no worker pool endpoint") }
        let pool = WorkerPool(url: payload.endpoint.url, callTimeout: callTimeout)
        let endpoint = Org_Apache_Beam_Model_Pipeline_V1_ApiServiceDescriptor.with { $0.url = request.endpoint }
        let start = Org_Apache_Beam_Model_FnExecution_V1_StartWorkerRequest.with {
            $0.workerID = request.workerID
            $0.controlEndpoint = endpoint
            $0.loggingEndpoint = endpoint
            $0.artifactEndpoint = endpoint
            $0.provisionEndpoint = endpoint
            $0.params = payload.params
        }
        request.logger.info("asking worker pool for an SDK harness", metadata: ["worker": "\(request.workerID)", "pool": "\(pool.url)"])
        let response: Org_Apache_Beam_Model_FnExecution_V1_StartWorkerResponse
        do {
            response = try await pool.call { try await $0.startWorker(start, options: pool.options) }
        } catch {
            throw WorkerError.launchFailed("the worker pool at \(pool.url) did not start worker '\(request.workerID)': \(error)")
        }
        guard response.error.isEmpty else {
            throw WorkerError.launchFailed("the worker pool at \(pool.url) could not start worker '\(request.workerID)': \(response.error)")
        }
        return ExternalWorker(pool: pool, workerID: request.workerID, logger: request.logger)
    }

    /// A harness a worker pool runs for us; all we can do is ask it to stop.
    struct ExternalWorker: RunningEnvironment {
        let pool: WorkerPool
        let workerID: String
        let logger: Logger

        func exitDescription(waitingUpTo timeout: Duration) async -> String? { nil }

        var recentOutput: [String] { [] }

        func stop() async {
            do {
                let response = try await pool.call {
                    try await $0.stopWorker(.with { $0.workerID = workerID }, options: pool.options)
                }
                if !response.error.isEmpty {
                    logger.warning("worker pool could not stop worker", metadata: ["worker": "\(workerID)", "error": "\(response.error)"])
                }
            } catch {
                logger.debug("StopWorker failed", metadata: ["worker": "\(workerID)", "error": "\(error)"])
            }
        }
    }

    /// One connection to a BeamFnExternalWorkerPool per call.
    struct WorkerPool: Sendable {
        let url: String
        let callTimeout: Duration

        var options: CallOptions {
            var options = CallOptions.defaults
            options.timeout = callTimeout
            return options
        }

        func call<T: Sendable>(
            _ body: (Org_Apache_Beam_Model_FnExecution_V1_BeamFnExternalWorkerPool.Client<HTTP2ClientTransport.Posix>) async throws -> T
        ) async throws -> T {
            let transport = try HTTP2ClientTransport.Posix(target: Self.target(url), transportSecurity: .plaintext)
            return try await withGRPCClient(transport: transport) { client in
                try await body(.init(wrapping: client))
            }
        }

        /// "host:port", "[v6]:port" or "unix:/path" as Beam writes endpoint URLs.
        static func target(_ url: String) throws -> any ResolvableTarget {
            if url.hasPrefix("unix:") {
                var path = String(url.dropFirst("unix:".count))
                if path.hasPrefix("//") { path.removeFirst(2) }
                return .unixDomainSocket(path: path)
            }
            guard let colon = url.lastIndex(of: ":"), let port = Int(url[url.index(after: colon)...]) else {
                throw WorkerError.launchFailed("cannot read worker pool endpoint '\(url)' (expected host:port)")
            }
            var host = String(url[..<colon])
            if host.hasPrefix("[") && host.hasSuffix("]") {
                host = String(host.dropFirst().dropLast())
                return .ipv6(address: host, port: port)
            }
            return .dns(host: host, port: port)
        }
    }
}
