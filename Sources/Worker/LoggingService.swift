import BeamModel
import GRPCCore
import Logging

/// BeamFnLogging: SDK harnesses stream their log records here. Each entry
/// goes to the server's `FnLogSink` as sent and to swift-log at the matching
/// level, labelled with its instruction and transform.
struct LoggingService: BeamFnLogging.SimpleServiceProtocol {
    let registry: FnAPIRegistry

    func logging(
        request: RPCAsyncSequence<LogEntry.List, any Error>,
        response: RPCWriter<LogControl>,
        context: ServerContext
    ) async throws {
        for try await list in request {
            for entry in list.logEntries {
                registry.logSink(entry)
                var metadata: Logger.Metadata = ["source": "sdk"]
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
