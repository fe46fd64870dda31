import BeamCore
import Planner
import Worker

/// The timers a stage's bundles have set and not yet fired, latest setting
/// winning per (transform, family, key, tag, window); a cleared timer is
/// dropped. The scheduler takes the due ones as the stage's input watermark
/// and processing time advance (event-time timers fire once the watermark is
/// past them); held timers hold the stage's output watermark at their output
/// timestamps. At watermark +inf every held timer is due, earliest first,
/// and timers set while firing fire in a later round. A bundle gets at most
/// one timer per key and window, so a callback that resets or clears the
/// key's other timers is seen before they fire.
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
        let holdTimestamp: Int64
        let isEventTime: Bool
        let bytes: [UInt8]
        /// The key lane of a keyed stage (0 otherwise).
        let lane: Int
    }

    /// Timers taken for one bundle: what to send, the earliest output
    /// timestamp among them (what the bundle holds), and their key lanes.
    struct Due {
        var inputs: [BundleTimerInput] = []
        var hold = BeamTime.maxTimestamp
        var lanes: Set<Int> = []
        var isEmpty: Bool { inputs.isEmpty }
    }

    private struct Scope: Hashable {
        let transformID: String
        let key: CoderValue
        let windows: [BeamWindow]
    }

    private let families: [BundleTimerKey: TimerFamilyBinding]
    private let lanes: KeyLanes?
    private var held: [Identity: Held] = [:] {
        didSet { summarize() }
    }
    /// Kept current on every change, so the scheduler's per-pass questions cost nothing.
    private(set) var hold = BeamTime.maxTimestamp
    private(set) var earliestEventTime: Int64?
    private(set) var nextProcessingTime: Int64?

    init(_ bindings: [TimerFamilyBinding], lanes: KeyLanes? = nil) {
        self.lanes = lanes
        families = Dictionary(bindings.map { (BundleTimerKey(transformID: $0.transformID, timerFamilyID: $0.familyID), $0) },
                              uniquingKeysWith: { first, _ in first })
    }

    var isEmpty: Bool { held.isEmpty }

    /// Every held timer in its family's encoding (for a checkpoint; `record` restores them).
    var heldTimers: [BundleTimerKey: [UInt8]] {
        var timers: [BundleTimerKey: [UInt8]] = [:]
        for (identity, timer) in held {
            timers[BundleTimerKey(transformID: identity.transformID, timerFamilyID: identity.familyID), default: []] += timer.bytes
        }
        return timers
    }

    /// Records the timers a bundle sent, in the order it set them.
    mutating func record(_ timers: [BundleTimerKey: [UInt8]]) throws {
        guard timers.values.contains(where: { !$0.isEmpty }) else { return }
        // One assignment at the end: the summary is recomputed once per bundle.
        var held = self.held
        defer { self.held = held }
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
                guard let firing = timer.firing, Self.firesBeforeExpiry(firing.fireTimestamp, timer.windows, family) else {
                    held[identity] = nil
                    continue
                }
                let bytes = Array(data[start..<reader.position])
                held[identity] = Held(fireTimestamp: firing.fireTimestamp, holdTimestamp: firing.holdTimestamp,
                                      isEventTime: family.isEventTime, bytes: bytes,
                                      lane: try lanes?.lane(ofTimer: bytes, coder: family.coder) ?? 0)
            }
        }
    }

    /// `hold`: the earliest output timestamp of a held timer (the stage's output
    /// watermark may not pass it); `earliestEventTime`: the earliest event-time
    /// firing (state its callback reads must outlive it); `nextProcessingTime`:
    /// when the earliest processing-time timer is due.
    private mutating func summarize() {
        var hold = BeamTime.maxTimestamp
        var event: Int64?
        var processing: Int64?
        for timer in held.values {
            hold = min(hold, timer.holdTimestamp)
            if timer.isEventTime {
                event = min(event ?? .max, timer.fireTimestamp)
            } else {
                processing = min(processing ?? .max, timer.fireTimestamp)
            }
        }
        self.hold = hold
        earliestEventTime = event
        nextProcessingTime = processing
    }

    /// The timers due at this input watermark and processing time, removed
    /// from the table: event-time timers by timestamp, then processing-time
    /// ones, grouped by family. At watermark +inf every event-time timer is due.
    /// Processing-time timers wait for their time even then unless `drainProcessingTime`
    /// (a batch job, or a TestStream that owned the clock has ended). Only
    /// timers in lanes `isFree` accepts are taken.
    mutating func takeDue(inputWatermark: Int64, processingTime: Int64, drainProcessingTime: Bool = true,
                          isFree: (Int) -> Bool = { _ in true }) -> Due {
        let draining = inputWatermark >= BeamTime.maxTimestamp
        let eventDue = earliestEventTime.map { draining || $0 < inputWatermark } ?? false
        let processingDue = nextProcessingTime.map { (draining && drainProcessingTime) || $0 <= processingTime } ?? false
        guard eventDue || processingDue else { return Due() }
        let due = held.filter { _, timer in
            guard isFree(timer.lane) else { return false }
            return timer.isEventTime ? (draining || timer.fireTimestamp < inputWatermark)
                : (draining && drainProcessingTime) || timer.fireTimestamp <= processingTime
        }
        guard !due.isEmpty else { return Due() }
        let ordered = due.sorted { a, b in
            if a.value.isEventTime != b.value.isEventTime { return a.value.isEventTime }
            return a.value.fireTimestamp < b.value.fireTimestamp
        }
        var scopes = Set<Scope>()
        let firing = ordered.filter { identity, _ in
            scopes.insert(Scope(transformID: identity.transformID, key: identity.key, windows: identity.windows)).inserted
        }
        var remaining = held
        for (identity, _) in firing { remaining[identity] = nil }
        held = remaining
        var byFamily: [BundleTimerKey: [[UInt8]]] = [:]
        var order: [BundleTimerKey] = []
        var result = Due()
        for (identity, timer) in firing {
            let key = BundleTimerKey(transformID: identity.transformID, timerFamilyID: identity.familyID)
            if byFamily[key] == nil { order.append(key) }
            byFamily[key, default: []].append(timer.bytes)
            result.hold = min(result.hold, timer.holdTimestamp)
            result.lanes.insert(timer.lane)
        }
        result.inputs = order.map { BundleTimerInput(transformID: $0.transformID, timerFamilyID: $0.timerFamilyID, timers: byFamily[$0]!) }
        return result
    }

    /// Event-time timers past their window's garbage-collection time would
    /// fire after the window is gone: Beam drops them. A timer at the window's
    /// end (max timestamp + 1, as Python's GroupIntoBatches sets) is kept.
    private static func firesBeforeExpiry(_ timestamp: Int64, _ windows: [BeamWindow], _ family: TimerFamilyBinding) -> Bool {
        guard family.isEventTime else { return true }
        return windows.allSatisfy { window in
            guard let end = window.maxTimestamp else { return true }
            let (expiry, overflow) = end.addingReportingOverflow(1 + max(0, family.allowedLateness))
            return overflow || expiry >= timestamp
        }
    }
}
