import BeamCore

/// The grouping keys one `TriggeredGroupByKey` currently buffers windows for: owned
/// copies of the encoded bytes, a first-appearance sequence (for deterministic output
/// order), and a count of the windows using each key so a key is forgotten with its
/// last window (streaming keys come and go).
struct KeyRegistry: Sendable, Codable {
    private var indices: [EncodedKey: Int] = [:]
    private var keys: [ArraySlice<UInt8>] = []
    private var sequences: [Int] = []
    private var useCounts: [Int] = []
    private var free: [Int] = []
    private var nextSequence = 0

    private enum CodingKeys: String, CodingKey {
        case indices, keys, sequences, useCounts, free, nextSequence
    }

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

/// In checkpoints (`ArraySlice` is not `Codable`): keys as byte arrays.
extension KeyRegistry {
    init(from decoder: any Decoder) throws {
        let values = try decoder.container(keyedBy: CodingKeys.self)
        indices = try values.decode([EncodedKey: Int].self, forKey: .indices)
        keys = try values.decode([[UInt8]].self, forKey: .keys).map { $0[...] }
        sequences = try values.decode([Int].self, forKey: .sequences)
        useCounts = try values.decode([Int].self, forKey: .useCounts)
        free = try values.decode([Int].self, forKey: .free)
        nextSequence = try values.decode(Int.self, forKey: .nextSequence)
    }

    func encode(to encoder: any Encoder) throws {
        var values = encoder.container(keyedBy: CodingKeys.self)
        try values.encode(indices, forKey: .indices)
        try values.encode(keys.map(Array.init), forKey: .keys)
        try values.encode(sequences, forKey: .sequences)
        try values.encode(useCounts, forKey: .useCounts)
        try values.encode(free, forKey: .free)
        try values.encode(nextSequence, forKey: .nextSequence)
    }
}
