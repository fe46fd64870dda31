import BeamCore

/// Everything `TriggeredGroupByKey` keeps for one (key, window): the buffered values,
/// watermark holds, trigger state, the last pane emitted, and pending wake-ups (Java's
/// ReduceFnRunner state for one window). A closed window (trigger finished) keeps
/// only its tombstone until garbage collection, so later elements are dropped.
struct KeyedWindowState: Sendable, Codable {
    let key: Int
    let keySequence: Int
    let window: BeamWindow
    /// Creation order, for deterministic output order among equal windows.
    let sequence: Int
    /// nil for windows the runner cannot decode: they end at +inf for us.
    let maxTimestamp: Int64?
    /// When the window expires: max timestamp + allowed lateness (Beam's GC time).
    let gcTime: Int64

    /// Concatenated nested encodings of the buffered values.
    var values: [UInt8] = []
    var valueCount = 0
    /// Elements added since the last pane (Java's NonEmptyPanes).
    var newElements = 0
    /// Combined hold of the pane's on-time elements (per the timestamp combiner).
    var elementHold: Int64?
    /// Garbage-collection hold: keeps a later (possibly empty) pane from being dropped downstream.
    var extraHold: Int64?
    var trigger: TriggerState
    var lastPane: PaneInfo?
    var isClosed = false
    /// The pending event-time timer (end of window, then garbage collection).
    var eventWake: Int64?
    /// The next processing-time deadline of the trigger, if any.
    var processingWake: Int64?

    init(key: Int, keySequence: Int, window: BeamWindow, sequence: Int, allowedLateness: Int64, trigger: TriggerState) {
        self.key = key
        self.keySequence = keySequence
        self.window = window
        self.sequence = sequence
        self.maxTimestamp = window.maxTimestamp
        self.gcTime = Self.garbageCollectionTime(maxTimestamp: window.maxTimestamp, allowedLateness: allowedLateness)
        self.trigger = trigger
    }

    /// The window's output hold: the earliest of its holds.
    var hold: Int64? {
        switch (elementHold, extraHold) {
        case let (element?, extra?): return min(element, extra)
        case let (element, extra): return element ?? extra
        }
    }

    /// The time at which the end of the window counts as passed: +inf when unknown.
    var endOfWindow: Int64 {
        maxTimestamp ?? BeamTime.maxTimestamp
    }

    /// Output order: by window end, then key first appearance, then creation.
    var order: (Int64, Int, Int) {
        (endOfWindow, keySequence, sequence)
    }

    /// As Java's LateDataUtils: capped at the end of the global window.
    static func garbageCollectionTime(maxTimestamp: Int64?, allowedLateness: Int64) -> Int64 {
        guard let maxTimestamp else { return BeamTime.maxTimestamp }
        let lateness = max(0, allowedLateness)
        if maxTimestamp >= BeamTime.globalWindowMaxTimestamp - lateness {
            return max(maxTimestamp, BeamTime.globalWindowMaxTimestamp)
        }
        return maxTimestamp + lateness
    }
}
