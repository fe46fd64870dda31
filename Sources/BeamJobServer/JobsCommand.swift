import ArgumentParser
import BeamModel
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import JobService
import Web

/// `beam-job-server jobs list|show|cancel|drain|logs|metrics`: a client for a
/// running server, through Beam's Job API (what any portable client sees).
struct JobsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs",
        abstract: "List, inspect, cancel and drain the jobs of a running beam-job-server.",
        subcommands: [List.self, Show.self, Cancel.self, Drain.self, Logs.self, Metrics.self]
    )

    struct Connection: ParsableArguments {
        @Option(help: "The server's Job API endpoint, host:port.")
        var endpoint: String = "localhost:8099"

        @Flag(help: "Print JSON instead of tables.")
        var json = false

        @Option(help: "File whose first line is the server's bearer token (its --auth-token-file).")
        var tokenFile: String?

        @Flag(help: "Connect with TLS (the server's --tls-job-port), trusting the system's CA certificates.")
        var tls = false

        @Option(help: "Connect with TLS, trusting the CA certificates in this PEM file (e.g. the server's own self-signed certificate).")
        var tlsCaFile: String?

        func call<T: Sendable>(_ body: @Sendable (JobServiceAPI.Client<HTTP2ClientTransport.Posix>) async throws -> T) async throws -> T {
            guard let colon = endpoint.lastIndex(of: ":"), let port = Int(endpoint[endpoint.index(after: colon)...]) else {
                throw ValidationError("--endpoint must be host:port, got '\(endpoint)'")
            }
            let host = String(endpoint[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
            let token: String?
            do {
                token = try tokenFile.map(AccessPolicy.token(inFile:))
            } catch {
                throw ValidationError("--token-file: \(error)")
            }
            if token != nil, tlsCaFile == nil, !tls, !AccessPolicy.isLoopbackName(host) {
                FileHandle.standardError.write(Data("warning: sending the token to \(endpoint) in clear text; use --tls-ca-file or --tls\n".utf8))
            }
            let transport = try HTTP2ClientTransport.Posix(target: .dns(host: host, port: port), transportSecurity: security)
            do {
                return try await withGRPCClient(transport: transport, interceptors: token.map { [BearerTokenInterceptor(token: $0)] } ?? []) { client in
                    try await body(JobServiceAPI.Client(wrapping: client))
                }
            } catch let error as RPCError {
                throw CLIError("\(endpoint): \(error.code): \(error.message)")
            }
        }

        private var security: HTTP2ClientTransport.Posix.TransportSecurity {
            if let tlsCaFile {
                return .tls { $0.trustRoots = .certificates([.file(path: tlsCaFile, format: .pem)]) }
            }
            return tls ? .tls : .plaintext
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the server's jobs.")
        @OptionGroup var connection: Connection

        func run() async throws {
            let jobs = try await connection.call { try await $0.getJobs(GetJobsRequest()).jobInfo }
            if connection.json {
                print(JSONValue.array(jobs.map(JobsCommand.json)).rendered)
            } else {
                print(TextTable(["ID", "NAME", "STATE"], jobs.map { [$0.jobID, $0.jobName, JobsCommand.stateName($0.state)] }).text)
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one job: state, when, pipeline size.")
        @OptionGroup var connection: Connection
        @Argument(help: "The job id.") var id: String

        func run() async throws {
            let id = self.id
            let (state, pipeline) = try await connection.call { client in
                let state = try await client.getState(.with { $0.jobID = id })
                let pipeline = try await client.getPipeline(.with { $0.jobID = id }).pipeline
                return (state, pipeline)
            }
            let fields: [(String, JSONValue)] = [
                ("id", .string(id)), ("state", .string(JobsCommand.stateName(state.state))),
                ("since", .string(ISO8601DateFormatter().string(from: state.timestamp.date))),
                ("transforms", .int(pipeline.components.transforms.count)),
                ("pcollections", .int(pipeline.components.pcollections.count)),
                ("environments", .strings(pipeline.components.environments.values.map(\.urn).sorted())),
            ]
            if connection.json {
                print(JSONValue.object(fields).rendered)
            } else {
                print(TextTable(["FIELD", "VALUE"], fields.map { [$0.0, $0.1.plain] }).text)
            }
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cancel a job.")
        @OptionGroup var connection: Connection
        @Argument(help: "The job id.") var id: String

        func run() async throws {
            let id = self.id
            let state = try await connection.call { try await $0.cancel(.with { $0.jobID = id }).state }
            JobsCommand.printState(state, of: id, json: connection.json)
        }
    }

    struct Drain: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Drain a job: its sources stop, every window fires, it ends DRAINED.")
        @OptionGroup var connection: Connection
        @Argument(help: "The job id.") var id: String

        func run() async throws {
            let id = self.id
            let state = try await connection.call { try await $0.drain(.with { $0.jobID = id }).state }
            JobsCommand.printState(state, of: id, json: connection.json)
        }
    }

    /// What cancel and drain print: the job's state after the request.
    static func printState(_ state: JobState.Enum, of id: String, json: Bool) {
        if json {
            print(JSONValue.object([("id", .string(id)), ("state", .string(stateName(state)))]).rendered)
        } else {
            print("\(id): \(stateName(state))")
        }
    }

    struct Metrics: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a job's user metrics, committed and attempted.")
        @OptionGroup var connection: Connection
        @Argument(help: "The job id.") var id: String

        func run() async throws {
            let id = self.id
            let results = try await connection.call { try await $0.getJobMetrics(.with { $0.jobID = id }).metrics }
            let readings = MetricReadings(results)
            if connection.json {
                print(readings.json.rendered)
            } else {
                print(TextTable(["STEP", "NAMESPACE", "NAME", "KIND", "COMMITTED", "ATTEMPTED"], readings.user.map {
                    [$0.step, $0.namespace, $0.name, $0.kind, $0.committed.plain, $0.attempted.plain]
                }).text)
            }
        }
    }

    static func stateName(_ state: JobState.Enum) -> String { "\(state)".uppercased() }

    static func json(_ info: JobInfo) -> JSONValue {
        .object([("id", .string(info.jobID)), ("name", .string(info.jobName)), ("state", .string(stateName(info.state)))])
    }
}

struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
