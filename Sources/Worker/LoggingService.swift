import BeamModel
import GRPCCore
import Logging

/// BeamFnLogging: SDK harnesses stream their log records here. Each entry
/// goes to the sending worker's `FnLogSink` (its stream's `worker_id`), else
/// the server's, as sent, and to swift-log at the matching level, labelled
/// with its worker, instruction and transform.
struct LoggingService: BeamFnLogging.ServiceProtocol {
    let registry: FnAPIRegistry

    func logging(
        request: StreamingServerRequest<LogEntry.List>,
        context: ServerContext
    ) async throws -> StreamingServerResponse<LogControl> {
        let workerID = request.metadata.workerID
        return StreamingServerResponse { _ in
            try await receive(request.messages, from: workerID)
            return [:]
        }
    }

    private func receive(_ lists: RPCAsyncSequence<LogEntry.List, any Error>, from workerID: String?) async throws {
        for try await list in lists {
            let sink = workerID.flatMap { registry.worker(id: $0)?.logSink } ?? registry.logSink
            for entry in list.logEntries {
                sink(entry)
                var metadata: Logger.Metadata = ["source": "sdk"]
                if let workerID { metadata["worker"] = "\(workerID)" }
                if !entry.instructionID.isEmpty { metadata["instruction"] = "\(entry.instructionID)" }
                if !entry.transformID.isEmpty { metadata["transform"] = "\(entry.transformID)" }
                if !entry.logLocation.isEmpty { metadata["location"] = "\(entry.logLocation)" }
                let text = entry.trace.isEmpty ? entry.message : entry.message + "\n" + entry.trace
                registry.logger.log(level: Self.level(entry.severity), "\(text)", metadata: metadata)
            }
        }
    }

    static func level(_ severity: LogEntry.Severity.Enum) -> Logger.Level {
        switch severity {
        case .trace: .trace
        case .debug: .debug
        case .info, .unspecified: .info
        case .notice: .notice
        case .warn: .warning
        case .error: .error
        case .critical: .critical
        case .UNRECOGNIZED: .info
        }
    }
}
