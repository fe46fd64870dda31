import BeamCore

// Custom merging WindowFns: the engine cannot merge their windows, their SDK
// can (beam:transform:merge_windows:v1). Elements are buffered per unmerged
// window; before each `advance` the scheduler asks the SDK to merge the
// windows of every key that received elements, then applies the result.

extension TriggeredGroupByKey {
    /// The open windows of every key that got elements since the last call, for the SDK to merge.
    public mutating func windowsToMerge() -> [(key: [UInt8], windows: [BeamWindow])] {
        defer { unmergedKeys = [] }
        return unmergedKeys.sorted().compactMap { keyIndex in
            let windows = table.windows(ofKey: keyIndex).filter { !table[$0].isClosed }.map { table[$0].window }
            return windows.count > 1 ? (Array(keys.bytes(keyIndex)), windows) : nil
        }
    }

    /// Applies the SDK's merges for one key: each result window takes over its originals.
    public mutating func merge(key: [UInt8], _ merges: [(result: BeamWindow, originals: [BeamWindow])]) throws {
        guard let keyIndex = keys.index(of: key[...]) else { return }
        for merge in merges {
            let sources = merge.originals.compactMap { table.slot(key: keyIndex, window: $0) }.filter { !table[$0].isClosed }
            if sources.isEmpty || (sources.count == 1 && table[sources[0]].window == merge.result) { continue }
            let slot = mergeSlots(sources, into: merge.result, keyIndex: keyIndex)
            let endOfWindow = table[slot].endOfWindow
            setEventWake(slot, isDue(endOfWindow) ? table[slot].gcTime : endOfWindow)
        }
    }
}
