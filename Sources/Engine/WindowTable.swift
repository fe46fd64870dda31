import BeamCore

/// The live (key, window) states of one `TriggeredGroupByKey`, in reusable slots with a
/// generation per slot (so heap entries naming a reused slot are recognised as stale),
/// indexed by (key, window) and, for merging windowing, by key.
struct WindowTable: Sendable, Codable {
    private struct Address: Hashable, Codable {
        let key: Int
        let window: BeamWindow
    }

    private var states: [KeyedWindowState?] = []
    private(set) var generations: [UInt32] = []
    private var free: [Int] = []
    private var slots: [Address: Int] = [:]
    /// Windows per key, kept only when windows merge.
    private var byKey: [Int: [Int]] = [:]
    private let tracksKeys: Bool
    private var nextSequence = 0
    private(set) var liveCount = 0

    init(tracksKeys: Bool) {
        self.tracksKeys = tracksKeys
    }

    // Yielding in place: copying a state would retain its buffers on every field read.
    subscript(slot: Int) -> KeyedWindowState {
        _read { yield states[slot]! }
        _modify { yield &states[slot]! }
    }

    func slot(key: Int, window: BeamWindow) -> Int? {
        slots[Address(key: key, window: window)]
    }

    func isLive(_ slot: Int) -> Bool {
        slot < states.count && states[slot] != nil
    }

    func isLive(_ slot: Int, generation: UInt32) -> Bool {
        slot < states.count && generations[slot] == generation && states[slot] != nil
    }

    /// The key's windows, open and closed (merging windowing only).
    func windows(ofKey key: Int) -> [Int] {
        byKey[key] ?? []
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
        if tracksKeys { byKey[state.key, default: []].append(slot) }
        liveCount += 1
        return slot
    }

    mutating func remove(_ slot: Int) -> KeyedWindowState {
        let state = states[slot]!
        states[slot] = nil
        generations[slot] &+= 1
        free.append(slot)
        slots[Address(key: state.key, window: state.window)] = nil
        if tracksKeys, var windows = byKey[state.key] {
            windows.removeAll { $0 == slot }
            byKey[state.key] = windows.isEmpty ? nil : windows
        }
        liveCount -= 1
        return state
    }
}
