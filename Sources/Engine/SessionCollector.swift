import BeamCore

/// Collects elements per key under Sessions, then merges each key's proto-sessions
/// into a `GroupTable`. Used by `GroupByKey` for merging windowing.
struct SessionCollector {
    struct Entry {
        let start: Int64
        let end: Int64
        let timestamp: Int64
        let value: ArraySlice<UInt8>
    }

    private var keyIndices: [EncodedKey: Int] = [:]
    private var keys: [ArraySlice<UInt8>] = []
    private var entries: [[Entry]] = []

    mutating func add(key: ArraySlice<UInt8>, value: ArraySlice<UInt8>, timestamp: Int64, windows: [BeamWindow]) throws {
        let keyIndex: Int
        if let existing = keyIndices[EncodedKey(key)] {
            keyIndex = existing
        } else {
            keyIndex = keys.count
            keyIndices[EncodedKey(key)] = keyIndex
            keys.append(key)
            entries.append([])
        }
        for window in windows {
            guard case let .interval(start, end) = window else {
                throw EngineError.invalidInput("session windowing needs interval windows, got \(window)")
            }
            entries[keyIndex].append(Entry(start: start, end: end, timestamp: timestamp, value: value))
        }
    }

    func merge(into table: inout GroupTable) {
        for (keyIndex, key) in keys.enumerated() {
            let keyEntries = entries[keyIndex]
            let (sessions, assignment) = SessionMerger.merge(keyEntries.map { ($0.start, $0.end) })
            let tableKey = table.keyIndex(for: key)
            // Create the groups in session order, then fill them in input order.
            for session in sessions {
                table.reserveGroup(keyIndex: tableKey, window: .interval(start: session.start, end: session.end))
            }
            for (entry, sessionIndex) in zip(keyEntries, assignment) {
                let session = sessions[sessionIndex]
                table.add(
                    keyIndex: tableKey, window: .interval(start: session.start, end: session.end),
                    value: entry.value, timestamp: entry.timestamp)
            }
        }
    }
}
