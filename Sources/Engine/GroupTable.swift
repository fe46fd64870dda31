import BeamCore

/// The (key, window) groups of one `GroupByKey` run: values kept as concatenated
/// encoded bytes per group, keys and groups in order of first appearance.
struct GroupTable {
    struct Group {
        let window: BeamWindow
        var count = 0
        var values: [UInt8] = []
        var earliest = Int64.max
        var latest = Int64.min
    }

    private struct Slot: Hashable {
        let key: Int
        let window: BeamWindow
    }

    private var keyIndices: [EncodedKey: Int] = [:]
    private var keys: [ArraySlice<UInt8>] = []
    private var groupsOfKey: [[Int]] = []
    private var lastGroupOfKey: [Int] = []
    private var groupIndices: [Slot: Int] = [:]
    private var groups: [Group] = []

    mutating func keyIndex(for key: ArraySlice<UInt8>) -> Int {
        if let index = keyIndices[EncodedKey(key)] { return index }
        let index = keys.count
        // Owned, compact key copies: lookups stay in cache instead of chasing the chunks.
        let owned = Array(key)[...]
        keyIndices[EncodedKey(owned)] = index
        keys.append(owned)
        groupsOfKey.append([])
        lastGroupOfKey.append(-1)
        return index
    }

    mutating func add(keyIndex: Int, window: BeamWindow, value: ArraySlice<UInt8>, timestamp: Int64) {
        let index = groupIndex(keyIndex: keyIndex, window: window)
        groups[index].count += 1
        value.withUnsafeBufferPointer { groups[index].values.append(contentsOf: $0) }
        groups[index].earliest = min(groups[index].earliest, timestamp)
        groups[index].latest = max(groups[index].latest, timestamp)
    }

    /// Creates an empty group so that groups appear in the caller's order.
    mutating func reserveGroup(keyIndex: Int, window: BeamWindow) {
        _ = groupIndex(keyIndex: keyIndex, window: window)
    }

    private mutating func groupIndex(keyIndex: Int, window: BeamWindow) -> Int {
        // Fast path: the key's latest group (always right for the global window).
        let last = lastGroupOfKey[keyIndex]
        if last >= 0, groups[last].window == window { return last }
        let slot = Slot(key: keyIndex, window: window)
        if let existing = groupIndices[slot] { return existing }
        let index = groups.count
        groupIndices[slot] = index
        groups.append(Group(window: window))
        groupsOfKey[keyIndex].append(index)
        lastGroupOfKey[keyIndex] = index
        return index
    }

    /// windowed_value(kv(K, iterable(V)), W) per group, one on-time pane each.
    func encode(codec: WindowedValueCodec, combiner: TimestampCombiner) throws -> [UInt8] {
        let size = groups.reduce(0) { $0 + $1.values.count + 32 } + keys.reduce(0) { $0 + $1.count }
        var writer = ByteWriter(capacity: size)
        for (keyIndex, key) in keys.enumerated() {
            for groupIndex in groupsOfKey[keyIndex] {
                let group = groups[groupIndex]
                let timestamp = try combiner.outputTimestamp(
                    window: group.window, earliest: group.earliest, latest: group.latest)
                try codec.writeHeader(timestamp: timestamp, window: group.window, pane: .onTimeOnly, into: &writer)
                writer.writeBytes(key)
                IterableEncoding.encode(count: group.count, concatenated: group.values[...], into: &writer)
            }
        }
        return writer.bytes
    }
}
