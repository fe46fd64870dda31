import Foundation
import Logging

/// beam-boot's logging: swift-log lines on stderr, level from
/// `$BEAM_BOOT_LOG_LEVEL` (trace ... critical, default info).
enum BootLog {
    static func bootstrap() -> Logger {
        let level = ProcessInfo.processInfo.environment["BEAM_BOOT_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        return Logger(label: "beam-boot")
    }
}
