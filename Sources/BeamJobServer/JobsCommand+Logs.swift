import ArgumentParser
import BeamModel
import Foundation
import GRPCCore
import Synchronization
import Web

extension JobsCommand {
    /// The job's messages (runner messages and SDK harness logs) from its
    /// message stream: what is there now, or, with `--follow`, until it ends.
    struct Logs: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a job's messages and harness logs.")
        @OptionGroup var connection: Connection
        @Argument(help: "The job id.") var id: String
        @Flag(help: "Keep printing new messages until the job ends.") var follow = false

        /// Without --follow, the stream's replay is over once it is quiet this long.
        static let quietAfter: Duration = .milliseconds(500)

        func run() async throws {
            let id = self.id, follow = self.follow, json = connection.json
            try await connection.call { client in
                try await client.getMessageStream(.with { $0.jobID = id }) { response in
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        let lastSeen = LastSeen()
                        group.addTask {
                            for try await item in response.messages {
                                lastSeen.touch()
                                Self.print(item, json: json)
                            }
                        }
                        if !follow {
                            group.addTask {
                                while !lastSeen.quiet(for: Self.quietAfter) { try await Task.sleep(for: .milliseconds(100)) }
                            }
                        }
                        try await group.next()
                        group.cancelAll()
                    }
                }
            }
        }

        private static func print(_ item: JobMessagesResponse, json: Bool) {
            switch item.response {
            case .messageResponse(let message)?:
                let time = Date(timeIntervalSince1970: (Double(message.time) ?? 0) / 1000)
                let level = "\(message.importance)".replacingOccurrences(of: "jobMessage", with: "").uppercased()
                if json {
                    Swift.print(JSONValue.object([("time", .string(ISO8601DateFormatter().string(from: time))),
                                                  ("importance", .string(level)), ("text", .string(message.messageText))]).rendered)
                } else {
                    Swift.print("\(ISO8601DateFormatter().string(from: time)) \(level) \(message.messageText)")
                }
            case .stateResponse(let change)?:
                let state = JobsCommand.stateName(change.state)
                Swift.print(json ? JSONValue.object([("state", .string(state))]).rendered : "-- state \(state)")
            case nil:
                break
            }
        }
    }
}

/// When the message stream last delivered something.
private final class LastSeen: Sendable {
    private let last = Mutex(ContinuousClock.now)
    func touch() { last.withLock { $0 = .now } }
    func quiet(for duration: Duration) -> Bool { last.withLock { .now - $0 >= duration } }
}
