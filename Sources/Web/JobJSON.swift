import BeamCore
import BeamModel
import Foundation
import JobService
import SwiftProtobuf

/// A job as the JSON API shows it (Docs/web-api.md): its summary for lists,
/// its detail page, and its messages.
enum JobJSON {
    static func summary(_ job: Job, now: Date = Date()) -> [(String, JSONValue)] {
        let runtime = job.runtime
        let ended = job.ended
        let started = job.created
        return [
            ("id", .string(job.id)),
            ("name", .string(job.name)),
            ("state", .string(stateName(job.state))),
            ("submitted", .int(millis(started))),
            ("ended", ended.map { .int(millis($0)) } ?? .null),
            ("durationMs", .int(max(0, millis(ended ?? now) - millis(started)))),
            ("environments", .strings(environmentKinds(job.pipeline))),
            ("workers", .int(runtime.liveWorkers)),
            ("fromHistory", .bool(job.fromHistory)),
        ]
    }

    static func detail(_ job: Job) -> JSONValue {
        let runtime = job.runtime
        // The detail lists the workers where the summary counts them.
        var fields = summary(job).filter { $0.0 != "workers" }
        fields += [
            ("options", options(job.options)),
            ("stateHistory", .array(job.stateHistory.map { event in
                .object([("state", .string(stateName(event.state))), ("time", .int(millis(event.timestamp.date)))])
            })),
            ("error", .optional(job.failureReason)),
            ("bundlesInFlight", .int(runtime.bundlesInFlight)),
            ("stages", .array(runtime.stages.map { stage in
                .object([
                    ("id", .string(stage.id)),
                    ("kind", .string(stage.kind)),
                    ("transforms", .strings(stage.transforms)),
                    ("environment", .string(stage.environment)),
                    ("inputWatermark", watermark(stage.inputWatermark)),
                    ("outputWatermark", watermark(stage.outputWatermark)),
                    ("bundlesInFlight", .int(stage.bundlesInFlight)),
                    ("pendingBytes", .int(stage.pendingBytes)),
                ])
            })),
            ("workers", .array(runtime.workers.map { worker in
                .object([
                    ("id", .string(worker.id)),
                    ("environment", .string(worker.environment)),
                    ("pid", worker.pid.map { .int(Int64($0)) } ?? .null),
                    ("state", .string(worker.state)),
                    ("bundles", .int(worker.bundles)),
                ])
            })),
            ("autoscaling", .array(runtime.autoscaling.map { decision in
                .object([
                    ("time", .int(decision.time)),
                    ("environment", .string(decision.environment)),
                    ("workers", .int(decision.workers)),
                    ("reason", .string(decision.reason)),
                ])
            })),
        ]
        return .object(fields)
    }

    /// Messages after `after` with importance at least `minimum`.
    static func logs(_ job: Job, after: Int, minimum: JobMessage.MessageImportance?) -> JSONValue {
        let messages = job.messages.filter { message in
            (Int(message.messageID) ?? 0) > after && minimum.map { message.importance.rawValue >= $0.rawValue } ?? true
        }
        return .object([
            ("messages", .array(messages.map { message in
                .object([
                    ("id", .int(Int64(message.messageID) ?? 0)),
                    ("time", .int(Int64(message.time) ?? 0)),
                    ("importance", .string(importanceName(message.importance))),
                    ("text", .string(message.messageText)),
                ])
            })),
            ("dropped", .int(job.droppedLogEntries)),
        ])
    }

    // MARK: Names and formats

    static func stateName(_ state: JobState.Enum) -> String {
        "\(state)".uppercased()
    }

    static func state(named name: Substring) -> JobState.Enum? {
        JobState.Enum.allCases.first { stateName($0) == name.uppercased() }
    }

    static let importances: [(JobMessage.MessageImportance, String)] = [
        (.jobMessageDebug, "DEBUG"), (.jobMessageDetailed, "DETAILED"), (.jobMessageBasic, "BASIC"),
        (.jobMessageWarning, "WARNING"), (.jobMessageError, "ERROR"),
    ]

    static func importanceName(_ importance: JobMessage.MessageImportance) -> String {
        importances.first { $0.0 == importance }?.1 ?? "BASIC"
    }

    static func importance(named name: Substring) -> JobMessage.MessageImportance? {
        importances.first { $0.1 == name.uppercased() }?.0
    }

    /// "-inf", "+inf" or an ISO-8601 UTC time.
    static func watermark(_ millis: Int64?) -> JSONValue {
        guard let millis else { return .null }
        if millis <= BeamTime.minTimestamp { return .string("-inf") }
        if millis >= BeamTime.globalWindowMaxTimestamp { return .string("+inf") }
        return .string(Date(timeIntervalSince1970: Double(millis) / 1000).formatted(isoWithMillis))
    }

    private static let isoWithMillis = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    static func millis(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }

    /// LOOPBACK, PROCESS, DOCKER or the URN, for the environments the pipeline's transforms use.
    static func environmentKinds(_ pipeline: Pipeline) -> [String] {
        let used = Set(pipeline.components.transforms.values.map(\.environmentID).filter { !$0.isEmpty })
        let kinds = used.compactMap { pipeline.components.environments[$0]?.urn }.map { urn in
            switch urn {
            case "beam:env:external:v1": "LOOPBACK"
            case "beam:env:process:v1": "PROCESS"
            case "beam:env:docker:v1": "DOCKER"
            case "beam:env:embedded:v1": "EMBEDDED"
            default: urn
            }
        }
        return Array(Set(kinds)).sorted()
    }

    /// Pipeline options as plain key/values, Beam's `beam:option:NAME:v1` keys shortened to NAME.
    static func options(_ options: Google_Protobuf_Struct) -> JSONValue {
        .object(options.fields.sorted { $0.key < $1.key }.map { key, value in
            var name = key
            if name.hasPrefix("beam:option:"), name.hasSuffix(":v1") { name = String(name.dropFirst(12).dropLast(3)) }
            return (name, json(value))
        })
    }

    private static func json(_ value: Google_Protobuf_Value) -> JSONValue {
        switch value.kind {
        case .nullValue, nil: .null
        case .numberValue(let number): .double(number)
        case .stringValue(let text): .string(text)
        case .boolValue(let flag): .bool(flag)
        case .structValue(let nested): options(nested)
        case .listValue(let list): .array(list.values.map(json))
        }
    }
}
