/// The contents of one user-state cell: byte chunks filed under sub-keys.
/// Every state kind is this shape, so one set of operations (and one
/// transaction overlay) serves them all:
/// - bag (also value, combining and set state): one sub-key, `[]`;
/// - multimap: the encoded map key; a key with no value bytes still exists
///   (Java's SetState stores `Void` values, which encode to nothing);
/// - ordered list: the sort key as 8 order-preserving bytes, so byte order
///   is sort-key order and ranges are byte ranges.
/// Chunks are kept as appended: each holds whole encoded elements, which is
/// where the State API may cut pages.
struct UserStateCell: Sendable, Codable {
    private(set) var entries: [[UInt8]: [[UInt8]]] = [:]
    private(set) var byteCount = 0

    var isEmpty: Bool { entries.isEmpty }

    func chunks(_ subKey: [UInt8]) -> [[UInt8]] {
        entries[subKey] ?? []
    }

    /// The sub-keys in `range`, in byte order.
    func subKeys(in range: SubKeyRange = .all) -> [[UInt8]] {
        entries.keys.filter(range.contains).sorted { $0.lexicographicallyPrecedes($1) }
    }

    /// The chunks of every sub-key in `range`, sub-keys in byte order.
    func chunks(in range: SubKeyRange) -> [[UInt8]] {
        subKeys(in: range).flatMap { entries[$0]! }
    }

    /// Files `chunks` under `subKey`, creating it even if `chunks` is empty.
    mutating func append(_ chunks: [[UInt8]], to subKey: [UInt8]) {
        entries[subKey, default: []].append(contentsOf: chunks)
        byteCount += chunks.reduce(0) { $0 + $1.count }
    }

    mutating func remove(_ range: SubKeyRange) {
        if range == .all {
            entries = [:]
            byteCount = 0
            return
        }
        for key in entries.keys where range.contains(key) {
            byteCount -= entries.removeValue(forKey: key)!.reduce(0) { $0 + $1.count }
        }
    }

    /// Applies a transaction's writes: hides, then appends.
    mutating func apply(_ delta: UserStateDelta) {
        for range in delta.removed { remove(range) }
        for (subKey, chunks) in delta.added.entries { append(chunks, to: subKey) }
    }

    func applying(_ delta: UserStateDelta?) -> UserStateCell {
        guard let delta else { return self }
        var cell = self
        cell.apply(delta)
        return cell
    }
}

/// A cell's uncommitted writes: ranges cleared from the committed contents
/// (in order), then what was appended since. A clear also drops matching
/// appends, so `added` never holds anything cleared after it was written.
struct UserStateDelta: Sendable {
    var removed: [SubKeyRange] = []
    var added = UserStateCell()

    mutating func clear(_ range: SubKeyRange) {
        removed.append(range)
        added.remove(range)
    }
}

/// A half-open range of sub-keys in byte order; `upper == nil` is unbounded.
struct SubKeyRange: Hashable, Sendable {
    var lower: [UInt8]
    var upper: [UInt8]?

    static let all = SubKeyRange(lower: [], upper: nil)

    /// Exactly `key`: its byte-order successor is `key + [0]`.
    static func only(_ key: [UInt8]) -> SubKeyRange {
        SubKeyRange(lower: key, upper: key + [0])
    }

    func contains(_ key: [UInt8]) -> Bool {
        !key.lexicographicallyPrecedes(lower) && (upper.map { key.lexicographicallyPrecedes($0) } ?? true)
    }
}
