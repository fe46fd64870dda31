import BeamCore

/// The grouping keys one `TriggeredGroupByKey` currently buffers windows for: owned
/// copies of the encoded bytes, a first-appearance sequence (for deterministic output
/// order), and a count of the windows using each key so a key is forgotten with its
/// last window (streaming keys come and go).
struct KeyRegistry: Sendable {
    private var indices: [EncodedKey: Int] = [:]
    private var keys: [ArraySlice<UInt8>] = []
    private var sequences: [Int] = []
    private var useCounts: [Int] = []
    private var free: [Int] = []
    private var nextSequence = 0

    func index(of key: ArraySlice<UInt8>) -> Int? {
        indices[EncodedKey(key)]
    }

    func bytes(_ index: Int) -> ArraySlice<UInt8> {
        keys[index]
    }

    func sequence(_ index: Int) -> Int {
        sequences[index]
    }

    /// The key's index, registering it if new, counted as used by one more window.
    mutating func retain(_ key: ArraySlice<UInt8>) -> Int {
        if let index = indices[EncodedKey(key)] {
            useCounts[index] += 1
            return index
        }
        // Owned, compact copy: the chunk the key came from is not kept.
        let owned = Array(key)[...]
        let index: Int
        if let reused = free.popLast() {
            index = reused
            keys[index] = owned
            sequences[index] = nextSequence
            useCounts[index] = 1
        } else {
            index = keys.count
            keys.append(owned)
            sequences.append(nextSequence)
            useCounts.append(1)
        }
        nextSequence += 1
        indices[EncodedKey(owned)] = index
        return index
    }

    mutating func retain(index: Int) {
        useCounts[index] += 1
    }

    /// One window fewer uses the key; the last one forgets it.
    mutating func release(_ index: Int) {
        useCounts[index] -= 1
        guard useCounts[index] == 0 else { return }
        indices[EncodedKey(keys[index])] = nil
        keys[index] = []
        free.append(index)
    }
}
