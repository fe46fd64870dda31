import BeamCore
import Planner
import Worker

/// The timers a stage's bundles have set and not yet fired, latest setting
/// winning per (transform, family, key, tag, window); a cleared timer is
/// dropped. Batch semantics: once the stage's input is processed the
/// watermark is at +inf, so every held timer fires, earliest first, and
/// timers set while firing fire in a later round.
struct PendingTimers {
    private struct Identity: Hashable {
        let transformID: String
        let familyID: String
        let key: CoderValue
        let tag: String
        let windows: [BeamWindow]
    }

    private struct Held {
        let fireTimestamp: Int64
        let isEventTime: Bool
        let bytes: [UInt8]
    }

    private let families: [BundleTimerKey: TimerFamilyBinding]
    private var held: [Identity: Held] = [:]

    init(_ bindings: [TimerFamilyBinding]) {
        families = Dictionary(bindings.map { (BundleTimerKey(transformID: $0.transformID, timerFamilyID: $0.familyID), $0) },
                              uniquingKeysWith: { first, _ in first })
    }

    var isEmpty: Bool { held.isEmpty }

    /// Records the timers a bundle sent, in the order it set them.
    mutating func record(_ timers: [BundleTimerKey: [UInt8]]) throws {
        for (key, data) in timers where !data.isEmpty {
            guard let family = families[key] else {
                throw ExecutionError("The SDK set a timer for unknown timer family \(key)")
            }
            var reader = ByteReader(data)
            while !reader.isAtEnd {
                let start = reader.position
                guard case .timer(let timer) = try family.coder.decode(&reader) else {
                    throw ExecutionError("Timer family \(key) sent something that is not a timer")
                }
                let identity = Identity(transformID: key.transformID, familyID: key.timerFamilyID,
                                        key: timer.userKey, tag: timer.dynamicTimerTag, windows: timer.windows)
                guard let firing = timer.firing, Self.firesBeforeExpiry(firing.fireTimestamp, timer.windows, family.isEventTime) else {
                    held[identity] = nil
                    continue
                }
                held[identity] = Held(fireTimestamp: firing.fireTimestamp, isEventTime: family.isEventTime,
                                      bytes: Array(data[start..<reader.position]))
            }
        }
    }

    /// Every held timer, for one firing round: event-time timers by timestamp,
    /// then processing-time ones, grouped by family. Empties the table.
    mutating func takeAll() -> [BundleTimerInput] {
        let ordered = held.sorted { a, b in
            if a.value.isEventTime != b.value.isEventTime { return a.value.isEventTime }
            return a.value.fireTimestamp < b.value.fireTimestamp
        }
        held = [:]
        var byFamily: [BundleTimerKey: [[UInt8]]] = [:]
        var order: [BundleTimerKey] = []
        for (identity, timer) in ordered {
            let key = BundleTimerKey(transformID: identity.transformID, timerFamilyID: identity.familyID)
            if byFamily[key] == nil { order.append(key) }
            byFamily[key, default: []].append(timer.bytes)
        }
        return order.map { BundleTimerInput(transformID: $0.transformID, timerFamilyID: $0.timerFamilyID, timers: byFamily[$0]!) }
    }

    /// Event-time timers past their window's end would fire after the window
    /// is garbage collected: Beam drops them.
    private static func firesBeforeExpiry(_ timestamp: Int64, _ windows: [BeamWindow], _ isEventTime: Bool) -> Bool {
        guard isEventTime else { return true }
        return windows.allSatisfy { window in (window.maxTimestamp ?? BeamTime.maxTimestamp) >= timestamp }
    }
}
