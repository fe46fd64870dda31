/// A binary min-heap of (time, window slot) wake-ups, with stale entries left in place
/// and skipped by the owner (lazy deletion): cheaper than finding and removing them.
///
/// `TriggeredGroupByKey` keeps three: event-time timers, processing-time deadlines and
/// watermark holds.
struct SlotHeap: Sendable, Codable {
    struct Entry: Sendable, Comparable, Codable {
        var time: Int64
        var slot: Int
        /// The slot's generation when pushed: a reused slot makes older entries stale.
        var generation: UInt32

        static func < (lhs: Entry, rhs: Entry) -> Bool {
            (lhs.time, lhs.slot, lhs.generation) < (rhs.time, rhs.slot, rhs.generation)
        }
    }

    private(set) var entries: [Entry] = []

    var count: Int { entries.count }
    var top: Entry? { entries.first }

    mutating func push(_ entry: Entry) {
        entries.append(entry)
        var child = entries.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard entries[child] < entries[parent] else { break }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    @discardableResult
    mutating func pop() -> Entry? {
        guard !entries.isEmpty else { return nil }
        entries.swapAt(0, entries.count - 1)
        let popped = entries.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < entries.count, entries[left] < entries[smallest] { smallest = left }
            if right < entries.count, entries[right] < entries[smallest] { smallest = right }
            guard smallest != parent else { break }
            entries.swapAt(parent, smallest)
            parent = smallest
        }
        return popped
    }

    /// Keeps only the entries `isLive` accepts (to drop accumulated stale ones).
    mutating func compact(_ isLive: (Entry) -> Bool) {
        let live = entries.filter(isLive)
        entries = []
        entries.reserveCapacity(live.count)
        for entry in live { push(entry) }
    }
}
