import Logging

/// Both server processes (`serve` and `spark-stage`) log to stderr at one
/// level; swift-log allows a single bootstrap per process.
enum StandardErrorLogging {
    static func bootstrap(level: Logger.Level) {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}
