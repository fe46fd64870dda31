import BeamCore

// Firing panes and watermark holds, after Java's ReduceFnRunner.emit/onTrigger,
// PaneInfoTracker and WatermarkHold.

extension TriggeredGroupByKey {
    /// The trigger fired: commit it, output the pane, discard what the mode says.
    mutating func emit(_ slot: Int, into writer: inout ByteWriter) throws {
        let context = context(slot)
        program.onFire(program.root, &table[slot].trigger, context)
        let isFinished = program.isClosed(table[slot].trigger)
        try onTrigger(slot, isFinished: isFinished, into: &writer)
        table[slot].newElements = 0
        if isFinished || windowing.accumulation == .discarding {
            table[slot].values = []
            table[slot].valueCount = 0
        }
        if isFinished {
            // A tombstone until garbage collection: later elements for the window are dropped.
            program.clear(program.root, &table[slot].trigger)
            table[slot].lastPane = nil
            table[slot].isClosed = true
        }
        updateProcessingWake(slot)
    }

    /// Outputs the window's pane if Beam would (empty panes only when the on-time or
    /// closing behavior asks), releasing its holds; a non-final pane may leave a
    /// garbage-collection hold.
    mutating func onTrigger(_ slot: Int, isFinished: Bool, into writer: inout ByteWriter) throws {
        let previousHold = table[slot].hold
        let timestamp = paneTimestamp(slot)
        table[slot].elementHold = nil
        table[slot].extraHold = nil
        if !isFinished { addGarbageCollectionHold(slot, paneIsEmpty: true) }
        pushHold(slot, previous: previousHold)

        let isEmpty = table[slot].newElements == 0
        if isEmpty, windowing.closingBehavior == .emitIfNonEmpty, windowing.onTimeBehavior == .fireIfNonEmpty {
            return
        }
        let pane = nextPane(slot, isFinished: isFinished)
        guard needToEmit(isEmpty: isEmpty, isFinished: isFinished, timing: pane.timing) else { return }
        let state = table[slot]
        try codec.writeHeader(timestamp: timestamp, window: state.window, pane: pane, into: &writer)
        writer.writeBytes(keys.bytes(state.key))
        IterableEncoding.encode(count: state.valueCount, concatenated: state.values[...], into: &writer)
        table[slot].lastPane = pane
    }

    /// The held output time (the earliest of the holds), clipped to the window's max
    /// timestamp; the max timestamp when nothing holds (all elements came late).
    private func paneTimestamp(_ slot: Int) -> Int64 {
        let state = table[slot]
        guard let maxTimestamp = state.maxTimestamp else {
            // A window we cannot decode has no known end: fall back to the global window's.
            return state.hold ?? BeamTime.globalWindowMaxTimestamp
        }
        guard let hold = state.hold, hold <= maxTimestamp else { return maxTimestamp }
        return hold
    }

    /// As Java's PaneInfoTracker: EARLY before the watermark passes the window, the one
    /// ON_TIME pane after, LATE once a non-early pane was emitted or the output watermark
    /// is already past the window.
    private func nextPane(_ slot: Int, isFinished: Bool) -> PaneInfo {
        let state = table[slot]
        let previous = state.lastPane
        let index = previous.map { $0.index + 1 } ?? 0
        var nonSpeculativeIndex = previous.map { $0.nonSpeculativeIndex + 1 } ?? 0
        let isLateForOutput = state.maxTimestamp.map { $0 < outputWatermark } ?? false
        let onlyEarlySoFar = previous.map { $0.timing == .early } ?? true
        let timing: PaneInfo.Timing
        if isLateForOutput || !onlyEarlySoFar {
            timing = .late
        } else if !isDue(state.endOfWindow) {
            timing = .early
            nonSpeculativeIndex = -1
        } else {
            timing = .onTime
        }
        return PaneInfo(
            isFirst: previous == nil, isLast: isFinished, timing: timing, index: index,
            nonSpeculativeIndex: nonSpeculativeIndex)
    }

    private func needToEmit(isEmpty: Bool, isFinished: Bool, timing: PaneInfo.Timing) -> Bool {
        if !isEmpty { return true }
        if timing == .onTime, windowing.onTimeBehavior == .fireAlways { return true }
        return isFinished && windowing.closingBehavior == .emitAlways
    }

    // MARK: - Holds

    /// The element's hold, or nil when it is too late to hold anything: its hold is
    /// behind the output watermark, or its window's end is behind the input watermark.
    func elementHold(_ timestamp: Int64, _ slot: Int) throws -> Int64? {
        let state = table[slot]
        guard let maxTimestamp = state.maxTimestamp else {
            // No known end (END_OF_WINDOW falls back to the element times): hold,
            // but never behind the output watermark.
            return max(timestamp, outputWatermark)
        }
        let hold = windowing.timestampCombiner == .endOfWindow ? maxTimestamp : timestamp
        if hold < outputWatermark || maxTimestamp < inputWatermark { return nil }
        return hold
    }

    func combineHolds(_ existing: Int64?, _ hold: Int64) -> Int64 {
        guard let existing else { return hold }
        return windowing.timestampCombiner == .latest ? max(existing, hold) : min(existing, hold)
    }

    /// Holds the output watermark at the garbage-collection time, so the window's final
    /// pane is not dropped downstream (for a late element, or an empty final pane the
    /// closing behavior asks for).
    mutating func addGarbageCollectionHold(_ slot: Int, paneIsEmpty: Bool) {
        let state = table[slot]
        guard state.maxTimestamp != nil, state.gcTime >= inputWatermark else { return }
        if paneIsEmpty, windowing.closingBehavior == .emitIfNonEmpty { return }
        let hold = min(state.gcTime, BeamTime.maxTimestamp - 1)
        table[slot].extraHold = min(state.extraHold ?? hold, hold)
    }
}
