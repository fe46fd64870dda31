import BeamModel
import Foundation
import JobService

/// The JSON API of Docs/web-api.md over the job registry, free of HTTP so
/// tests call it directly; `WebServer` routes requests here. Reads only,
/// except `cancel` and `drain`, which ask the job to stop exactly as the Job API does.
public struct WebAPI: Sendable {
    public struct Reply: Sendable, Equatable {
        public let status: Int
        public let body: String
    }

    let jobs: JobRegistry

    public init(jobs: JobRegistry) {
        self.jobs = jobs
    }

    /// Jobs newest first; `states` is a comma-separated filter of state names.
    public func listJobs(states: String?) -> Reply {
        var wanted: Set<JobState.Enum>?
        if let states, !states.isEmpty {
            var parsed = Set<JobState.Enum>()
            for name in states.split(separator: ",") {
                guard let state = JobJSON.state(named: name) else { return error(400, "Unknown job state '\(name)'") }
                parsed.insert(state)
            }
            wanted = parsed
        }
        let listed = jobs.all.reversed().filter { wanted?.contains($0.state) ?? true }
        return ok(.object([("jobs", .array(listed.map { .object(JobJSON.summary($0)) }))]))
    }

    public func job(_ id: String) -> Reply {
        withJob(id) { ok(JobJSON.detail($0)) }
    }

    public func graph(_ id: String) -> Reply {
        withJob(id) { ok(GraphJSON.graph($0)) }
    }

    public func metrics(_ id: String) -> Reply {
        withJob(id) { ok(MetricReadings($0.metrics).json) }
    }

    public func logs(_ id: String, after: String?, minimum: String?) -> Reply {
        let level = minimum.flatMap { $0.isEmpty ? nil : JobJSON.importance(named: Substring($0)) }
        if let minimum, !minimum.isEmpty, level == nil {
            return error(400, "Unknown importance '\(minimum)'; use DEBUG, DETAILED, BASIC, WARNING or ERROR")
        }
        guard let after = after.map({ Int($0) }) ?? 0 else { return error(400, "'after' must be a message id (an integer)") }
        return withJob(id) { ok(JobJSON.logs($0, after: after, minimum: level)) }
    }

    public func cancel(_ id: String) -> Reply {
        stop(id) { try $0.requestCancel() }
    }

    public func drain(_ id: String) -> Reply {
        stop(id) { try $0.requestDrain() }
    }

    /// Cancel or Drain, exactly as the Job API does them; 409 when the job's state forbids it.
    private func stop(_ id: String, _ request: (Job) throws -> JobState.Enum) -> Reply {
        withJob(id) { job in
            do {
                let state = try request(job)
                return ok(.object([("state", .string(JobJSON.stateName(state)))]))
            } catch let failure as JobServiceError {
                return error(409, failure.rpcError.message)
            } catch {
                return self.error(500, "\(error)")
            }
        }
    }

    // MARK: Helpers

    private func withJob(_ id: String, _ body: (Job) -> Reply) -> Reply {
        guard let job = try? jobs.job(id: id) else { return error(404, "No job with id '\(id)'") }
        return body(job)
    }

    private func ok(_ value: JSONValue) -> Reply {
        Reply(status: 200, body: value.rendered)
    }

    func error(_ status: Int, _ message: String) -> Reply {
        Reply(status: status, body: JSONValue.object([("error", .string(message))]).rendered)
    }
}
