import BeamCore

/// The live (key, window) states of one `TriggeredGroupByKey`, in reusable slots with a
/// generation per slot (so heap entries naming a reused slot are recognised as stale),
/// indexed by (key, window) and, for merging windowing, by key over open windows.
struct WindowTable: Sendable {
    private struct Address: Hashable {
        let key: Int
        let window: BeamWindow
    }

    private var states: [KeyedWindowState?] = []
    private(set) var generations: [UInt32] = []
    private var free: [Int] = []
    private var slots: [Address: Int] = [:]
    /// Open windows per key, kept only when windows merge.
    private var openByKey: [Int: [Int]] = [:]
    private let tracksOpenWindows: Bool
    private(set) var nextSequence = 0
    private(set) var liveCount = 0

    init(tracksOpenWindows: Bool) {
        self.tracksOpenWindows = tracksOpenWindows
    }

    subscript(slot: Int) -> KeyedWindowState {
        get { states[slot]! }
        _modify { yield &states[slot]! }
    }

    func slot(key: Int, window: BeamWindow) -> Int? {
        slots[Address(key: key, window: window)]
    }

    func isLive(_ slot: Int, generation: UInt32) -> Bool {
        slot < states.count && generations[slot] == generation && states[slot] != nil
    }

    func openWindows(ofKey key: Int) -> [Int] {
        openByKey[key] ?? []
    }

    /// Every live slot, for rebuilding heaps.
    var liveSlots: [Int] {
        states.indices.filter { states[$0] != nil }
    }

    mutating func takeSequence() -> Int {
        nextSequence += 1
        return nextSequence - 1
    }

    mutating func insert(_ state: KeyedWindowState) -> Int {
        let slot: Int
        if let reused = free.popLast() {
            slot = reused
            states[slot] = state
        } else {
            slot = states.count
            states.append(state)
            generations.append(0)
        }
        slots[Address(key: state.key, window: state.window)] = slot
        if tracksOpenWindows, !state.isClosed { openByKey[state.key, default: []].append(slot) }
        liveCount += 1
        return slot
    }

    mutating func remove(_ slot: Int) -> KeyedWindowState {
        let state = states[slot]!
        states[slot] = nil
        generations[slot] &+= 1
        free.append(slot)
        slots[Address(key: state.key, window: state.window)] = nil
        forgetOpen(slot, key: state.key)
        liveCount -= 1
        return state
    }

    /// The window's trigger finished: it no longer merges with new windows.
    mutating func close(_ slot: Int) {
        self[slot].isClosed = true
        forgetOpen(slot, key: self[slot].key)
    }

    private mutating func forgetOpen(_ slot: Int, key: Int) {
        guard tracksOpenWindows, var open = openByKey[key] else { return }
        open.removeAll { $0 == slot }
        openByKey[key] = open.isEmpty ? nil : open
    }
}
