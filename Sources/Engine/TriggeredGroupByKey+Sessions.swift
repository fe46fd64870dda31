import BeamCore

// Merging windowing (sessions): each new element's proto-session joins the open
// windows of its key it overlaps (Beam's MergeOverlappingIntervalWindows), merging
// their buffers, holds and trigger state into one new window (Java's ReduceFnRunner
// onMerge). The merged window starts a fresh pane sequence, as in Java. An element
// overlapping a window whose trigger has finished is dropped, as Python's trigger
// driver does (the closed session would otherwise grow a second, overlapping one).

extension TriggeredGroupByKey {
    /// The window an element with proto-session `window` goes to; nil if it overlaps
    /// a window whose trigger has already finished.
    mutating func sessionSlot(key: ArraySlice<UInt8>, window: BeamWindow) throws -> Int? {
        guard case let .interval(start, end) = window else {
            throw EngineError.invalidInput("merging windowing needs interval windows, got \(window)")
        }
        guard let keyIndex = keys.index(of: key) else {
            return newWindow(keyIndex: keys.retain(key), window: window)
        }
        if let existing = table.slot(key: keyIndex, window: window) {
            return table[existing].isClosed ? nil : existing
        }
        let overlapping = table.windows(ofKey: keyIndex).filter { slot in
            guard case let .interval(otherStart, otherEnd) = table[slot].window else { return false }
            return otherStart < end && start < otherEnd
        }
        if overlapping.contains(where: { table[$0].isClosed }) { return nil }
        if overlapping.isEmpty {
            keys.retain(index: keyIndex)
            return newWindow(keyIndex: keyIndex, window: window)
        }
        if overlapping.count == 1, case let .interval(otherStart, otherEnd) = table[overlapping[0]].window,
            otherStart <= start, end <= otherEnd
        {
            return overlapping[0]
        }
        return merge(overlapping, with: (start, end), keyIndex: keyIndex)
    }

    /// Replaces the open windows `sources` of one key by their union with `span`.
    private mutating func merge(_ sources: [Int], with span: (start: Int64, end: Int64), keyIndex: Int) -> Int {
        var start = span.start
        var end = span.end
        for slot in sources {
            if case let .interval(otherStart, otherEnd) = table[slot].window {
                start = min(start, otherStart)
                end = max(end, otherEnd)
            }
        }
        return mergeSlots(sources, into: .interval(start: start, end: end), keyIndex: keyIndex)
    }

    /// Replaces the windows `sources` of one key by `window`, which takes over
    /// their buffers, holds and merged trigger state.
    mutating func mergeSlots(_ sources: [Int], into window: BeamWindow, keyIndex: Int) -> Int {
        let sources = sources.sorted { table[$0].order < table[$1].order }
        let states = sources.map { table[$0] }
        keys.retain(index: keyIndex)
        // Removed first: the merged window may be one of them.
        for source in sources { removeWindow(source) }
        let slot = newWindow(keyIndex: keyIndex, window: window)
        let context = context(slot)
        table[slot].trigger = program.merged(states.map(\.trigger), context)
        for state in states {
            table[slot].values.append(contentsOf: state.values)
            table[slot].valueCount += state.valueCount
            table[slot].newElements += state.newElements
        }
        table[slot].elementHold = mergedElementHold(states, slot)
        addGarbageCollectionHold(slot, paneIsEmpty: false)
        pushHold(slot, previous: nil)
        updateProcessingWake(slot)
        return slot
    }

    /// END_OF_WINDOW holds move to the merged window's end (if still possible);
    /// earliest/latest combine the sources' holds.
    private func mergedElementHold(_ states: [KeyedWindowState], _ slot: Int) -> Int64? {
        if windowing.timestampCombiner == .endOfWindow {
            return try? elementHold(BeamTime.minTimestamp, slot)
        }
        return states.compactMap(\.elementHold).reduce(nil) { combineHolds($0, $1) }
    }
}
